"""Tests of the synthetic data generator (featurestore.generator).

Expectations are written from the data contract (docs/generator.md and the brief the dbt sources
rely on), not read back from the generator's own constants, so a drift in the generator shows up here.
Sizes are small: the whole module runs in a few seconds.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import typer
from typer.testing import CliRunner

from featurestore.generator import GeneratorConfig, GeneratorError, append_day, generate
from featurestore.generator.command import generate_command

START = date(2026, 8, 1)
TS = pa.timestamp("us", tz="UTC")
EXPECTED_SCHEMAS = {
    "accounts": [
        ("account_id", pa.string()),
        ("signup_date", pa.date32()),
        ("plan_tier", pa.string()),
        ("country", pa.string()),
        ("status", pa.string()),
        ("updated_at", TS),
    ],
    "profiles": [
        ("profile_id", pa.string()),
        ("account_id", pa.string()),
        ("is_kids", pa.bool_()),
        ("created_at", TS),
        ("deleted_at", TS),
    ],
    "content": [
        ("content_id", pa.string()),
        ("content_type", pa.string()),
        ("series_id", pa.string()),
        ("genre", pa.string()),
        ("duration_seconds", pa.int32()),
        ("release_date", pa.date32()),
    ],
    "viewing_events": [
        ("event_id", pa.string()),
        ("profile_id", pa.string()),
        ("content_id", pa.string()),
        ("event_ts", TS),
        ("watch_seconds", pa.int32()),
        ("device_type", pa.string()),
        ("ingested_at", TS),
    ],
    "engagement_events": [
        ("event_id", pa.string()),
        ("profile_id", pa.string()),
        ("content_id", pa.string()),
        ("event_ts", TS),
        ("event_type", pa.string()),
        ("ingested_at", TS),
    ],
}
DEVICES = ("tv", "mobile", "web", "tablet")
EVENT_TYPES = ("thumbs_up", "thumbs_down", "add_to_list", "search", "trailer_view")
GENRES = ("action", "comedy", "documentary", "drama", "horror", "kids", "romance", "scifi")


def _tree(root: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file below root."""
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def _connect(out: Path) -> duckdb.DuckDBPyConnection:
    """DuckDB views over the output, read exactly as the dbt sources read it."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for table in ("accounts", "profiles", "content"):
        con.execute(f"create view {table} as select * from read_parquet('{out}/{table}/*.parquet')")
    for table in ("viewing_events", "engagement_events"):
        con.execute(
            f"create view {table} as select * from read_parquet('{out}/{table}/**/*.parquet', "
            "union_by_name=true, hive_partitioning=false, filename=true)"
        )
    return con


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    row = con.execute(sql).fetchone()
    assert row is not None
    return row[0]


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("small") / "raw"
    generate(GeneratorConfig(out_dir=out, profiles=300, days=10, seed=7))
    return out


@pytest.fixture(scope="module")
def medium(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Big enough for rates and realism statistics (~2.5k profiles, 3 weeks)."""
    out = tmp_path_factory.mktemp("medium") / "raw"
    generate(GeneratorConfig(out_dir=out, profiles=2500, days=21, seed=11))
    return out


# --- layout and schemas -------------------------------------------------------------------------


def test_layout_and_exact_schemas(small: Path) -> None:
    for table in ("accounts", "profiles", "content"):
        schema = pq.read_schema(small / table / "part-0.parquet")
        assert [(f.name, f.type) for f in schema] == EXPECTED_SCHEMAS[table]
    for table in ("viewing_events", "engagement_events"):
        partitions = sorted(p.name for p in (small / table).iterdir())
        assert partitions == [f"event_date={START + timedelta(days=i)}" for i in range(10)]
        files = list((small / table).rglob("*.parquet"))
        assert files
        for file in files:
            schema = pq.read_schema(file)
            assert "event_date" not in schema.names
            assert [(f.name, f.type) for f in schema] == EXPECTED_SCHEMAS[table]


def test_partition_is_utc_date_of_event_ts_or_ingested_at(small: Path) -> None:
    con = _connect(small)
    for table in ("viewing_events", "engagement_events"):
        wrong = _scalar(
            con,
            f"""select count(*) from {table}
                where regexp_extract(filename, 'event_date=([0-9-]+)', 1)
                      <> strftime(coalesce(event_ts, ingested_at), '%Y-%m-%d')""",
        )
        assert wrong == 0, table


