"""`featurestore report`: the HTML quality page, from a hand-made warehouse and dbt results.

The warehouse holds the three tables the report reads (feature quality history, quarantine counts, published
features) with a few features over 14 dates: one drift warning and one drift error on the latest date, an
earlier warning, a string and a boolean feature. The browser test opens the page in headless Chromium.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
import typer
from typer.testing import CliRunner

from featurestore.report import build_report, load_report_data
from featurestore.report.command import report_command
from featurestore.report.data import display_test_name, parse_top_categories

PROJECT_DIR = Path(__file__).resolve().parents[2]
DATES = [date(2026, 10, 1) + timedelta(days=i) for i in range(14)]
LATEST = DATES[-1]
RUN_ID = "5f0c1d2e-1111-4222-8333-444455556666"
FAILED_TEST = "not_null_profile_features_profile_id"
WARNED_TEST = "dq_feature_drift_within_bounds"
FEATURES = ["watch_minutes_7d", "plays_28d", "completion_rate_28d", "top_genre_28d", "is_kids_profile"]
CHARTS_PER_FEATURE = 2  # history + latest-day distribution

# --------------------------------------------------------------------------------------------- fixtures


def _numeric(
    day: int,
    name: str,
    category: str,
    data_type: str,
    mean: float,
    null_rate: float,
    drift: tuple[float | None, float | None, float | None] = (0.0, 0.1, 0.01),
    status: str = "ok",
    top: str | None = None,
) -> tuple[object, ...]:
    rows = 1000
    return (
        DATES[day],
        name,
        category,
        data_type,
        rows,
        round(rows * null_rate),
        null_rate,
        0.0,
        mean * 6,
        mean,
        mean * 0.8,
        mean * 0.05,
        mean * 0.9,
        mean * 3.5,
        top,
        *drift,
        status,
    )


def _history_rows() -> list[tuple[object, ...]]:
    rows = []
    for i in range(len(DATES)):
        latest = i == len(DATES) - 1
        # A steady series with a jump on the latest date: warn.
        rows.append(
            _numeric(
                i,
                "watch_minutes_7d",
                "watch_behavior",
                "double",
                165.0 if latest else 120 + 8 * math.sin(i / 2),
                0.0,
                (0.0, 2.4, 0.14) if latest else (0.0, 0.2, 0.01),
                "warn" if latest else "ok",
            )
        )
        # NULL rate jumps from 1% to 19% on the latest date: error.
        rows.append(
            _numeric(
                i,
                "plays_28d",
                "watch_behavior",
                "int",
                30 + 0.3 * i,
                0.19 if latest else 0.01,
                (0.18, -0.6, 0.41) if latest else (0.0, 0.1, 0.02),
                "error" if latest else "ok",
            )
        )
        # An earlier warning only; fine on the latest date.
        rows.append(
            _numeric(
                i,
                "completion_rate_28d",
                "engagement_quality",
                "double",
                0.55 + 0.02 * math.cos(i),
                0.05,
                (0.01, 2.1, 0.12) if i == 5 else (0.0, 0.1, 0.01),
                "warn" if i == 5 else "ok",
            )
        )
        drama = 0.30 + 0.005 * i
        genres = json.dumps(
            [
                {"value": "drama", "share": drama},
                {"value": "comedy", "share": 0.22},
                {"value": "kids", "share": 0.15},
                {"value": "action", "share": 0.12},
                {"value": "horror & <thriller>", "share": 0.05},
            ]
        )
        rows.append(
            (
                DATES[i],
                "top_genre_28d",
                "affinity",
                "string",
                1000,
                150,
                0.15,
                *([None] * 7),
                genres,
                0.0,
                None,
                0.02,
                "ok",
            )
        )
        kids = json.dumps([{"value": "false", "share": 0.88}, {"value": "true", "share": 0.12}])
        rows.append(_numeric(i, "is_kids_profile", "household_share", "boolean", 0.12, 0.0, top=kids))
    return rows


def _write_warehouse(path: Path, *, with_history: bool = True) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema main_marts")
        con.execute(
            """
            create table main_marts.dq_quarantine_reason_counts (
                source_table varchar, outcome varchar, reason varchar, reason_precedence integer,
                last_seen_run_id varchar, row_count bigint)
            """
        )
        con.executemany(
            "insert into main_marts.dq_quarantine_reason_counts values (?, ?, ?, ?, ?, ?)",
            [
                ("viewing_events", "quarantined", "bad_duration", 4, RUN_ID, 12),
                ("viewing_events", "dropped_duplicate", "duplicate", 0, RUN_ID, 40),
                ("engagement_events", "quarantined", "unknown_profile", 2, RUN_ID, 7),
                ("engagement_events", "quarantined", "missing_key", 1, "an-older-run", 3),
            ],
        )
        con.execute("create table main_marts.profile_features (feature_date date, profile_id varchar)")
        con.executemany(
            "insert into main_marts.profile_features values (?, ?)",
            [(d, f"p{n}") for d in DATES for n in range(3)],
        )
        if with_history:
            con.execute(
                """
                create table main_marts.dq_feature_quality_history (
                    feature_date date, feature_name varchar, category varchar, data_type varchar,
                    row_count bigint, null_count bigint, null_rate double, min_value double, max_value double,
                    mean_value double, stddev_value double, p01 double, p50 double, p99 double,
                    top_categories varchar, null_rate_change double, mean_shift_stddevs double, psi double,
                    drift_status varchar)
                """
            )
            con.executemany(
                f"insert into main_marts.dq_feature_quality_history values ({', '.join(['?'] * 19)})",
                _history_rows(),
            )


def _write_run_results(target_dir: Path) -> None:
    target_dir.mkdir(parents=True, exist_ok=True)
    results = [
        {"unique_id": "model.featurestore.profile_features.v1", "status": "success", "message": "OK"},
        {"unique_id": "model.featurestore.dq_feature_quality_history", "status": "success", "message": "OK"},
        {"unique_id": "seed.featurestore.feature_catalog", "status": "success", "message": "INSERT 62"},
        {
            "unique_id": f"test.featurestore.{FAILED_TEST}.1a2b3c4d5e",
            "status": "fail",
            "message": "Got 3 results, configured to fail if != 0",
        },
        {
            "unique_id": f"test.featurestore.{WARNED_TEST}.0f9e8d7c6b",
            "status": "warn",
            "message": "Got 1 result, configured to warn if != 0",
        },
        {
            "unique_id": "test.featurestore.unique_profile_features_profile_id.aaaaabbbbb",
            "status": "pass",
            "message": None,
        },
        {
            "unique_id": "unit_test.featurestore.base_gold__viewing_events.ut_first_rule_wins",
            "status": "pass",
            "message": None,
        },
    ]
    (target_dir / "run_results.json").write_text(
        json.dumps(
            {
                "metadata": {"invocation_id": RUN_ID, "generated_at": "2026-10-15T06:12:00.000000Z"},
                "args": {"which": "build", "target": "local"},
                "elapsed_time": 1.0,
                "results": results,
            }
        )
    )


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The warehouse and dbt target folder (shared by the tests of this module: treat as read-only)."""
    root = tmp_path_factory.mktemp("report-inputs")
    warehouse, target_dir = root / "featurestore.duckdb", root / "target"
    _write_warehouse(warehouse)
    _write_run_results(target_dir)
    return warehouse, target_dir


