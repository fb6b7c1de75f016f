"""Affinity features when the data holds values outside the contract's lists: a genre the contract does not
name, a title without a genre and a device staging does not know. The model pivots genres and devices into
columns, so it must find every value the data holds, and count it as the contract's definitions say, so that
the publish gate sees the off-contract genre and stops it. Expected values are worked out by hand below."""

from __future__ import annotations

import math

import pytest

from tests.functional import golden_cases as golden
from tests.support.dbt import DbtHarness, DbtOutcome
from tests.support.gold import d, ts, write_gold

# A3 has one profile, so no household feature depends on the golden accounts.
EXTRA_ACCOUNT = {"account_id": "A3", "signup_date": d("2025-12-01"), "updated_at": ts("2025-12-01 00:00")}
EXTRA_PROFILE = {"profile_id": "p-west", "account_id": "A3", "is_kids": False,
                 "created_at": ts("2026-01-01 09:00"), "deleted_at": None}
EXTRA_TITLES = [
    {"content_id": "m-western", "content_type": "movie", "series_id": None, "genre": " Western",
     "duration_seconds": 6000, "release_date": d("2025-01-01")},
    {"content_id": "m-nogenre", "content_type": "movie", "series_id": None, "genre": None,
     "duration_seconds": 6000, "release_date": d("2025-01-01")},
]
EXTRA_PLAYS = [  # start (UTC), title, watch seconds, device
    ("2026-02-10 20:00", "m-western", 2000, "web"),      # 61 days before: in the 90-day window only
    ("2026-04-10 20:00", "m-western", 5000, "tv"),
    ("2026-04-11 20:00", "m-nogenre", 4000, "Console"),  # staging keeps unknown devices as `other`
    ("2026-04-12 10:00", "m-drama", 1000, "tv"),
]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[DbtHarness, DbtOutcome]:
    tables = golden.gold_tables()
    tables["accounts"].append({**tables["accounts"][0], **EXTRA_ACCOUNT})
    tables["profiles"].append(EXTRA_PROFILE)
    tables["content"].extend(EXTRA_TITLES)
    tables["viewing_events"].extend(
        {"event_id": f"west-{i}", "profile_id": "p-west", "content_id": title, "event_ts": ts(at),
         "watch_seconds": seconds, "device_type": device, "ingested_at": ts(at)}
        for i, (at, title, seconds, device) in enumerate(EXTRA_PLAYS)
    )
    harness = DbtHarness(tmp_path_factory.mktemp("open_values"), target="local")
    write_gold(harness.raw_dir, tables)
    return harness, harness.build()


@pytest.fixture(scope="module")
def features(built: tuple[DbtHarness, DbtOutcome]) -> dict[str, object]:
    harness, _ = built
    relation = "main_marts.profile_features_candidate"
    rows = harness.query(f"select * from {relation} where profile_id = 'p-west' and feature_date = '2026-04-12'")
    names = [row[0] for row in harness.query(f"describe {relation}")]
    assert len(rows) == 1
    return dict(zip(names, rows[0]))


def test_the_gate_stops_a_genre_outside_the_contract(built: tuple[DbtHarness, DbtOutcome]) -> None:
    _, outcome = built
    assert not outcome.success
    failed = sorted(node.unique_id.split(".")[2] for node in outcome.results.failed)
    assert len(failed) == 3, failed
    assert failed[0].startswith("expect_column_values_to_be_in_set_profile_features_candidate_top_genre_28d")
    assert failed[1].startswith("expect_column_values_to_be_in_set_profile_features_candidate_top_genre_90d")
    assert failed[2].startswith("source_relationships_gold_content_genre")


def test_a_genre_outside_the_contract_can_be_the_top_genre(features: dict[str, object]) -> None:
    # 28 days: western 5000, no genre 4000, drama 1000 (of 10000); 90 days: western 7000 of 12000.
    assert features["top_genre_28d"] == "western"
    assert features["top_genre_share_28d"] == pytest.approx(0.5, abs=1e-12)
    assert features["top_genre_90d"] == "western"
    assert features["distinct_genres_28d"] == 3


def test_every_genre_counts_in_entropy_and_shares(features: dict[str, object]) -> None:
    entropy = -(0.5 * math.log(0.5) + 0.4 * math.log(0.4) + 0.1 * math.log(0.1))
    assert features["genre_entropy_28d"] == pytest.approx(entropy, abs=1e-12)
    assert features["genre_share_drama_90d"] == pytest.approx(1000 / 12000, abs=1e-12)
    for genre in ("action", "comedy", "documentary", "horror", "kids", "romance", "scifi"):
        assert features[f"genre_share_{genre}_90d"] == 0.0


def test_an_unknown_device_counts_as_other(features: dict[str, object]) -> None:
    # 28 days: tv 6000 s (2 plays), other 4000 s (1 play).
    assert features["primary_device_28d"] == "tv"
    assert features["distinct_devices_28d"] == 2
