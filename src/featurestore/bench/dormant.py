"""Dormant profiles for the flat-cost experiment: a large profile base whose values cannot change.

Each dormant profile is the only profile of a new account and has 5 plays 20-60 days before the first
generated day, so none of its stored feature values can change on the days a daily build processes.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from featurestore.generator.schemas import ACCOUNTS_SCHEMA, PROFILES_SCHEMA, VIEWING_SCHEMA

PLAYS_PER_PROFILE = 5


def add_dormant_profiles(raw: Path, count: int, start: datetime, seed: int) -> int:
    """Write `count` dormant profiles (one per new account) and their plays; return the event rows written."""
    rng = np.random.default_rng(seed)
    ids = np.arange(count)
    profile_ids = [f"dormant-p-{i:07d}" for i in ids]
    account_ids = [f"dormant-a-{i:07d}" for i in ids]
    created = start - timedelta(days=400)
    pq.write_table(
        pa.table(
            {
                "account_id": account_ids,
                "signup_date": [created.date()] * count,
                "plan_tier": ["standard"] * count,
                "country": ["US"] * count,
                "status": ["active"] * count,
                "updated_at": [created] * count,
            },
            schema=ACCOUNTS_SCHEMA,
        ),
        raw / "accounts" / "part-dormant.parquet",
    )
    pq.write_table(
        pa.table(
            {
                "profile_id": profile_ids,
                "account_id": account_ids,
                "is_kids": [False] * count,
                "created_at": [created] * count,
                "deleted_at": [None] * count,
            },
            schema=PROFILES_SCHEMA,
        ),
        raw / "profiles" / "part-dormant.parquet",
    )
    content = (
        pq.read_table(raw / "content", columns=["content_id"])
        .column("content_id")
        .to_numpy(zero_copy_only=False)
    )
    n = count * PLAYS_PER_PROFILE
    offsets = rng.integers(20, 61, n)
    hours = rng.integers(0, 12, n)
    event_ts = [start - timedelta(days=int(o), hours=int(h)) for o, h in zip(offsets, hours, strict=True)]
    table = pa.table(
        {
            "event_id": [f"dormant-v-{i:09d}" for i in range(n)],
            "profile_id": np.repeat(np.array(profile_ids, dtype=object), PLAYS_PER_PROFILE),
            "content_id": content[rng.integers(0, len(content), n)],
            "event_ts": event_ts,
            "watch_seconds": rng.integers(60, 3600, n).astype(np.int32),
            "device_type": np.array(["tv", "mobile", "web", "tablet"], dtype=object)[rng.integers(0, 4, n)],
            "ingested_at": [t + timedelta(minutes=5) for t in event_ts],
        },
        schema=VIEWING_SCHEMA,
    )
    folder = raw / "viewing_events" / "dormant"
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, folder / "part-dormant.parquet")
    return n
