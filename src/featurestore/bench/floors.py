"""The two floors a full build is compared with: reading every event once, and writing the result once.

- Scan floor: one DuckDB pass over all Gold events (viewing and engagement Parquet under RAW_DATA_DIR, hive
  folders or not) aggregated to one row per profile and event date (events, plays, watch seconds), written
  as a table to a scratch DuckDB file. Every build must at least read each event once and group it by
  profile-day; nothing in the feature store can be cheaper than this.
- Write floor: writing a table with the same rows and columns as the built `main_marts.profile_features` to
  a scratch DuckDB file. The built table is first exported to Parquet (untimed, `export_features`), then
  only `CREATE TABLE ... AS SELECT * FROM read_parquet(...)` plus the CHECKPOINT that puts it on disk is
  timed (`write_floor`): the cost of materialising the published table once, including decoding its Parquet
  copy (fast, parallel) but not any of the warehouse's joins.

Both run with the DuckDB settings the dbt build gets (the `local` target's `config_options` and `settings`,
rendered with the same environment: memory limit, threads, temp directory, ...), and in UTC (event_date is
the UTC date of event_ts).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import duckdb

from featurestore.dbt_profiles import with_duckdb_settings

logger = logging.getLogger(__name__)

FEATURES = "main_marts.profile_features"
LATEST = "main_marts.profile_features_latest"
EVENT_TABLES = ("viewing_events", "engagement_events")


def _sql_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def connect(path: Path) -> duckdb.DuckDBPyConnection:
    """A fresh scratch database (an old file is removed) with the DuckDB settings of the dbt build."""
    for stale in (path, path.with_name(path.name + ".wal")):
        stale.unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    return with_build_settings(duckdb.connect(str(path)))


def with_build_settings(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """`con` set up as the dbt build's connections are (memory limit, threads, ...), in UTC."""
    con.execute("set TimeZone = 'UTC'")
    return with_duckdb_settings(con)


def applied_settings(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    names = ("memory_limit", "threads", "temp_directory", "preserve_insertion_order", "TimeZone")
    return {
        name: str((con.execute(f"select current_setting('{name}')").fetchone() or (None,))[0])
        for name in names
    }


def _events(raw_dir: Path, table: str) -> str:
    glob = raw_dir / table / "**" / "*.parquet"
    # The partition folder is not data (the contract: event_date is the UTC date of event_ts).
    return f"read_parquet({_sql_path(glob)}, hive_partitioning = false)"


def scan_floor(raw_dir: Path, db_path: Path) -> dict[str, Any]:
    """Aggregate every Gold event by (profile_id, event_date) into a table; time statement + checkpoint."""
    with connect(db_path) as con:
        started = time.perf_counter()
        con.execute(
            f"""
            create table profile_day_floor as
            with events as (
                select profile_id, cast(event_ts as date) as event_date, watch_seconds, 1 as is_play
                from {_events(raw_dir, "viewing_events")}
                union all
                select profile_id, cast(event_ts as date) as event_date, null as watch_seconds, 0 as is_play
                from {_events(raw_dir, "engagement_events")}
            )
            select
                profile_id,
                event_date,
                count(*) as events,
                sum(is_play) as plays,
                sum(watch_seconds) as watch_seconds
            from events
            group by profile_id, event_date
            """
        )
        con.execute("checkpoint")
        seconds = time.perf_counter() - started
        events, profile_days = con.execute(
            "select sum(events), count(*) from profile_day_floor"
        ).fetchone() or (0, 0)
        settings = applied_settings(con)
    return {
        "seconds": seconds,
        "events_read": int(events or 0),
        "profile_days_written": int(profile_days or 0),
        "db_bytes": db_path.stat().st_size,
        "duckdb_settings": settings,
    }


def export_features(warehouse: Path, parquet: Path) -> dict[str, Any]:
    """Copy the built profile_features to one Parquet file (untimed preparation of the write floor).

    Also reads the numbers every size reports: feature-log rows and columns, live profiles.
    """
    parquet.parent.mkdir(parents=True, exist_ok=True)
    parquet.unlink(missing_ok=True)
    # With the build's settings: under DuckDB's defaults (80% of RAM) this copy of the 1,000,000-profile log
    # peaked at 18.9 GB.
    with with_build_settings(duckdb.connect(str(warehouse), read_only=True)) as con:
        started = time.perf_counter()
        con.execute(f"copy (select * from {FEATURES}) to {_sql_path(parquet)} (format parquet)")
        seconds = time.perf_counter() - started
        rows = (con.execute(f"select count(*) from {FEATURES}").fetchone() or (0,))[0]
        columns = len(con.execute(f"describe {FEATURES}").fetchall())
        live = (con.execute(f"select count(*) from {LATEST}").fetchone() or (0,))[0]
    return {
        "seconds": seconds,
        "feature_log_rows": int(rows),
        "feature_columns": columns,
        "live_profiles": int(live),
        "parquet_bytes": parquet.stat().st_size,
    }


def write_floor(parquet: Path, db_path: Path) -> dict[str, Any]:
    """Write a table with the rows and columns of profile_features; time the statement + checkpoint."""
    with connect(db_path) as con:
        started = time.perf_counter()
        con.execute(f"create table profile_features as select * from read_parquet({_sql_path(parquet)})")
        con.execute("checkpoint")
        seconds = time.perf_counter() - started
        rows = (con.execute("select count(*) from profile_features").fetchone() or (0,))[0]
        columns = len(con.execute("describe profile_features").fetchall())
        settings = applied_settings(con)
    return {
        "seconds": seconds,
        "rows_written": int(rows),
        "columns": columns,
        "db_bytes": db_path.stat().st_size,
        "duckdb_settings": settings,
    }
