"""Reading side: typing of raw replies (decode.py) and calendar features brought forward (asof.py).

Expected values are worked out by hand from the formulas of the `lifecycle_day_counts` macro."""

from __future__ import annotations

from datetime import date

import pytest

from featurestore.online.asof import bring_forward, lifecycle_stage
from featurestore.online.decode import ProfileDecoder


def stored_row() -> dict[str, object]:
    # as of 2026-09-01: created 2026-08-22 (tenure 10), signed up 2025-09-01 (365), first play 2026-08-25
    # (7), last play 2026-08-31 (1), reactivated 2026-08-28
    return {
        "_feature_date": date(2026, 9, 1),
        "_contract": "v1",
        "profile_tenure_days": 10,
        "account_tenure_days": 365,
        "days_since_first_play": 7,
        "days_since_last_play": 1,
        "lifecycle_stage": "new",
        "is_reactivated_7d": True,
        "last_reactivation_date": date(2026, 8, 28),
        "plays_7d": 4,
        "watch_minutes_1d": 12.5,
    }


def test_bring_forward_same_day_keeps_stored_values() -> None:
    same = bring_forward(stored_row(), date(2026, 9, 1))
    assert same == {**stored_row(), "_source_feature_date": date(2026, 9, 1)}


def test_bring_forward_adds_elapsed_days_and_recomputes_stage_and_flag() -> None:
    later = bring_forward(stored_row(), date(2026, 9, 5))  # 4 days later, no play since 2026-08-31
    assert later["profile_tenure_days"] == 14  # 2026-09-05 - 2026-08-22
    assert later["account_tenure_days"] == 369
    assert later["days_since_first_play"] == 11
    assert later["days_since_last_play"] == 5
    assert later["lifecycle_stage"] == "active"  # tenure 14 is not < 14; last play 5 days ago <= 7
    assert later["is_reactivated_7d"] is False  # 2026-09-05 - 2026-08-28 = 8 days > 6
    assert later["plays_7d"] == 4  # not calendar-driven: unchanged
    assert later["watch_minutes_1d"] == 0.0  # 2026-09-05 has no row of its own: no activity that day
    assert later["_feature_date"] == date(2026, 9, 5) and later["_source_feature_date"] == date(2026, 9, 1)
    assert bring_forward(stored_row(), date(2026, 9, 3))["is_reactivated_7d"] is True  # 6 days: still true


def test_bring_forward_nulls_and_errors() -> None:
    never_played = {"_feature_date": date(2026, 9, 1), "profile_tenure_days": 40}
    out = bring_forward(never_played, date(2026, 9, 11))
    assert out["profile_tenure_days"] == 50 and "days_since_last_play" not in out
    assert out["lifecycle_stage"] == "lapsed"  # NULL days since last play: every comparison is false
    assert out["is_reactivated_7d"] is False  # no reactivation date
    with pytest.raises(ValueError):
        bring_forward(never_played, date(2026, 8, 31))


@pytest.mark.parametrize(
    ("tenure", "since_last", "stage"),
    [
        (13, 100, "new"),
        (14, 7, "active"),
        (14, 8, "at_risk"),
        (30, 27, "at_risk"),
        (30, 28, "dormant"),
        (30, 89, "dormant"),
        (30, 90, "lapsed"),
        (None, 3, "active"),
        (None, None, "lapsed"),
    ],
)
def test_lifecycle_stage_boundaries(tenure: int | None, since_last: int | None, stage: str) -> None:
    assert lifecycle_stage(tenure, since_last) == stage


def test_decoder_types_a_flat_reply() -> None:
    decoder = ProfileDecoder(
        {
            "plays_7d": "int",
            "watch_minutes_7d": "double",
            "is_kids_profile": "boolean",
            "top_genre_28d": "string",
            "last_reactivation_date": "date",
        }
    )
    reply = [
        b"_contract",
        b"v1",
        b"_feature_date",
        b"2026-09-01",
        b"plays_7d",
        b"-3",
        b"watch_minutes_7d",
        b"1e-05",
        b"is_kids_profile",
        b"0",
        b"top_genre_28d",
        b"kids",
        b"last_reactivation_date",
        b"2026-08-28",
        b"written_by_someone_else",
        b"x",
    ]
    assert decoder.flat(reply) == {
        "_contract": "v1",
        "_feature_date": date(2026, 9, 1),
        "plays_7d": -3,
        "watch_minutes_7d": 0.00001,
        "is_kids_profile": False,
        "top_genre_28d": "kids",
        "last_reactivation_date": date(2026, 8, 28),
        "written_by_someone_else": "x",  # not in the schema: a string under its own name
    }
    assert decoder.flat([b"is_kids_profile", b"1"]) == {"is_kids_profile": True}
    assert decoder.mapping({b"plays_7d": b"12"}) == {"plays_7d": 12}
