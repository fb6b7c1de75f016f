"""Serving benchmark: `featurestore serve` under a real HTTP load generator, side by side with raw pipelined
HGETALL on the same keys and with Feast's Python feature server on the same data, in one run.

On one synthetic warehouse (--profiles x 62 features; 10,000 profiles with a newer row on each of 4 later
days, so most stored rows are brought forward) synced into a local redis-server:

  (a) `featurestore serve` (one process per --workers, bearer auth on, access log on, to a file), driven by
      `wrk` (scripts/serving_load.py): GET /v1/features/{id} (single) and POST /v1/features with 100 ids
      (batch), random ids, at each of --clients concurrent connections;
  (b) raw Redis: the same requests as pipelined HGETALL of the same keys (asyncio, one redis-py connection
      per client, RESP2, hiredis), no HTTP, no typing: the floor;
  (c) Feast 0.67's Python feature server (`feast serve`, one worker, no access log, worker recycling off:
      Feast at its best) over the same rows materialized into a separate redis-server, in its own virtual
      environment .venv-feast/ (built on first use from benchmarks/feast/requirements.txt; `--no-feast`
      skips it): POST /get-online-features, 62 features;
  (d) the Python client in-process: `OnlineStoreClient.read` of 100 profiles vs raw redis-py pipelined
      HGETALL (RESP3, redis-py's default, and RESP2), interleaved.

Every load run is bounded by --seconds and --max-requests; everything listens on 127.0.0.1. The load average
is recorded around each run. Prints a Markdown table and writes benchmarks/results/serving.json.

    .venv/bin/python scripts/benchmark_serving.py [--profiles 200000] [--clients 1 8 32] [--seconds 5]
        [--max-requests 20000] [--workers 1] [--no-feast]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import redis

from featurestore.env import temporary_environment
from featurestore.online import synthetic
from featurestore.online.client import OnlineStoreClient
from featurestore.online.layout import Layout
from featurestore.online.server import RedisServer, free_port
from featurestore.online.sync import run_sync
from featurestore.paths import ProjectPaths, find_project_dir

sys.path.insert(0, str(Path(__file__).resolve().parent))
import feast_compare  # noqa: E402  (scripts/feast_compare.py)
import serving_load  # noqa: E402  (scripts/serving_load.py)

PROJECT = find_project_dir(Path(__file__).parent)
START = date(2026, 9, 1)
TOKEN = "benchmark-token"
BATCH = 100


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def start_featurestore(env: dict[str, str], workers: int, work: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    log = (work / "serve.log").open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from featurestore.cli import app; app()",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env={**os.environ, **env, "FS_SERVE_TOKEN": TOKEN},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    serving_load.wait_http(base + "/health", process=proc, timeout=60)
    return proc, base


def start_feast(
    args: argparse.Namespace, warehouse: Path, layout: Layout, newest: date, work: Path
) -> dict[str, Any]:
    """Materialize the same rows into a separate Redis and start `feast serve`; {} with `skipped` if not."""
    env = feast_compare.ensure_feast_env(args.feast_venv)
    if env.python is None:
        return {"skipped": env.message}
    parquet = work / "feast_rows.parquet"
    rows = feast_compare.write_parquet(warehouse, layout, newest, 120, parquet)
    server = RedisServer(work / "redis-feast", free_port())
    server.start()
    result = feast_compare.run_materialize(env.python, parquet, layout, server.port, work)
    if "failed" in result:
        server.stop(save=False)
        return {"skipped": f"materialize failed: {result['failed']}"}
    port = free_port()
    feast_bin = Path(env.python).parent / "feast"
    log = (work / "feast_serve.log").open("wb")
    proc = subprocess.Popen(
        [
            str(feast_bin),
            "-c",
            str(work / "feast_repo"),
            "serve",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "--no-access-log",
            "-w",
            "1",
            "--max-requests",
            "0",
            "--max-requests-jitter",
            "0",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "FEAST_USAGE": "False", "PYTHONWARNINGS": "ignore"},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        serving_load.wait_http(base + "/health", process=proc, timeout=180)
    except RuntimeError as exc:
        proc.kill()
        server.stop(save=False)
        tail = (work / "feast_serve.log").read_text(errors="replace").splitlines()[-5:]
        return {"skipped": f"feast serve did not start: {exc}: {' | '.join(tail)}"}
    return {
        "process": proc,
        "base": base,
        "redis": server,
        "rows": rows,
        "materialize": result,
        "version": env.message,
    }


def client_reads(url: str, ids: list[str], repeats: int) -> dict[str, Any]:
    """In-process, interleaved: the client's typed, brought-forward batch of 100 vs raw redis-py pipelines."""
    rng = random.Random(5)
    times: dict[str, list[float]] = {"client": [], "raw_resp3": [], "raw_resp2": []}
    raw3 = redis.Redis.from_url(url)
    raw2 = redis.Redis.from_url(url, protocol=2)
    with OnlineStoreClient(url, prefix="fs:v1") as store:
        store.read(ids[:BATCH])
        for _ in range(repeats):
            batch = [ids[rng.randrange(len(ids))] for _ in range(BATCH)]
            keys = [f"fs:v1:profile:{pid}" for pid in batch]
            t0 = time.perf_counter()
            store.read(batch)
            times["client"].append(time.perf_counter() - t0)
            for name, raw in (("raw_resp3", raw3), ("raw_resp2", raw2)):
                t0 = time.perf_counter()
                pipe = raw.pipeline(transaction=False)
                for key in keys:
                    pipe.hgetall(key)
                pipe.execute()
                times[name].append(time.perf_counter() - t0)
    raw3.close()
    raw2.close()
    out: dict[str, Any] = {}
    for name, samples in times.items():
        ordered = sorted(samples)
        out[name] = {
            "p50_ms": round(statistics.median(ordered) * 1000, 3),
            "p99_ms": round(ordered[int(len(ordered) * 0.99)] * 1000, 3),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--profiles", type=int, default=200_000)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--seconds", type=float, default=5.0, help="time bound of each load run")
    parser.add_argument("--max-requests", type=int, default=20_000, help="request bound of each load run")
    parser.add_argument("--workers", type=int, default=1, help="featurestore serve --workers")
    parser.add_argument("--client-repeats", type=int, default=1000)
    parser.add_argument("--feast", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--feast-venv", type=Path, default=PROJECT / ".venv-feast")
    parser.add_argument("--out", type=Path, default=PROJECT / "benchmarks" / "results")
    args = parser.parse_args()
    if serving_load.wrk_path() is None:
        raise SystemExit("wrk is not installed: `apt-get install wrk` (Debian), then re-run.")

    layout = Layout.from_catalog("fs:v1", PROJECT)
    results: dict[str, Any] = {
        "command": "scripts/benchmark_serving.py " + " ".join(sys.argv[1:]),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "profiles": args.profiles,
        "loadavg_start": loadavg(),
        "runs": [],
    }
    with tempfile.TemporaryDirectory(prefix="fs-bench-serve-") as tmp:
        work = Path(tmp)
        warehouse = work / "warehouse.duckdb"
        print(f"building a synthetic warehouse of {args.profiles:,} profiles ...", flush=True)
        synthetic.build_warehouse(warehouse, layout, args.profiles, START, days=5, changed_per_day=10_000)
        synthetic.write_run_results(work / "target")
        store = RedisServer(work / "redis", free_port())
        store.start()
        env = {
            "DUCKDB_PATH": str(warehouse),
            "DBT_TARGET_PATH": str(work / "target"),
            "REDIS_URL": store.url,
            "FS_PREFIX": "fs:v1",
        }
        feast: dict[str, Any] = {"skipped": "--no-feast"}
        serve_proc = None
        try:
            with temporary_environment(env):
                synced = run_sync(ProjectPaths(PROJECT), full=True)
            newest = synced.plan.feature_date
            rng = random.Random(11)
            ids = [
                synthetic.profile_id(n) for n in rng.sample(range(args.profiles), min(20_000, args.profiles))
            ]
            ids_file = work / "ids.txt"
            ids_file.write_text("\n".join(ids) + "\n")
            if args.feast:
                print("Feast: environment, materialize, feast serve ...", flush=True)
                feast = start_feast(args, warehouse, layout, newest, work)
                print(f"  {feast.get('skipped') or feast['base']}", flush=True)
            serve_proc, base = start_featurestore(env, args.workers, work)
            names = [f.name for f in layout.features]
            for clients in args.clients:
                cases: list[tuple[str, str, int]] = [
                    ("featurestore serve", "single", 1),
                    ("featurestore serve", "batch", BATCH),
                    ("raw HGETALL", "raw", 1),
                    ("raw HGETALL", "raw", BATCH),
                ]
                if "base" in feast:
                    cases += [("Feast feature server", "feast", 1), ("Feast feature server", "feast", BATCH)]
                for system, mode, batch in cases:
                    before = loadavg()
                    if mode == "raw":
                        run = serving_load.run_raw_redis(
                            store.url, "fs:v1", ids, batch, clients, args.seconds, args.max_requests
                        )
                    else:
                        target = feast["base"] if mode == "feast" else base
                        run = serving_load.run_wrk(
                            target,
                            mode,
                            clients,
                            ids_file,
                            work,
                            args.seconds,
                            args.max_requests,
                            batch,
                            token=TOKEN if mode != "feast" else None,
                            feast_features=names if mode == "feast" else None,
                        )
                    run.update({"system": system, "loadavg_before": before, "loadavg_after": loadavg()})
                    results["runs"].append(run)
                    print(
                        f"  {system:22} clients {clients:2} batch {batch:3}: {run['rps']:9,.1f} req/s  "
                        f"p50 {run['p50_ms']:7.3f} ms  p99 {run['p99_ms']:7.3f} ms  errors {run['errors']}",
                        flush=True,
                    )
            results["client_batch100"] = client_reads(store.url, ids, args.client_repeats)
            if "materialize" in feast:
                results["feast"] = {
                    "rows": feast["rows"],
                    "materialize": feast["materialize"],
                    "environment": feast["version"],
                }
            else:
                results["feast"] = {"skipped": feast.get("skipped")}
        finally:
            if serve_proc is not None:
                serve_proc.terminate()
                serve_proc.wait(15)
            if "process" in feast:
                feast["process"].terminate()
                try:
                    feast["process"].wait(15)
                except subprocess.TimeoutExpired:
                    feast["process"].kill()
                feast["redis"].stop(save=False)
            store.stop(save=False)
    results["loadavg_end"] = loadavg()
    results["ratios"] = ratios(results)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "serving.json").write_text(json.dumps(results, indent=2) + "\n")
    print(markdown(results))


