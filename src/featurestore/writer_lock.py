"""One writer per warehouse: the commands that write (`run`, `sync`, `report`, `dbt`) hold a lock on it.

The lock is an OS file lock (`flock`, through the `filelock` package) on `<warehouse>.lock` beside the
DuckDB file of the `local` target (`<SPARK_HOME_DIR>/warehouse.lock` on `spark`, `<target>/featurestore.lock`
on `databricks`). The kernel releases it when the holder exits, however it exits (SIGKILL included), so a
crash never leaves a stale lock behind. Beside it, `<lock>.holder.json` says who holds it (PID, command,
since when, host): a second writer exits 2 at once with one line naming the holder and what to do, or with
`--wait SECONDS` (FS_LOCK_WAIT) waits for it.

Readers (`get`, `serve`, `verify`, `training-set`, BI tools) take no lock. What they may still meet is
DuckDB's own file lock: one process writes a DuckDB file at a time and no other process can open it meanwhile,
not even read-only. A writer of the `local` warehouse therefore opens the DuckDB file as soon as it holds this
lock and keeps it open until it releases it: readers are refused (DuckDB's "Could not set lock on file", at
once) from then until the writer exits, and dbt, the summary and the sync inside the writer share that one
open database (DuckDB's per-process instance cache) instead of each fighting readers for the file. Opening it
waits up to 30 s for readers that hold it (`warehouse.open_for_writing`): a BI query running at that moment
delays the build instead of failing it. docs/operations.md says how long readers are refused.

Nested use in one process (`run` then its `sync`) is re-entrant.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from filelock import FileLock, Timeout

from featurestore.failures import EXIT_INPUT, FeaturestoreError
from featurestore.invocations import command_line, pid_alive
from featurestore.paths import ProjectPaths
from featurestore.warehouse import open_for_writing

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.25
WAIT_ENV = "FS_LOCK_WAIT"
WAIT_HELP = (
    "Seconds to wait for another writer of the same warehouse to finish (default 0: exit 2 at once, naming it)."
)

_held: dict[Path, int] = {}  # lock files this process holds, with their nesting depth


def duckdb_lock_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".lock")


def lock_path(paths: ProjectPaths, target: str = "local") -> Path:
    """The lock file of the warehouse a target writes."""
    if target == "local":
        return duckdb_lock_path(paths.duckdb_path)
    if target == "spark":
        return paths.spark_dir / "warehouse.lock"
    return paths.target_dir / "featurestore.lock"


def holder_path(lock: Path) -> Path:
    return lock.with_name(lock.name + ".holder.json")


@dataclass(frozen=True)
class Holder:
    """Who holds a warehouse lock."""

    pid: int
    command: str
    since: str  # ISO 8601, UTC
    host: str

    @classmethod
    def read(cls, lock: Path) -> "Holder | None":
        try:
            raw = json.loads(holder_path(lock).read_text())
            return cls(int(raw["pid"]), str(raw["command"]), str(raw["since"]), str(raw.get("host", "")))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def describe(self) -> str:
        try:
            since = datetime.fromisoformat(self.since)
            age = int((datetime.now(timezone.utc) - since).total_seconds())
            when = f"since {since:%Y-%m-%d %H:%M:%S} UTC ({_duration(age)} ago)"
        except ValueError:
            when = f"since {self.since}"
        here = socket.gethostname()
        host = f" on {self.host}" if self.host and self.host != here else ""
        return f"PID {self.pid}{host} (`{self.command}`) {when}"


def _duration(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


class LockHeld(FeaturestoreError):
    """Another process holds the warehouse lock (exit 2: nothing was done)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, EXIT_INPUT)


def _held_message(lock: Path, warehouse: str, waited: float) -> str:
    holder = Holder.read(lock)
    who = holder.describe() if holder else "another process (it has not recorded itself yet)"
    if waited > 0:
        return (
            f"The warehouse {warehouse} is still being written by {who} after waiting {waited:g} s. "
            "Wait longer (--wait SECONDS) or find out why that run takes so long."
        )
    return (
        f"The warehouse {warehouse} is being written by {who}. Wait for it to finish, or rerun with "
        "--wait SECONDS to queue behind it (nothing was done)."
    )


def _write_holder(lock: Path, command: str) -> None:
    holder = Holder(os.getpid(), command, datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    socket.gethostname())
    target = holder_path(lock)
    partial = target.with_name(f".{target.name}.{os.getpid()}")
    partial.write_text(json.dumps(asdict(holder)))
    partial.replace(target)  # atomic: a contender reads the old holder or the new one, never half


def _remove_holder(lock: Path) -> None:
    holder = Holder.read(lock)
    if holder is not None and holder.pid == os.getpid():
        holder_path(lock).unlink(missing_ok=True)


@contextmanager
def writer_lock(
    paths: ProjectPaths | None,
    target: str = "local",
    *,
    wait: float = 0.0,
    command: str | None = None,
    warehouse: Path | None = None,
) -> Iterator[Path]:
    """Hold the warehouse's writer lock for the block; LockHeld (exit 2) when another process holds it and
    `wait` seconds (0: do not wait) pass without it being released. `warehouse`: a DuckDB file other than
    DUCKDB_PATH (`report --warehouse`)."""
    if warehouse is None and paths is None:
        raise ValueError("writer_lock needs the project paths or a warehouse file")
    lock = duckdb_lock_path(warehouse) if warehouse is not None else lock_path(paths, target)  # type: ignore[arg-type]
    if lock in _held:
        _held[lock] += 1
        try:
            yield lock
        finally:
            _held[lock] -= 1
        return
    name = str(warehouse or (paths.duckdb_path if paths is not None and target == "local" else lock.parent))
    lock.parent.mkdir(parents=True, exist_ok=True)
    file_lock = FileLock(str(lock))
    try:
        file_lock.acquire(blocking=False)
    except Timeout:
        if wait <= 0:
            raise LockHeld(_held_message(lock, name, 0)) from None
        holder = Holder.read(lock)
        logger.info(
            "Waiting up to %g s for %s to release the warehouse %s …",
            wait, holder.describe() if holder else "another process", name,
        )
        try:
            file_lock.acquire(timeout=wait, poll_interval=POLL_SECONDS)
        except Timeout:
            raise LockHeld(_held_message(lock, name, wait)) from None
    _held[lock] = 1
    try:
        _write_holder(lock, command or command_line())
        duckdb_file = warehouse or (paths.duckdb_path if paths is not None and target == "local" else None)
        with _warehouse_open(duckdb_file):
            yield lock
    finally:
        del _held[lock]
        try:
            _remove_holder(lock)
        finally:
            file_lock.release()


@contextmanager
def _warehouse_open(path: Path | None) -> Iterator[None]:
    """Hold the DuckDB file open (read-write, DuckDB's default configuration: the one dbt-duckdb and the
    sync open it with, so they share this instance) for the block. Nothing for other targets, nor when the
    file does not exist yet (a first build creates it; a sync or report then says it is missing)."""
    if path is None or not path.is_file():
        yield
        return
    connection = open_for_writing(path)
    try:
        yield
    finally:
        connection.close()


def current_writer(warehouse: Path) -> Holder | None:
    """The recorded holder of a DuckDB warehouse's lock while that process runs (for readers' messages)."""
    holder = Holder.read(duckdb_lock_path(warehouse))
    if holder is None or holder.pid == os.getpid() or not pid_alive(holder.pid):
        return None
    return holder