@pytest.fixture(scope="module")
def report(inputs: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    warehouse, target_dir = inputs
    return build_report(warehouse, target_dir, tmp_path_factory.mktemp("report") / "out" / "quality.html")


def _card(html: str, feature: str) -> str:
    match = re.search(rf'<article class="card status-(\w+)" id="f-{feature}".*?</article>', html, re.S)
    assert match, f"no card for {feature}"
    return match.group(0)


# --------------------------------------------------------------------------------------------- content


def test_report_shows_summary_tests_and_quarantine(report: Path) -> None:
    html = report.read_text()
    assert 'data-status="error"' in html and "Failing" in html  # a failed test fails the run
    assert FAILED_TEST in html and "Got 3 results, configured to fail if != 0" in html
    assert WARNED_TEST in html and "configured to warn" in html
    assert "1a2b3c4d5e" not in html.replace(
        f"test.featurestore.{FAILED_TEST}.1a2b3c4d5e", ""
    )  # hash only in title
    assert ">42<" in html and "3 on 2026-10-14" in html  # rows published: total and latest date
    for reason in ("bad_duration", "unknown_profile", "missing_key", "duplicate"):
        assert reason in html
    assert ">19<" in html  # quarantined rows of this run (12 + 7; the older run's 3 excluded)
    assert "40 duplicates dropped" in html


def test_report_shows_each_feature_with_charts_and_drift_flags(report: Path) -> None:
    html = report.read_text()
    for feature in FEATURES:
        assert feature in html
    assert html.count('<svg class="chart') == CHARTS_PER_FEATURE * len(FEATURES)

    warn = _card(html, "watch_minutes_7d")
    assert warn.startswith('<article class="card status-warn"') and ">WARN<" in warn
    assert "+2.4σ" in warn and "0.140" in warn and 'class="flag-warn"' in warn

    error = _card(html, "plays_28d")
    assert error.startswith('<article class="card status-error"') and ">ERROR<" in error
    assert "+18.0 pp" in error and "0.410" in error and 'class="flag-error"' in error

    earlier = _card(html, "completion_rate_28d")
    assert earlier.startswith('<article class="card status-ok"') and "1 flagged" in earlier
    assert 'class="flag-warn"' in earlier  # the day-5 warning is marked on the history chart

    genre = _card(html, "top_genre_28d")
    assert "chart dist bars" in genre and "drama" in genre and "share of “drama”" in genre
    assert "horror &amp; &lt;thriller&gt;" in genre  # values are escaped
    kids = _card(html, "is_kids_profile")
    assert "chart dist bars" in kids and "88%" in kids

    # Grouped by category, in catalog order, with a table of contents.
    order = [
        html.index(f'id="cat-{c}"')
        for c in ("watch_behavior", "engagement_quality", "affinity", "household_share")
    ]
    assert order == sorted(order)
    assert 'href="#cat-affinity"' in html and 'href="#f-plays_28d"' in html


def test_report_is_self_contained(report: Path) -> None:
    html = report.read_text()
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html)
    assert "<link" not in html and "@import" not in html and "url(" not in html
    assert set(re.findall(r"https?://[^\s\"'<>]+", html)) <= {"http://www.w3.org/2000/svg"}
    assert report.stat().st_size < 200_000


