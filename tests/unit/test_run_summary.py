"""The run summary's rows written and dates built, on a real DuckDB file and dbt artefacts written by hand.

The warehouse holds three date-keyed tables and a view. Before the "run" the incremental log's newest date is
08-10; a daily run with a 3-day look-back replaces 08-07 .. 08-11, so its rows written are those dates' rows
(hand-counted below), the consumer mart that replaces only the newest date wrote that date's rows, the table
wrote all its rows and the view none.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb

from featurestore import run_summary
from featurestore.run_results import RunResults

LOG = "main_marts.profile_features"
DAILY_MART = "main_marts.bi_feature_summary_daily"
TABLE = "main_marts.crm_audience_segments"
VIEW = "main_marts.profile_features_latest"


def model_node(name: str, materialized: str, unique_key: str | None, meta: dict[str, str] | None = None,
               path: str = "models/marts/published/x.sql") -> dict[str, object]:
    return {
        "name": name, "alias": name, "schema": "main_marts", "original_file_path": path,
        "config": {"materialized": materialized, "unique_key": unique_key, "meta": meta or {}},
    }


def write_artefacts(target: Path, lookback_days: int | None = None, full_refresh: bool = False) -> RunResults:
    target.mkdir(parents=True, exist_ok=True)
    nodes = {
        "model.featurestore.profile_features.v1": model_node("profile_features", "incremental", "feature_date"),
        "model.featurestore.bi_feature_summary_daily": model_node(
            "bi_feature_summary_daily", "incremental", "feature_date", {"replaces_dates": "newest"},
            path="models/marts/bi/bi_feature_summary_daily.sql"),
        "model.featurestore.crm_audience_segments": model_node("crm_audience_segments", "table", None),
        "model.featurestore.profile_features_latest": model_node("profile_features_latest", "view", None),
    }
    (target / "manifest.json").write_text(json.dumps({"nodes": nodes}))
    results = [
        {"unique_id": "model.featurestore.profile_features.v1", "status": "success", "execution_time": 2.0},
        {"unique_id": "model.featurestore.bi_feature_summary_daily", "status": "success", "execution_time": 0.5},
        {"unique_id": "model.featurestore.crm_audience_segments", "status": "success", "execution_time": 0.25},
        {"unique_id": "model.featurestore.profile_features_latest", "status": "success", "execution_time": 0.25},
        {"unique_id": "test.featurestore.some_test", "status": "pass", "execution_time": 1.0},
        {"unique_id": "exposure.featurestore.crm_targeting", "status": "success", "execution_time": 0.0},
    ]
    variables = {} if lookback_days is None else {"lookback_days": lookback_days}
    (target / "run_results.json").write_text(json.dumps({
        "metadata": {"invocation_id": "run-2", "generated_at": "2026-08-11T06:00:00Z"},
        "args": {"which": "build", "target": "local", "vars": variables, "full_refresh": full_refresh},
        "elapsed_time": 3.0,
        "results": results,
    }))
    return RunResults.load(target)


def make_warehouse(path: Path) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema main_marts")
        # two rows per date 08-01 .. 08-10: 20 rows
        con.execute(f"create table {LOG} as select 'p' || i as profile_id, d::date as feature_date "
                    "from range(date '2026-08-01', date '2026-08-11', interval 1 day) t(d), range(2) r(i)")
        con.execute(f"create table {DAILY_MART} as select date '2026-08-10' as feature_date, 'x' as feature_name")
        con.execute(f"create table {TABLE} as select 'p1' as profile_id union all select 'p2'")
        con.execute(f"create view {VIEW} as select * from {LOG}")


def daily_run(path: Path) -> None:
    """What the daily build does: replaces 08-07 .. 08-10 and adds 08-11 (three rows a date now), and adds the
    newest date to the consumer mart (four features)."""
    with duckdb.connect(str(path)) as con:
        con.execute(f"delete from {LOG} where feature_date >= date '2026-08-07'")
        con.execute(f"insert into {LOG} select 'p' || i, d::date from range(date '2026-08-07', date '2026-08-12', "
                    "interval 1 day) t(d), range(3) r(i)")
        con.execute(f"insert into {DAILY_MART} select date '2026-08-11', 'f' || i from range(4) r(i)")


def test_a_daily_run_wrote_the_look_back_window_and_the_newest_date(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    make_warehouse(warehouse)
    before = run_summary.date_watermarks(warehouse)
    assert before[LOG] == date(2026, 8, 10) and before[DAILY_MART] == date(2026, 8, 10)
    assert VIEW not in before and TABLE not in before  # views and undated tables have no watermark

    daily_run(warehouse)
    results = write_artefacts(tmp_path / "target")
    rows = {r.relation: r for r in run_summary.rows_written(warehouse, tmp_path / "target", results, before,
                                                                   lookback_days=3, full_refresh=False)}

    assert rows[LOG].since == date(2026, 8, 7) and rows[LOG].rows == 5 * 3  # 08-07 .. 08-11, three rows each
    assert rows[DAILY_MART].since == date(2026, 8, 11) and rows[DAILY_MART].rows == 4
    assert rows[TABLE].since is None and rows[TABLE].rows == 2
    assert rows[VIEW].rows is None
    dates = run_summary.published_dates(list(rows.values()), warehouse)
    assert dates == run_summary.BuiltDates(date(2026, 8, 7), date(2026, 8, 11), 5)


def test_a_wider_look_back_and_a_full_refresh_count_more(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    make_warehouse(warehouse)
    before = run_summary.date_watermarks(warehouse)
    daily_run(warehouse)

    backfill = write_artefacts(tmp_path / "target", lookback_days=8)  # `featurestore daily --backfill-from 08-02`
    rows = {r.relation: r for r in run_summary.rows_written(warehouse, tmp_path / "target", backfill, before,
                                                                   lookback_days=8, full_refresh=False)}
    assert rows[LOG].since == date(2026, 8, 2) and rows[LOG].rows == 5 * 2 + 5 * 3  # 08-02..06 kept two rows

    full = write_artefacts(tmp_path / "target", full_refresh=True)
    rows = {r.relation: r for r in run_summary.rows_written(warehouse, tmp_path / "target", full, before,
                                                                   lookback_days=3, full_refresh=True)}
    assert rows[LOG].since is None and rows[LOG].rows == 6 * 2 + 5 * 3
    assert rows[DAILY_MART].rows == 1 + 4


def test_a_first_build_wrote_every_row(tmp_path: Path) -> None:
    assert run_summary.date_watermarks(tmp_path / "missing.duckdb") == {}
    warehouse = tmp_path / "warehouse.duckdb"
    make_warehouse(warehouse)
    results = write_artefacts(tmp_path / "target")
    rows = {r.relation: r for r in run_summary.rows_written(warehouse, tmp_path / "target", results, {},
                                                                   lookback_days=3, full_refresh=False)}
    assert rows[LOG].rows == 20 and rows[LOG].since is None


def test_layer_times_sum_node_times_and_skip_exposures(tmp_path: Path) -> None:
    results = write_artefacts(tmp_path / "target")
    layers = run_summary.layer_seconds(tmp_path / "target", results)
    assert layers == {"marts/published": 2.5, "marts/bi": 0.5, "data tests": 1.0}


def test_the_clock_keeps_stages_in_order_with_notes_added_later() -> None:
    clock = run_summary.StageClock()
    with clock.stage("generate sample data", "300 profiles x 20 days"):
        pass
    with clock.stage("dbt build") as build:
        pass
    build.notes.append("31 models")
    assert [(s.name, s.outcome) for s in clock.stages] == [
        ("generate sample data", "300 profiles x 20 days"), ("dbt build", "31 models")]
    assert clock.total_seconds == sum(s.seconds for s in clock.stages)