def test_manifest(small: Path) -> None:
    manifest = json.loads((small / "_generator.json").read_text())
    assert manifest["seed"] == 7
    assert manifest["profiles"] == 300
    assert manifest["start_date"] == "2026-08-01"
    assert manifest["last_date"] == "2026-08-10"
    assert manifest["days"] == 10
    assert isinstance(manifest["version"], int)


def test_defaults_are_fixed_not_today(tmp_path: Path) -> None:
    config = GeneratorConfig(out_dir=tmp_path)
    assert (config.profiles, config.days, config.seed, config.start_date) == (20000, 90, 42, START)


# --- dimensions ---------------------------------------------------------------------------------


def test_dimension_keys_and_values(small: Path) -> None:
    con = _connect(small)
    for table, key in (("accounts", "account_id"), ("profiles", "profile_id"), ("content", "content_id")):
        total, distinct, nulls = con.execute(
            f"select count(*), count(distinct {key}), count(*) - count({key}) from {table}"
        ).fetchone()  # type: ignore[misc]
        assert total > 0 and total == distinct and nulls == 0, table
    assert (
        _scalar(
            con, "select count(*) from profiles where account_id not in (select account_id from accounts)"
        )
        == 0
    )
    sizes = [r[0] for r in con.execute("select count(*) from profiles group by account_id").fetchall()]
    assert min(sizes) >= 1 and max(sizes) <= 5 and len(set(sizes)) >= 3
    assert _scalar(con, "select bool_and(plan_tier in ('basic','standard','premium')) from accounts")
    assert _scalar(con, "select bool_and(status in ('active','paused','cancelled')) from accounts")
    assert _scalar(con, "select bool_and(regexp_full_match(country, '[A-Z]{2}')) from accounts")
    assert _scalar(con, "select count(distinct country) from accounts") >= 8
    assert _scalar(con, "select count(*) from profiles where is_kids") > 0
    assert _scalar(con, "select count(*) from profiles where deleted_at is not null") > 0
    assert _scalar(con, "select count(*) from profiles where deleted_at < created_at") == 0
    # New profiles appear during the period, none after its last day.
    assert _scalar(con, "select count(*) from profiles where created_at >= timestamp '2026-08-01'") > 0
    assert _scalar(con, "select count(*) from profiles where created_at >= timestamp '2026-08-11'") == 0


def test_content_catalogue(small: Path) -> None:
    con = _connect(small)
    assert _scalar(con, f"select bool_and(genre in {GENRES}) from content")
    assert _scalar(con, "select count(distinct genre) from content") == len(GENRES)
    movies = con.execute(
        "select min(duration_seconds), max(duration_seconds), count(series_id), count(*) "
        "from content where content_type = 'movie'"
    ).fetchone()
    assert movies is not None and 75 * 60 <= movies[0] and movies[1] <= 155 * 60 and movies[2] == 0
    episodes = con.execute(
        "select min(duration_seconds), max(duration_seconds), count(*) - count(series_id), "
        "count(distinct series_id) "
        "from content where content_type = 'episode'"
    ).fetchone()
    assert episodes is not None and 18 * 60 <= episodes[0] and episodes[1] <= 65 * 60 and episodes[2] == 0
    assert episodes[3] > 10
    assert _scalar(con, "select count(*) from content where content_type not in ('movie', 'episode')") == 0
    # Some titles are released inside the period ("new release" features), none after its end.
    assert (
        _scalar(
            con,
            "select count(*) from content where release_date between date '2026-08-01' and date '2026-08-10'",
        )
        > 0
    )
    assert _scalar(con, "select count(*) from content where release_date > date '2026-08-10'") == 0


# --- determinism --------------------------------------------------------------------------------


def test_same_seed_gives_identical_files(tmp_path: Path, small: Path) -> None:
    again = tmp_path / "again"
    generate(GeneratorConfig(out_dir=again, profiles=300, days=10, seed=7))
    assert _tree(again) == _tree(small)


