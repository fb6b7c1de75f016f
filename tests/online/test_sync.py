"""`featurestore sync` on small synthetic warehouses, against a real redis-server."""

from __future__ import annotations

import json

import pytest
import redis
from typer.testing import CliRunner

from featurestore.online import OnlineStoreError, synthetic
from featurestore.online.commands import online_app
from featurestore.online.layout import CONTRACT_FIELD, FEATURE_DATE_FIELD
from featurestore.online.sync import lookback_days
from featurestore.online.verify import expected_hash, run_verify
from tests.online.conftest import PASSWORD, Store, day

runner = CliRunner()


def pid(n: int) -> str:
    return synthetic.profile_id(n)


def rows_of(store: Store, profile: str) -> dict[str, object]:
    """The profile's latest row in the warehouse, as a dict."""
    with store.connect() as con:
        cursor = con.execute(
            f"select * from {synthetic.FEATURES_TABLE} where profile_id = ? "
            "order by feature_date desc limit 1",
            [profile],
        )
        names = [d[0] for d in cursor.description]
        return dict(zip(names, cursor.fetchone(), strict=True))


def seed_base(store: Store, profiles: int = 200, played_days_ago: int = 1) -> None:
    with store.connect() as con:
        synthetic.insert_profiles(con, 0, profiles, created=day(-400))
        synthetic.insert_rows(con, store.layout, day(0), 0, profiles, last_play_days_ago=played_days_ago)


def add_rows(store: Store, feature_day: int, first: int, count: int, seed: int = 1) -> None:
    with store.connect() as con:
        synthetic.insert_rows(
            con, store.layout, day(feature_day), first, count, seed=seed, last_play_days_ago=0
        )


def cmdstat(server_redis: redis.Redis, command: str) -> int:
    stats = server_redis.info("commandstats").get(f"cmdstat_{command}")
    return int(stats["calls"]) if stats else 0


def test_full_sync_loads_every_live_profile_exactly(store: Store) -> None:
    seed_base(store, 200)
    add_rows(store, 2, 0, 50)

    result = store.sync()

    assert result.plan.mode == "full" and result.plan.feature_date == day(2)
    assert result.written == 200
    assert store.redis.dbsize() == 201  # + meta
    assert store.profile(pid(0)) == expected_hash(rows_of(store, pid(0)), store.layout)
    assert store.profile(pid(0))[FEATURE_DATE_FIELD] == day(2).isoformat()
    assert store.profile(pid(150))[FEATURE_DATE_FIELD] == day(0).isoformat()
    assert store.profile(pid(150))[CONTRACT_FIELD] == "v1"
    check = run_verify(store.paths, sample=10_000)
    assert check.ok, [d.describe() for d in check.differences[:5]]
    assert check.checked == 200

    meta = store.redis.hgetall("fs:v1:meta")
    assert meta["feature_date"] == day(2).isoformat()
    assert meta["profiles"] == "200" and meta["features"] == "62"
    schema = json.loads(meta["schema"])
    assert [e["name"] for e in schema[:62]] == [f.name for f in store.layout.features]
    assert {"name": "plays_7d", "type": "int", "category": "watch_behavior"} in schema
    assert meta["loaded_at"].endswith("+00:00")


def test_incremental_sync_writes_only_changed_profiles(store: Store) -> None:
    seed_base(store, 300)
    for k in range(1, 6):  # day k: profiles 10k .. 10k+9
        add_rows(store, k, 10 * k, 10)
    assert store.sync().written == 300  # full: meta.feature_date = day 5
    untouched = pid(250)  # latest row on day 0
    store.redis.hset(store.layout.profile_key(untouched), "plays_7d", "tampered")
    add_rows(store, 6, 200, 10)
    hset_before, exec_before = cmdstat(store.redis, "hset"), cmdstat(store.redis, "exec")

    result = store.sync()

    lookback = lookback_days(store.paths)
    assert result.plan.mode == "incremental" and result.plan.previous_date == day(5)
    assert result.plan.resync_from == day(5 - lookback)
    # rows dated day 5 - lookback .. day 5 (dbt may have rewritten them) plus the new day 6
    expected = 10 * len(range(max(1, 5 - lookback), 6)) + 10
    assert result.written == expected
    assert cmdstat(store.redis, "hset") - hset_before == expected + 1  # + meta
    assert cmdstat(store.redis, "exec") - exec_before == expected
    assert store.profile(untouched)["plays_7d"] == "tampered"  # not rewritten
    assert store.profile(pid(205))[FEATURE_DATE_FIELD] == day(6).isoformat()
    assert store.redis.hget("fs:v1:meta", "feature_date") == day(6).isoformat()
    assert store.redis.hget("fs:v1:meta", "profiles") == str(expected)


