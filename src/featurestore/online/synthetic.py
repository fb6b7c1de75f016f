"""Synthetic warehouses for the online store's tests and benchmark.

Writes the two relations the sync reads, with the published column names and types, directly in DuckDB (no
dbt run): `main_marts.profile_features` (the feature log) and `main_staging.stg_gold__profiles`. Values are
deterministic pseudo-random functions of (profile, feature date, column), realistic in shape: full-precision
doubles (shares in [0, 1], minutes up to thousands), small ints, a few string categories, booleans, anchor
dates and about 10% NULLs in the nullable features.
"""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta
from pathlib import Path

import duckdb

from featurestore.gate import PUBLISHED_MODEL
from featurestore.online.layout import ANCHOR_CATEGORY, ANCHOR_DATES, FieldSpec, Layout

FEATURES_TABLE = "main_marts.profile_features"
PROFILES_TABLE = "main_staging.stg_gold__profiles"

_SQL_TYPES = {"int": "integer", "double": "double", "boolean": "boolean", "string": "varchar", "date": "date"}
_STRINGS = {
    "plan_tier": ["basic", "standard", "premium"],
    "lifecycle_stage": ["new", "active", "dormant", "lapsed", "reactivated"],
    "primary_device_28d": ["tv", "mobile", "tablet", "web"],
}
_GENRES = ["action", "comedy", "documentary", "drama", "horror", "kids", "romance", "scifi"]


def profile_id(n: int) -> str:
    return f"p-{n:07d}"


def log_columns(layout: Layout) -> list[FieldSpec]:
    """The value columns of the feature log: the features and every anchor date (Redis stores only some)."""
    return list(layout.features) + [FieldSpec(name, "date", ANCHOR_CATEGORY) for name in ANCHOR_DATES]


def create_tables(con: duckdb.DuckDBPyConnection, layout: Layout) -> None:
    """Empty relations with the published column names and types."""
    con.execute("create schema if not exists main_marts")
    con.execute("create schema if not exists main_staging")
    feature_cols = ",\n".join(f"{f.name} {_SQL_TYPES[f.type]}" for f in log_columns(layout))
    con.execute(
        f"""create or replace table {FEATURES_TABLE} (
            profile_id varchar, account_id varchar, feature_contract_version varchar,
            {feature_cols},
            feature_date date)"""
    )
    con.execute(
        f"""create or replace table {PROFILES_TABLE} (
            profile_id varchar, account_id varchar, is_kids boolean, created_at timestamp,
            deleted_at timestamp, created_date date, deleted_date date)"""
    )


def _value_sql(name: str, type_name: str, index: int, nullable: bool, seed: int) -> str:
    # a uniform number in [0, 1) per (profile, date, column)
    u = f"((hash(profile_id, feature_date, {index + 1000 * seed}) % 1000000007) / 1000000007.0)"
    v = f"((hash(profile_id, feature_date, {index + 1000 * seed + 500}) % 1000000007) / 1000000007.0)"
    if type_name == "double":
        scale = 3000.0 if ("minutes" in name) else (3.0 if "trend" in name else 1.0)
        expr = f"({u} * {scale})"
    elif type_name == "int":
        scale = 400 if ("tenure" in name or "since" in name or "lifetime" in name) else 40
        expr = f"cast(floor({u} * {scale}) as integer)"
    elif type_name == "boolean":
        expr = f"({u} < 0.3)"
    elif type_name == "string":
        options = _STRINGS.get(name, _GENRES)
        listed = ", ".join(f"'{o}'" for o in options)
        expr = f"([{listed}])[1 + cast(floor({u} * {len(options)}) as integer)]"
    else:  # anchor dates: a few hundred days before the feature date
        expr = f"(feature_date - cast(floor({u} * 300) as integer))"
    if nullable:
        return f"case when {v} < 0.1 then null else {expr} end"
    return expr


