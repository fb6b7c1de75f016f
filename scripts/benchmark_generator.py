"""Benchmark the synthetic data generator: wall time, rows/s and peak memory.

    .venv/bin/python scripts/benchmark_generator.py                      # 1,000,000 profiles x 90 days
    .venv/bin/python scripts/benchmark_generator.py --profiles 20000 --json reports/gen.json

The generator runs in this process, into a temporary folder that is deleted afterwards (pass --keep
or --out to keep the data). Peak RSS is this process's `ru_maxrss`, i.e. the interpreter, numpy,
pyarrow and the generator together: what a user running `featurestore generate` would see.
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import resource
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from featurestore.generator import DEFAULT_START_DATE, GeneratorConfig, generate

logger = logging.getLogger("benchmark_generator")


def _dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _peak_rss_mb() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1024 / 1024 if sys.platform == "darwin" else rss / 1024  # bytes on macOS, KiB on Linux


def run(profiles: int, days: int, seed: int, out: Path, keep: bool) -> dict[str, object]:
    """Generate into `out` (must not hold generated data) and return the measurements."""
    config = GeneratorConfig(
        out_dir=out, profiles=profiles, days=days, seed=seed, start_date=DEFAULT_START_DATE
    )
    started = time.perf_counter()
    last_log = [started]

    def progress(done: int, total: int, day: date) -> None:
        now = time.perf_counter()
        if now - last_log[0] >= 10 or done == total:
            logger.info(
                "day %d/%d (%s) after %.0fs, peak RSS %.0f MB",
                done,
                total,
                day,
                now - started,
                _peak_rss_mb(),
            )
            last_log[0] = now

    report = generate(config, progress)
    wall = time.perf_counter() - started
    size = _dir_size(out)
    result: dict[str, object] = {
        "profiles": profiles,
        "days": days,
        "seed": seed,
        "rows": report.rows,
        "total_rows": report.total_rows,
        "event_rows": report.rows["viewing_events"] + report.rows["engagement_events"],
        "wall_seconds": round(wall, 1),
        "rows_per_second": round(report.total_rows / wall),
        "peak_rss_mb": round(_peak_rss_mb()),
        "output_mb": round(size / 1024 / 1024),
        "files": report.files_written,
        "machine": f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}",
    }
    if not keep:
        shutil.rmtree(out, ignore_errors=True)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=int, default=1_000_000, help="profiles on the start date")
    parser.add_argument("--days", type=int, default=90, help="days to generate")
    parser.add_argument("--seed", type=int, default=42, help="random seed")
    parser.add_argument("--out", type=Path, help="output folder (default: a temporary folder, deleted)")
    parser.add_argument("--keep", action="store_true", help="keep the generated data")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")

    if args.out is not None:
        result = run(args.profiles, args.days, args.seed, args.out, keep=True)
    else:
        tmp = Path(tempfile.mkdtemp(prefix="fs-generator-bench-"))
        try:
            result = run(args.profiles, args.days, args.seed, tmp / "raw", keep=args.keep)
        finally:
            if not args.keep:
                shutil.rmtree(tmp, ignore_errors=True)
        if args.keep:
            result["out"] = str(tmp / "raw")

    rows = result["rows"]
    assert isinstance(rows, dict)
    width = max(len(name) for name in rows)
    lines = [f"generator benchmark: {result['profiles']:,} profiles x {result['days']} days"]
    lines += [f"  {name:<{width}}  {count:>14,}" for name, count in rows.items()]
    lines += [
        f"  {'total':<{width}}  {result['total_rows']:>14,}",
        f"  wall time      {result['wall_seconds']} s",
        f"  throughput     {result['rows_per_second']:,} rows/s",
        f"  peak RSS       {result['peak_rss_mb']:,} MB",
        f"  output         {result['output_mb']:,} MB in {result['files']:,} files",
    ]
    sys.stdout.write("\n".join(lines) + "\n")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
