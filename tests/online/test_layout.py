"""The contract's value formatting: the sync's SQL rendering equals the reference (Python) formatter."""

from __future__ import annotations

import json
import math
from datetime import date

import duckdb
import numpy as np
import pyarrow as pa
import pytest

from featurestore.online.layout import Layout, format_value, parse_value
from featurestore.online.resp import batch_payload, command, transaction_sql, value_sql

TRICKY_DOUBLES = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.1,
    0.2 + 0.1,
    1 / 3,
    2 / 3,
    100.0,
    1e-4,
    9.99999e-5,
    1e-5,
    1.5e-7,
    123456.789,
    1e15,
    9.999999999999999e14,
    1e16,
    1.2345678901234568e16,
    2.0**53,
    2.0**52 + 0.5,
    1e22,
    1.5e300,
    5e-324,
    1.7976931348623157e308,
    0.11111111111111116,
    25967933904.503292,
    448.35,
    1709.5,
]


def test_duckdb_renders_doubles_exactly_like_python_repr() -> None:
    rng = np.random.default_rng(7)
    values = np.concatenate(
        [
            np.array(TRICKY_DOUBLES),
            rng.random(20_000),
            rng.random(20_000) * 3000,
            np.round(rng.random(20_000) * 100, 2),
            rng.lognormal(0, 12, 20_000) * rng.choice([-1, 1], 20_000),
        ]
    )
    with duckdb.connect() as con:
        doubles = pa.table({"x": values})  # noqa: F841 - read by DuckDB's replacement scan
        rendered = [r[0] for r in con.execute("select cast(x as varchar) from doubles").fetchall()]
    expected = [repr(v) for v in values.tolist()]
    mismatches = [(e, r) for e, r in zip(expected, rendered, strict=True) if e != r]
    assert mismatches == []


def test_value_sql_matches_reference_for_every_type(layout: Layout) -> None:
    by_type = {f.type: f for f in layout.fields}
    cases = {
        "int": [0, -3, 42, 2_000_000_000, None],
        "double": [0.0, 0.25, 1 / 3, 1e-7, None],
        "boolean": [True, False, None],
        "string": ["kids", "", "naïve ünïcode", None],
        "date": [date(2026, 9, 1), date(1999, 12, 31), None],
    }
    sql_types = {
        "int": "integer",
        "double": "double",
        "boolean": "boolean",
        "string": "varchar",
        "date": "date",
    }
    with duckdb.connect() as con:
        for type_name, values in cases.items():
            spec = by_type[type_name]
            con.execute(f"create or replace table t (v {sql_types[type_name]})")
            con.executemany("insert into t values (?)", [[v] for v in values])
            rendered = [r[0] for r in con.execute(f"select {value_sql(spec, 'v')} from t").fetchall()]
            assert rendered == [format_value(v) for v in values], type_name
            for value, text in zip(values, rendered, strict=True):
                if value is not None:
                    parsed = parse_value(text, type_name)
                    assert parsed == value or (isinstance(value, float) and math.isclose(parsed, value))


def test_reference_formatting() -> None:
    assert format_value(None) is None
    assert format_value(True) == "1" and format_value(False) == "0"
    assert format_value(7) == "7"
    assert format_value(1.0) == "1.0" and format_value(1e-05) == "1e-05" and format_value(0.1) == "0.1"
    assert format_value(date(2026, 9, 1)) == "2026-09-01"
    assert format_value("tv") == "tv"


def test_transaction_sql_renders_valid_resp(layout: Layout) -> None:
    """One row's transaction parsed back with a RESP reader: commands, NULLs dropped, argument counts."""
    hiredis = pytest.importorskip("hiredis")
    fields = [
        f
        for f in layout.fields
        if f.name
        in ("plays_7d", "watch_minutes_7d", "top_genre_28d", "is_kids_profile", "last_reactivation_date")
    ]
    with duckdb.connect() as con:
        con.execute("""create table t as select 'p-1' as profile_id, date '2026-09-03' as feature_date,
            3 as plays_7d, cast(null as double) as watch_minutes_7d, 'kids' as top_genre_28d,
            true as is_kids_profile, date '2026-09-02' as last_reactivation_date, 86400 as secs""")
        tx = transaction_sql(fields, "('fs:v1:profile:' || profile_id)", "feature_date", "secs")
        column = con.sql(f"select {tx} as resp from t").to_arrow_table().column("resp")
    payload = bytes(batch_payload(column.combine_chunks()))
    reader = hiredis.Reader()
    reader.feed(payload)
    commands = []
    while (item := reader.gets()) is not False:
        commands.append([part.decode() for part in item])
    key = "fs:v1:profile:p-1"
    assert commands[0] == ["MULTI"]
    assert commands[1] == ["DEL", key]
    assert commands[2] == [
        "HSET",
        key,
        "_contract",
        "v1",
        "_feature_date",
        "2026-09-03",
        "plays_7d",
        "3",
        "top_genre_28d",
        "kids",
        "is_kids_profile",
        "1",
        "last_reactivation_date",
        "2026-09-02",
    ]
    assert commands[3] == ["EXPIRE", key, "86400"]
    assert commands[4] == ["EXEC"]
    assert len(commands) == 5
    assert payload.startswith(command("MULTI").encode())


def test_layout_names_and_schema(layout: Layout) -> None:
    assert layout.profile_key("p-0000001") == "fs:v1:profile:p-0000001"
    assert layout.meta_key == "fs:v1:meta"
    assert len(layout.features) == 62
    schema = json.loads(layout.schema_json())
    # the 62 features, then the one anchor date no feature gives back (the other four are derivable)
    assert len(schema) == 63 and {"name", "type", "category"} == set(schema[0])
    assert schema[-1] == {"name": "last_reactivation_date", "type": "date", "category": "anchor_date"}
    assert {e["type"] for e in schema} == {"int", "double", "string", "boolean", "date"}
    assert Layout("a*b", ()).scan_pattern == "a\\*b:profile:*"
