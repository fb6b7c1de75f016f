"""`featurestore verify`: prove that Redis serves exactly the published values (no skew).

Samples live profiles from the warehouse (their latest row <= meta.feature_date, not deleted, not expired),
formats each value with the reference formatter (`layout.format_value`, plain Python, independent of the
sync's SQL rendering) and compares with HGETALL field by field: same fields (no missing, no extra), same
bytes. It also samples deleted and expired profiles and checks that Redis has no key for them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

import duckdb

from featurestore.online import OnlineStoreError
from featurestore.online.client import open_redis, read_meta, redact, resolve_url
from featurestore.online.layout import (
    CONTRACT,
    CONTRACT_FIELD,
    FEATURE_DATE_FIELD,
    Layout,
    configured_ttl_days,
    format_value,
)
from featurestore.online.sync import FEATURES, PROFILES
from featurestore.paths import ProjectPaths


@dataclass(frozen=True)
class Difference:
    profile_id: str
    field: str  # "*" for the whole profile
    expected: str | None  # None: should not exist
    actual: str | None  # None: does not exist

    def describe(self) -> str:
        if self.field == "*":
            return (
                f"{self.profile_id}: missing from Redis"
                if self.actual is None
                else f"{self.profile_id}: in Redis but {self.expected}"
            )
        if self.actual is None:
            return f"{self.profile_id}.{self.field}: missing, expected {self.expected!r}"
        if self.expected is None:
            return f"{self.profile_id}.{self.field}: extra field {self.actual!r} (expected no field: NULL)"
        return f"{self.profile_id}.{self.field}: {self.actual!r} in Redis, expected {self.expected!r}"


@dataclass
class VerifyResult:
    feature_date: date
    url: str
    checked: int = 0
    fields_checked: int = 0
    absent_checked: int = 0
    differences: list[Difference] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences

    @property
    def profiles_with_differences(self) -> int:
        return len({d.profile_id for d in self.differences})


def _state_sql(as_of: date, ttl_days: int) -> str:
    n = f"date '{as_of.isoformat()}'"
    return f"""
        with latest as (
            select profile_id, max(feature_date) as feature_date
            from {FEATURES} where feature_date <= {n} group by profile_id
        ),
        profiles as (
            select profile_id, min(created_date) as created_date, max(deleted_date) as deleted_date
            from {PROFILES} group by profile_id
        )
        select f.*,
            case
                when p.deleted_date is not null and p.deleted_date <= {n} then 'deleted'
                when {ttl_days} > 0
                    and coalesce(f.last_play_date, f.profile_created_date, p.created_date) + {ttl_days} <= {n}
                    then 'expired'
                else 'live'
            end as _state
        from latest
        inner join {FEATURES} as f
            on f.profile_id = latest.profile_id and f.feature_date = latest.feature_date
        left join profiles as p on p.profile_id = latest.profile_id
    """


def expected_hash(row: dict[str, object], layout: Layout) -> dict[str, str]:
    """The contract's hash for one published row (reference formatting)."""
    expected = {CONTRACT_FIELD: CONTRACT, FEATURE_DATE_FIELD: format_value(row["feature_date"]) or ""}
    for spec in layout.fields:
        text = format_value(row[spec.name])
        if text is not None:
            expected[spec.name] = text
    return expected


def run_verify(
    paths: ProjectPaths | None = None,
    *,
    sample: int = 1000,
    url: str | None = None,
    prefix: str | None = None,
    seed: int | None = None,
) -> VerifyResult:
    paths = paths or ProjectPaths.discover()
    layout = Layout.from_catalog(prefix, paths.project_dir)
    if not paths.duckdb_path.is_file():
        raise OnlineStoreError(
            f"No warehouse at {paths.duckdb_path}: run `dbt build` first (or set DUCKDB_PATH)."
        )
    resolved = resolve_url(url, start_local=True, paths=paths)
    client = open_redis(resolved)
    try:
        meta = read_meta(client, layout)
        if meta is None or meta.feature_date is None:
            raise OnlineStoreError(
                f"Nothing to verify: Redis at {redact(resolved)} has no {layout.meta_key} "
                "(run `featurestore sync`)."
            )
        try:
            ttl = int(meta.raw["ttl_days"]) if meta.raw.get("ttl_days") else configured_ttl_days()
        except ValueError as exc:
            raise OnlineStoreError(str(exc), exit_code=2) from exc
        seed = random.randrange(1 << 30) if seed is None else seed
        absent_sample = max(10, sample // 10)
        try:
            with duckdb.connect(str(paths.duckdb_path)) as con:
                base = _state_sql(meta.feature_date, ttl)
                cursor = con.execute(
                    f"select * from ({base}) where _state = 'live' "
                    f"order by hash(profile_id, {seed}) limit {sample}"
                )
                names = [d[0] for d in cursor.description]
                rows = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
                gone = [
                    r[0]
                    for r in con.execute(
                        f"select profile_id from ({base}) where _state <> 'live' "
                        f"order by hash(profile_id, {seed}) limit {absent_sample}"
                    ).fetchall()
                ]
        except duckdb.Error as exc:
            raise OnlineStoreError(f"Cannot read the warehouse {paths.duckdb_path}: {exc}") from exc

        result = VerifyResult(meta.feature_date, redact(resolved))
        pipe = client.pipeline(transaction=False)
        for row in rows:
            pipe.hgetall(layout.profile_key(str(row["profile_id"])))
        for pid in gone:
            pipe.exists(layout.profile_key(pid))
        replies = pipe.execute()
        for row, reply in zip(rows, replies[: len(rows)], strict=True):
            pid = str(row["profile_id"])
            result.checked += 1
            if not reply:
                result.differences.append(Difference(pid, "*", "present", None))
                continue
            actual = {k.decode(): v.decode() for k, v in reply.items()}
            expected = expected_hash(row, layout)
            for name in sorted(set(expected) | set(actual)):
                result.fields_checked += 1
                if expected.get(name) != actual.get(name):
                    result.differences.append(Difference(pid, name, expected.get(name), actual.get(name)))
        for pid, exists in zip(gone, replies[len(rows) :], strict=True):
            result.absent_checked += 1
            if int(exists):
                result.differences.append(Difference(pid, "*", "deleted or expired upstream", "present"))
        return result
    finally:
        client.close()
