"""The measurement behind ADR 0005 (docs/decisions/0005-current-values-on-read.md): should Redis keep each
profile's latest feature-log row and let readers bring it forward, or hold values already current?

On one synthetic warehouse (--profiles x 62 features; every profile has a row on day 0, --changed of them a
new row on each of days 1-5) and a local redis-server, in one run:

  (a) sync cost: `sync --full` of every profile (what a store of *current* values must do every day: every
      day count moves, so every key changes) versus the incremental sync of the last day (what the kept
      layout does: the profiles with a row in the 3-day lookback window);
  (b) memory per profile (MEMORY USAGE over a sample) of the kept hash, and of the same hash plus the four
      anchor dates a reader could use instead of `_feature_date` arithmetic;
  (c) read cost of bringing forward: batch-of-100 `OnlineStoreClient.read` (values as of the store's date)
      versus `get_stored_many` (the stored hashes, typed, nothing brought forward), p50 / p99, interleaved.

    .venv/bin/python scripts/measure_online_layout.py [--profiles 200000] [--changed 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb

from featurestore.env import temporary_environment
from featurestore.online import synthetic
from featurestore.online.client import OnlineStoreClient
from featurestore.online.layout import Layout
from featurestore.online.server import RedisServer, free_port
from featurestore.online.sync import run_sync
from featurestore.paths import ProjectPaths, find_project_dir

PROJECT = find_project_dir(Path(__file__).parent)
START = date(2026, 9, 1)
ANCHORS = ("profile_created_date", "account_signup_date", "first_play_date", "last_play_date")


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 3),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--profiles", type=int, default=200_000)
    parser.add_argument("--changed", type=int, default=10_000)
    parser.add_argument("--reads", type=int, default=1_000)
    args = parser.parse_args()
    layout = Layout.from_catalog("fs:v1", PROJECT)
    results: dict[str, object] = {"profiles": args.profiles, "changed_per_day": args.changed}
    results["loadavg_before"] = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="fs-layout-") as tmp:
        work = Path(tmp)
        warehouse = work / "warehouse.duckdb"
        synthetic.build_warehouse(
            warehouse, layout, args.profiles, START, days=5, changed_per_day=args.changed
        )
        synthetic.write_run_results(work / "target")
        server = RedisServer(work / "redis", free_port())
        server.start()
        env = {
            "DUCKDB_PATH": str(warehouse),
            "DBT_TARGET_PATH": str(work / "target"),
            "REDIS_URL": server.url,
            "FS_PREFIX": "fs:v1",
        }
        try:
            with temporary_environment(env):
                full = run_sync(ProjectPaths(PROJECT), full=True)
                with duckdb.connect(str(warehouse)) as con:
                    synthetic.insert_rows(
                        con, layout, START + timedelta(days=5), 0, args.changed, last_play_days_ago=0
                    )
                daily = run_sync(ProjectPaths(PROJECT))
            results["sync_full"] = {"profiles": full.written, "seconds": round(full.seconds, 2)}
            results["sync_daily_incremental"] = {
                "profiles": daily.written,
                "seconds": round(daily.seconds, 2),
            }

            client = server.client()
            ids = [synthetic.profile_id(n) for n in random.Random(1).sample(range(args.profiles), 2_000)]
            keys = [layout.profile_key(pid) for pid in ids]
            kept = statistics.mean(int(client.memory_usage(k, samples=0)) for k in keys)
            for key in keys:
                client.hset(key, mapping={name: "2026-01-01" for name in ANCHORS})
            with_anchors = statistics.mean(int(client.memory_usage(k, samples=0)) for k in keys)
            for key in keys:
                client.hdel(key, *ANCHORS)
            results["memory_usage_bytes"] = {"kept": round(kept), "with_4_anchor_dates": round(with_anchors)}

            rng = random.Random(2)
            current: list[float] = []
            stored: list[float] = []
            moved = 0
            with OnlineStoreClient(server.url, prefix="fs:v1") as store:
                store.read(ids[:100])
                for _ in range(args.reads):
                    batch = [synthetic.profile_id(rng.randrange(args.profiles)) for _ in range(100)]
                    t0 = time.perf_counter()
                    reading = store.read(batch)
                    current.append(time.perf_counter() - t0)
                    t0 = time.perf_counter()
                    store.get_stored_many(batch)
                    stored.append(time.perf_counter() - t0)
                    moved += sum(
                        1
                        for row in reading.profiles.values()
                        if row and row["_source_feature_date"] < reading.feature_date
                    )
            results["read_batch100"] = {
                "current_values": percentiles(current),
                "stored_values": percentiles(stored),
                "share_brought_forward": round(moved / (100 * args.reads), 3),
            }
        finally:
            server.stop(save=False)
    results["loadavg_after"] = os.getloadavg()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