def ratios(results: dict[str, Any]) -> dict[str, Any]:
    def find(system: str, clients: int, batch: int) -> dict[str, Any] | None:
        for run in results["runs"]:
            if run["system"] == system and run["clients"] == clients and run["batch"] == batch:
                return run
        return None

    out: dict[str, Any] = {}
    for run in results["runs"]:
        if run["system"] != "featurestore serve":
            continue
        key = f"clients={run['clients']},batch={run['batch']}"
        feast = find("Feast feature server", run["clients"], run["batch"])
        raw = find("raw HGETALL", run["clients"], run["batch"])
        entry: dict[str, Any] = {}
        if feast and feast["rps"]:
            entry["rps_over_feast"] = round(run["rps"] / feast["rps"], 2)
        if raw and raw["p99_ms"]:
            entry["p99_over_raw"] = round(run["p99_ms"] / raw["p99_ms"], 2)
            entry["p50_over_raw"] = round(run["p50_ms"] / raw["p50_ms"], 2)
        out[key] = entry
    client = results.get("client_batch100", {})
    if client:
        out["client_batch100_over_raw_resp3"] = {
            q: round(client["client"][q] / client["raw_resp3"][q], 2) for q in ("p50_ms", "p99_ms")
        }
        out["client_batch100_over_raw_resp2"] = {
            q: round(client["client"][q] / client["raw_resp2"][q], 2) for q in ("p50_ms", "p99_ms")
        }
    return out


