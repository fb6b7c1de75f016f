"""The DuckDB plan cache of featurestore.xengine: a cached plan is reused for another run date, and any change
of what the SQL depends on (the input schema, the model code) plans again. Real DuckDB and SQLFrame."""

from __future__ import annotations

import importlib.util
import textwrap
from datetime import date
from pathlib import Path
from types import ModuleType

import duckdb
import pytest

from featurestore import xengine

MODEL_CODE = """
calls = []


def build(F, W, plays, cutoff=None):
    calls.append(cutoff)
    if cutoff is not None:
        plays = plays.where(F.col("event_date") >= F.date_sub(F.lit(cutoff).cast("date"), 2))
    return plays.groupBy("profile_id").agg(F.count(F.lit(1)).alias("plays"))
"""


def load_model(path: Path, code: str = MODEL_CODE) -> ModuleType:
    path.write_text(textwrap.dedent(code))
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture()
def connection(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> duckdb.DuckDBPyConnection:
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    monkeypatch.delenv(xengine.PLAN_CACHE_ENV, raising=False)  # the suite shares one cache (tests/conftest.py)
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    con.execute("create table plays (profile_id varchar, event_date date)")
    # p1 plays on the 1st, 5th and 10th; p2 on the 3rd and 9th.
    con.execute("""
        insert into plays values
            ('p1', date '2026-10-01'), ('p1', date '2026-10-05'), ('p1', date '2026-10-10'),
            ('p2', date '2026-10-03'), ('p2', date '2026-10-09')
    """)
    return con


def plays_by_profile(con: duckdb.DuckDBPyConnection, sql: str) -> dict[str, int]:
    return dict(con.execute(f"select profile_id, plays from ({sql}) order by 1").fetchall())


def test_second_run_date_reuses_the_plan_with_its_own_date(tmp_path: Path, connection) -> None:
    model = load_model(tmp_path / "model_a.py")

    first = xengine.duckdb_sql(connection, model.build, ["plays"], {"cutoff": "2026-10-07"})
    # cutoff 10-07 keeps plays from 10-05: p1 has 10-05 and 10-10, p2 has 10-09.
    assert plays_by_profile(connection, first) == {"p1": 2, "p2": 1}
    assert "2026-10-07" in first and "0001-01-01" not in first

    second = xengine.duckdb_sql(connection, model.build, ["plays"], {"cutoff": "2026-10-05"})
    # cutoff 10-05 keeps plays from 10-03: p1 has 10-05 and 10-10, p2 has 10-03 and 10-09.
    assert plays_by_profile(connection, second) == {"p1": 2, "p2": 2}
    # The model was planned once, with the placeholder date, and the second date came from the cache.
    assert model.calls == ["0001-01-01"]
    assert len(list((tmp_path / "target" / "xengine_plans").glob("*.sql"))) == 1


def test_full_build_without_cutoff_is_its_own_plan(tmp_path: Path, connection) -> None:
    model = load_model(tmp_path / "model_b.py")
    sql = xengine.duckdb_sql(connection, model.build, ["plays"], {"cutoff": None})
    assert plays_by_profile(connection, sql) == {"p1": 3, "p2": 2}
    xengine.duckdb_sql(connection, model.build, ["plays"], {"cutoff": "2026-10-07"})
    assert model.calls == [None, "0001-01-01"]


def test_changed_input_schema_or_model_code_plans_again(tmp_path: Path, connection) -> None:
    model = load_model(tmp_path / "model_c.py")
    xengine.duckdb_sql(connection, model.build, ["plays"], {"cutoff": "2026-10-07"})
    connection.execute("alter table plays add column device_type varchar")
    xengine.duckdb_sql(connection, model.build, ["plays"], {"cutoff": "2026-10-07"})
    assert model.calls == ["0001-01-01", "0001-01-01"]

    edited = load_model(tmp_path / "model_c.py", MODEL_CODE.replace("calls = []", "calls = []  # edited"))
    xengine.duckdb_sql(connection, edited.build, ["plays"], {"cutoff": "2026-10-07"})
    assert edited.calls == ["0001-01-01"]
    assert len(list((tmp_path / "target" / "xengine_plans").glob("*.sql"))) == 3


def compiled_by_dbt(is_incremental: bool) -> str:
    """MODEL_CODE as dbt-duckdb compiles it: its `dbtObj` says whether the run is incremental, and a
    `materialize` tail names the run's own temporary table."""
    stamp = "20261205081130" if is_incremental else "20261205073700"
    return MODEL_CODE + textwrap.dedent(f"""

        class dbtObj:
            def __init__(self, load_df_function) -> None:
                self.is_incremental = {is_incremental}


        def materialize(df, con):
            con.execute("create table features__dbt_tmp{stamp}")
        """)


def test_daily_run_after_a_full_build_reuses_its_plan(tmp_path: Path, connection) -> None:
    full = load_model(tmp_path / "model_e.py", compiled_by_dbt(is_incremental=False))
    xengine.duckdb_sql(connection, full.build, ["plays"], {"cutoff": xengine.FULL_BUILD_CUTOFF})
    assert full.calls == ["0001-01-01"]

    daily = load_model(tmp_path / "model_e.py", compiled_by_dbt(is_incremental=True))
    sql = xengine.duckdb_sql(connection, daily.build, ["plays"], {"cutoff": "2026-10-07"})
    # Not planned again: the full build's plan, with the daily run's date (plays from 10-05 on).
    assert daily.calls == []
    assert plays_by_profile(connection, sql) == {"p1": 2, "p2": 1}
    assert len(list((tmp_path / "target" / "xengine_plans").glob("*.sql"))) == 1


def test_unwritable_cache_still_returns_correct_sql(tmp_path: Path, connection, monkeypatch) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    monkeypatch.setenv("DBT_TARGET_PATH", str(blocker))
    model = load_model(tmp_path / "model_d.py")
    sql = xengine.duckdb_sql(connection, model.build, ["plays"], {"cutoff": date(2026, 10, 7).isoformat()})
    assert plays_by_profile(connection, sql) == {"p1": 2, "p2": 1}


def test_a_shared_cache_folder_replaces_the_target_one(tmp_path: Path, connection, monkeypatch) -> None:
    shared = tmp_path / "shared-plans"
    monkeypatch.setenv(xengine.PLAN_CACHE_ENV, str(shared))
    model = load_model(tmp_path / "model_shared.py")
    sql = xengine.duckdb_sql(connection, model.build, ["plays"], {"cutoff": "2026-03-10"})
    assert "2026-03-10" in sql
    assert len(list(shared.glob("*.sql"))) == 1
    assert not (tmp_path / "target" / "xengine_plans").exists()
