"""Arrow schemas of the five Gold tables: the contract the dbt sources are written against.

Event schemas deliberately have no `event_date` column: the date lives only in the hive directory
name, and readers use `hive_partitioning=false`, so a column would be a second, possibly
contradicting, copy of it.
"""

from __future__ import annotations

import pyarrow as pa

TIMESTAMP = pa.timestamp("us", tz="UTC")

ACCOUNTS_SCHEMA = pa.schema(
    [
        pa.field("account_id", pa.string()),
        pa.field("signup_date", pa.date32()),
        pa.field("plan_tier", pa.string()),
        pa.field("country", pa.string()),
        pa.field("status", pa.string()),
        pa.field("updated_at", TIMESTAMP),
    ]
)

PROFILES_SCHEMA = pa.schema(
    [
        pa.field("profile_id", pa.string()),
        pa.field("account_id", pa.string()),
        pa.field("is_kids", pa.bool_()),
        pa.field("created_at", TIMESTAMP),
        pa.field("deleted_at", TIMESTAMP),
    ]
)

CONTENT_SCHEMA = pa.schema(
    [
        pa.field("content_id", pa.string()),
        pa.field("content_type", pa.string()),
        pa.field("series_id", pa.string()),
        pa.field("genre", pa.string()),
        pa.field("duration_seconds", pa.int32()),
        pa.field("release_date", pa.date32()),
    ]
)

VIEWING_SCHEMA = pa.schema(
    [
        pa.field("event_id", pa.string()),
        pa.field("profile_id", pa.string()),
        pa.field("content_id", pa.string()),
        pa.field("event_ts", TIMESTAMP),
        pa.field("watch_seconds", pa.int32()),
        pa.field("device_type", pa.string()),
        pa.field("ingested_at", TIMESTAMP),
    ]
)

ENGAGEMENT_SCHEMA = pa.schema(
    [
        pa.field("event_id", pa.string()),
        pa.field("profile_id", pa.string()),
        pa.field("content_id", pa.string()),
        pa.field("event_ts", TIMESTAMP),
        pa.field("event_type", pa.string()),
        pa.field("ingested_at", TIMESTAMP),
    ]
)

SCHEMAS: dict[str, pa.Schema] = {
    "accounts": ACCOUNTS_SCHEMA,
    "profiles": PROFILES_SCHEMA,
    "content": CONTENT_SCHEMA,
    "viewing_events": VIEWING_SCHEMA,
    "engagement_events": ENGAGEMENT_SCHEMA,
}