def markdown(results: dict[str, Any]) -> str:
    lines = [
        f"`{results['command']}`; {results['profiles']:,} profiles x 62 features; load average "
        f"{results['loadavg_start']} at start, {results['loadavg_end']} at end",
        "",
        "| system | clients | batch | req/s | profiles/s | p50 ms | p99 ms | errors | load avg (1 min) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for run in results["runs"]:
        lines.append(
            f"| {run['system']} | {run['clients']} | {run['batch']} | {run['rps']:,.0f} | "
            f"{run['rps'] * run['batch']:,.0f} | {run['p50_ms']:.2f} | {run['p99_ms']:.2f} | "
            f"{run['errors']} | "
            f"{run['loadavg_before'][0]} |"
        )
    client = results.get("client_batch100")
    if client:
        lines += ["", "| Python client, batch of 100 (in-process) | p50 ms | p99 ms |", "|---|---|---|"]
        for name, label in (
            ("client", "OnlineStoreClient.read (typed, brought forward)"),
            ("raw_resp3", "raw redis-py pipelined HGETALL, RESP3 (default)"),
            ("raw_resp2", "raw redis-py pipelined HGETALL, RESP2"),
        ):
            lines.append(f"| {label} | {client[name]['p50_ms']:.2f} | {client[name]['p99_ms']:.2f} |")
    lines += ["", "ratios: " + json.dumps(results["ratios"])]
    if "skipped" in results.get("feast", {}):
        lines.append(f"Feast: skipped ({results['feast']['skipped']})")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
