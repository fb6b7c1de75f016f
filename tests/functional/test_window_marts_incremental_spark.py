"""On Spark too, a daily run of the window marts gives the full refresh's rows.

A daily run sums (counts) the profile days and title-days that every rebuilt date sees alike into one row
before the window join (`days_summed_for_rebuilt_dates`, `rebuilt_dates_classes.sql`), SQL that only
incremental runs render. Two more marts are here for the same reason: only with a cutoff does
features_affinity date every window change due before the cutoff the day before it (its opening balances,
`window_changes`), and features_lifecycle sum the play days before the cutoff in a group-by
(`earlier_history`). The DuckDB incremental test covers all of them day by day; here the local Spark target
builds the golden history up to 2026-04-11, then runs incrementally to 2026-04-12 with a look-back of one day:
cutoff 04-10, a feature date of four profiles whose earlier days fall in every class of days (04-06..04-09,
03-16..04-03, 01-13..03-13). The five marts then equal a full refresh at 2026-04-12 row for row.
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from tests.conftest import reset_raw_dir
from tests.functional import golden_cases as golden
from tests.support.dbt import DbtHarness
from tests.support.gold import write_gold

pytestmark = pytest.mark.spark

MARTS = (
    "features_watch_behavior",
    "features_engagement_quality",
    "features_content_consumption",
    "features_affinity",
    "features_lifecycle",
)
SELECT = ("--select", *[f"+{mart}" for mart in MARTS], "--exclude-resource-type", "test",
          "--exclude-resource-type", "unit_test")


def build_as_of(harness: DbtHarness, day: date, *extra: str) -> None:
    variables = {"as_of_date": day.isoformat(), "lookback_days": 1}
    outcome = harness.build("--vars", json.dumps(variables), *SELECT, *extra)
    assert outcome.success, outcome.text


def mart_rows(harness: DbtHarness) -> dict[str, list[tuple[object, ...]]]:
    schema = harness.schema("marts")
    return {
        mart: sorted(harness.query(f"select * from {schema}.{mart}"), key=lambda row: (row[0], str(row[-1])))
        for mart in MARTS
    }


def test_daily_window_marts_equal_a_full_refresh_on_spark(spark_project: DbtHarness) -> None:
    reset_raw_dir(spark_project)
    write_gold(spark_project.raw_dir, golden.gold_tables())
    build_as_of(spark_project, date(2026, 4, 11), "--full-refresh")
    build_as_of(spark_project, golden.AS_OF)
    daily = mart_rows(spark_project)
    assert max(row[-1] for row in daily["features_watch_behavior"]) == golden.AS_OF

    build_as_of(spark_project, golden.AS_OF, "--full-refresh")
    full = mart_rows(spark_project)
    for mart in MARTS:
        assert len(daily[mart]) == len(full[mart]) > 0, mart
        assert daily[mart] == full[mart], mart
