"""Flat-cost benchmark: does a daily run cost what the day's activity costs, not the size of the profile base?

Two scenarios over the same activity:
  base     N profiles, D days of generated Gold data;
  dormant  the same files plus 10 x N dormant profiles (new accounts) whose plays all happened 20-60 days
           before the first generated day, so none of their stored values can change on the measured days.
For each: a full `dbt build`, then the next day is appended (`featurestore generate --append-day`, the same
for both) and the daily incremental `dbt build` is timed (median of --repeats runs; re-running the same day
does the same work) and its written rows counted: the rows of the dates each incremental model replaced plus
every row of the models materialised as tables. Goals: dormant/base <= 1.3x time and <= 1.1x rows.

    .venv/bin/python scripts/benchmark_flat_cost.py [--profiles 5000] [--days 90] [--out benchmarks/results]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from featurestore.generator import GeneratorConfig, append_day, generate
from featurestore.generator.schemas import ACCOUNTS_SCHEMA, PROFILES_SCHEMA, VIEWING_SCHEMA
from featurestore.paths import find_project_dir

PROJECT = find_project_dir(Path(__file__).parent)
DBT = str(Path(sys.executable).parent / "dbt")
DATE_COLUMNS = ("event_date", "feature_date")


def add_dormant_profiles(raw: Path, count: int, start: datetime, seed: int) -> None:
    """Write `count` dormant profiles (one per new account) with 5 plays each, 20-60 days before `start`."""
    rng = np.random.default_rng(seed)
    ids = np.arange(count)
    profile_ids = [f"dormant-p-{i:07d}" for i in ids]
    account_ids = [f"dormant-a-{i:07d}" for i in ids]
    created = start - timedelta(days=400)
    pq.write_table(pa.table({
        "account_id": account_ids, "signup_date": [created.date()] * count, "plan_tier": ["standard"] * count,
        "country": ["US"] * count, "status": ["active"] * count, "updated_at": [created] * count,
    }, schema=ACCOUNTS_SCHEMA), raw / "accounts" / "part-dormant.parquet")
    pq.write_table(pa.table({
        "profile_id": profile_ids, "account_id": account_ids, "is_kids": [False] * count,
        "created_at": [created] * count, "deleted_at": [None] * count,
    }, schema=PROFILES_SCHEMA), raw / "profiles" / "part-dormant.parquet")
    content = pq.read_table(raw / "content", columns=["content_id"]).column("content_id").to_numpy(zero_copy_only=False)
    plays = 5
    n = count * plays
    offsets = rng.integers(20, 61, n)
    event_ts = [start - timedelta(days=int(o), hours=int(h)) for o, h in zip(offsets, rng.integers(0, 12, n))]
    table = pa.table({
        "event_id": [f"dormant-v-{i:09d}" for i in range(n)],
        "profile_id": np.repeat(np.array(profile_ids, dtype=object), plays),
        "content_id": content[rng.integers(0, len(content), n)],
        "event_ts": event_ts,
        "watch_seconds": rng.integers(60, 3600, n).astype(np.int32),
        "device_type": np.array(["tv", "mobile", "web", "tablet"], dtype=object)[rng.integers(0, 4, n)],
        "ingested_at": [t + timedelta(minutes=5) for t in event_ts],
    }, schema=VIEWING_SCHEMA)
    (raw / "viewing_events" / "dormant").mkdir(parents=True, exist_ok=True)
    pq.write_table(table, raw / "viewing_events" / "dormant" / "part-dormant.parquet")


def dbt_build(env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([DBT, "build", "--quiet"], cwd=PROJECT, env=env, check=True)
    return time.perf_counter() - started


def incremental_relations(warehouse: Path, target: Path) -> tuple[dict[str, str], list[str]]:
    manifest = json.loads((target / "manifest.json").read_text())
    incremental, tables = {}, []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for node in manifest["nodes"].values():
            kind = node.get("config", {}).get("materialized")
            if node["resource_type"] not in ("model", "snapshot"):
                continue
            relation = f'{node["schema"]}.{node["alias"]}'
            if kind == "incremental":
                columns = {r[0] for r in con.execute(f"describe {relation}").fetchall()}
                incremental[relation] = next(c for c in DATE_COLUMNS if c in columns)
            elif kind == "table":
                tables.append(relation)
    return incremental, tables


def latest_dates(warehouse: Path, incremental: dict[str, str]) -> dict[str, object]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {rel: con.execute(f"select max({col}) from {rel}").fetchall()[0][0] for rel, col in incremental.items()}


def rows_written(warehouse: Path, incremental: dict[str, str], before: dict[str, object], tables: list[str],
                 lookback: int) -> dict[str, int]:
    """Rows each model wrote in the last run: replaced dates of incremental models, all rows of tables."""
    written = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for rel, col in incremental.items():
            cutoff = before[rel] - timedelta(days=lookback) if before[rel] else None  # type: ignore[operator]
            where = f"where {col} >= '{cutoff}'" if cutoff else ""
            written[rel] = con.execute(f"select count(*) from {rel} {where}").fetchall()[0][0]
        for rel in tables:
            written[rel] = con.execute(f"select count(*) from {rel}").fetchall()[0][0]
    return written


def slowest_nodes(target: Path, top: int = 8) -> dict[str, float]:
    results = json.loads((target / "run_results.json").read_text())["results"]
    ranked = sorted(results, key=lambda r: -r["execution_time"])[:top]
    return {r["unique_id"].split(".", 2)[-1]: round(r["execution_time"], 2) for r in ranked}


def scenario(name: str, work: Path, profiles: int, days: int, dormant: int, repeats: int) -> dict[str, object]:
    raw, warehouse, target = work / name / "raw", work / name / "wh.duckdb", work / name / "target"
    config = GeneratorConfig(out_dir=raw, profiles=profiles, days=days, seed=7)
    generate(config)
    if dormant:
        add_dormant_profiles(raw, dormant, datetime.combine(config.start_date, datetime.min.time(), timezone.utc), 11)
    env = {**os.environ, "RAW_DATA_DIR": str(raw), "DUCKDB_PATH": str(warehouse), "DBT_TARGET_PATH": str(target),
           "DBT_LOG_PATH": str(work / name / "logs")}
    full_seconds = dbt_build(env)
    incremental, tables = incremental_relations(warehouse, target)
    append_day(raw)
    before = latest_dates(warehouse, incremental)
    timings = [dbt_build(env) for _ in range(repeats)]
    written = rows_written(warehouse, incremental, before, tables, lookback=3)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        live = con.execute("select count(*) from main_staging.stg_gold__profiles").fetchall()[0][0]
        log_rows = con.execute("select count(*) from main_marts.profile_features").fetchall()[0][0]
    return {
        "scenario": name, "profiles": live, "full_build_s": round(full_seconds, 2),
        "daily_build_s": round(statistics.median(timings), 2), "daily_runs_s": [round(t, 2) for t in timings],
        "daily_rows_written": sum(written.values()),
        "daily_rows_by_relation": written,
        "daily_slowest_nodes": slowest_nodes(target),
        "feature_log_rows": log_rows,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profiles", type=int, default=5000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=PROJECT / "benchmarks" / "results")
    parser.add_argument("--daily-only", action="store_true",
                        help="Only the base scenario: full build vs daily run (e.g. on the README's default sample).")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="flat_cost_"))
    if args.daily_only:
        try:
            base = scenario("base", work, args.profiles, args.days, 0, args.repeats)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        base["daily_vs_full"] = round(base["daily_build_s"] / base["full_build_s"], 3)  # type: ignore[operator]
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / f"daily_vs_full_{args.profiles}.json").write_text(json.dumps(base, indent=2, default=str))
        print(json.dumps(base, indent=2, default=str))
        return 0
    try:
        results = [
            scenario("base", work, args.profiles, args.days, 0, args.repeats),
            scenario("dormant", work, args.profiles, args.days, 10 * args.profiles, args.repeats),
        ]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    base, dormant = results
    summary = {
        "results": results,
        "time_ratio": round(dormant["daily_build_s"] / base["daily_build_s"], 3),  # type: ignore[operator]
        "rows_ratio": round(dormant["daily_rows_written"] / base["daily_rows_written"], 3),  # type: ignore[operator]
        "daily_vs_full_base": round(base["daily_build_s"] / base["full_build_s"], 3),  # type: ignore[operator]
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "flat_cost.json").write_text(json.dumps(summary, indent=2, default=str))
    print(json.dumps(summary, indent=2, default=str))
    ok = summary["time_ratio"] <= 1.3 and summary["rows_ratio"] <= 1.1
    print("flat cost goal (<= 1.3x time, <= 1.1x rows):", "MET" if ok else "NOT MET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
