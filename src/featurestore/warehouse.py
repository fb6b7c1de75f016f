"""Read-only queries against the embedded DuckDB warehouse, for summaries and checks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb


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
        # Not read-only: inside a process that just ran dbt, DuckDB refuses a second configuration of the file.
        with duckdb.connect(str(self.path)) as con:
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
