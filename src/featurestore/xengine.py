"""Run a dbt Python model written once in the PySpark DataFrame API on DuckDB (via SQLFrame) or on Spark.

A model defines `build(F, W, *frames) -> DataFrame` using only `F` (functions) and `W` (Window) handed to it,
and calls `run(dbt, session, build, "ref_a", "ref_b", ...)`. On Spark the frames are real PySpark DataFrames;
on DuckDB they are SQLFrame DataFrames whose plan is turned into one DuckDB SQL query, so no event-scale data
ever passes through Python.

Why the care on DuckDB: SQLFrame's `DuckDBSession` is a process-wide singleton that keeps the first connection
it saw and caches catalog lookups, while dbt-duckdb hands each model a fresh cursor and may run models on two
threads. Planning is serialised under a lock and the singleton is re-pointed at the current cursor every time.
SQLFrame's optimizer silently changes some results, so SQL is generated with `optimize=False`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

_LOCK = threading.RLock()


def is_duckdb(session: Any) -> bool:
    """dbt-duckdb passes its cursor wrapper; dbt-spark / Databricks pass a SparkSession."""
    return "duckdb" in type(session).__module__


def relation_names(dbt: Any, *refs: str) -> list[str]:
    """Fully qualified relation names of `refs` (the model must also call `dbt.ref(...)` literally for the DAG)."""
    names = type(dbt)(lambda name: name)
    return [str(names.ref(ref)) for ref in refs]


def scalar(session: Any, sql: str) -> Any:
    """First column of the first row of `sql`, on either engine."""
    if is_duckdb(session):
        return session.execute(sql).fetchall()[0][0]
    return session.sql(sql).collect()[0][0]


def run(dbt: Any, session: Any, build: Callable[..., Any], *refs: str, **params: Any) -> Any:
    """Build the model from its refs' relations and return what dbt's Python materialization accepts."""
    tables = relation_names(dbt, *refs)
    if not is_duckdb(session):
        from pyspark.sql import Window
        from pyspark.sql import functions as F

        return build(F, Window, *[session.table(name) for name in tables], **params)

    from sqlframe.duckdb import DuckDBSession
    from sqlframe.duckdb import Window as DuckWindow
    from sqlframe.duckdb import functions as DuckF

    with _LOCK:
        spark = DuckDBSession(conn=session)
        spark._connection = session
        for cached in ("_cur", "catalog"):
            spark.__dict__.pop(cached, None)
        frames = [spark.table(name) for name in tables]
        sql = build(DuckF, DuckWindow, *frames, **params).sql(dialect="duckdb", optimize=False)
    return session.sql(sql)


def incremental_cutoff(dbt: Any, session: Any, lookback_days: int, date_column: str = "feature_date") -> str | None:
    """ISO date from which an incremental run rebuilds (last built - lookback_days), or None on a full build.

    The Python twin of the `incremental_cutoff_date` macro. `lookback_days` comes from the model's YAML config
    (`lookback_days: "{{ var('lookback_days') }}"`), read with a literal `dbt.config.get` in the model file:
    dbt only exposes config keys it sees there.
    """
    if not dbt.is_incremental:
        return None
    last_built = scalar(session, f"select max({date_column}) from {dbt.this}")
    if last_built is None:
        return None
    import datetime as dt

    last = last_built if isinstance(last_built, dt.date) else dt.date.fromisoformat(str(last_built)[:10])
    return (last - dt.timedelta(days=lookback_days)).isoformat()
