"""Run one child process and measure it: wall time and peak RSS (its own rusage, from ``os.wait4``).

Also the facts about the machine and the software that every result records next to its numbers.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

#: DuckDB settings another layer (profiles.yml) reads from the environment; recorded with every result.
DUCKDB_ENV_VARS = ("DUCKDB_MEMORY_LIMIT", "DUCKDB_THREADS", "DUCKDB_TEMP_DIR", "DBT_THREADS")
POLL_SECONDS = 0.25


@dataclass(frozen=True)
class Measurement:
    """What one child process cost: wall time from spawn to exit, its peak resident set size, exit code."""

    wall_s: float
    peak_rss_mb: float
    returncode: int
    log: Path


def _maxrss_mb(ru_maxrss: int) -> float:
    # Linux reports KiB, macOS bytes.
    return ru_maxrss / (1024 * 1024) if sys.platform == "darwin" else ru_maxrss / 1024


def run_measured(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path,
    log: Path,
    on_poll: Callable[[], None] | None = None,
) -> Measurement:
    """Run `argv` with stdout and stderr into `log`; return its wall time, peak RSS and exit code.

    The child is reaped with ``os.wait4`` so its rusage is that process's own (dbt runs DuckDB in-process, so
    for a dbt build this is the build's memory). `on_poll` is called about 4 times a second while it runs
    (progress display). Ctrl-C terminates the child before re-raising.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(list(argv), env=dict(env), cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        try:
            while True:
                pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
                if pid == proc.pid:
                    break
                if on_poll is not None:
                    on_poll()
                time.sleep(POLL_SECONDS)
        except BaseException:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            raise
        wall = time.perf_counter() - started
    returncode = os.waitstatus_to_exitcode(status)
    proc.returncode = returncode  # reaped by wait4: tell Popen, so it does not try again
    return Measurement(wall_s=wall, peak_rss_mb=_maxrss_mb(rusage.ru_maxrss), returncode=returncode, log=log)


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def _ram_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except (OSError, ValueError, IndexError):
        pass
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3, 1)
    except (ValueError, OSError, AttributeError):
        return None


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def now_utc() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def machine_facts() -> dict[str, Any]:
    """CPU, memory, OS and the versions that decide the numbers (Python, DuckDB, dbt)."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cpu_count": os.cpu_count(),
        "cpus_usable": usable,
        "cpu_model": _cpu_model(),
        "ram_gb": _ram_gb(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "duckdb": _version("duckdb"),
        "dbt_core": _version("dbt-core"),
        "dbt_duckdb": _version("dbt-duckdb"),
        "load_average": load_average(),
        "date": now_utc(),
    }


def duckdb_settings(env: Mapping[str, str] | None = None) -> dict[str, str | None]:
    """DuckDB's memory/thread/temp settings and dbt's threads passed through the environment (None: unset)."""
    env = os.environ if env is None else env
    return {name: env.get(name) or None for name in DUCKDB_ENV_VARS}