def test_different_seed_gives_different_data(tmp_path: Path, small: Path) -> None:
    other = tmp_path / "other"
    generate(GeneratorConfig(out_dir=other, profiles=300, days=10, seed=8))
    first = small / "viewing_events" / "event_date=2026-08-01" / "landed-2026-08-01.parquet"
    second = other / "viewing_events" / "event_date=2026-08-01" / "landed-2026-08-01.parquet"
    assert not pq.read_table(first).equals(pq.read_table(second))
    assert not pq.read_table(small / "profiles").equals(pq.read_table(other / "profiles"))


# --- data quality defects -----------------------------------------------------------------------


QUARANTINE_VIEWING = {
    "missing_key": "event_id is null or event_id = '' or profile_id is null or profile_id = ''",
    "unknown_profile": "profile_id <> '' and profile_id not in (select profile_id from profiles)",
    "unknown_content": "content_id is null or content_id not in (select content_id from content)",
    "bad_duration": "watch_seconds is null or watch_seconds < 0 or watch_seconds > 86400",
    "bad_timestamp": "event_ts is null or event_ts > ingested_at",
    "deleted_profile": "exists (select 1 from profiles p "
    "where p.profile_id = e.profile_id and e.event_ts > p.deleted_at)",
}
QUARANTINE_ENGAGEMENT = {
    "missing_key": QUARANTINE_VIEWING["missing_key"],
    "unknown_profile": QUARANTINE_VIEWING["unknown_profile"],
    "unknown_content": "(content_id is null and event_type <> 'search') "
    "or content_id not in (select content_id from content)",
    "bad_timestamp": QUARANTINE_VIEWING["bad_timestamp"],
    "bad_event_type": f"event_type is null or event_type not in {EVENT_TYPES}",
    "deleted_profile": QUARANTINE_VIEWING["deleted_profile"],
}


@pytest.mark.parametrize(
    ("table", "rules"), [("viewing_events", QUARANTINE_VIEWING), ("engagement_events", QUARANTINE_ENGAGEMENT)]
)
def test_every_quarantine_reason_occurs_at_a_realistic_rate(
    medium: Path, table: str, rules: dict[str, str]
) -> None:
    con = _connect(medium)
    total = _scalar(con, f"select count(*) from {table}")
    any_bad = " or ".join(f"coalesce({rule}, false)" for rule in rules.values())
    for reason, rule in rules.items():
        assert _scalar(con, f"select count(*) from {table} e where {rule}") >= 1, reason
    bad = _scalar(con, f"select count(*) from {table} e where {any_bad}")
    assert isinstance(total, int) and isinstance(bad, int)
    assert 0.0005 * total < bad < 0.01 * total  # ~0.2% dirty (tiny runs get at least one per day)


def test_odd_device_values_are_present(medium: Path) -> None:
    con = _connect(medium)
    odd = _scalar(
        con, f"select count(*) from viewing_events where device_type is null or device_type not in {DEVICES}"
    )
    assert isinstance(odd, int) and odd >= 1
    assert (
        _scalar(con, f"select count(distinct device_type) from viewing_events where device_type in {DEVICES}")
        == 4
    )


def test_duplicates_are_exact_copies_delivered_later(medium: Path) -> None:
    con = _connect(medium)
    groups = con.execute(
        """select event_id, count(*) n,
                  count(distinct (profile_id, content_id, event_ts, watch_seconds, device_type)) variants,
                  count(distinct ingested_at) ingests
           from viewing_events where event_id <> '' group by event_id having count(*) > 1"""
    ).fetchall()
    assert groups, "expected duplicate rows"
    assert all(variants == 1 and ingests == n for _, n, variants, ingests in groups)
    total = _scalar(con, "select count(*) from viewing_events")
    assert isinstance(total, int) and 0.002 * total < len(groups) < 0.01 * total  # ~0.5%


def test_late_arrivals_land_days_later_in_their_own_files(medium: Path) -> None:
    con = _connect(medium)
    late = con.execute(
        """select date_diff('day', event_ts::date, ingested_at::date) lag_days,
                  regexp_extract(filename, 'landed-([0-9-]+)', 1) landed,
                  strftime(ingested_at, '%Y-%m-%d') ingested
           from viewing_events where event_ts is not null and event_ts::date < ingested_at::date
             and ingested_at - event_ts > interval 1 day"""
    ).fetchall()
    total = _scalar(con, "select count(*) from viewing_events")
    assert isinstance(total, int) and 0.004 * total < len(late) < 0.02 * total  # ~1% (minus not-yet-landed)
    assert all(1 <= lag <= 7 for lag, _, _ in late)
    assert all(landed == ingested for _, landed, ingested in late)
    on_time = _scalar(
        con,
        """select quantile_cont(epoch(ingested_at - event_ts), 0.5) from viewing_events
           where event_ts <= ingested_at and ingested_at - event_ts < interval 1 day""",
    )
    assert isinstance(on_time, float) and 60 < on_time < 1800  # minutes after the event


