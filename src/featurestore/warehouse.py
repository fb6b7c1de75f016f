"""Read-only queries against the embedded DuckDB warehouse, for summaries and checks; opening it as a writer.

DuckDB lets one process write a file, and no other process open it meanwhile, not even read-only; a reader
(a BI tool, `featurestore training-set`) holds a shared lock while its connection is open. A writer that
finds the file held by a reader waits for it (`open_for_writing`; dbt itself: `retries` in profiles.yml)
instead of failing the build because an analyst's query happened to run at that moment.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from featurestore.dbt_profiles import with_duckdb_settings
from featurestore.failures import FeaturestoreError

logger = logging.getLogger(__name__)

# How long a writer waits for readers to close the file: the same order as dbt-duckdb's connect retries
# (profiles.yml: 1 + 2 + 4 + 8 + 16 s). A reader holding it longer makes the writer fail with exit 2.
READER_WAIT_SECONDS = 30.0
POLL_SECONDS = 0.1


def is_lock_conflict(exc: BaseException) -> bool:
    return isinstance(exc, duckdb.IOException) and "Could not set lock on file" in str(exc)


def connect(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-write connection with the `local` target's DuckDB settings (memory limit, threads, ...): DuckDB's
    own default is 80% of RAM, with which a full sync of 1,000,000 profiles peaked at 15.9 GB. Set, not passed to
    `duckdb.connect`: a process that ran dbt already holds this database with dbt's configuration, and DuckDB
    refuses a second one. DuckDB's IOException (e.g. the file lock) as it comes; FeaturestoreError (exit 2) for a
    setting DuckDB refuses."""
    connection = duckdb.connect(str(path))
    try:
        return with_duckdb_settings(connection)
    except FeaturestoreError:
        connection.close()  # a setting DuckDB refuses (say DUCKDB_MEMORY_LIMIT=lots): do not keep the file open
        raise


def open_for_writing(path: Path, wait: float | None = None) -> duckdb.DuckDBPyConnection:
    """A read-write connection, waiting up to `wait` seconds (default READER_WAIT_SECONDS) for other processes
    (readers) to close the file; DuckDB's IOException when they do not.

    Not read-only even to read: inside a process that ran dbt, DuckDB refuses a second configuration of it."""
    wait = READER_WAIT_SECONDS if wait is None else wait
    deadline = time.monotonic() + wait
    logged = False
    while True:
        try:
            return connect(path)
        except duckdb.IOException as exc:
            if not is_lock_conflict(exc) or time.monotonic() >= deadline:
                raise
            if not logged:
                logger.info("%s is open in another process; waiting up to %g s for it to close", path, wait)
                logged = True
            time.sleep(POLL_SECONDS)


@dataclass(frozen=True)
class QuarantineCount:
    source_table: str
    outcome: str
    reason: str
    rows: int


class Warehouse:
    """A short-lived read-only connection to the DuckDB file of the `local` target."""

    def __init__(self, path: Path) -> None:
        if not path.is_file():
            raise FileNotFoundError(f"No warehouse at {path}: run `featurestore run` or `dbt build` first.")
        self.path = path

    def query(self, sql: str, params: list[object] | None = None) -> list[tuple[object, ...]]:
        with open_for_writing(self.path) as con:
            return con.execute(sql, params or []).fetchall()

    def table_rows(self, relation: str) -> int | None:
        try:
            return int(self.query(f"select count(*) from {relation}")[0][0])  # type: ignore[arg-type]
        except duckdb.CatalogException:
            return None

    def quarantine_counts(self, run_id: str | None = None) -> list[QuarantineCount] | None:
        """Rejected rows per table, outcome and reason; only those the given dbt run saw when run_id is set.
        None when the counts table was never built."""
        sql = """
            select source_table, outcome, reason, sum(row_count)
            from main_marts.dq_quarantine_reason_counts
            where ? is null or last_seen_run_id = ?
            group by all
            order by source_table, outcome desc, min(reason_precedence)
        """
        try:
            rows = self.query(sql, [run_id, run_id])
        except duckdb.CatalogException:
            return None
        return [QuarantineCount(str(t), str(o), str(r), int(n)) for t, o, r, n in rows]  # type: ignore[call-overload]
