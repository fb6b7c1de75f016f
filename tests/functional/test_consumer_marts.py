"""The BI and CRM marts, recomputed in plain Python from the rows of profile_features_latest (their only input)
with the rules written out again here: segment members and counts, household composition by size, and the
feature summary per lifecycle stage; the quality report's value buckets, recounted from the candidate rows. Then
a second day: the daily marts keep the first date and add the next."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from pathlib import Path
from statistics import fmean
from typing import Any

import pytest

from featurestore.generator import append_day
from tests.functional.conftest import copy_state
from tests.support.dbt import DbtHarness

SEGMENT_RULES = {
    "lapsing_heavy_viewers": lambda p: p["lifecycle_stage"] in ("at_risk", "dormant") and p["watch_minutes_90d"] >= 600,
    "new_release_fans": lambda p: (p["new_release_watch_share_28d"] or 0) >= 0.5 and p["watch_minutes_28d"] >= 60,
    "binge_watchers": lambda p: p["binge_days_28d"] >= 4,
    "household_top_viewers": lambda p: p["is_household_top_viewer_28d"] and p["household_profiles"] >= 2,
    "new_profiles": lambda p: p["lifecycle_stage"] == "new",
}


def rows(harness: DbtHarness, sql: str) -> list[dict[str, Any]]:
    import duckdb

    with duckdb.connect(str(harness.duckdb_path), read_only=True) as con:
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


@pytest.fixture(scope="module")
def latest(small_published: DbtHarness) -> list[dict[str, Any]]:
    return rows(small_published, "select * from main_marts.profile_features_latest")


def test_segments_hold_exactly_the_profiles_their_rules_select(
    small_published: DbtHarness, latest: list[dict[str, Any]]
) -> None:
    built = defaultdict(set)
    for row in rows(small_published, "select profile_id, segment_name from main_marts.crm_audience_segments"):
        built[row["segment_name"]].add(row["profile_id"])
    expected = {name: {p["profile_id"] for p in latest if rule(p)} for name, rule in SEGMENT_RULES.items()}
    assert set(built) <= set(SEGMENT_RULES)
    for name in SEGMENT_RULES:
        assert built.get(name, set()) == expected[name], name
    assert sum(len(members) for members in expected.values()) > 0  # the data exercises the rules

    counts = {r["segment_name"]: r for r in rows(small_published, "select * from main_marts.crm_audience_segment_counts_daily")}
    assert set(counts) == set(SEGMENT_RULES)  # empty segments are listed with 0
    by_profile = {p["profile_id"]: p for p in latest}
    newest = max(p["feature_date"] for p in latest)
    for name, members in expected.items():
        assert counts[name]["member_profiles"] == len(members)
        assert counts[name]["member_accounts"] == len({by_profile[m]["account_id"] for m in members})
        assert counts[name]["feature_date"] == newest


def test_household_composition_by_size(small_published: DbtHarness, latest: list[dict[str, Any]]) -> None:
    households: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for profile in latest:
        households[profile["account_id"]].append(profile)
    by_size: dict[int, list[list[dict[str, Any]]]] = defaultdict(list)
    for members in households.values():
        by_size[len(members)].append(members)
    built = {r["household_profiles"]: r for r in rows(small_published, "select * from main_marts.bi_household_composition_daily")}
    assert set(built) == set(by_size)
    for size, groups in by_size.items():
        row = built[size]
        kids = sum(1 for members in groups for p in members if p["is_kids_profile"])
        assert row["households"] == len(groups)
        assert row["profiles"] == size * len(groups)
        assert row["kids_profiles"] == kids
        assert row["kids_profile_share"] == pytest.approx(kids / (size * len(groups)), rel=1e-12)
        active = [members[0]["household_active_profiles_28d"] for members in groups]
        assert row["households_without_viewing_28d"] == sum(1 for a in active if a == 0)
        assert row["households_with_one_viewer_28d"] == sum(1 for a in active if a == 1)
        assert row["mean_active_profiles_28d"] == pytest.approx(fmean(active), rel=1e-12)
        shares = [max(s for s in (p["household_watch_share_28d"] for p in members) if s is not None)
                  for members in groups if any(p["household_watch_share_28d"] is not None for p in members)]
        if shares:
            assert row["mean_top_viewer_share_28d"] == pytest.approx(fmean(shares), rel=1e-12)
        else:
            assert row["mean_top_viewer_share_28d"] is None


@pytest.mark.parametrize("feature", ["watch_minutes_28d", "days_since_last_play", "is_kids_profile"])
def test_feature_summary_per_lifecycle_stage(small_published: DbtHarness, latest: list[dict[str, Any]], feature: str) -> None:
    built = {r["lifecycle_stage"]: r for r in rows(
        small_published, f"select * from main_marts.bi_feature_summary_daily where feature_name = '{feature}'")}
    stages: dict[str, list[Any]] = defaultdict(list)
    for profile in latest:
        stages[profile["lifecycle_stage"]].append(profile[feature])
    assert set(built) == set(stages)
    for stage, values in stages.items():
        present = [float(v) for v in values if v is not None]
        assert built[stage]["profiles"] == len(values)
        assert built[stage]["non_null_profiles"] == len(present)
        if present:
            assert built[stage]["mean_value"] == pytest.approx(fmean(present), rel=1e-9)
        else:
            assert built[stage]["mean_value"] is None


def expected_bucket(value: Any) -> str:
    """The bucket rule written out again: categorical values as text, numbers by powers of two of 100 x value."""
    if value is None:
        return "(null)"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return value
    if value < 0:
        return "negative"
    return str(math.floor(math.log(1 + 100 * float(value)) / math.log(2)))


@pytest.mark.parametrize(
    "feature", ["watch_minutes_28d", "avg_play_minutes_28d", "days_since_last_play", "is_kids_profile", "lifecycle_stage"]
)
def test_value_buckets_count_every_candidate_row_once(small_published: DbtHarness, feature: str) -> None:
    expected = Counter(
        (row["feature_date"], expected_bucket(row["value"]))
        for row in rows(small_published, f"select feature_date, {feature} as value from main_marts.profile_features_candidate")
    )
    built = {
        (row["feature_date"], row["bucket"]): row["row_count"]
        for row in rows(small_published, f"select * from main_marts.dq_feature_value_buckets where feature_name = '{feature}'")
    }
    assert built == dict(expected)
    assert len({bucket for _, bucket in expected}) > 1  # the data spans several buckets


def test_daily_marts_keep_each_date_and_add_the_next(small_published: DbtHarness, tmp_path: Path) -> None:
    harness = copy_state(small_published, tmp_path)
    first = rows(harness, "select max(feature_date) as d from main_marts.profile_features")[0]["d"]
    before = rows(harness, "select * from main_marts.crm_audience_segment_counts_daily")
    append_day(harness.raw_dir)
    outcome = harness.build()
    assert outcome.success, outcome.text
    dates = [r["feature_date"] for r in rows(
        harness, "select distinct feature_date from main_marts.crm_audience_segment_counts_daily order by 1")]
    assert dates[0] == first and len(dates) == 2 and dates[1] > first
    kept = rows(harness, f"select * from main_marts.crm_audience_segment_counts_daily where feature_date = '{first}'")
    assert sorted(kept, key=lambda r: r["segment_name"]) == sorted(before, key=lambda r: r["segment_name"])
    for table in ("bi_feature_summary_daily", "bi_household_composition_daily"):
        assert rows(harness, f"select count(distinct feature_date) as n from main_marts.{table}")[0]["n"] == 2