def test_no_file_lands_after_the_last_day(medium: Path) -> None:
    last = START + timedelta(days=20)
    for table in ("viewing_events", "engagement_events"):
        landed = {
            date.fromisoformat(f.stem.removeprefix("landed-")) for f in (medium / table).rglob("*.parquet")
        }
        assert max(landed) == last


# --- behaviour realism --------------------------------------------------------------------------


def test_activity_volume_and_profiles_that_never_play(medium: Path) -> None:
    con = _connect(medium)
    plays_per_profile_day = _scalar(
        con, "select count(*) / (select count(*) from profiles) / 21 from viewing_events"
    )
    assert isinstance(plays_per_profile_day, float) and 0.3 < plays_per_profile_day < 1.2
    never = _scalar(
        con,
        "select count(*) from profiles p where not exists "
        "(select 1 from viewing_events v where v.profile_id = p.profile_id)",
    )
    assert isinstance(never, int) and never > 0


def test_evenings_and_weekends_are_busier(medium: Path) -> None:
    con = _connect(medium)
    evening = _scalar(con, "select count(*) from viewing_events where hour(event_ts) between 18 and 22")
    morning = _scalar(con, "select count(*) from viewing_events where hour(event_ts) between 6 and 10")
    assert isinstance(evening, int) and isinstance(morning, int) and evening > 2 * morning
    weekend, weekday = con.execute(
        """select avg(n) filter (where dow in (0, 6)), avg(n) filter (where dow between 1 and 5)
           from (select dayofweek(event_ts) dow, event_ts::date d, count(*) n
                 from viewing_events where event_ts is not null group by all)"""
    ).fetchone()  # type: ignore[misc]
    assert weekend > 1.1 * weekday


def test_kids_profiles_prefer_kids_content(medium: Path) -> None:
    con = _connect(medium)
    shares = dict(
        con.execute(
            """select p.is_kids, avg((c.genre = 'kids')::int)
               from viewing_events v join profiles p using (profile_id) join content c using (content_id)
               group by 1"""
        ).fetchall()
    )
    assert shares[True] > 0.5
    assert shares[False] < 0.15


def test_profiles_have_genre_and_device_preferences(medium: Path) -> None:
    con = _connect(medium)
    # The top genre / device of an active profile covers far more than a uniform 1/8 or 1/4 share.
    genre_share, device_share = con.execute(
        """with g as (select profile_id, genre, count(*) n,
                             sum(count(*)) over (partition by profile_id) total
                      from viewing_events join content using (content_id) group by 1, 2),
                d as (select profile_id, device_type, count(*) n,
                             sum(count(*)) over (partition by profile_id) total
                      from viewing_events group by 1, 2)
           select (select avg(top) from (select max(n / total) top from g where total >= 20
                                          group by profile_id)),
                  (select avg(top) from (select max(n / total) top from d where total >= 20
                                          group by profile_id))"""
    ).fetchone()  # type: ignore[misc]
    assert genre_share > 0.35
    assert device_share > 0.55


def test_series_are_binged_in_episode_order(medium: Path) -> None:
    con = _connect(medium)
    binges = con.execute(
        """select profile_id, event_ts::date, series_id, list(content_id order by event_ts) episodes
           from viewing_events join content using (content_id)
           where series_id is not null and event_ts is not null
           group by all having count(*) >= 3"""
    ).fetchall()
    assert len(binges) > 50
    in_order = sum(episodes == sorted(episodes) for *_, episodes in binges)
    assert in_order / len(binges) > 0.95


def test_watch_seconds_mostly_within_duration_with_completes_and_abandons(medium: Path) -> None:
    con = _connect(medium)
    within, complete, abandoned = con.execute(
        """select avg((watch_seconds <= duration_seconds)::int),
                  avg((watch_seconds >= 0.9 * duration_seconds)::int),
                  avg((watch_seconds < 0.15 * duration_seconds)::int)
           from viewing_events join content using (content_id)
           where watch_seconds between 0 and 86400"""
    ).fetchone()  # type: ignore[misc]
    assert within > 0.97
    assert complete > 0.4
    assert 0.03 < abandoned < 0.4