def test_a_feature_that_becomes_null_disappears(store: Store) -> None:
    seed_base(store, 20)
    store.sql(
        f"update {synthetic.FEATURES_TABLE} set top_genre_28d = 'drama', plays_7d = 4 where profile_id = ?",
        [pid(3)],
    )
    store.sync()
    assert store.profile(pid(3))["top_genre_28d"] == "drama"
    add_rows(store, 1, 3, 1)
    store.sql(
        f"update {synthetic.FEATURES_TABLE} set top_genre_28d = null, plays_7d = 5 "
        "where profile_id = ? and feature_date = ?",
        [pid(3), day(1)],
    )

    store.sync()

    hash_now = store.profile(pid(3))
    assert "top_genre_28d" not in hash_now
    assert hash_now["plays_7d"] == "5" and hash_now[FEATURE_DATE_FIELD] == day(1).isoformat()
    assert hash_now == expected_hash(rows_of(store, pid(3)), store.layout)


def test_deleted_profiles_are_removed(store: Store) -> None:
    seed_base(store, 30)
    store.sync()
    with store.connect() as con:
        synthetic.delete_profiles(con, [pid(5)], day(1))
    add_rows(store, 1, 10, 3)

    result = store.sync()

    assert result.deleted == 1
    assert not store.redis.exists(store.layout.profile_key(pid(5)))
    assert store.redis.exists(store.layout.profile_key(pid(6)))
    assert run_verify(store.paths, sample=100).ok


def test_full_sync_removes_strays_but_not_other_prefixes(store: Store) -> None:
    seed_base(store, 10)
    store.redis.hset(store.layout.profile_key("p-ghost"), "plays_7d", "1")
    store.redis.hset("other:profile:p-0000001", "x", "1")
    result = store.sync(full=True)
    assert result.strays == 1
    assert not store.redis.exists(store.layout.profile_key("p-ghost"))
    assert store.redis.hget("other:profile:p-0000001", "x") == "1"


