"""Turn a day's clean events into landing-table rows with realistic defects.

Real Gold tables are not clean, and the dbt quarantine models need something to catch. Per day and
table this module: orders rows by event time and assigns event ids; stamps `ingested_at` (minutes after
the event, or 1-6 days for ~1% late arrivals); corrupts ~0.2% of rows, cycling through every
quarantine reason so even small runs cover them all; and appends ~0.5% exact duplicates with a later
`ingested_at`. Defects draw from their own RNG stream, so changing a rate never changes behaviour.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from featurestore.generator.config import (
    BAD_EVENT_TYPES,
    DEVICES,
    ENGAGEMENT_TYPES,
    LATE_LOOKBACK_DAYS,
    MAX_LATE_DAYS,
    ODD_DEVICES,
    SEARCH,
    US_PER_DAY,
    US_PER_HOUR,
    US_PER_SECOND,
    GeneratorConfig,
)
from featurestore.generator.events import RawEvents
from featurestore.generator.population import Catalog, Population
from featurestore.generator.sampling import STREAM_QUALITY, format_ids, lookup, rng_for
from featurestore.generator.schemas import ENGAGEMENT_SCHEMA, TIMESTAMP, VIEWING_SCHEMA

#: Dirty-row kinds per table. All but `odd_device` are quarantine reasons downstream.
VIEWING_DEFECTS = (
    "missing_key",
    "unknown_profile",
    "unknown_content",
    "bad_duration",
    "bad_timestamp",
    "deleted_profile",
    "odd_device",
)
ENGAGEMENT_DEFECTS = (
    "missing_key",
    "unknown_profile",
    "unknown_content",
    "bad_timestamp",
    "bad_event_type",
    "deleted_profile",
)


@dataclass(frozen=True)
class EventBatch:
    """One table's rows generated for one event day, with the day each row lands (is ingested)."""

    table: pa.Table
    landing_day: np.ndarray  # int32 day index; == event day except for late arrivals
    dirty_rows: int
    late_rows: int
    duplicate_rows: int


class _StringColumn:
    """A string column plus sparse overrides, applied in one Arrow `replace_with_mask` at the end."""

    def __init__(self, base: pa.Array) -> None:
        self.base = base
        self.positions: list[np.ndarray] = []
        self.values: list[pa.Array] = []

    def set(self, positions: np.ndarray, values: pa.Array) -> None:
        if positions.size:
            self.positions.append(positions)
            self.values.append(values.cast(pa.string()))

    def build(self) -> pa.Array:
        if not self.positions:
            return self.base
        positions = np.concatenate(self.positions)
        order = np.argsort(positions, kind="stable")
        values = pa.concat_arrays(self.values).take(pa.array(order))
        mask = np.zeros(len(self.base), bool)
        mask[positions] = True
        return pc.replace_with_mask(self.base, pa.array(mask), values)


def _choose(options: tuple[str | None, ...], codes: np.ndarray) -> pa.Array:
    """Arrow strings (nulls allowed) for codes indexing `options` (modulo its length)."""
    return pa.array(list(options), pa.string()).take(pa.array(codes % len(options)))


