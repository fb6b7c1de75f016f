"""The sync on a real dbt build of generated Gold data (deleted, dormant and reactivating profiles, real
NULLs, the real publish gate), then on the next day's incremental build: the incremental sync ends exactly
where a full sync of the same warehouse ends. Then the read path: the client and `featurestore get` return,
for every feature of every live profile, exactly dbt's as-of view (`profile_features_as_of`) for the store's
date and for a later date, also after a plan change that created no feature-log row."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from featurestore.env import temporary_environment
from featurestore.generator import GeneratorConfig, append_day, generate
from featurestore.online.asof import DAY_COUNTS, AsOfError, bring_forward
from featurestore.online.client import OnlineStoreClient
from featurestore.online.commands import online_app
from featurestore.online.layout import Layout, format_value
from featurestore.online.server import RedisServer, free_port
from featurestore.online.sync import run_sync
from featurestore.online.verify import run_verify
from featurestore.paths import ProjectPaths
from tests.online.conftest import PROJECT_DIR
from tests.support.dbt import DbtHarness, point_in_time
from tests.support.serve import feature_server


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> DbtHarness:
    built = DbtHarness(tmp_path_factory.mktemp("dbt-online"))
    generate(GeneratorConfig(out_dir=built.raw_dir, profiles=400, days=20, seed=5))
    outcome = built.build()
    assert outcome.success, outcome.text
    return built


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[tuple[RedisServer, RedisServer]]:
    a, b = RedisServer(tmp_path / "a", free_port()), RedisServer(tmp_path / "b", free_port())
    a.start()
    b.start()
    yield a, b
    a.stop(save=False)
    b.stop(save=False)


def env(harness: DbtHarness, server: RedisServer) -> dict[str, str]:
    return {
        "DUCKDB_PATH": str(harness.duckdb_path),
        "DBT_TARGET_PATH": str(harness.root / "target"),
        "RAW_DATA_DIR": str(harness.raw_dir),
        "REDIS_URL": server.url,
        "FS_PREFIX": "fs:v1",
        "FS_TTL_DAYS": "120",
    }


def dump(server: RedisServer) -> dict[bytes, dict[bytes, bytes]]:
    client = server.client()
    return {key: client.hgetall(key) for key in client.scan_iter(match="fs:v1:profile:*", count=1000)}


def test_full_then_incremental_sync_on_a_real_build(
    harness: DbtHarness, servers: tuple[RedisServer, RedisServer]
) -> None:
    incremental, reference = servers
    paths = ProjectPaths(PROJECT_DIR)
    layout = Layout.from_catalog("fs:v1", PROJECT_DIR)
    live = harness.query(
        "select count(*) from main_marts.profile_features_latest as l "
        "where coalesce(l.last_play_date, l.profile_created_date) + 120 > l.feature_date"
    )[0][0]
    with temporary_environment(env(harness, incremental)):
        first = run_sync(paths)
        check = run_verify(paths, sample=100_000)
    assert first.plan.mode == "full" and first.written == live
    assert check.ok and check.checked == live, [d.describe() for d in check.differences[:5]]

    append_day(harness.raw_dir)
    outcome = harness.build()
    assert outcome.success, outcome.text
    with temporary_environment(env(harness, incremental)):
        second = run_sync(paths)
        check = run_verify(paths, sample=100_000)
    assert second.plan.mode == "incremental"
    assert second.plan.feature_date > first.plan.feature_date
    assert 0 < second.written < first.written  # activity, not the profile base
    assert check.ok, [d.describe() for d in check.differences[:5]]

    with temporary_environment(env(harness, reference)):
        clean = run_sync(paths, full=True)
    assert clean.written == len(dump(incremental))
    assert dump(incremental) == dump(reference)
    meta_a = incremental.client().hgetall(layout.meta_key)
    meta_b = reference.client().hgetall(layout.meta_key)
    assert meta_a[b"feature_date"] == meta_b[b"feature_date"] and meta_a[b"schema"] == meta_b[b"schema"]


CALENDAR = (*DAY_COUNTS, "lifecycle_stage", "is_reactivated_7d")


def test_readers_bring_calendar_features_forward_like_dbt(
    harness: DbtHarness, servers: tuple[RedisServer, RedisServer]
) -> None:
    """Redis stores one anchor date; the other four are `_feature_date` minus a day-count feature of the same
    row. asof.bring_forward, applied to what the client reads, gives the six calendar features exactly as
    dbt's own as-of view (`profile_features_latest`, the lifecycle_day_counts macro) does at N."""
    server, _ = servers
    paths = ProjectPaths(PROJECT_DIR)
    mismatched = harness.query(
        "select count(*) from main_marts.profile_features where "
        "(feature_date - profile_tenure_days) is distinct from profile_created_date "
        "or (feature_date - account_tenure_days) is distinct from account_signup_date "
        "or (feature_date - days_since_first_play) is distinct from first_play_date "
        "or (feature_date - days_since_last_play) is distinct from last_play_date"
    )[0][0]
    assert mismatched == 0
    with temporary_environment(env(harness, server)):
        synced = run_sync(paths, full=True)
    newest = synced.plan.feature_date
    expected = {
        row[0]: dict(zip(CALENDAR, row[1:], strict=True))
        for row in harness.query(
            f"select profile_id, {', '.join(CALENDAR)} from main_marts.profile_features_latest"
        )
    }
    with OnlineStoreClient(server.url, prefix="fs:v1") as client:
        rows = client.get_stored_many(sorted(expected))
    brought = {
        pid: {name: bring_forward(row, newest).get(name) for name in CALENDAR}
        for pid, row in rows.items()
        if row is not None
    }
    assert len(brought) == synced.written > 0
    assert any(row["_feature_date"] < newest for row in rows.values() if row)  # some do move forward
    assert brought == {pid: expected[pid] for pid in brought}


