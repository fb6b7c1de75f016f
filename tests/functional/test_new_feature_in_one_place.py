"""A new windowed feature, added the way docs/adding-a-feature.md says, in a scratch copy of the project: one
catalog row, one expression in one category mart (the oracle step is this test's own expectation). It must
build, pass the publish gate, carry the right value as of every date (which needs the change set to write a
row on the day old activity leaves its new 14-day window), and reach Redis. And the change set's window edges
are the windows of the catalog, so a window length the change set does not know cannot exist."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import pytest

from featurestore.catalog import catalog_path
from featurestore.env import temporary_environment
from featurestore.generator import GeneratorConfig, generate
from featurestore.online.server import RedisServer, free_port
from featurestore.online.sync import run_sync
from featurestore.paths import ProjectPaths
from tests.support.dbt import PROJECT_DIR, DbtHarness, copy_project

NEW_FEATURE = "watch_minutes_14d"
CATALOG_ROW = [NEW_FEATURE, "watch_behavior", "double", "14d", "Watch minutes in the 14 days ending on D",
               "0 when no plays", "0", "", "", "viewing_events.event_ts|viewing_events.watch_seconds"]
# The mart expression, as the guide shows it: the window total next to its siblings, the feature from it.
TOTAL_ANCHOR = "        coalesce(sum(case when {{ in_last_days(28) }} then watch_seconds end), 0) as watch_seconds_28d,\n"
TOTAL_LINE = "        coalesce(sum(case when {{ in_last_days(14) }} then watch_seconds end), 0) as watch_seconds_14d,\n"
FEATURE_ANCHOR = "        {{ seconds_to_minutes('watch_seconds_28d') }} as watch_minutes_28d,\n"
FEATURE_LINE = "        {{ seconds_to_minutes('watch_seconds_14d') }} as watch_minutes_14d,\n"


def add_feature_the_documented_way(project: Path) -> None:
    with (project / "seeds" / "reference" / "feature_catalog.csv").open("a", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerow(CATALOG_ROW)
    rendered = subprocess.run([sys.executable, str(project / "scripts" / "render_feature_docs.py")],
                              capture_output=True, text=True, cwd=project)
    assert rendered.returncode == 0, rendered.stdout + rendered.stderr
    mart = project / "models" / "marts" / "features" / "features_watch_behavior.sql"
    sql = mart.read_text()
    assert TOTAL_ANCHOR in sql and FEATURE_ANCHOR in sql, "the guide's anchor lines moved: update the guide"
    mart.write_text(sql.replace(TOTAL_ANCHOR, TOTAL_ANCHOR + TOTAL_LINE).replace(FEATURE_ANCHOR,
                                                                                   FEATURE_ANCHOR + FEATURE_LINE))


def expected_as_of(plays: dict[str, dict[date, int]], profile_id: str, as_of: date) -> float:
    """Watch minutes of the 14 days ending on `as_of`, from the day totals of valid plays."""
    days = plays.get(profile_id, {})
    return sum(days.get(as_of - timedelta(days=k), 0) for k in range(14)) / 60.0


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> DbtHarness:
    root = tmp_path_factory.mktemp("new-feature")
    project = copy_project(root / "project")
    add_feature_the_documented_way(project)
    harness = DbtHarness(root, project_dir=project)
    generate(GeneratorConfig(out_dir=harness.raw_dir, profiles=150, days=45, seed=23))
    outcome = harness.build()
    assert outcome.success, outcome.text
    return harness


def test_the_new_feature_builds_publishes_and_is_right_as_of_every_date(scratch: DbtHarness) -> None:
    gate = scratch.query("select count(*) from main_marts.dq_publish_gate_findings where status = 'error'")
    assert gate == [(0,)]
    day_seconds: dict[str, dict[date, int]] = defaultdict(dict)
    for profile_id, event_date, seconds in scratch.query(
        "select profile_id, event_date, sum(watch_seconds) from main_staging.stg_gold__viewing_events "
        "group by profile_id, event_date"
    ):
        day_seconds[profile_id][event_date] = int(seconds)
    log: dict[str, list[tuple[date, float]]] = defaultdict(list)
    for profile_id, feature_date, value in scratch.query(
        f"select profile_id, feature_date, {NEW_FEATURE} from main_marts.profile_features order by feature_date"
    ):
        log[profile_id].append((feature_date, value))
    first, last = scratch.query("select min(feature_date), max(feature_date) from main_marts.profile_features")[0]
    lifetimes = {profile_id: (created, deleted) for profile_id, created, deleted in scratch.query(
        "select profile_id, created_date, deleted_date from main_staging.stg_gold__profiles")}

    checked, wrong = 0, []
    day = first
    while day <= last:
        for profile_id, rows in log.items():
            created, deleted = lifetimes[profile_id]
            stored = [value for feature_date, value in rows if feature_date <= day]
            if not stored or created > day or (deleted is not None and deleted <= day):
                continue
            expected = expected_as_of(day_seconds, profile_id, day)
            checked += 1
            if abs(stored[-1] - expected) > 1e-9 * max(1.0, abs(expected)):
                wrong.append((profile_id, day, stored[-1], expected))
        day += timedelta(days=1)
    assert checked > 1000
    assert not wrong, f"{len(wrong)} of {checked} as-of values wrong, e.g. {wrong[:3]}"


def test_the_new_feature_reaches_redis(scratch: DbtHarness, tmp_path: Path) -> None:
    server = RedisServer(tmp_path / "redis", free_port())
    server.start()
    try:
        env = {**scratch._env(), "REDIS_URL": server.url, "FS_PREFIX": "fs:v1", "FS_PROJECT_DIR": str(scratch.project_dir)}
        with temporary_environment(env):
            result = run_sync(ProjectPaths(scratch.project_dir))
        assert result.written > 0
        latest = dict(scratch.query(f"select profile_id, {NEW_FEATURE} from main_marts.profile_features_latest"))
        client = server.client()
        stored = {key.decode().rsplit(":", 1)[1]: client.hget(key, NEW_FEATURE)
                  for key in client.scan_iter(match="fs:v1:profile:*", count=1000)}
        assert len(stored) == result.written
        assert all(value is not None for value in stored.values())
        for profile_id, value in stored.items():
            assert float(value) == pytest.approx(latest[profile_id], rel=1e-12, abs=1e-12)
    finally:
        server.stop(save=False)


def cataloged_window_lengths() -> set[int]:
    """Every window length of the catalog in days, read independently of the dbt macro."""
    lengths = set()
    with catalog_path(PROJECT_DIR).open(newline="") as handle:
        for row in csv.DictReader(handle):
            for part in row["window"].split("/"):
                if re.fullmatch(r"\d+d", part.strip()) and row["feature_name"] != "watch_minutes_1d":
                    lengths.add(int(part.strip()[:-1]))
    return lengths


def test_every_cataloged_window_has_an_edge_in_the_change_set(small_published: DbtHarness) -> None:
    compiled = next((small_published.root / "target" / "compiled").rglob("int_profile_feature_dates.sql")).read_text()
    edges = {int(days) for days in re.findall(r"select (\d+) as days_after", compiled)}
    assert 0 in edges
    missing = cataloged_window_lengths() - edges
    assert not missing, f"cataloged windows without a change-set edge: {sorted(missing)} days"
    assert cataloged_window_lengths() >= {7, 28, 90}
