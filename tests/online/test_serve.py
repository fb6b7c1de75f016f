"""`featurestore serve`, a real server process over a real redis-server: the documented answers (auth, limits,
bad ids and dates), health, metrics, schema and OpenAPI, serving through a sync, and a Redis restart.

Values equal to dbt's as-of view on a real build: tests/online/test_dbt_integration.py."""

from __future__ import annotations

import csv
import subprocess
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from featurestore.online import synthetic
from featurestore.online.client import OnlineStoreClient
from tests.online.conftest import PROJECT_DIR, Store, day
from tests.support.serve import TOKEN, FeatureServer, feature_server, serve_args

PROFILES = 60


def seed(store: Store) -> None:
    """60 profiles with a row on day 0; profiles 0-19 a newer one on day 2 (the store's date): 40 move."""
    with store.connect() as con:
        synthetic.insert_profiles(con, 0, PROFILES, created=day(-400))
        synthetic.insert_rows(con, store.layout, day(0), 0, PROFILES, last_play_days_ago=1)
        synthetic.insert_rows(con, store.layout, day(2), 0, 20, seed=1, last_play_days_ago=0)


def pid(n: int) -> str:
    return synthetic.profile_id(n)


def features_only(row: dict[str, Any] | None, names: list[str]) -> dict[str, Any] | None:
    return None if row is None else {name: row.get(name) for name in names}


@pytest.fixture
def served(store: Store, tmp_path: Path) -> Any:
    seed(store)
    store.sync()
    with feature_server(
        store.env(), tmp_path / "serve.log", "--max-batch", "50", "--max-id-length", "32"
    ) as server:
        yield server


def test_features_single_and_batch_equal_the_client(store: Store, served: FeatureServer) -> None:
    names = [f.name for f in store.layout.features]
    ids = [pid(n) for n in range(0, PROFILES, 3)] + ["p-missing"]
    with OnlineStoreClient(store.server.url) as client:
        expected = client.read(ids)
        later = client.read(ids, as_of=day(9))
    answer = served.call("/v1/features", {"profile_ids": ids})
    assert answer.status == 200 and answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert body["feature_date"] == day(2).isoformat() == expected.feature_date.isoformat()  # type: ignore[union-attr]
    assert body["contract"] == "v1" and list(body["profiles"]) == ids
    assert body["profiles"] == {p: features_only(expected.profiles[p], names) for p in ids}
    assert body["profiles"]["p-missing"] is None
    assert len(body["profiles"][pid(0)]) == 62  # every feature present, NULL as null
    # profile 30's row is from day 0 (in Redis as stored): brought forward two days
    stored = store.profile(pid(30))
    assert stored["_feature_date"] == day(0).isoformat()
    assert body["profiles"][pid(30)]["days_since_last_play"] == int(stored["days_since_last_play"]) + 2
    assert body["profiles"][pid(30)]["profile_tenure_days"] == int(stored["profile_tenure_days"]) + 2
    assert body["profiles"][pid(30)]["watch_minutes_1d"] == 0.0
    assert body["profiles"][pid(30)]["plays_7d"] == int(stored["plays_7d"])  # not calendar-driven

    answer = served.call("/v1/features", {"profile_ids": ids, "as_of": day(9).isoformat()})
    assert answer.status == 200 and answer.json()["feature_date"] == day(9).isoformat()
    assert answer.json()["profiles"] == {p: features_only(later.profiles[p], names) for p in ids}

    one = served.call(f"/v1/features/{pid(30)}")
    assert one.status == 200 and one.json()["profiles"] == {pid(30): body["profiles"][pid(30)]}
    one = served.call(f"/v1/features/{pid(30)}?as_of={day(9).isoformat()}")
    assert one.json()["profiles"][pid(30)]["days_since_last_play"] == int(stored["days_since_last_play"]) + 9
    missing = served.call("/v1/features/p-missing")
    assert missing.status == 404 and missing.json()["profiles"] == {"p-missing": None}


