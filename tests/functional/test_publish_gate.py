"""Write-audit-publish: every class of regression stops the publish and leaves the published tables unchanged.

One realistic history (generated: 1,500 profiles x 35 days) is built and published once; each scenario starts
from a copy of that state, lands the next day with one injected fault (bad data, or a bug in a copy of the
project's SQL), runs the daily `dbt build`, and checks that the gate failed on the right test, that
`profile_features` and `profile_features_latest` are exactly as before, and that `featurestore sync` refuses,
naming the failed test, and leaves a real Redis (loaded from the published state) exactly as it was.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from featurestore.gate import publish_gate
from featurestore.generator import GeneratorConfig, append_day, generate
from featurestore.online.server import RedisServer, free_port
from tests.support.dbt import DbtHarness, DbtOutcome, copy_project

FINGERPRINT = {
    "profile_features": "select count(*), max(feature_date), sum(hash(pf)) from main_marts.profile_features as pf",
    "profile_features_latest": (
        "select count(*), max(feature_date), sum(hash(pl)) from main_marts.profile_features_latest as pl"
    ),
}


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real redis-server for the module (the online store the sync must leave alone)."""
    server = RedisServer(tmp_path_factory.mktemp("redis"), free_port())
    url = server.start()
    yield url
    server.stop(save=False)


@dataclass
class SyncRun:
    returncode: int
    output: str


def sync(harness: DbtHarness, url: str) -> SyncRun:
    """`featurestore sync` in this process (the test process holds the DuckDB file's lock, as dbt does)."""
    from typer.testing import CliRunner

    from featurestore.cli import app

    result = CliRunner().invoke(app, ["sync"], env={**harness._env(), "REDIS_URL": url})
    return SyncRun(result.exit_code, result.output)


def redis_state(url: str) -> dict[str, dict[str, str]]:
    import redis

    client = redis.Redis.from_url(url, decode_responses=True)
    return {key: client.hgetall(key) for key in client.scan_iter(count=1000)}


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> DbtHarness:
    harness = DbtHarness(tmp_path_factory.mktemp("published"))
    generate(GeneratorConfig(out_dir=harness.raw_dir, profiles=1500, days=35, seed=3))
    outcome = harness.build()
    assert outcome.success, outcome.text
    loaded = sync(harness, redis_url)
    assert loaded.returncode == 0, loaded.output
    return harness


def scenario(published: DbtHarness, tmp_path: Path, project_dir: Path | None = None) -> DbtHarness:
    """A copy of the published state (Gold files and warehouse) with the next day landed."""
    harness = DbtHarness(tmp_path / "state", project_dir=project_dir or published.project_dir)
    shutil.copytree(published.raw_dir, harness.raw_dir)
    published.query("force checkpoint")  # fold the write-ahead log into the file before copying it
    shutil.copy(published.duckdb_path, harness.duckdb_path)
    append_day(harness.raw_dir)
    return harness


def fingerprint(harness: DbtHarness) -> dict[str, object]:
    return {name: harness.query(sql) for name, sql in FINGERPRINT.items()}


def newest_day_files(harness: DbtHarness, table: str) -> list[Path]:
    folders = sorted((harness.raw_dir / table).glob("event_date=*"))
    return sorted(folders[-1].glob("*.parquet"))


def assert_blocked(harness: DbtHarness, before: dict[str, object], outcome: DbtOutcome, failed_test: str,
                   redis_url: str) -> None:
    assert not outcome.success, "the build should have failed"
    assert outcome.results is not None
    failed = [n.unique_id for n in outcome.results.failed]
    assert any(failed_test in node for node in failed), f"{failed_test} not among failures: {failed}"
    assert fingerprint(harness) == before, "the published tables changed"
    verdict = publish_gate(outcome.results)
    assert not verdict.passed
    assert failed_test in verdict.explain()

    online_before = redis_state(redis_url)
    assert online_before, "the module's Redis should hold the published profiles"
    refused = sync(harness, redis_url)
    assert refused.returncode != 0
    assert failed_test in "".join(refused.output.split()) or failed_test in " ".join(refused.output.split())
    assert "Traceback" not in refused.output
    assert redis_state(redis_url) == online_before, "Redis changed although the gate failed"


def inject_sql(project: Path, model: str, old: str, new: str) -> None:
    path = next(project.glob(f"models/**/{model}.sql"))
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new))


