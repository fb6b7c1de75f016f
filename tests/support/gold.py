"""Hand-made Gold-layer inputs for tests: the v1 contract schemas and a small writer.

Deliberately independent of the generator: tests describe rows literally, so the expected outcome of every
row can be reasoned about by hand.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

TS = pa.timestamp("us", tz="UTC")

SCHEMAS: dict[str, pa.Schema] = {
    "accounts": pa.schema(
        [
            ("account_id", pa.string()),
            ("signup_date", pa.date32()),
            ("plan_tier", pa.string()),
            ("country", pa.string()),
            ("status", pa.string()),
            ("updated_at", TS),
        ]
    ),
    "profiles": pa.schema(
        [
            ("profile_id", pa.string()),
            ("account_id", pa.string()),
            ("is_kids", pa.bool_()),
            ("created_at", TS),
            ("deleted_at", TS),
        ]
    ),
    "content": pa.schema(
        [
            ("content_id", pa.string()),
            ("content_type", pa.string()),
            ("series_id", pa.string()),
            ("genre", pa.string()),
            ("duration_seconds", pa.int32()),
            ("release_date", pa.date32()),
        ]
    ),
    "viewing_events": pa.schema(
        [
            ("event_id", pa.string()),
            ("profile_id", pa.string()),
            ("content_id", pa.string()),
            ("event_ts", TS),
            ("watch_seconds", pa.int32()),
            ("device_type", pa.string()),
            ("ingested_at", TS),
        ]
    ),
    "engagement_events": pa.schema(
        [
            ("event_id", pa.string()),
            ("profile_id", pa.string()),
            ("content_id", pa.string()),
            ("event_ts", TS),
            ("event_type", pa.string()),
            ("ingested_at", TS),
        ]
    ),
}


def ts(text: str) -> datetime:
    """'2026-03-02 10:00' -> an aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def d(text: str) -> date:
    return date.fromisoformat(text)


def write_table(raw_dir: Path, table: str, rows: list[dict[str, Any]], *, drop: tuple[str, ...] = (),
                file_name: str = "part-0.parquet") -> Path:
    """Write rows (missing keys become null) as one Parquet file of `table`, optionally without some columns."""
    schema = SCHEMAS[table]
    for column in drop:
        schema = schema.remove(schema.get_field_index(column))
    folder = raw_dir / table
    folder.mkdir(parents=True, exist_ok=True)
    data = pa.Table.from_pylist([{name: row.get(name) for name in schema.names} for row in rows], schema=schema)
    path = folder / file_name
    pq.write_table(data, path)
    return path


def write_gold(raw_dir: Path, tables: dict[str, list[dict[str, Any]]]) -> Path:
    """Write all five tables (absent ones as empty tables) and return raw_dir."""
    for table in SCHEMAS:
        write_table(raw_dir, table, tables.get(table, []))
    return raw_dir
