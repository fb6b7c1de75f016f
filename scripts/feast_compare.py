"""The Feast side of scripts/benchmark_online.py: its own virtual environment, the Parquet it reads, the run.

Feast (pinned in benchmarks/feast/requirements.txt) is installed into `.venv-feast/` (git-ignored), never
into the project's `.venv`: its pins do not touch the project's, and nothing here runs in CI or the tests.
`benchmarks/feast/materialize.py` runs inside that environment; this module, in the project's, builds the
environment when needed, writes the Parquet file from the same rows the sync writes, runs materialize as a
child process and measures it (peak RSS from wait4, Redis memory on the Redis instance it wrote to).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from featurestore.online.layout import Layout
from featurestore.online.sync import FEATURES, SyncSource

logger = logging.getLogger(__name__)

FEAST_DIR = Path(__file__).resolve().parent.parent / "benchmarks" / "feast"
REQUIREMENTS = FEAST_DIR / "requirements.txt"
MATERIALIZE = FEAST_DIR / "materialize.py"
INSTALL_TIMEOUT_S = 1800
RUN_TIMEOUT_S = 3600


@dataclass(frozen=True)
class FeastEnv:
    python: Path | None
    message: str  # what was done, or why Feast cannot run


def _pinned_version() -> str:
    for line in REQUIREMENTS.read_text().splitlines():
        if line.startswith("feast") and "==" in line:
            return line.split("==", 1)[1].strip()
    raise ValueError(f"{REQUIREMENTS} pins no feast version")


def _has_feast(python: Path, version: str) -> bool:
    if not python.is_file():
        return False
    done = subprocess.run(
        [str(python), "-c", "import feast, sys; sys.stdout.write(feast.__version__)"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    return done.returncode == 0 and done.stdout.strip() == version


def ensure_feast_env(venv: Path) -> FeastEnv:
    """`venv` with the pinned Feast: reused when it already has it, else (re)built with pip."""
    version = _pinned_version()
    python = venv / "bin" / "python"
    if _has_feast(python, version):
        return FeastEnv(python, f"reused {venv} (feast {version})")
    started = time.perf_counter()
    steps = [
        [sys.executable, "-m", "venv", "--clear", str(venv)],
        [str(python), "-m", "pip", "install", "--quiet", "--upgrade", "pip"],
        [str(python), "-m", "pip", "install", "--quiet", "-r", str(REQUIREMENTS)],
    ]
    for step in steps:
        try:
            done = subprocess.run(step, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return FeastEnv(None, f"cannot build {venv}: {' '.join(step[:4])}: {exc}")
        if done.returncode != 0:
            errors = [line[:300] for line in done.stderr.splitlines() if "is ignored" not in line]
            return FeastEnv(None, f"cannot build {venv}: {' '.join(step[:4])}: {' | '.join(errors[-3:])}")
    if not _has_feast(python, version):
        return FeastEnv(None, f"{venv} was built but does not import feast {version}")
    return FeastEnv(python, f"built {venv} (feast {version}) in {time.perf_counter() - started:.0f} s")


def write_parquet(warehouse: Path, layout: Layout, newest: object, ttl_days: int, path: Path) -> int:
    """The rows a full sync writes (each live profile's latest row), 62 features, as Parquet for Feast's file
    offline store: `profile_id`, `event_timestamp` (the row's feature date) and the features (ints as
    BIGINT, NULLs as nulls). Returns the row count."""
    columns = ", ".join(
        f"cast(f.{f.name} as bigint) as {f.name}" if f.type == "int" else f"f.{f.name}"
        for f in layout.features
    )
    with SyncSource(warehouse, layout) as source:
        source.build_plan(newest, None, ttl_days)  # type: ignore[arg-type]
        source.con.execute(
            f"""copy (
                select w.profile_id, cast(f.feature_date as timestamp) as event_timestamp, {columns}
                from _fs_sync_writes as w
                inner join {FEATURES} as f on f.profile_id = w.profile_id and f.feature_date = w.feature_date
                order by w.profile_id
            ) to '{path}' (format parquet, compression snappy)"""
        )
        return source.count_writes()


def run_materialize(
    python: Path, parquet: Path, layout: Layout, redis_port: int, work: Path
) -> dict[str, object]:
    """Run materialize.py in the Feast environment; its result plus the child's peak RSS (wait4)."""
    types = work / "types.json"
    types.write_text(json.dumps({f.name: f.type for f in layout.features}))
    out = work / "feast_result.json"
    log = work / "feast.log"
    started = time.perf_counter()
    with log.open("w") as stderr:
        child = subprocess.Popen(
            [
                str(python),
                str(MATERIALIZE),
                "--parquet",
                str(parquet),
                "--repo",
                str(work / "feast_repo"),
                "--redis",
                f"127.0.0.1:{redis_port}",
                "--types",
                str(types),
                "--out",
                str(out),
            ],
            stdout=stderr,
            stderr=subprocess.STDOUT,
            env={**os.environ, "FEAST_USAGE": "False", "PYTHONWARNINGS": "ignore"},
        )
        _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if child.returncode != 0 or not out.is_file():
        tail = log.read_text(errors="replace").strip().splitlines()[-5:]
        return {"failed": f"exit {child.returncode}: " + " | ".join(tail)}
    result: dict[str, object] = json.loads(out.read_text())
    result["process_wall_seconds"] = round(wall, 3)
    result["peak_rss_bytes"] = usage.ru_maxrss * 1024  # the child and any process it waited for
    return result