def test_clean_day_publishes(published: DbtHarness, tmp_path: Path) -> None:
    harness = scenario(published, tmp_path)
    before = fingerprint(harness)
    outcome = harness.build()
    assert outcome.success, outcome.text
    assert publish_gate(outcome.results).passed  # type: ignore[arg-type]
    assert fingerprint(harness) != before


SQL_BUGS: dict[str, tuple[str, str, str, str]] = {
    # name: (model, original text, injected text, test expected to fail)
    "feature_forced_null": (
        "features_watch_behavior", "{{ seconds_to_minutes('watch_seconds_7d') }} as watch_minutes_7d",
        "cast(null as double) as watch_minutes_7d", "not_null_profile_features_candidate_watch_minutes_7d",
    ),
    "share_above_one": (
        "features_watch_behavior", "as weekend_watch_share_28d", "* 2 as weekend_watch_share_28d",
        "expect_column_values_to_be_between_profile_features_candidate_weekend_watch_share_28d",
    ),
    "duplicated_profile_rows": (
        "profile_features_candidate", "select * from final",
        "select * from final union all select * from final where profile_id like '%1'",
        "candidate_one_row_per_profile_and_feature_date",
    ),
    "minutes_become_seconds": (
        "features_watch_behavior", "{{ seconds_to_minutes('watch_seconds_1d') }} as watch_minutes_1d",
        "cast(watch_seconds_1d as double) as watch_minutes_1d", "publish_gate_no_errors",
    ),
}


@pytest.mark.parametrize("bug", sorted(SQL_BUGS))
def test_a_bug_in_the_sql_stops_the_publish(published: DbtHarness, redis_url: str, tmp_path: Path, bug: str) -> None:
    model, old, new, failed_test = SQL_BUGS[bug]
    project = copy_project(tmp_path / "project")
    inject_sql(project, model, old, new)
    harness = scenario(published, tmp_path, project_dir=project)
    before = fingerprint(harness)
    assert_blocked(harness, before, harness.build(), failed_test, redis_url)


def keep_fraction_of_profiles(fraction_percent: int) -> Callable[[DbtHarness], None]:
    def inject(harness: DbtHarness) -> None:
        for path in newest_day_files(harness, "viewing_events"):
            table = pq.read_table(path)
            bucket = pc.cast(pc.utf8_slice_codeunits(table["profile_id"], -2), "int64", safe=False)
            pq.write_table(table.filter(pc.less(pc.if_else(pc.is_null(bucket), 0, bucket), fraction_percent)), path)
    return inject


def duplicate_first_row(table_name: str) -> Callable[[DbtHarness], None]:
    def inject(harness: DbtHarness) -> None:
        import pyarrow as pa

        path = harness.raw_dir / table_name / "part-0.parquet"
        table = pq.read_table(path)
        pq.write_table(pa.concat_tables([table, table.slice(0, 1)]), path)
    return inject


DATA_FAULTS: dict[str, tuple[Callable[[DbtHarness], None], str]] = {
    "half_the_active_profiles": (keep_fraction_of_profiles(50), "publish_gate_no_errors"),
    "duplicate_profile_id": (duplicate_first_row("profiles"), "unique_gold_profiles_profile_id"),
    "duplicate_account_id": (duplicate_first_row("accounts"), "unique_gold_accounts_account_id"),
}


@pytest.mark.parametrize("fault", sorted(DATA_FAULTS))
def test_bad_data_stops_the_publish(published: DbtHarness, redis_url: str, tmp_path: Path, fault: str) -> None:
    inject, failed_test = DATA_FAULTS[fault]
    harness = scenario(published, tmp_path)
    inject(harness)
    before = fingerprint(harness)
    assert_blocked(harness, before, harness.build(), failed_test, redis_url)


def test_a_warn_level_drift_publishes_and_is_reported(published: DbtHarness, tmp_path: Path) -> None:
    harness = scenario(published, tmp_path)
    keep_fraction_of_profiles(70)(harness)  # 70 % of the usual activity: below the warn ratio, above error
    before = fingerprint(harness)
    outcome = harness.build()
    assert outcome.success, outcome.text
    assert outcome.results is not None
    verdict = publish_gate(outcome.results)
    assert verdict.passed
    assert any("publish_gate_warnings" in w for w in verdict.warnings)
    assert fingerprint(harness) != before
    findings = harness.query("select check_name, status from main_marts.dq_publish_gate_findings")
    assert ("active_profiles", "warn") in findings
