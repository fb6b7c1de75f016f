"""Redis Cluster: the same sync, routed per node (one transaction per key, so one slot per transaction)."""

from __future__ import annotations

import subprocess

import pytest
from redis.cluster import RedisCluster

from featurestore.online import synthetic
from featurestore.online.client import OnlineStoreClient
from featurestore.online.server import RedisServer, free_port
from featurestore.online.verify import run_verify
from tests.online.conftest import Store, day
from tests.support.serve import serve_args


def test_sync_get_and_verify_on_a_cluster(
    store: Store, cluster: list[RedisServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = cluster[0].url
    monkeypatch.setenv("REDIS_URL", url)
    with store.connect() as con:
        synthetic.insert_profiles(con, 0, 3000, created=day(-400))
        synthetic.insert_rows(con, store.layout, day(0), 0, 3000, last_play_days_ago=1)
        synthetic.delete_profiles(con, [synthetic.profile_id(9)], day(1))
        synthetic.insert_rows(con, store.layout, day(1), 0, 100, seed=1, last_play_days_ago=0)

    result = store.sync()

    assert result.written == 2999
    per_node = [n.client().dbsize() for n in cluster]
    assert sum(per_node) == 2999 + 1 and all(count > 500 for count in per_node)  # spread over the 3 primaries
    assert run_verify(store.paths, sample=500).ok
    with OnlineStoreClient(url) as client:
        assert isinstance(client.redis, RedisCluster)
        rows = client.get_many(["p-0000001", "p-0000009", "p-0002999"])
    assert rows["p-0000001"] is not None and rows["p-0000001"]["_feature_date"] == day(1)
    assert rows["p-0000009"] is None  # deleted upstream

    with store.connect() as con:
        synthetic.insert_rows(con, store.layout, day(2), 0, 10, seed=2, last_play_days_ago=0)
    result = store.sync()
    assert result.plan.mode == "incremental" and result.written == 99 + 2900  # day 0 rows within lookback
    full = store.sync(full=True)
    assert full.strays == 0 and full.written == 2999

    # the HTTP server reads a standalone Redis: on a cluster it refuses to start, saying so
    refused = subprocess.run(
        serve_args("--no-auth", "--port", str(free_port())),
        env={**store.env(), "REDIS_URL": url},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 2 and "is a Redis Cluster" in refused.stderr
    assert "Traceback" not in refused.stderr
