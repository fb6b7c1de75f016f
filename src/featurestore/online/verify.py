"""`featurestore verify`: prove that what readers get from Redis is exactly the published values (no skew).

Samples live profiles from the warehouse (their latest row <= meta.feature_date, not deleted, not expired)
and, on a warehouse built by dbt, compares **what the client returns** (`OnlineStoreClient.get_many`: values
as of the store's feature date) with **dbt's as-of view for that date** (`profile_features_latest` when the
store's date is the warehouse's newest, else the `profile_features_as_of` macro compiled by dbt), feature by
feature, both sides formatted by the reference formatter (`layout.format_value`): same fields (no missing,
no extra), identical strings.

On a warehouse without dbt's as-of view (the synthetic ones of tests and benchmarks) it compares the stored
hashes with the rows the sync loads, byte for byte (HGETALL), as the sync's own check. Either way it also
samples deleted and expired profiles and checks that Redis has no key for them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

import duckdb

from featurestore.failures import explain
from featurestore.online import OnlineStoreError
from featurestore.online.client import OnlineStoreClient, open_redis, read_meta, redact, resolve_url
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
from featurestore.warehouse import connect

AS_OF_VIEW = "main_marts.profile_features_latest"
MODE_AS_OF = "as-of view"  # client values vs dbt's as-of view
MODE_STORED = "stored rows"  # HGETALL vs the rows the sync loads (no dbt as-of view in the warehouse)


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
        return f"{self.profile_id}.{self.field}: {self.actual!r} served, expected {self.expected!r}"


@dataclass
class VerifyResult:
    feature_date: date
    url: str
    mode: str = MODE_AS_OF
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
            with connect(paths.duckdb_path) as con:
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
            raise OnlineStoreError(*explain(exc, f"Cannot read the warehouse {paths.duckdb_path}")) from exc

        as_of_rows: dict[str, dict[str, object]] | None = None
        if has_as_of_view(paths):
            ids = [str(row["profile_id"]) for row in rows]
            as_of_rows = as_of_view(paths, meta.feature_date, ids)
        result = VerifyResult(
            meta.feature_date, redact(resolved), MODE_STORED if as_of_rows is None else MODE_AS_OF
        )
        if as_of_rows is not None:
            compare_served(result, rows, as_of_rows, layout, resolved)
        else:
            compare_stored(result, rows, client, layout)
        pipe = client.pipeline(transaction=False)
        for pid in gone:
            pipe.exists(layout.profile_key(pid))
        for pid, exists in zip(gone, pipe.execute(), strict=True):
            result.absent_checked += 1
            if int(exists):
                result.differences.append(Difference(pid, "*", "deleted or expired upstream", "present"))
        return result
    finally:
        client.close()


def has_as_of_view(paths: ProjectPaths) -> bool:
    """Does the warehouse hold dbt's as-of view (a dbt build), or only the log (a synthetic warehouse)?"""
    schema, name = AS_OF_VIEW.split(".")
    try:
        with connect(paths.duckdb_path) as con:
            found = con.execute(
                "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
                [schema, name],
            ).fetchone()
    except duckdb.Error as exc:
        raise OnlineStoreError(f"Cannot read the warehouse {paths.duckdb_path}: {exc}") from exc
    return bool(found and found[0])


def as_of_view(paths: ProjectPaths, as_of: date, profile_ids: list[str]) -> dict[str, dict[str, object]]:
    """dbt's as-of view for `as_of`, for `profile_ids`: `profile_features_latest` when `as_of` is the newest
    feature date of the log, else the `profile_features_as_of` macro compiled by dbt (a dbt start-up)."""
    if not profile_ids:
        return {}
    try:
        with connect(paths.duckdb_path) as con:
            newest = con.execute(f"select max(feature_date) from {FEATURES}").fetchone()[0]  # type: ignore[index]
        if newest == as_of:
            relation = AS_OF_VIEW
        else:
            from featurestore.point_in_time import PointInTimeError, compile_point_in_time

            requests = f"(select profile_id, date '{as_of.isoformat()}' as as_of_date from {PROFILES})"
            try:
                relation = f"({compile_point_in_time(requests, 'as_of_date', paths)})"
            except PointInTimeError as exc:
                raise OnlineStoreError(f"Cannot compile dbt's as-of view for {as_of}: {exc}") from exc
        with connect(paths.duckdb_path) as con:
            con.execute("create temp table _fs_verify_ids (profile_id varchar)")
            con.executemany("insert into _fs_verify_ids values (?)", [[pid] for pid in profile_ids])
            cursor = con.execute(
                f"select v.* from {relation} as v "
                "where v.profile_id in (select profile_id from _fs_verify_ids)"
            )
            names = [d[0] for d in cursor.description]
            return {str(r[0]): dict(zip(names, r, strict=True)) for r in cursor.fetchall()}
    except duckdb.Error as exc:
        raise OnlineStoreError(f"Cannot read dbt's as-of view in {paths.duckdb_path}: {exc}") from exc


def expected_served(row: dict[str, object], layout: Layout) -> dict[str, str]:
    """What the client must return for one row of dbt's as-of view, in reference formatting."""
    expected = {CONTRACT_FIELD: CONTRACT, FEATURE_DATE_FIELD: format_value(row["feature_date"]) or ""}
    for spec in layout.fields:
        text = format_value(row.get(spec.name))
        if text is not None:
            expected[spec.name] = text
    return expected


def compare_served(
    result: VerifyResult,
    rows: list[dict[str, object]],
    as_of_rows: dict[str, dict[str, object]],
    layout: Layout,
    url: str,
) -> None:
    """Client values (as of the store's date) vs dbt's as-of view, field by field."""
    ids = [str(row["profile_id"]) for row in rows]
    with OnlineStoreClient(url, prefix=layout.prefix) as client:
        served = client.read(ids, as_of=result.feature_date).profiles
    for pid in ids:
        result.checked += 1
        actual_row = served.get(pid)
        expected_row = as_of_rows.get(pid)
        if actual_row is None or expected_row is None:
            result.differences.append(
                Difference(pid, "*", "present" if expected_row else "absent from dbt's as-of view",
                           None if actual_row is None else "present")
            )
            continue
        expected = expected_served(expected_row, layout)
        actual = {
            name: text
            for name, value in actual_row.items()
            if name != "_source_feature_date" and (text := format_value(value)) is not None
        }
        for name in sorted(set(expected) | set(actual)):
            result.fields_checked += 1
            if expected.get(name) != actual.get(name):
                result.differences.append(Difference(pid, name, expected.get(name), actual.get(name)))


def compare_stored(
    result: VerifyResult, rows: list[dict[str, object]], client: object, layout: Layout
) -> None:
    """HGETALL vs the rows the sync loads, byte for byte (warehouses without dbt's as-of view)."""
    pipe = client.pipeline(transaction=False)  # type: ignore[attr-defined]
    for row in rows:
        pipe.hgetall(layout.profile_key(str(row["profile_id"])))
    for row, reply in zip(rows, pipe.execute(), strict=True):
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