def test_engagement_is_correlated_with_viewing(medium: Path) -> None:
    con = _connect(medium)
    types = dict(con.execute("select event_type, count(*) from engagement_events group by 1").fetchall())
    assert all(types.get(t, 0) > 0 for t in EVENT_TYPES)
    # Searches carry no title; the only ones with a content_id are dirty rows with an unknown id.
    assert (
        _scalar(
            con,
            "select count(*) from engagement_events "
            "where event_type = 'search' and content_id in (select content_id from content)",
        )
        == 0
    )
    assert (
        _scalar(
            con, "select avg((content_id is null)::int) from engagement_events where event_type = 'search'"
        )
        > 0.99
    )
    # A thumbs up follows a play of the same title by the same profile that day.
    matched = _scalar(
        con,
        """select avg((exists (select 1 from viewing_events v where v.profile_id = e.profile_id
                               and v.content_id = e.content_id and v.event_ts < e.event_ts))::int)
           from engagement_events e where event_type = 'thumbs_up'""",
    )
    assert isinstance(matched, float) and matched > 0.95


def test_lifecycles(medium: Path) -> None:
    con = _connect(medium)
    # No clean events before a profile exists; deleted profiles only in (rare) dirty rows afterwards.
    before_created = _scalar(
        con,
        "select count(*) from viewing_events v join profiles p using (profile_id) "
        "where v.event_ts < p.created_at",
    )
    assert before_created == 0
    after_deleted = _scalar(
        con,
        "select count(*) from viewing_events v join profiles p using (profile_id) "
        "where v.event_ts > p.deleted_at",
    )
    total = _scalar(con, "select count(*) from viewing_events")
    assert isinstance(after_deleted, int) and isinstance(total, int) and after_deleted < 0.002 * total
    # Some profiles play early in the period and then stop (lapse), some new profiles start playing.
    lapsed = _scalar(
        con,
        """select count(*) from (select profile_id, max(event_ts) last from viewing_events group by 1)
           where last < timestamp '2026-08-08'""",
    )
    assert isinstance(lapsed, int) and lapsed > 0
    new_players = _scalar(
        con,
        """select count(distinct profile_id) from viewing_events join profiles using (profile_id)
           where created_at >= timestamp '2026-08-01'""",
    )
    assert isinstance(new_players, int) and new_players > 0


def test_reactivation_gaps_over_a_longer_period(tmp_path: Path) -> None:
    out = tmp_path / "long"
    generate(GeneratorConfig(out_dir=out, profiles=400, days=75, seed=3))
    con = _connect(out)
    reactivated = _scalar(
        con,
        """with d as (select distinct profile_id, event_ts::date d
                      from viewing_events where event_ts is not null)
           select count(distinct profile_id) from (
               select profile_id, d - lag(d) over (partition by profile_id order by d) gap from d)
           where gap >= 28""",
    )
    assert isinstance(reactivated, int) and reactivated > 0


# --- append-day and overwrite -------------------------------------------------------------------


def test_append_day_equals_generating_one_more_day(tmp_path: Path) -> None:
    appended, direct = tmp_path / "appended", tmp_path / "direct"
    generate(GeneratorConfig(out_dir=appended, profiles=400, days=9, seed=5))
    before = _tree(appended)
    report = append_day(appended)
    after = _tree(appended)

    new_day = "2026-08-10"
    assert report.days_written == [date(2026, 8, 10)]
    changed = {path for path in after if before.get(path) != after[path]}
    new_events = {path for path in changed if path.split("/")[0] in ("viewing_events", "engagement_events")}
    # Only new files, all landed on the new day: the day itself plus late arrivals in older partitions.
    assert new_events and all(path not in before for path in new_events)
    assert all(path.endswith(f"landed-{new_day}.parquet") for path in new_events)
    assert f"viewing_events/event_date={new_day}/landed-{new_day}.parquet" in new_events
    assert any(f"event_date={new_day}" not in path for path in new_events), "expected late arrivals"
    assert changed - new_events <= {
        "_generator.json",
        "accounts/part-0.parquet",
        "profiles/part-0.parquet",
        "content/part-0.parquet",
    }
    manifest = json.loads((appended / "_generator.json").read_text())
    assert manifest["days"] == 10 and manifest["last_date"] == new_day

    generate(GeneratorConfig(out_dir=direct, profiles=400, days=10, seed=5))
    assert _tree(appended) == _tree(direct)


