"""A profile read from Redis, brought forward from its `_feature_date` to a later day: the read path's one
conversion, equal to dbt's `profile_features_as_of` / `profile_features_point_in_time` for that day.

A hash holds the feature log's latest row of the profile, dated D (`_feature_date`). The log has a row on
every date one of the stored values can change, so as of any day T >= D only the values the point-in-time
macro re-derives from the calendar differ from the stored ones:

- the four day counts (profile_tenure_days, account_tenure_days, days_since_last_play, days_since_first_play)
  are `T - anchor` and were stored as `D - anchor`: add T - D (NULL stays NULL);
- lifecycle_stage: the `lifecycle_day_counts` macro's CASE on the brought-forward tenure and days since last
  play;
- is_reactivated_7d: `T - last_reactivation_date <= 6` (the one anchor date Redis stores; no field: false);
- watch_minutes_1d: 0 when T > D (the day T has no row of its own, so it had no activity).

`plan_tier`, the one other value the macro re-derives (the plan valid on T), is kept current by the sync: it
writes the plan valid on its feature date N and rewrites the profiles of accounts whose plan changed
(`sync.py`), so it needs nothing here. The formulas for readers that go to Redis directly are in
docs/online-store.md ("Reading the hash directly"). Tested against dbt's own as-of view on a real build
(`tests/online/test_dbt_integration.py`).

    from featurestore.online.asof import bring_forward
    row = bring_forward(store.get_stored("p-0000051"), date(2026, 10, 1))
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from datetime import date
from typing import Any

from featurestore.online.layout import FEATURE_DATE_FIELD

DAY_COUNTS = ("profile_tenure_days", "account_tenure_days", "days_since_last_play", "days_since_first_play")
# Every value the read path may change (the rest of a hash is served as stored).
CALENDAR_FEATURES = (*DAY_COUNTS, "lifecycle_stage", "is_reactivated_7d", "watch_minutes_1d")
# Set on a brought-forward profile: the date of the stored row its values come from (the macro's
# `source_feature_date`); `_feature_date` becomes the as-of date.
SOURCE_DATE_FIELD = "_source_feature_date"


def lifecycle_stage(profile_tenure_days: int | None, days_since_last_play: int | None) -> str:
    """The macro's CASE: a NULL comparison is not true, so it falls through to the next branch."""
    if profile_tenure_days is not None and profile_tenure_days < 14:
        return "new"
    if days_since_last_play is not None:
        if days_since_last_play <= 7:
            return "active"
        if days_since_last_play <= 27:
            return "at_risk"
        if days_since_last_play <= 89:
            return "dormant"
    return "lapsed"


class AsOfError(ValueError):
    """The requested as-of date is before the stored values (Redis holds no older ones)."""


def bring_forward_in_place(profile: MutableMapping[str, Any], as_of: date) -> None:
    """`profile` (typed, as decoded from its hash) changed in place to its values as of `as_of`.

    Sets `_feature_date` to `as_of` and `_source_feature_date` to the stored date. AsOfError when `as_of` is
    before the stored `_feature_date`."""
    stored: date = profile[FEATURE_DATE_FIELD]
    profile[SOURCE_DATE_FIELD] = stored
    if as_of == stored:
        return
    elapsed = (as_of - stored).days
    if elapsed < 0:
        raise AsOfError(f"as_of {as_of} is before the profile's {FEATURE_DATE_FIELD} {stored}")
    profile[FEATURE_DATE_FIELD] = as_of
    for name in DAY_COUNTS:
        value = profile.get(name)
        if value is not None:
            profile[name] = value + elapsed
    profile["lifecycle_stage"] = lifecycle_stage(
        profile.get("profile_tenure_days"), profile.get("days_since_last_play")
    )
    reactivated = profile.get("last_reactivation_date")
    profile["is_reactivated_7d"] = reactivated is not None and (as_of - reactivated).days <= 6
    profile["watch_minutes_1d"] = 0.0


def bring_forward(profile: Mapping[str, Any], as_of: date) -> dict[str, Any]:
    """A copy of a stored typed profile (`OnlineStoreClient.get_stored_many`) with its values as of `as_of`.

    `as_of` must not be before the profile's `_feature_date` (AsOfError, a ValueError)."""
    out = dict(profile)
    bring_forward_in_place(out, as_of)
    return out