def test_report_without_quality_history_still_renders(tmp_path: Path) -> None:
    warehouse, target_dir = tmp_path / "featurestore.duckdb", tmp_path / "target"
    _write_warehouse(warehouse, with_history=False)
    _write_run_results(target_dir)
    data = load_report_data(warehouse, target_dir)
    assert data.features == [] and not data.history_available
    html = build_report(warehouse, target_dir, tmp_path / "quality.html").read_text()
    assert "<code>main_marts.dq_feature_quality_history</code> does not exist yet" in html
    assert 'data-features="0"' in html and '<svg class="chart' not in html
    assert FAILED_TEST in html and "bad_duration" in html


def test_helpers() -> None:
    assert display_test_name("test.featurestore.not_null_x_id.5e1f2a3b4c") == "not_null_x_id"
    assert display_test_name("test.featurestore.x") == "x"
    assert display_test_name("unit_test.featurestore.model_a.ut_b") == "model_a.ut_b"
    assert [
        s.value for s in parse_top_categories('[{"value":"b","share":0.2},{"value":"a","share":0.7}]')
    ] == ["a", "b"]
    assert parse_top_categories("not json") == () and parse_top_categories(None) == ()
    assert parse_top_categories('[{"value": null, "share": 1}]')[0].value == "(null)"


# --------------------------------------------------------------------------------------------- command


def _app() -> typer.Typer:
    app = typer.Typer()
    app.callback()(lambda: None)
    app.command("report")(report_command)
    return app


