"""The Python client, the local Redis commands, and a sync that starts the local Redis by itself."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
import redis
from typer.testing import CliRunner

from featurestore.online import synthetic
from featurestore.online.client import OnlineStoreClient, redact
from featurestore.online.commands import online_app
from featurestore.online.server import free_port
from tests.online.conftest import PASSWORD, PROJECT_DIR, Store, day

runner = CliRunner()


def seed(store: Store, profiles: int = 20) -> None:
    with store.connect() as con:
        synthetic.insert_profiles(con, 0, profiles, created=day(-400))
        synthetic.insert_rows(con, store.layout, day(0), 0, profiles, last_play_days_ago=1)
    store.sql(
        f"update {synthetic.FEATURES_TABLE} set plays_7d = 7, watch_minutes_7d = 12.5, "
        "top_genre_28d = 'kids', "
        "is_kids_profile = true, thumbs_up_ratio_90d = null, last_reactivation_date = date '2026-08-30' "
        "where profile_id = 'p-0000001'"
    )


def test_get_many_returns_typed_values_and_none_for_missing(store: Store) -> None:
    seed(store)
    store.sync()
    with OnlineStoreClient(store.server.url) as client:
        rows = client.get_many(["p-0000001", "p-0000002", "p-unknown", "p-0000001"])
        meta = client.meta()
    assert list(rows) == ["p-0000001", "p-0000002", "p-unknown"]
    assert rows["p-unknown"] is None
    one = rows["p-0000001"]
    assert one is not None
    assert one["plays_7d"] == 7 and isinstance(one["plays_7d"], int)
    assert one["watch_minutes_7d"] == 12.5
    assert one["top_genre_28d"] == "kids"
    assert one["is_kids_profile"] is True
    assert "thumbs_up_ratio_90d" not in one  # NULL: no field
    assert one["_feature_date"] == day(0) and one["_contract"] == "v1"
    assert one["last_reactivation_date"] == date(2026, 8, 30)
    # the anchors a day-count feature gives back are not stored (asof.bring_forward derives them)
    assert not {"last_play_date", "first_play_date", "profile_created_date", "account_signup_date"} & set(one)
    assert meta is not None and meta.feature_date == day(0) and meta.features == 62 and meta.profiles == 20
    assert meta.types["household_watch_share_28d"] == "double"


def test_client_one_round_trip_and_empty_store(store: Store) -> None:
    with OnlineStoreClient(store.server.url) as client:
        assert client.meta() is None
        assert client.get_many([]) == {}
        assert client.get_many(["p-0000001"]) == {"p-0000001": None}
        watcher = store.redis

        def hgetall_calls() -> int:
            return int(watcher.info("commandstats").get("cmdstat_hgetall", {}).get("calls", 0))

        before = hgetall_calls()
        client.get_many([f"p-{n:07d}" for n in range(100)])
        # 100 HGETALL pipelined, plus meta in the same pipeline: none yet (no sync), so it is read every time
        assert hgetall_calls() - before == 101


def test_client_with_password(store: Store, redis_server_with_password: object) -> None:
    url = redis_server_with_password.url  # type: ignore[attr-defined]
    with OnlineStoreClient(url, prefix="x") as client:
        assert client.get("p-1") is None
    assert PASSWORD not in redact(url) and "***" in redact(url)


def test_local_redis_commands_and_sync_without_redis_url(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """REDIS_URL unset: sync starts the project's own redis-server (data/redis) and uses it."""
    seed(store, 5)
    project = tmp_path / "project"
    (project / "seeds" / "reference").mkdir(parents=True)
    shutil.copy(PROJECT_DIR / "seeds" / "reference" / "feature_catalog.csv", project / "seeds" / "reference")
    shutil.copy(PROJECT_DIR / "dbt_project.yml", project)
    port = free_port()
    env = {**store.env(), "FS_PROJECT_DIR": str(project), "FS_REDIS_PORT": str(port)}
    env.pop("REDIS_URL")
    monkeypatch.delenv("REDIS_URL")
    try:
        outcome = runner.invoke(online_app, ["redis", "status"], env=env)
        assert outcome.exit_code == 1 and "not running" in outcome.output

        outcome = runner.invoke(online_app, ["sync"], env=env)
        assert outcome.exit_code == 0, outcome.output
        assert (project / "data" / "redis" / "redis.pid").is_file()

        outcome = runner.invoke(online_app, ["redis", "status"], env=env)
        assert outcome.exit_code == 0, outcome.output
        assert f"127.0.0.1:{port}" in outcome.output and "serving feature date 2026-09-01" in outcome.output

        outcome = runner.invoke(online_app, ["redis", "start"], env=env)
        assert "already running" in outcome.output

        outcome = runner.invoke(online_app, ["get", "p-0000001", "--json"], env=env)
        assert outcome.exit_code == 0 and '"plays_7d": 7' in outcome.stdout

        outcome = runner.invoke(online_app, ["redis", "stop"], env=env)
        assert outcome.exit_code == 0 and "stopped" in outcome.output
        assert (project / "data" / "redis" / "dump.rdb").is_file()

        # the snapshot written at stop comes back on the next start: meta and profiles together
        outcome = runner.invoke(online_app, ["redis", "start"], env=env)
        assert outcome.exit_code == 0 and "started" in outcome.output
        outcome = runner.invoke(online_app, ["get", "p-0000001", "--json"], env=env)
        assert '"plays_7d": 7' in outcome.stdout
    finally:
        runner.invoke(online_app, ["redis", "stop"], env=env)


def test_client_retries_a_dropped_connection_and_never_reuses_a_broken_one(store: Store) -> None:
    seed(store, 5)
    store.sync()
    with OnlineStoreClient(store.server.url) as client:
        assert client.get("p-0000001") is not None
        # the server closes every client connection but the test's own: the pooled one is dead
        assert store.redis.client_kill_filter(_type="normal", skipme=True) >= 1
        one = client.get("p-0000001")
        assert one is not None and one["plays_7d"] == 7
        # an error reply in the middle of a batch: raised, and the replies left unread are not served to the
        # next call (its connection is closed, not returned to the pool as it is)
        store.redis.set(store.layout.profile_key("p-wrongtype"), "x")
        with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
            client.get_many(["p-0000001", "p-wrongtype", "p-0000002"])
        after = client.get_many(["p-0000002", "p-0000003"])
        assert after["p-0000002"] is not None and after["p-0000003"] is not None
        assert after["p-0000002"]["_contract"] == "v1"
