"""The server's JSON answers spliced from stored bytes (serving/jsonrender.py): hand-computed expectations."""

from __future__ import annotations

import json
from datetime import date

from featurestore.serving.jsonrender import JsonRenderer

TYPES = {
    "watch_minutes_1d": "double",
    "watch_minutes_7d": "double",
    "plays_7d": "int",
    "profile_tenure_days": "int",
    "account_tenure_days": "int",
    "days_since_last_play": "int",
    "days_since_first_play": "int",
    "lifecycle_stage": "string",
    "is_reactivated_7d": "boolean",
    "is_kids_profile": "boolean",
    "top_genre_28d": "string",
}


def reply(**values: str) -> list[bytes]:
    flat = [b"_contract", b"v1", b"_feature_date", b"2026-09-01"]
    for name, value in values.items():
        flat += [name.encode(), value.encode()]
    return flat


def test_values_are_spliced_typed_and_nulls_explicit() -> None:
    renderer = JsonRenderer(list(TYPES), TYPES)
    stored = reply(
        watch_minutes_1d="12.5",
        watch_minutes_7d="1e-05",
        plays_7d="-3",
        profile_tenure_days="10",
        lifecycle_stage="new",
        is_reactivated_7d="1",
        is_kids_profile="0",
        top_genre_28d='sci"fi\\x',
    )
    when, body = renderer.answer({"p-1": stored, "p-2": None}, None, date(2026, 9, 1), "v1")
    assert when == date(2026, 9, 1)
    answer = json.loads(body)
    assert answer["feature_date"] == "2026-09-01" and answer["contract"] == "v1"
    assert answer["profiles"]["p-2"] is None
    assert answer["profiles"]["p-1"] == {
        "watch_minutes_1d": 12.5,
        "watch_minutes_7d": 0.00001,
        "plays_7d": -3,
        "profile_tenure_days": 10,
        "account_tenure_days": None,  # no field: NULL
        "days_since_last_play": None,
        "days_since_first_play": None,
        "lifecycle_stage": "new",
        "is_reactivated_7d": True,
        "is_kids_profile": False,
        "top_genre_28d": 'sci"fi\\x',  # escaped
    }


def test_rows_older_than_the_answer_are_brought_forward() -> None:
    renderer = JsonRenderer(list(TYPES), TYPES)
    # as of 2026-09-01: tenure 10 (created 08-22), last play 1 day before, reactivated 08-28
    stored = reply(
        watch_minutes_1d="12.5",
        profile_tenure_days="10",
        account_tenure_days="365",
        days_since_last_play="1",
        days_since_first_play="7",
        lifecycle_stage="new",
        is_reactivated_7d="1",
        last_reactivation_date="2026-08-28",
    )
    when, body = renderer.answer({"p-1": stored}, date(2026, 9, 5), date(2026, 9, 1), "v1")
    one = json.loads(body)["profiles"]["p-1"]
    assert when == date(2026, 9, 5) and json.loads(body)["feature_date"] == "2026-09-05"
    assert (one["profile_tenure_days"], one["account_tenure_days"]) == (14, 369)
    assert (one["days_since_last_play"], one["days_since_first_play"]) == (5, 11)
    assert one["lifecycle_stage"] == "active"  # tenure 14 is not < 14; 5 days since last play <= 7
    assert one["is_reactivated_7d"] is False  # 09-05 - 08-28 = 8 days > 6
    assert one["watch_minutes_1d"] == 0.0
    assert "last_reactivation_date" not in one  # an anchor, not a feature


def test_a_newer_row_in_the_batch_moves_the_answer_date() -> None:
    renderer = JsonRenderer(list(TYPES), TYPES)
    old = reply(profile_tenure_days="10")
    new = [b"_feature_date", b"2026-09-03", b"profile_tenure_days", b"40"]
    when, body = renderer.answer({"a": old, "b": new}, None, date(2026, 9, 2), "v1")
    answer = json.loads(body)
    assert when == date(2026, 9, 3) and answer["feature_date"] == "2026-09-03"
    assert (
        answer["profiles"]["a"]["profile_tenure_days"] == 12
        and answer["profiles"]["b"]["profile_tenure_days"] == 40
    )


def test_values_that_are_not_json_numbers_stay_valid_json() -> None:
    renderer = JsonRenderer(list(TYPES), TYPES)
    stored = reply(watch_minutes_1d="nan", watch_minutes_7d="-inf", plays_7d="12abc", profile_tenure_days="x")
    answer = json.loads(renderer.answer({"p": stored}, None, date(2026, 9, 1), "v1")[1])
    one = answer["profiles"]["p"]
    assert one["watch_minutes_1d"] is None and one["watch_minutes_7d"] is None  # as orjson writes nan / inf
    assert one["plays_7d"] == "12abc" and one["profile_tenure_days"] == "x"  # not integers: strings
    alone = json.loads(renderer.answer({"p": reply(plays_7d="12abc")}, None, date(2026, 9, 1), "v1")[1])
    assert alone["profiles"]["p"]["plays_7d"] == "12abc"