def test_command_writes_the_report(inputs: tuple[Path, Path], tmp_path: Path) -> None:
    warehouse, target_dir = inputs
    out = tmp_path / "nested" / "q.html"
    result = CliRunner().invoke(
        _app(), ["report", "--warehouse", str(warehouse), "--target-dir", str(target_dir), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.is_file() and "Wrote the quality report" in result.output and str(out) in result.output


@pytest.mark.parametrize(
    ("missing", "message"), [("warehouse", "No warehouse at"), ("run_results", "No dbt results at")]
)
def test_command_missing_input_is_exit_2_without_traceback(
    inputs: tuple[Path, Path], tmp_path: Path, missing: str, message: str
) -> None:
    warehouse, target_dir = inputs
    if missing == "warehouse":
        warehouse = tmp_path / "nowhere.duckdb"
    else:
        target_dir = tmp_path / "empty-target"
        target_dir.mkdir()
    result = CliRunner().invoke(
        _app(),
        [
            "report",
            "--warehouse",
            str(warehouse),
            "--target-dir",
            str(target_dir),
            "--out",
            str(tmp_path / "q.html"),
        ],
    )
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)
    assert not warehouse.exists() or missing != "warehouse"  # no empty DuckDB file created on the way


# --------------------------------------------------------------------------------------------- browser

CHROMIUM = "/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else shutil.which("chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Appended to a copy of the page: hover a history chart and tick the "only drift-flagged" filter.
INTERACT = """<script>
(function () {
  var svg = document.querySelector("svg.chart.hist"), r = svg.getBoundingClientRect();
  var at = {clientX: r.left + r.width - 4, clientY: r.top + 10, bubbles: true};
  svg.dispatchEvent(new MouseEvent("mousemove", at));
  var tip = document.getElementById("tooltip");
  document.body.setAttribute("data-tooltip", tip.hidden ? "hidden" : tip.textContent);
  var box = document.getElementById("filter-flagged");
  box.checked = true; box.dispatchEvent(new Event("change"));
  document.body.setAttribute("data-filter", document.getElementById("filter-count").textContent);
})();
</script></body>"""


def _chromium(page: Path, profile: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *extra, page.resolve().as_uri()],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _body_attribute(dom: str, name: str) -> str | None:
    body = re.search(r"<body[^>]*>", dom)
    assert body, "no <body> in the dumped DOM"
    match = re.search(rf'{name}="([^"]*)"', body.group(0))
    return match.group(1) if match else None


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (apt-get install -y chromium)")
def test_report_renders_in_headless_chromium(report: Path, tmp_path: Path) -> None:
    profile = tmp_path / "chromium-profile"

    dumped = _chromium(report, profile, "--enable-logging=stderr", "--v=0", "--dump-dom")
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    dom = dumped.stdout
    console = [line for line in dumped.stderr.splitlines() if ":CONSOLE" in line]
    assert console == [], console  # the page logs nothing: any console line is an error or a failed load
    assert _body_attribute(dom, "data-rendered") == "1"
    assert _body_attribute(dom, "data-js-errors") is None and 'id="js-errors" hidden' in dom
    expected_charts = CHARTS_PER_FEATURE * len(FEATURES)
    assert _body_attribute(dom, "data-charts") == str(expected_charts)
    assert len(re.findall(r'<svg class="chart', dom)) == expected_charts

    interactive = tmp_path / "interactive.html"
    interactive.write_text(report.read_text().replace("</body>", INTERACT))
    poked = _chromium(interactive, profile, "--dump-dom")
    assert _body_attribute(poked.stdout, "data-tooltip").startswith(LATEST.isoformat())
    assert _body_attribute(poked.stdout, "data-filter") == f"2 of {len(FEATURES)} shown"
    assert _body_attribute(poked.stdout, "data-js-errors") is None

    screenshot = tmp_path / "report.png"
    shot = _chromium(report, profile, f"--screenshot={screenshot}", "--window-size=1400,2000")
    assert shot.returncode == 0 and screenshot.stat().st_size > 50_000, shot.stderr[-2000:]
    keep = PROJECT_DIR / "reports" / "report-screenshot.png"
    keep.parent.mkdir(exist_ok=True)
    shutil.copyfile(screenshot, keep)