def test_auth_limits_and_bad_input_get_the_documented_4xx(store: Store, served: FeatureServer) -> None:
    def error(answer: Any, status: int, code: str, text: str) -> None:
        assert answer.status == status, answer.body
        body = answer.json()
        assert body["code"] == code and text in body["detail"], body
        assert "\n" not in body["detail"] and "Traceback" not in body["detail"]

    unauthorized = served.call(f"/v1/features/{pid(1)}", token=None)
    error(unauthorized, 401, "unauthorized", "Authorization: Bearer")
    assert unauthorized.headers["www-authenticate"].startswith("Bearer")
    error(
        served.call("/v1/features", {"profile_ids": [pid(1)]}, token="wrong"), 401, "unauthorized", "bearer"
    )
    error(served.call("/v1/schema", token=None), 401, "unauthorized", "bearer")

    error(served.call("/v1/features", raw=b"{not json"), 400, "invalid_json", "not JSON")
    error(served.call("/v1/features", ["p-1"]), 400, "invalid_body", "must be an object")
    error(served.call("/v1/features", {"profile_ids": "p-1"}), 400, "invalid_body", "list of strings")
    error(served.call("/v1/features", {"profile_ids": [1, 2]}), 400, "invalid_body", "list of strings")
    error(served.call("/v1/features", {"ids": ["p-1"]}), 400, "invalid_body", "Unknown field(s) ids")
    error(
        served.call("/v1/features", {"profile_ids": [pid(n) for n in range(51)]}),
        413,
        "batch_too_large",
        "51 profile ids in one request: at most 50",
    )
    assert served.call("/v1/features", {"profile_ids": [pid(n) for n in range(50)]}).status == 200
    # a body no valid batch needs (50 ids x 32 characters, escaped) is refused before it is parsed
    error(
        served.call("/v1/features", raw=b'{"profile_ids": [' + b" " * 20_000 + b"]}"),
        413,
        "body_too_large",
        "at most 10,824",
    )
    # duplicates are answered once (the limit counts the ids sent)
    assert served.call("/v1/features", {"profile_ids": [pid(1)] * 40}).json()["profiles"].keys() == {pid(1)}
    error(
        served.call("/v1/features", {"profile_ids": ["p-" + "9" * 40]}),
        422,
        "invalid_profile_id",
        "at most 32 allowed",
    )
    error(served.call("/v1/features/" + "x" * 33), 422, "invalid_profile_id", "33 characters")
    error(served.call("/v1/features", {"profile_ids": ["p 1"]}), 422, "invalid_profile_id", "whitespace")
    error(served.call("/v1/features", {"profile_ids": [""]}), 422, "invalid_profile_id", "must not be empty")
    error(served.call(f"/v1/features/{pid(1)}?as_of=2026-13-01"), 422, "invalid_as_of", "YYYY-MM-DD")
    error(
        served.call("/v1/features", {"profile_ids": [pid(1)], "as_of": 20260901}),
        422,
        "invalid_as_of",
        "date string",
    )
    too_early = (day(2) - timedelta(days=1)).isoformat()
    error(
        served.call(f"/v1/features/{pid(1)}?as_of={too_early}"),
        422,
        "as_of_too_early",
        "before the online store's feature date 2026-09-03",
    )

    # open routes: health, metrics, OpenAPI
    health = served.call("/health", token=None)
    assert health.status == 200 and health.json()["feature_date"] == day(2).isoformat()
    assert health.json()["status"] == "ok"
    openapi = served.call("/openapi.json", token=None).json()
    assert {"/v1/features/{profile_id}", "/v1/features", "/v1/schema", "/health", "/metrics"} <= set(
        openapi["paths"]
    )
    assert set(openapi["paths"]["/v1/features"]["post"]["responses"]) >= {
        "200",
        "400",
        "401",
        "413",
        "422",
        "503",
    }
    assert served.call("/docs", token=None).status == 200
    text = served.call("/metrics", token=None).body.decode()
    assert 'featurestore_http_requests_total{method="POST",route="/v1/features",status="413"} 2.0' in text
    assert (
        'featurestore_http_requests_total{method="GET",route="/v1/features/{profile_id}",status="401"} 1.0'
        in text
    )
    assert "featurestore_http_request_duration_seconds_bucket" in text
    assert "featurestore_redis_errors_total 0.0" in text

    # the access log: one JSON line per request
    log = served.log.read_text().splitlines()
    assert any('"status":413' in line and '"route":"/v1/features"' in line for line in log)


