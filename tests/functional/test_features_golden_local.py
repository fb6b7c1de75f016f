"""Golden test on the embedded default: all 62 features of every live profile on every date of a small
hand-built history equal an independent plain-Python computation (tests/functional/feature_oracle.py)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.functional import golden_cases as golden
from tests.functional.features_compare import FEATURES, differences
from tests.support.dbt import DbtHarness, point_in_time
from tests.support.gold import write_gold


def requests_file(path: Path, pairs: list[tuple[str, object]]) -> Path:
    pq.write_table(pa.table({"profile_id": [p for p, _ in pairs], "as_of_date": [d for _, d in pairs]}), path)
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> DbtHarness:
    harness = DbtHarness(tmp_path_factory.mktemp("golden"), target="local")
    write_gold(harness.raw_dir, golden.gold_tables())
    outcome = harness.build()
    assert outcome.success, outcome.text
    return harness


def test_every_feature_matches_the_oracle_on_every_date(built: DbtHarness) -> None:
    pairs = golden.live_pairs()
    path = requests_file(built.root / "requests.parquet", pairs)
    rows = point_in_time(built, f"read_parquet('{path}')", "as_of_date")
    model = golden.oracle()
    expected = {(p, day): model.features(p, day) for p, day in pairs}
    problems = differences(rows, expected)
    assert not problems, f"{len(problems)} mismatches, first ones:\n" + "\n".join(problems[:40])


def test_published_table_has_the_contract_columns(built: DbtHarness) -> None:
    columns = [r[0] for r in built.query("describe main_marts.profile_features")]
    assert set(FEATURES) <= set(columns)
    assert {"profile_id", "account_id", "feature_date", "feature_contract_version"} <= set(columns)
    versions = built.query("select distinct feature_contract_version from main_marts.profile_features")
    assert versions == [("v1",)]


def test_latest_has_one_row_per_live_profile_as_of_the_last_date(built: DbtHarness) -> None:
    rows = built.query(
        "select profile_id, feature_date, lifecycle_stage from main_marts.profile_features_latest order by 1"
    )
    # p-gone was deleted on 2026-02-15; everyone else is live on 2026-04-12.
    assert [r[0] for r in rows] == ["p-back", "p-idle", "p-kid", "p-main", "p-new"]
    assert {r[1] for r in rows} == {golden.AS_OF}
    assert dict((r[0], r[2]) for r in rows) == {
        "p-back": "active", "p-idle": "lapsed", "p-kid": "active", "p-main": "active", "p-new": "new",
    }


def test_dormant_days_write_no_rows(built: DbtHarness) -> None:
    # p-idle only searched once (2026-03-01): rows at creation/history start, the search and its window exits.
    dates = [r[0] for r in built.query(
        "select feature_date from main_marts.profile_features where profile_id = 'p-idle' order by 1"
    )]
    assert len(dates) < 15
    assert str(dates[0]) == "2026-01-01"


def test_training_set_never_sees_events_after_the_label_date(built: DbtHarness, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from featurestore.cli import app

    labels = built.root / "labels.parquet"
    pq.write_table(pa.table({
        "profile_id": ["p-back", "p-back", "p-nobody", "p-gone"],
        "label_date": [golden.date(2026, 3, 4), golden.date(2026, 3, 5), golden.date(2026, 3, 5),
                       golden.date(2026, 3, 1)],
        "churned": [True, False, False, True],
    }), labels)
    out = built.root / "training.parquet"
    for key, value in built._env().items():
        monkeypatch.setenv(key, value)
    result = CliRunner().invoke(app, ["training-set", "--labels", str(labels), "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = pq.read_table(out).to_pylist()
    assert [r["churned"] for r in rows] == [True, False, False, True]  # every label row kept, in order
    before, after, unknown, deleted = rows
    # As of 03-04 p-back last played on 01-04 (2 plays, 8000 s); its 03-05 comeback must be invisible.
    assert before["days_since_last_play"] == 59
    assert before["lifetime_watch_minutes"] == pytest.approx(8000 / 60)
    assert before["is_reactivated_7d"] is False and before["lifecycle_stage"] == "dormant"
    assert after["days_since_last_play"] == 0 and after["is_reactivated_7d"] is True
    assert after["lifetime_watch_minutes"] == pytest.approx(14000 / 60)
    assert unknown["watch_minutes_28d"] is None and unknown["source_feature_date"] is None
    assert deleted["watch_minutes_28d"] is None  # p-gone was deleted on 02-15


def test_training_set_reports_missing_label_columns(built: DbtHarness, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from featurestore.cli import app

    labels = built.root / "bad_labels.parquet"
    pq.write_table(pa.table({"profile_id": ["p-main"]}), labels)
    for key, value in built._env().items():
        monkeypatch.setenv(key, value)
    result = CliRunner().invoke(app, ["training-set", "--labels", str(labels), "--out", str(built.root / "x.parquet")])
    assert result.exit_code == 2
    assert "lacks column(s) label_date" in " ".join(result.output.split())


def as_of(built: DbtHarness, profile_id: str, day: str) -> dict[str, object] | None:
    rows = point_in_time(
        built, f"(select '{profile_id}' as profile_id, cast('{day}' as date) as as_of_date)", "as_of_date"
    )
    return rows[0] if rows else None


def test_argmax_ties_go_to_the_alphabetically_first_value(built: DbtHarness) -> None:
    # p-main on 2026-03-05: comedy 3000 s on tv, drama 3000 s on mobile, nothing else in 28 days.
    row = as_of(built, "p-main", "2026-03-05")
    assert row is not None
    assert row["top_genre_28d"] == "comedy" and row["top_genre_share_28d"] == pytest.approx(0.5)
    assert row["primary_device_28d"] == "mobile"
    assert row["genre_entropy_28d"] == pytest.approx(0.6931471805599453)  # ln 2


def test_window_edges(built: DbtHarness) -> None:
    # p-main's 2400 s play of 2026-02-05 is the last day of the 28-day window ending 03-04 and just outside
    # the one ending 03-05; likewise for the 7-day window ending 02-11 / 02-12.
    assert as_of(built, "p-main", "2026-03-04")["watch_minutes_28d"] == pytest.approx(40.0)  # type: ignore[index]
    assert as_of(built, "p-main", "2026-03-05")["watch_minutes_28d"] == pytest.approx(100.0)  # type: ignore[index]
    assert as_of(built, "p-main", "2026-02-11")["plays_7d"] == 1  # type: ignore[index]
    assert as_of(built, "p-main", "2026-02-12")["plays_7d"] == 0  # type: ignore[index]


def test_never_played_new_deleted_kids_and_reactivated_profiles(built: DbtHarness) -> None:
    idle = as_of(built, "p-idle", "2026-04-12")
    assert idle is not None
    assert idle["watch_minutes_90d"] == 0 and idle["plays_28d"] == 0 and idle["days_since_last_play"] is None
    assert idle["avg_play_minutes_28d"] is None and idle["top_genre_28d"] is None
    assert idle["lifecycle_stage"] == "lapsed" and idle["lifetime_active_days"] == 0

    new = as_of(built, "p-new", "2026-04-12")
    assert new is not None and new["profile_tenure_days"] == 13 and new["lifecycle_stage"] == "new"
    assert as_of(built, "p-new", "2026-03-29") is None  # not created yet

    assert as_of(built, "p-gone", "2026-02-14") is not None
    assert as_of(built, "p-gone", "2026-02-15") is None  # deleted that day
    assert as_of(built, "p-main", "2026-02-15")["household_profiles"] == 2  # type: ignore[index]  # main + kid

    assert as_of(built, "p-kid", "2026-04-12")["is_kids_profile"] is True  # type: ignore[index]

    assert as_of(built, "p-back", "2026-03-11")["is_reactivated_7d"] is True  # type: ignore[index]
    assert as_of(built, "p-back", "2026-03-12")["is_reactivated_7d"] is False  # type: ignore[index]


@pytest.fixture(scope="module")
def built_in_slices(tmp_path_factory: pytest.TempPathFactory) -> DbtHarness:
    harness = DbtHarness(tmp_path_factory.mktemp("golden-sliced"), target="local")
    write_gold(harness.raw_dir, golden.gold_tables())
    outcome = harness.build("--vars", f"{{profile_slice_rows: {SLICE_ROWS}}}")
    assert outcome.success, outcome.text
    return harness


SLICE_ROWS = 25
SLICED_SQL_MODELS = (
    "features_watch_behavior",
    "features_content_consumption",
    "features_engagement_quality",
    "profile_features_candidate",
)


def test_models_built_in_profile_slices_match_the_oracle(built_in_slices: DbtHarness) -> None:
    # A large full build runs the Python models one slice of the profiles (accounts) at a time
    # (xengine.profile_slices), and the window joins of the SQL marts and the candidate's join of the
    # categories one slice at a time, one statement each (row_slices); with 25 feature rows per slice the
    # small history (99 rows) needs four, some of them empty.
    [(feature_rows,)] = built_in_slices.query("select count(*) from main_intermediate.int_profile_feature_dates")
    assert 3 * SLICE_ROWS < feature_rows <= 4 * SLICE_ROWS
    run_sql = built_in_slices.root / "target" / "run"
    for model in SLICED_SQL_MODELS:
        # One statement per slice: the table is created from slice 0's query, then slices 1-3 are appended.
        sql = next(run_sql.rglob(f"{model}.sql")).read_text().lower()
        assert sql.count(" by name") == 3, f"{model} was not built in 4 statements"
        for index in range(4):
            assert f"% 4 = {index} /* profile slice {index} of 4 */" in sql, f"{model} has no slice {index}"
    pairs = golden.live_pairs()
    path = requests_file(built_in_slices.root / "requests.parquet", pairs)
    rows = point_in_time(built_in_slices, f"read_parquet('{path}')", "as_of_date")
    model = golden.oracle()
    problems = differences(rows, {(p, day): model.features(p, day) for p, day in pairs})
    assert not problems, f"{len(problems)} mismatches, first ones:\n" + "\n".join(problems[:40])