def test_refuses_to_overwrite_without_flag(tmp_path: Path) -> None:
    out = tmp_path / "raw"
    config = GeneratorConfig(out_dir=out, profiles=100, days=2, seed=1)
    generate(config)
    with pytest.raises(GeneratorError, match="--overwrite"):
        generate(config)
    stray = out / "viewing_events" / "event_date=2020-01-01" / "old.parquet"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"x")
    keep = out / "README.md"
    keep.write_text("not ours")
    generate(config, overwrite=True)
    assert not stray.exists()
    assert keep.read_text() == "not ours"


def test_append_day_needs_a_manifest(tmp_path: Path) -> None:
    with pytest.raises(GeneratorError, match="manifest"):
        append_day(tmp_path)


@pytest.mark.parametrize("kwargs", [{"profiles": 0}, {"days": 0}, {"seed": -1}, {"late_rate": 0.5}])
def test_invalid_config(tmp_path: Path, kwargs: dict[str, int | float]) -> None:
    with pytest.raises(ValueError):
        GeneratorConfig(out_dir=tmp_path, **kwargs)  # type: ignore[arg-type]


def test_report_summary_and_progress(tmp_path: Path) -> None:
    calls: list[tuple[int, int, date]] = []
    report = generate(
        GeneratorConfig(out_dir=tmp_path / "r", profiles=50, days=2, seed=1),
        lambda done, total, day: calls.append((done, total, day)),
    )
    assert calls == [(1, 2, START), (2, 2, START + timedelta(days=1))]
    assert append_day(tmp_path / "r", progress=True).days_written == [START + timedelta(days=2)]
    assert report.days_written == [START, START + timedelta(days=1)]
    assert report.rows["profiles"] >= 50 and report.rows["viewing_events"] > 0
    assert report.total_rows == sum(report.rows.values())
    text = str(report)
    assert "viewing_events" in text and "rows/s" in text


# --- CLI ----------------------------------------------------------------------------------------


@pytest.fixture()
def cli_app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """Test app with the generate command registered like featurestore.cli does."""

    app.command("generate")(generate_command)
    return app


def test_cli_generate_append_and_errors(
    cli_app: typer.Typer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RAW_DATA_DIR", raising=False)
    runner = CliRunner()
    out = tmp_path / "raw"
    args = ["generate", "--out", str(out), "--profiles", "120", "--days", "3", "--seed", "9"]

    result = runner.invoke(cli_app, args)
    assert result.exit_code == 0, result.output
    assert "viewing_events" in result.output
    assert json.loads((out / "_generator.json").read_text())["days"] == 3

    again = runner.invoke(cli_app, args)
    assert again.exit_code == 2
    assert "--overwrite" in again.output and "Traceback" not in again.output

    assert runner.invoke(cli_app, [*args, "--overwrite"]).exit_code == 0

    appended = runner.invoke(cli_app, ["generate", "--out", str(out), "--append-day"])
    assert appended.exit_code == 0, appended.output
    assert json.loads((out / "_generator.json").read_text())["last_date"] == "2026-08-04"

    conflicting = runner.invoke(cli_app, ["generate", "--out", str(out), "--append-day", "--seed", "1"])
    assert conflicting.exit_code == 2

    for bad in (
        ["generate", "--out", str(tmp_path / "x"), "--profiles", "0"],
        ["generate", "--out", str(tmp_path / "x"), "--start-date", "2026-02-30"],
        ["generate", "--out", str(tmp_path / "empty"), "--append-day"],
    ):
        result = runner.invoke(cli_app, bad)
        assert result.exit_code == 2, (bad, result.output)
        assert "Traceback" not in result.output


def test_cli_out_defaults_to_raw_data_dir(
    cli_app: typer.Typer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "from-env"
    monkeypatch.setenv("RAW_DATA_DIR", str(out))
    result = CliRunner().invoke(cli_app, ["generate", "--profiles", "50", "--days", "1"])
    assert result.exit_code == 0, result.output
    assert (out / "_generator.json").is_file()