def finalize(
    kind: Literal["viewing", "engagement"],
    config: GeneratorConfig,
    pop: Population,
    catalog: Catalog,
    day: int,
    raw: RawEvents,
) -> EventBatch:
    """Build the landing rows of `kind` ('viewing' or 'engagement') for day index `day`.

    Defects are decided on the n clean rows; duplicates are then expanded on integer indices *before*
    any string is built, so each string column costs one Arrow `take` (the dominant cost at scale).
    """
    viewing = kind == "viewing"
    rng = rng_for(config.seed, STREAM_QUALITY, day, 0 if viewing else 1)
    order = np.argsort(raw.ts, kind="stable")
    prof, content, ts, value = raw.profile[order], raw.content[order], raw.ts[order], raw.value[order].copy()
    n = ts.size
    ds = config.day_start_us(day)
    de = ds + US_PER_DAY

    ingest = ts + ((20 + rng.exponential(240.0, n)) * US_PER_SECOND).astype(np.int64)
    u = rng.random(n)
    dirty = u < config.dirty_rate
    if n and config.dirty_rate > 0 and not dirty.any():
        dirty[np.argmin(u)] = True  # at least one per day and table, see the reason rotation below
    late = ~dirty & (u < config.dirty_rate + config.late_rate)
    late_idx = np.flatnonzero(late)
    ingest[late_idx] = ts[late_idx] + rng.integers(US_PER_DAY, MAX_LATE_DAYS * US_PER_DAY + 1, late_idx.size)
    duplicate = ~dirty & (rng.random(n) < config.duplicate_rate)

    # Row layout with duplicates: each copy right after its original. `pos[i]` = output row of row i.
    take = np.sort(np.concatenate([np.arange(n), np.flatnonzero(duplicate)]), kind="stable")
    is_dup = np.zeros(take.size, bool)
    is_dup[1:] = take[1:] == take[:-1]
    pos = np.arange(n) + np.cumsum(duplicate) - duplicate

    ts_null = np.zeros(n, bool)
    value_null = np.zeros(n, bool)
    prefix = ("v-" if viewing else "e-") + config.day_date(day).strftime("%Y%m%d") + "-"
    event_id = _StringColumn(format_ids(prefix, take + 1, 7))

    # Dirty rows take consecutive reasons, starting one further each day: with at least one dirty row
    # per day, any run of 7+ days covers every reason, yet large runs keep the configured rate.
    # Dirty rows are never duplicated, so `pos` maps them 1:1.
    defects = VIEWING_DEFECTS if viewing else ENGAGEMENT_DEFECTS
    dirty_idx = np.flatnonzero(dirty)
    reason = (config.seed + day + np.arange(dirty_idx.size)) % len(defects)
    variant = rng.integers(0, 60, dirty_idx.size)  # divisible by 2, 3, 4 and 5: picks a sub-case

    def rows(name: str) -> tuple[np.ndarray, np.ndarray]:
        hit = reason == defects.index(name)
        return dirty_idx[hit], variant[hit]

    # deleted_profile: an existing profile that was deleted before this day started.
    idx, _ = rows("deleted_profile")
    deleted = np.flatnonzero(pop.prof_deleted_us[: int(pop.profiles_by_day[day])] <= ds)
    unknown_extra = idx[:0]
    if deleted.size:
        prof = prof.copy()
        prof[idx] = deleted[rng.integers(0, deleted.size, idx.size)]
    else:
        unknown_extra = idx  # nobody deleted yet (tiny runs): fall back to an unknown profile

    profile_id = _StringColumn(pop.profile_ids.take(pa.array(prof[take])))
    idx, var = rows("missing_key")
    key_null = pa.nulls(idx.size, pa.string())
    key_empty = pa.repeat(pa.scalar("", pa.string()), idx.size)
    key_value = pc.if_else(pa.array(var % 2 == 0), key_null, key_empty)
    on_id = var % 4 < 2
    event_id.set(pos[idx[on_id]], key_value.filter(pa.array(on_id)))
    profile_id.set(pos[idx[~on_id]], key_value.filter(pa.array(~on_id)))

    idx, _ = rows("unknown_profile")
    idx = np.sort(np.concatenate([idx, unknown_extra]))
    profile_id.set(pos[idx], format_ids("p-zz", rng.integers(0, 10**6, idx.size), 6))

    content_taken = content[take]
    content_id = _StringColumn(
        catalog.content_ids.take(pa.array(np.maximum(content_taken, 0), mask=content_taken < 0))
    )
    idx, var = rows("unknown_content")
    # A null content_id is only wrong on non-search events; searches get an unknown id instead.
    is_search = np.zeros(idx.size, bool) if viewing else (value[idx] == SEARCH)
    to_null = (var % 2 == 0) & ~is_search
    unknown_content = format_ids("c-zz", rng.integers(0, 10**5, idx.size), 5)
    content_id.set(pos[idx], pc.if_else(pa.array(to_null), pa.nulls(idx.size, pa.string()), unknown_content))

    idx, var = rows("bad_timestamp")
    null_ts = var % 2 == 0
    ts_null[idx[null_ts]] = True
    # A null-timestamp row is filed under its ingestion date, so keep that inside this day.
    ingest[idx[null_ts]] = np.minimum(ingest[idx[null_ts]], de - 1)
    early = idx[~null_ts]
    ingest[early] = ts[early] - rng.integers(60 * US_PER_SECOND, 2 * US_PER_HOUR, early.size)

    if viewing:
        idx, var = rows("bad_duration")
        value_null[idx[var % 3 == 0]] = True
        negative = idx[var % 3 == 1]
        value[negative] = -rng.integers(1, 3600, negative.size)
        huge = idx[var % 3 == 2]
        value[huge] = rng.integers(86_401, 10 * 86_400, huge.size)
        third = _StringColumn(lookup(DEVICES, raw.device[order][take]))
        idx, var = rows("odd_device")
        third.set(pos[idx], _choose(ODD_DEVICES, var))
        third_name = "device_type"
    else:
        third = _StringColumn(lookup(ENGAGEMENT_TYPES, value[take]))
        idx, var = rows("bad_event_type")
        third.set(pos[idx], _choose(BAD_EVENT_TYPES, var))
        third_name = "event_type"

    # Duplicates are re-delivered a little later than their original.
    ingest = ingest[take]
    ingest[is_dup] += rng.integers(US_PER_SECOND, 3 * US_PER_HOUR, int(is_dup.sum()))
    late_rows = late[take]
    landing = np.where(late_rows, np.floor_divide(ingest - config.day_start_us(0), US_PER_DAY), day)
    landing = np.minimum(landing, day + LATE_LOOKBACK_DAYS).astype(np.int32)

    columns: dict[str, pa.Array] = {
        "event_id": event_id.build(),
        "profile_id": profile_id.build(),
        "content_id": content_id.build(),
        "event_ts": pa.array(ts[take], TIMESTAMP, mask=ts_null[take]),
        third_name: third.build(),
        "ingested_at": pa.array(ingest, TIMESTAMP),
    }
    if viewing:
        columns["watch_seconds"] = pa.array(value[take].astype(np.int32), pa.int32(), mask=value_null[take])
    schema = VIEWING_SCHEMA if viewing else ENGAGEMENT_SCHEMA
    return EventBatch(
        table=pa.Table.from_arrays([columns[f.name] for f in schema], schema=schema),
        landing_day=landing,
        dirty_rows=int(dirty_idx.size),
        late_rows=int(late_rows.sum()),
        duplicate_rows=int(is_dup.sum()),
    )