# --- the read path: client, CLI and verify against dbt's as-of view ----------------------------------------


def as_text(row: dict[str, Any], names: list[str]) -> dict[str, str]:
    """The values of `names` in the contract's formatting; NULL (or no key) left out."""
    return {name: text for name in names if (text := format_value(row.get(name))) is not None}


def served_names(layout: Layout) -> list[str]:
    return [f.name for f in layout.fields]  # the 62 features and last_reactivation_date


def as_of_view(harness: DbtHarness, as_of: date) -> dict[str, dict[str, Any]]:
    """dbt's `profile_features_as_of(as_of)`, compiled by dbt from the project's macro (every profile)."""
    requests = (
        f"(select profile_id, date '{as_of.isoformat()}' as as_of_date from main_staging.stg_gold__profiles)"
    )
    return {str(row["profile_id"]): row for row in point_in_time(harness, requests, "as_of_date")}


def live_ids(server: RedisServer) -> list[str]:
    return sorted(key.decode().rsplit(":", 1)[1] for key in dump(server))


def test_client_and_cli_serve_dbt_as_of_view_for_every_live_profile(
    harness: DbtHarness, servers: tuple[RedisServer, RedisServer]
) -> None:
    server, _ = servers
    paths = ProjectPaths(PROJECT_DIR)
    layout = Layout.from_catalog("fs:v1", PROJECT_DIR)
    names = served_names(layout)
    with temporary_environment(env(harness, server)):
        synced = run_sync(paths, full=True)
    store_date = synced.plan.feature_date
    view = as_of_view(harness, store_date)
    ids = live_ids(server)
    assert len(ids) == synced.written > 100
    # the same as what `profile_features_latest` (dbt's view at the newest date) holds
    latest = {r[0] for r in harness.query("select profile_id from main_marts.profile_features_latest")}
    assert set(ids) <= latest and set(ids) <= set(view)

    with OnlineStoreClient(server.url, prefix="fs:v1") as client:
        reading = client.read(ids)
        stored = client.get_stored_many(ids)
    assert reading.feature_date == store_date
    moved = [pid for pid in ids if stored[pid]["_feature_date"] < store_date]  # type: ignore[index]
    assert len(moved) > len(ids) // 4  # many rows are older than the store's date: they must move
    served = {pid: as_text(row, names) for pid, row in reading.profiles.items() if row is not None}
    expected = {pid: as_text(view[pid], names) for pid in ids}
    assert served == expected
    for pid in ids:  # the as-of date of the values, and the stored row they come from
        row = reading.profiles[pid]
        assert row is not None and row["_feature_date"] == store_date
        assert row["_source_feature_date"] == view[pid]["source_feature_date"]

    # the CLI: every live profile in one `featurestore get --json`
    outcome = CliRunner().invoke(online_app, ["get", *ids, "--json"], env=env(harness, server))
    assert outcome.exit_code == 0, outcome.output
    printed = json.loads(outcome.stdout)
    assert {pid: as_text(row, names) for pid, row in printed.items()} == expected
    assert {row["_feature_date"] for row in printed.values()} == {store_date.isoformat()}

    # verify compares the client's values with dbt's as-of view; a wrong stored day count is caught
    with temporary_environment(env(harness, server)):
        check = run_verify(paths, sample=100_000)
    assert check.ok and check.mode == "as-of view" and check.checked == len(ids), [
        d.describe() for d in check.differences[:5]
    ]
    victim = moved[0]
    key = layout.profile_key(victim)
    server.client().hset(key, "days_since_last_play", "1")  # as if the stored row were not brought forward
    with temporary_environment(env(harness, server)):
        check = run_verify(paths, sample=100_000)
    assert not check.ok and {d.profile_id for d in check.differences} == {victim}
    assert {d.field for d in check.differences} <= {"days_since_last_play", "lifecycle_stage"}