def insert_rows(
    con: duckdb.DuckDBPyConnection,
    layout: Layout,
    feature_date: date,
    first: int,
    count: int,
    seed: int = 0,
    last_play_days_ago: int | None = None,
) -> None:
    """Feature-log rows dated `feature_date` for profiles first .. first+count-1.

    `last_play_days_ago` pins last_play_date (else pseudo-random, 0-299 days back, sometimes NULL).
    """
    values = []
    for i, f in enumerate(log_columns(layout)):
        if f.name == "last_play_date" and last_play_days_ago is not None:
            values.append(f"(feature_date - {int(last_play_days_ago)}) as {f.name}")
            continue
        if f.name == "profile_created_date":
            values.append(f"(date '2024-01-01' + (hash(profile_id) % 300)::integer) as {f.name}")
            continue
        nullable = f.category == ANCHOR_CATEGORY or f.type in ("double", "string")
        values.append(f"{_value_sql(f.name, f.type, i, nullable, seed)} as {f.name}")
    con.execute(
        f"""insert into {FEATURES_TABLE}
        with ids as (
            select 'p-' || lpad(cast(n as varchar), 7, '0') as profile_id, n,
                   cast('{feature_date.isoformat()}' as date) as feature_date
            from range({int(first)}, {int(first + count)}) t(n)
        )
        select profile_id, 'a-' || lpad(cast(n // 3 as varchar), 7, '0') as account_id, 'v1',
               {", ".join(values)}, feature_date
        from ids"""
    )


def insert_profiles(
    con: duckdb.DuckDBPyConnection, first: int, count: int, created: date, deleted: date | None = None
) -> None:
    deleted_sql = "null" if deleted is None else f"cast('{deleted.isoformat()}' as timestamp)"
    con.execute(
        f"""insert into {PROFILES_TABLE}
        select 'p-' || lpad(cast(n as varchar), 7, '0'), 'a-' || lpad(cast(n // 3 as varchar), 7, '0'),
               n % 5 = 0, cast('{created.isoformat()}' as timestamp), {deleted_sql},
               cast('{created.isoformat()}' as date), cast({deleted_sql} as date)
        from range({int(first)}, {int(first + count)}) t(n)"""
    )


def delete_profiles(con: duckdb.DuckDBPyConnection, ids: list[str], deleted: date) -> None:
    for pid in ids:
        con.execute(
            f"update {PROFILES_TABLE} set deleted_at = ?::timestamp, deleted_date = ? where profile_id = ?",
            [deleted.isoformat(), deleted, pid],
        )


def build_warehouse(
    path: Path,
    layout: Layout,
    profiles: int,
    start: date,
    days: int = 1,
    changed_per_day: int = 0,
    seed: int = 0,
) -> None:
    """A fresh warehouse: every profile has a row on `start`; each later day, `changed_per_day` profiles
    (a rotating window) get a new row. Every profile is live and played within the last 30 days."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        create_tables(con, layout)
        insert_profiles(con, 0, profiles, created=start - timedelta(days=400))
        insert_rows(con, layout, start, 0, profiles, seed=seed, last_play_days_ago=1)
        for day in range(1, days):
            first = (day * changed_per_day) % max(profiles, 1)
            count = min(changed_per_day, profiles - first)
            insert_rows(
                con, layout, start + timedelta(days=day), first, count, seed=seed, last_play_days_ago=0
            )


def write_run_results(
    target_dir: Path, failed_tests: list[str] | None = None, command: str = "build"
) -> Path:
    """A dbt run_results.json: a build that published profile_features, plus the given failed tests."""
    target_dir.mkdir(parents=True, exist_ok=True)
    results = [
        {"unique_id": PUBLISHED_MODEL, "status": "success", "message": None},
        {
            "unique_id": "test.featurestore.not_null_profile_features_profile_id",
            "status": "pass",
            "message": None,
        },
    ]
    for name in failed_tests or []:
        results.append(
            {"unique_id": name, "status": "fail", "message": "Got 3 results, configured to fail if != 0"}
        )
    payload = {
        "metadata": {"invocation_id": str(uuid.uuid4())},
        "args": {"which": command, "vars": {}},
        "elapsed_time": 1.0,
        "results": results,
    }
    path = target_dir / "run_results.json"
    path.write_text(json.dumps(payload))
    return path
