"""The child side of the benchmark's Python steps: ``python -m featurestore.bench.worker STEP ...``.

Each step runs in its own process so the parent can take that process's peak RSS from ``os.wait4``. The step
times its own work (`seconds`, without interpreter start-up and imports) and writes its details as JSON to
``--result``. Paths of the project's data come from the environment (RAW_DATA_DIR, DUCKDB_PATH,
DBT_TARGET_PATH, REDIS_URL), exactly as for the `featurestore` commands. Exit code 1 with one line on
stderr when the step fails.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

_CACHE_DETAILS = "generated.json"
STEPS = ("generate", "append-day", "add-dormant", "scan-floor", "export-features", "write-floor", "sync")


def _generate(args: argparse.Namespace) -> dict[str, Any]:
    """Generate into --raw, or copy the same data (same size, days and seed) from --gold-cache if it is there."""
    from featurestore.generator import GeneratorConfig, generate

    config = GeneratorConfig(out_dir=args.raw, profiles=args.profiles, days=args.days, seed=args.seed)
    cached = args.gold_cache / f"profiles-{args.profiles}-days-{args.days}-seed-{args.seed}" if args.gold_cache else None
    if cached is not None and (cached / _CACHE_DETAILS).is_file():
        started = time.perf_counter()
        shutil.rmtree(args.raw, ignore_errors=True)
        shutil.copytree(cached / "raw", args.raw)
        details = json.loads((cached / _CACHE_DETAILS).read_text())
        return {**details, "copied_from": str(cached), "copy_s": round(time.perf_counter() - started, 3)}
    started = time.perf_counter()
    report = generate(config)
    details = {
        "seconds": time.perf_counter() - started,
        "rows": dict(report.rows),
        "total_rows": report.total_rows,
        "first_date": config.start_date.isoformat(),
        "last_date": config.last_date.isoformat(),
    }
    if cached is not None:
        shutil.rmtree(cached, ignore_errors=True)
        shutil.copytree(args.raw, cached / "raw")
        # Written last: a cache entry without it (an interrupted copy) is ignored and replaced.
        (cached / _CACHE_DETAILS).write_text(json.dumps(details, indent=2))
    return details


def _append_day(args: argparse.Namespace) -> dict[str, Any]:
    from featurestore.generator import append_day

    started = time.perf_counter()
    report = append_day(args.raw)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "rows": dict(report.rows),
        "total_rows": report.total_rows,
        "day": report.days_written[-1].isoformat() if report.days_written else None,
    }


def _add_dormant(args: argparse.Namespace) -> dict[str, Any]:
    from featurestore.bench.dormant import add_dormant_profiles
    from featurestore.generator.writer import read_manifest

    config = read_manifest(args.raw)
    start = datetime.combine(config.start_date, datetime.min.time(), timezone.utc)
    started = time.perf_counter()
    events = add_dormant_profiles(args.raw, args.count, start, args.seed)
    return {"seconds": time.perf_counter() - started, "dormant_profiles": args.count, "events": events}


def _scan_floor(args: argparse.Namespace) -> dict[str, Any]:
    from featurestore.bench.floors import scan_floor

    return scan_floor(args.raw, args.db)


def _export_features(args: argparse.Namespace) -> dict[str, Any]:
    from featurestore.bench.floors import export_features

    return export_features(args.warehouse, args.parquet)


def _write_floor(args: argparse.Namespace) -> dict[str, Any]:
    from featurestore.bench.floors import write_floor

    return write_floor(args.parquet, args.db)


def _sync(args: argparse.Namespace) -> dict[str, Any]:
    from featurestore.online.sync import run_sync
    from featurestore.paths import ProjectPaths

    started = time.perf_counter()
    result = run_sync(ProjectPaths.discover(), full=args.full)
    seconds = time.perf_counter() - started
    plan = result.plan
    return {
        "seconds": seconds,
        "mode": plan.mode,
        "feature_date": plan.feature_date.isoformat(),
        "previous_date": plan.previous_date.isoformat() if plan.previous_date else None,
        "profiles_written": result.written,
        "deleted_removed": result.deleted,
        "expired_removed": result.expired,
        "write_seconds": result.write_seconds,
        "profiles_per_second": result.profiles_per_second,
    }


RUNNERS: dict[str, Callable[[argparse.Namespace], dict[str, Any]]] = {
    "generate": _generate,
    "append-day": _append_day,
    "add-dormant": _add_dormant,
    "scan-floor": _scan_floor,
    "export-features": _export_features,
    "write-floor": _write_floor,
    "sync": _sync,
}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m featurestore.bench.worker", description=__doc__)
    p.add_argument("step", choices=STEPS)
    p.add_argument("--result", type=Path, required=True, help="JSON file to write the step's details to.")
    p.add_argument("--raw", type=Path, help="Gold folder (generate, append-day, add-dormant, scan-floor).")
    p.add_argument("--profiles", type=int)
    p.add_argument("--days", type=int)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--gold-cache", type=Path, help="generate: reuse (or keep) generated data in this folder.")
    p.add_argument("--count", type=int, help="Dormant profiles to add.")
    p.add_argument("--db", type=Path, help="Scratch DuckDB file (floors).")
    p.add_argument("--warehouse", type=Path, help="The built warehouse (export-features).")
    p.add_argument("--parquet", type=Path, help="Parquet copy of profile_features (write floor).")
    p.add_argument("--full", action="store_true", help="sync: full reload.")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        details = RUNNERS[args.step](args)
    except Exception as exc:  # noqa: BLE001 - the parent reports the step; this line goes to its log
        message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
        print(f"error in step {args.step}: {message}", file=sys.stderr, flush=True)
        import traceback

        traceback.print_exc()
        return 1
    args.result.parent.mkdir(parents=True, exist_ok=True)
    args.result.write_text(json.dumps(details, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