def test_http_server_serves_dbt_as_of_view_for_every_live_profile(
    harness: DbtHarness, servers: tuple[RedisServer, RedisServer], tmp_path: Path
) -> None:
    """`featurestore serve` (a real server process) answers every live profile with exactly dbt's as-of view
    for the store's date and for a later date, every feature typed (JSON numbers, booleans, strings)."""
    server, _ = servers
    paths = ProjectPaths(PROJECT_DIR)
    layout = Layout.from_catalog("fs:v1", PROJECT_DIR)
    names = [f.name for f in layout.features]  # the 62 features
    with temporary_environment(env(harness, server)):
        synced = run_sync(paths, full=True)
    store_date = synced.plan.feature_date
    later = store_date + timedelta(days=9)
    ids = live_ids(server)
    views = {store_date: as_of_view(harness, store_date), later: as_of_view(harness, later)}
    types = {f.name: f.type for f in layout.features}
    python_type = {"int": int, "double": float, "boolean": bool, "string": str}
    with feature_server(env(harness, server), tmp_path / "serve.log") as http:
        for as_of, view in views.items():
            served: dict[str, Any] = {}
            for start in range(0, len(ids), 150):
                answer = http.call(
                    "/v1/features", {"profile_ids": ids[start : start + 150], "as_of": as_of.isoformat()}
                )
                assert answer.status == 200, answer.body
                assert answer.json()["feature_date"] == as_of.isoformat()
                served.update(answer.json()["profiles"])
            assert set(served) == set(ids)
            for pid in ids:
                values = served[pid]
                assert set(values) == set(names)
                for name, value in values.items():  # JSON types are the catalog's
                    assert value is None or type(value) is python_type[types[name]], (pid, name, value)
                assert as_text(values, names) == as_text(view[pid], names), pid
        one = http.call(f"/v1/features/{ids[0]}")
        assert one.status == 200
        assert as_text(one.json()["profiles"][ids[0]], names) == as_text(views[store_date][ids[0]], names)


