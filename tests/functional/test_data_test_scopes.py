"""The category marts' data tests on a daily `dbt build` check the feature dates the build may have rewritten,
the profile-day aggregates' tests the rows it wrote, and the published log's grain test the dates its publish
replaced; a `dbt test` on its own checks the whole history (macros/quality/get_where_subquery.sql).

Starts from a copy of the session's small published build (300 profiles x 20 days) and plants a duplicate row
on the oldest date of a mart (or of the log, or of an aggregate), which no incremental run rewrites.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from featurestore.generator import append_day
from tests.functional.conftest import copy_state
from tests.support.dbt import DbtHarness

MART = "features_watch_behavior"
UNIQUE_TEST = "features_watch_behavior_one_row_per_profile_and_feature_date"
LOOKBACK_DAYS = 3  # dbt_project.yml's lookback_days
PUBLISHED_TEST = "published_one_row_per_profile_and_feature_date"
TITLES = "int_profile_day_titles_aggregated"
TITLES_UNIQUE_TEST = "int_profile_day_titles_aggregated_one_row_per_profile_id_event_date_content_id"


def data_test_results(harness: DbtHarness) -> dict[str, dict[str, Any]]:
    run_results = json.loads((harness.root / "target" / "run_results.json").read_text())
    return {r["unique_id"].split(".")[2]: r for r in run_results["results"] if r["unique_id"].startswith("test.")}


def test_a_daily_build_tests_the_rebuilt_dates_and_dbt_test_the_whole_history(
    small_published: DbtHarness, tmp_path: Path
) -> None:
    harness = copy_state(small_published, tmp_path / "state")
    (published_until,) = harness.query("select max(feature_date) from main_marts.profile_features")[0]
    (oldest,) = harness.query(f"select min(feature_date) from main_marts.{MART}")[0]
    assert oldest < published_until - timedelta(days=LOOKBACK_DAYS)  # outside every incremental rebuild
    harness.query(
        f"insert into main_marts.{MART} select * from main_marts.{MART} where feature_date = '{oldest}' limit 1"
    )

    built = harness.build("--select", MART)
    assert built.success, built.text
    results = data_test_results(harness)
    first_rebuilt = published_until - timedelta(days=LOOKBACK_DAYS)
    assert f"feature_date >= cast('{first_rebuilt.isoformat()}' as date)" in results[UNIQUE_TEST]["compiled_code"]
    assert results[UNIQUE_TEST]["status"] == "pass"
    # the rebuilt dates were really checked: the scope holds the mart's rows from first_rebuilt on
    (in_scope,) = harness.query(f"select count(*) from main_marts.{MART} where feature_date >= '{first_rebuilt}'")[0]
    assert in_scope > 0

    # the change set's tests have the same scope (a model in another schema than the published log)
    built = harness.build("--select", "int_profile_feature_dates")
    assert built.success, built.text
    scoped = data_test_results(harness)["int_profile_feature_dates_one_row_per_profile_id_feature_date"]
    assert f"feature_date >= cast('{first_rebuilt.isoformat()}' as date)" in scoped["compiled_code"]

    tested = harness.dbt("test", "--select", MART)
    assert not tested.success
    results = data_test_results(harness)
    assert "feature_date >=" not in results[UNIQUE_TEST]["compiled_code"]
    assert results[UNIQUE_TEST]["status"] == "fail"
    assert results[UNIQUE_TEST]["failures"] == 1


def test_a_daily_build_tests_the_aggregate_rows_it_wrote_and_dbt_test_all_of_them(
    small_published: DbtHarness, tmp_path: Path
) -> None:
    harness = copy_state(small_published, tmp_path / "state")
    dates = f"select max(event_date), min(event_date) from main_intermediate.{TITLES}"
    (newest, oldest) = harness.query(dates)[0]
    assert oldest < newest - timedelta(days=LOOKBACK_DAYS)  # outside every incremental rebuild
    harness.query(
        f"insert into main_intermediate.{TITLES} "
        f"select * from main_intermediate.{TITLES} where event_date = '{oldest}' limit 1"
    )

    built = harness.build("--select", TITLES)
    assert built.success, built.text
    run_results = json.loads((harness.root / "target" / "run_results.json").read_text())
    this_run = run_results["metadata"]["invocation_id"]
    scoped = data_test_results(harness)[TITLES_UNIQUE_TEST]
    assert f"run_id = '{this_run}'" in scoped["compiled_code"]
    assert scoped["status"] == "pass"
    # the rows this build wrote are the rebuilt event dates, and they were the ones checked
    (first_written, written) = harness.query(
        f"select min(event_date), count(*) from main_intermediate.{TITLES} where run_id = '{this_run}'"
    )[0]
    assert first_written == newest - timedelta(days=LOOKBACK_DAYS) and written > 0

    tested = harness.dbt("test", "--select", TITLES)
    assert not tested.success
    whole = data_test_results(harness)[TITLES_UNIQUE_TEST]
    assert whole["status"] == "fail" and whole["failures"] == 1


def test_a_full_refresh_tests_every_feature_date(small_published: DbtHarness, tmp_path: Path) -> None:
    harness = copy_state(small_published, tmp_path / "state")
    built = harness.build("--select", MART, "--full-refresh")
    assert built.success, built.text
    assert "feature_date >=" not in data_test_results(harness)[UNIQUE_TEST]["compiled_code"]
    (dates,) = harness.query(f"select count(distinct feature_date) from main_marts.{MART}")[0]
    assert dates > LOOKBACK_DAYS + 1


def test_a_daily_build_tests_the_dates_its_publish_replaced_and_dbt_test_the_whole_log(
    small_published: DbtHarness, tmp_path: Path
) -> None:
    harness = copy_state(small_published, tmp_path / "state")
    append_day(harness.raw_dir)
    daily = harness.build()
    assert daily.success, daily.text
    (first_candidate,) = harness.query("select min(feature_date) from main_marts.profile_features_candidate")[0]
    (oldest,) = harness.query("select min(feature_date) from main_marts.profile_features")[0]
    assert oldest < first_candidate  # a date this publish did not replace
    harness.query(
        "insert into main_marts.profile_features "
        f"select * from main_marts.profile_features where feature_date = '{oldest}' limit 1"
    )

    published = harness.build("--select", "profile_features")  # publishes the same candidate again
    assert published.success, published.text
    scoped = data_test_results(harness)[PUBLISHED_TEST]
    assert f"feature_date >= cast('{first_candidate.isoformat()}' as date)" in scoped["compiled_code"]
    assert scoped["status"] == "pass"

    tested = harness.dbt("test", "--select", "profile_features")
    assert not tested.success
    whole = data_test_results(harness)[PUBLISHED_TEST]
    assert "feature_date >=" not in whole["compiled_code"]
    assert whole["status"] == "fail" and whole["failures"] == 1