def test_dormant_profiles_expire(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FS_TTL_DAYS", "30")
    seed_base(store, 10, played_days_ago=2)  # anchors: day -2 -> remaining 28 days at day 0
    store.sql(
        f"update {synthetic.FEATURES_TABLE} set last_play_date = ? where profile_id = ?", [day(-10), pid(1)]
    )
    store.sql(
        f"update {synthetic.FEATURES_TABLE} set last_play_date = ? where profile_id = ?", [day(-31), pid(2)]
    )
    store.sql(
        f"update {synthetic.FEATURES_TABLE} set last_play_date = null, profile_created_date = ? "
        "where profile_id = ?",
        [day(-5), pid(3)],
    )
    store.redis.hset(store.layout.profile_key(pid(2)), "plays_7d", "stale")  # from an older load

    result = store.sync()

    ttl = store.redis.ttl
    assert 20 * 86400 - 60 <= ttl(store.layout.profile_key(pid(1))) <= 20 * 86400  # day -10 + 30 - day 0
    assert 25 * 86400 - 60 <= ttl(store.layout.profile_key(pid(3))) <= 25 * 86400  # never played: created
    assert not store.redis.exists(store.layout.profile_key(pid(2)))  # day -31 + 30 <= day 0: expired
    assert result.expired == 1 and result.written == 9

    # 21 days later only profile 4 played; profile 1 reached its TTL (day 20) in data time, even though its
    # key would live 20 more days of wall-clock time: the sync removes it. (The rows of day 0 are re-written:
    # they are within dbt's lookback of meta.feature_date.)
    add_rows(store, 21, 4, 1)
    result = store.sync()
    assert result.plan.mode == "incremental"
    assert result.expired == 1 and result.written == 8
    assert not store.redis.exists(store.layout.profile_key(pid(1)))
    assert store.redis.exists(store.layout.profile_key(pid(0)))  # day -2 + 30 = day 28: still live
    assert run_verify(store.paths, sample=100).ok


def test_no_ttl_when_disabled(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FS_TTL_DAYS", "0")
    seed_base(store, 5, played_days_ago=500)
    assert store.sync().written == 5
    assert store.redis.ttl(store.layout.profile_key(pid(0))) == -1


def test_prefix_is_configurable(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FS_PREFIX", "team:fs")
    seed_base(store, 5)
    store.sync()
    assert store.redis.exists("team:fs:profile:p-0000000") and store.redis.exists("team:fs:meta")
    assert not store.redis.exists("fs:v1:meta")


def test_failed_gate_refuses_and_leaves_redis_untouched(store: Store) -> None:
    seed_base(store, 20)
    store.sync()
    watcher = store.redis
    before = (
        watcher.dbsize(),
        watcher.hgetall(store.layout.profile_key(pid(1))),
        watcher.hgetall("fs:v1:meta"),
        int(watcher.info("stats")["total_connections_received"]),
    )
    add_rows(store, 1, 0, 20)
    synthetic.write_run_results(store.target_dir, failed_tests=["test.featurestore.dq_publish_gate_findings"])

    outcome = runner.invoke(online_app, ["sync"], env=store.env())

    assert outcome.exit_code == 1
    assert "test.featurestore.dq_publish_gate_findings" in outcome.output
    assert "Traceback" not in outcome.output
    after = (
        watcher.dbsize(),
        watcher.hgetall(store.layout.profile_key(pid(1))),
        watcher.hgetall("fs:v1:meta"),
        int(watcher.info("stats")["total_connections_received"]),
    )
    assert after == before  # not even a connection


def test_wrong_password_or_unreachable_redis_is_a_clear_error(
    store: Store, redis_server_with_password: object
) -> None:
    seed_base(store, 5)
    server = redis_server_with_password
    good = server.url  # type: ignore[attr-defined]
    for url in (
        good.replace(PASSWORD, "wrong"),
        good.replace(f":{PASSWORD}@", ""),
        f"redis://127.0.0.1:{synthetic_free_port()}/0",
    ):
        outcome = runner.invoke(online_app, ["sync"], env={**store.env(), "REDIS_URL": url})
        assert outcome.exit_code == 2, outcome.output
        assert "error:" in outcome.output and "Traceback" not in outcome.output
        assert PASSWORD not in outcome.output
    assert server.client().dbsize() == 0  # type: ignore[attr-defined]
    outcome = runner.invoke(online_app, ["sync"], env={**store.env(), "REDIS_URL": good})
    assert outcome.exit_code == 0, outcome.output
    assert server.client().dbsize() == 6  # type: ignore[attr-defined]


def synthetic_free_port() -> int:
    from featurestore.online.server import free_port

    return free_port()


def test_dry_run_writes_nothing(store: Store) -> None:
    seed_base(store, 40)
    outcome = runner.invoke(online_app, ["sync", "--dry-run"], env=store.env())
    assert outcome.exit_code == 0, outcome.output
    assert "40 profiles to write" in outcome.output
    assert store.redis.dbsize() == 0


def test_missing_warehouse_or_run_results(store: Store) -> None:
    outcome = runner.invoke(
        online_app, ["sync"], env={**store.env(), "DBT_TARGET_PATH": str(store.root / "none")}
    )
    assert outcome.exit_code == 1 and "run_results.json" in outcome.output
    outcome = runner.invoke(
        online_app, ["sync"], env={**store.env(), "DUCKDB_PATH": str(store.root / "no.duckdb")}
    )
    assert outcome.exit_code == 1 and "No warehouse" in outcome.output
    with pytest.raises(OnlineStoreError, match="empty"):
        store.sync()
    seed_base(store, 5)
    store.sql(f"drop table {synthetic.PROFILES_TABLE}")
    outcome = runner.invoke(online_app, ["sync"], env=store.env())
    assert outcome.exit_code == 1 and "Cannot read the warehouse" in outcome.output
    assert "Traceback" not in outcome.output
    assert store.redis.dbsize() == 0


def test_cli_get_and_verify(store: Store) -> None:
    seed_base(store, 30)
    assert runner.invoke(online_app, ["sync"], env=store.env()).exit_code == 0

    outcome = runner.invoke(online_app, ["get", pid(1), "p-missing", "--json"], env=store.env())
    assert outcome.exit_code == 0, outcome.output
    payload = json.loads(outcome.stdout)
    assert payload["p-missing"] is None
    assert payload[pid(1)]["_feature_date"] == day(0).isoformat()
    assert "missing (1): p-missing" in outcome.stderr

    outcome = runner.invoke(online_app, ["get", pid(1)], env=store.env())
    assert outcome.exit_code == 0 and "plays_7d" in outcome.output

    outcome = runner.invoke(online_app, ["verify", "--sample", "30"], env=store.env())
    assert outcome.exit_code == 0, outcome.output
    assert "OK" in outcome.output

    key = store.layout.profile_key(pid(7))
    store.redis.hset(key, "plays_7d", "12345")
    store.redis.hset(key, "bogus", "1")
    outcome = runner.invoke(online_app, ["verify", "--sample", "30"], env=store.env())
    assert outcome.exit_code == 1
    assert f"{pid(7)}.plays_7d: '12345' served" in outcome.output
    assert f"{pid(7)}.bogus: extra field" in outcome.output