def test_client_as_of_a_later_date_equals_dbt_as_of_that_date(
    harness: DbtHarness, servers: tuple[RedisServer, RedisServer]
) -> None:
    server, _ = servers
    paths = ProjectPaths(PROJECT_DIR)
    layout = Layout.from_catalog("fs:v1", PROJECT_DIR)
    names = served_names(layout)
    with temporary_environment(env(harness, server)):
        synced = run_sync(paths, full=True)
    later = synced.plan.feature_date + timedelta(days=9)
    view = as_of_view(harness, later)  # the warehouse knows nothing after N: dbt brings rows forward too
    ids = live_ids(server)
    with OnlineStoreClient(server.url, prefix="fs:v1") as client:
        served = client.get_many(ids, as_of=later)
        with pytest.raises(AsOfError, match="before the online store's feature date"):
            client.get_many(ids[:1], as_of=synced.plan.feature_date - timedelta(days=1))
    assert {pid: as_text(row, names) for pid, row in served.items() if row} == {
        pid: as_text(view[pid], names) for pid in ids
    }
    outcome = CliRunner().invoke(
        online_app, ["get", ids[0], "--as-of", "2020-01-01"], env=env(harness, server)
    )
    assert outcome.exit_code == 2 and "before the online store's feature date" in outcome.output
    assert "Traceback" not in outcome.output
    outcome = CliRunner().invoke(online_app, ["get", ids[0], "--as-of", "tomorrow"], env=env(harness, server))
    assert outcome.exit_code == 2 and "--as-of must be a date YYYY-MM-DD" in outcome.output


def test_a_plan_change_without_a_feature_row_is_served_after_an_incremental_sync(
    harness: DbtHarness, servers: tuple[RedisServer, RedisServer]
) -> None:
    """A plan change creates no feature-log row; dbt's as-of view takes the plan valid on the date. The sync
    writes the plan valid on N and rewrites the profiles of accounts whose plan changed in its window."""
    server, reference = servers
    paths = ProjectPaths(PROJECT_DIR)
    with temporary_environment(env(harness, server)):
        first = run_sync(paths, full=True)
    store_date = first.plan.feature_date
    # an account none of whose profiles has a row in the last week: nothing else would rewrite them
    account, plan = harness.query(
        f"""select l.account_id, any_value(l.plan_tier) from main_marts.profile_features_latest as l
        group by l.account_id
        having max(l.source_feature_date) < date '{store_date.isoformat()}' - 7
            and max(coalesce(l.last_play_date, l.profile_created_date)) + 120
                > date '{store_date.isoformat()}'
        order by 1 limit 1"""
    )[0]
    new_plan = "basic" if plan != "basic" else "premium"
    accounts = sorted((harness.raw_dir / "accounts").glob("*.parquet"))
    assert accounts, "the generator writes accounts/*.parquet"
    changed_at = datetime.combine(store_date - timedelta(days=1), datetime.min.time()) + timedelta(hours=9)
    with duckdb.connect() as con:
        for path in accounts:
            con.execute(
                f"""copy (
                    select * replace (
                        case when account_id = ? then ? else plan_tier end as plan_tier,
                        case when account_id = ? then ?::timestamp else updated_at end as updated_at)
                    from read_parquet('{path}')
                ) to '{path}.new' (format parquet)""",
                [account, new_plan, account, changed_at],
            )
        for path in accounts:
            Path(f"{path}.new").replace(path)
    outcome = harness.build()
    assert outcome.success, outcome.text
    profiles = [
        r[0]
        for r in harness.query(
            f"select profile_id from main_marts.profile_features_latest where account_id = '{account}'"
        )
    ]
    assert profiles and all(
        r[0] == new_plan
        for r in harness.query(
            f"select plan_tier from main_marts.profile_features_latest where account_id = '{account}'"
        )
    )
    with temporary_environment(env(harness, server)):
        second = run_sync(paths)
        check = run_verify(paths, sample=100_000)
    assert second.plan.mode == "incremental"
    with OnlineStoreClient(server.url, prefix="fs:v1") as client:
        served = client.get_many(profiles)
    live = [pid for pid in profiles if served[pid] is not None]
    assert live and all(served[pid]["plan_tier"] == new_plan for pid in live)  # type: ignore[index]
    assert check.ok, [d.describe() for d in check.differences[:5]]
    with temporary_environment(env(harness, reference)):
        run_sync(paths, full=True)
    assert dump(server) == dump(reference)  # incremental == full, plan change included