def test_schema_is_the_feature_catalog(served: FeatureServer) -> None:
    schema = served.call("/v1/schema").json()
    with (PROJECT_DIR / "seeds" / "reference" / "feature_catalog.csv").open(newline="") as handle:
        catalog = list(csv.DictReader(handle))
    assert schema["contract"] == "v1" and schema["feature_date"] == day(2).isoformat()
    assert [(f["name"], f["type"], f["category"], f["definition"]) for f in schema["features"]] == [
        (row["feature_name"], row["data_type"], row["category"], row["definition"]) for row in catalog
    ]
    assert len(schema["features"]) == 62
    assert [f["gold_columns"] for f in schema["features"]] == [row["gold_columns"].split("|") for row in catalog]


def test_no_token_refuses_to_start_and_no_auth_serves_openly(store: Store, tmp_path: Path) -> None:
    seed(store)
    store.sync()
    env = {k: v for k, v in store.env().items() if k != "FS_SERVE_TOKEN"}
    refused = subprocess.run(serve_args("--port", "1"), env=env, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2
    assert "FS_SERVE_TOKEN is not set" in refused.stderr and "--no-auth" in refused.stderr
    assert "Traceback" not in refused.stderr + refused.stdout
    with feature_server(store.env(), tmp_path / "open.log", "--no-auth", token=None) as server:
        assert server.call(f"/v1/features/{pid(1)}", token=None).status == 200
    taken = subprocess.run(
        serve_args("--port", str(store.server.port)),
        env={**env, "FS_SERVE_TOKEN": TOKEN},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert taken.returncode == 2 and "port is taken" in taken.stderr and "Traceback" not in taken.stderr


def test_serves_through_a_sync_without_mixed_profiles(store: Store, served: FeatureServer) -> None:
    """A full sync replaces every profile (new rows on day 3) while readers hammer the batch endpoint: every
    answer is 200 and every profile in it is wholly the old or wholly the new one."""
    names = [f.name for f in store.layout.features]
    ids = [pid(n) for n in range(PROFILES)][:50]
    with OnlineStoreClient(store.server.url) as client:
        before = client.read(ids)
        before_at_3 = client.read(ids, as_of=day(3))
    with store.connect() as con:
        synthetic.insert_rows(con, store.layout, day(3), 0, PROFILES, seed=7, last_play_days_ago=0)
    answers: list[Any] = []
    stop = threading.Event()

    def hammer() -> None:
        while not stop.is_set():
            answers.append(served.call("/v1/features", {"profile_ids": ids}))

    readers = [threading.Thread(target=hammer) for _ in range(3)]
    for thread in readers:
        thread.start()
    try:
        for _ in range(3):
            store.sync(full=True, batch_rows=7)
    finally:
        stop.set()
        for thread in readers:
            thread.join()
    with OnlineStoreClient(store.server.url) as client:
        after = client.read(ids)
    assert after.feature_date == day(3) and len(answers) > 10
    # An answer is as of one date: day 2 (meta's, nothing rewritten yet) or day 3 (meta moved, or the batch
    # holds a profile already rewritten: then the others are their old rows brought forward to day 3).
    old = {day(2).isoformat(): before, day(3).isoformat(): before_at_3}
    for answer in answers:
        assert answer.status == 200, answer.body
        body = answer.json()
        for p, values in body["profiles"].items():
            expected_old = features_only(old[body["feature_date"]].profiles[p], names)
            assert values in (features_only(after.profiles[p], names), expected_old), p
            if body["feature_date"] == day(2).isoformat():
                assert values == expected_old, p  # nothing of day 3 in an answer dated day 2
    assert any(a.json()["feature_date"] == day(3).isoformat() for a in answers)


def test_survives_a_redis_restart(store: Store, served: FeatureServer) -> None:
    first = served.call(f"/v1/features/{pid(5)}")
    assert first.status == 200
    store.server.stop(save=True)  # snapshot on shutdown; the next start loads it
    down = served.call(f"/v1/features/{pid(5)}")
    assert down.status == 503 and down.json()["code"] == "store_unavailable"
    assert "Cannot reach Redis" in down.json()["detail"] and "Retry" in down.json()["detail"]
    assert served.call("/health", token=None).status == 503
    assert served.call("/v1/features", {"profile_ids": [pid(5)]}).status == 503
    store.server.start()
    again = served.call(f"/v1/features/{pid(5)}")
    assert again.status == 200 and again.body == first.body
    assert served.call("/health", token=None).status == 200
    text = served.call("/metrics", token=None).body.decode()
    errors = [line for line in text.splitlines() if line.startswith("featurestore_redis_errors_total ")]
    assert errors and float(errors[0].split()[1]) >= 3
