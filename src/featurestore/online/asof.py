"""Calendar-driven features of a profile read from Redis, brought forward from `_feature_date` to a later day.

Six features are pure functions of the as-of day and the profile's anchor dates (the `lifecycle_day_counts`
macro, their one definition). Redis stores them as of the row's `_feature_date` D, and a profile has no new
row while none of its stored values changes, so a reader that needs them as of day T >= D recomputes them:

- the four day counts are `T - anchor` and were stored as `D - anchor`: add T - D
  (profile_tenure_days, account_tenure_days, days_since_last_play, days_since_first_play; NULL stays NULL);
- lifecycle_stage: the macro's rule on the brought-forward tenure and days since last play;
- is_reactivated_7d: `T - last_reactivation_date <= 6` (the one anchor date Redis stores; no field: false).

    from featurestore.online.asof import bring_forward
    row = bring_forward(store.get("p-0000051"), date.today())
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from featurestore.online.layout import FEATURE_DATE_FIELD

DAY_COUNTS = ("profile_tenure_days", "account_tenure_days", "days_since_last_play", "days_since_first_play")


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


def bring_forward(profile: Mapping[str, Any], as_of: date) -> dict[str, Any]:
    """A copy of a typed profile (OnlineStoreClient.get_many) with its calendar features as of `as_of`.

    `as_of` must not be before the profile's `_feature_date` (Redis holds no older values)."""
    stored: date = profile[FEATURE_DATE_FIELD]
    elapsed = (as_of - stored).days
    if elapsed < 0:
        raise ValueError(f"as_of {as_of} is before the profile's {FEATURE_DATE_FIELD} {stored}")
    out = dict(profile)
    for name in DAY_COUNTS:
        if out.get(name) is not None:
            out[name] = out[name] + elapsed
    out["lifecycle_stage"] = lifecycle_stage(out.get("profile_tenure_days"), out.get("days_since_last_play"))
    reactivated = out.get("last_reactivation_date")
    out["is_reactivated_7d"] = reactivated is not None and (as_of - reactivated).days <= 6
    return out
