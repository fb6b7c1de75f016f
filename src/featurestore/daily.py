"""`featurestore daily`: the production sequence a scheduler runs, one stage after the other.

    build   `dbt build` (the publish gate is part of it)
    sync    the Redis sync of what this build published
    report  the quality report (reports/quality.html)

The warehouse's writer lock is held for the whole sequence, so nothing else writes between the build and the
sync. A stage runs only when the one before it succeeded; the exit code names the stage that stopped the
sequence (docs/scheduling.md):

- 0 every stage ran;
- 2 nothing ran: bad options or configuration, or another writer holds the warehouse;
- 10 `EXIT_BUILD_FAILED`: dbt stopped or a model, seed, snapshot or unit test failed (nothing was published);
- 11 `EXIT_GATE_REFUSED`: the models ran but a data test failed, so the publish gate kept `profile_features`
  as it was (Redis untouched);
- 12 `EXIT_SYNC_FAILED`: the features were published but the Redis sync failed (unreachable Redis included);
- 13 `EXIT_REPORT_FAILED`: published and synced, but the quality report could not be written;
- 130 interrupted.

The as-of date and the backfill range map onto the dbt project's existing vars: `as_of_date` (the last
feature date built) and `lookback_days` (every incremental model re-processes the dates from its own newest
built date minus `lookback_days`, ADR 0002). A backfill from D1 widens `lookback_days` so that window starts
at D1, and syncs every profile afterwards (a backfill rewrites older rows an incremental sync skips).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from pathlib import Path

from featurestore import pipeline
from featurestore.failures import EXIT_INPUT, FeaturestoreError
from featurestore.gate import GateVerdict
from featurestore.online.sync import project_lookback_days
from featurestore.paths import ProjectPaths
from featurestore.run_results import RunResults

logger = logging.getLogger(__name__)

EXIT_BUILD_FAILED = 10
EXIT_GATE_REFUSED = 11
EXIT_SYNC_FAILED = 12
EXIT_REPORT_FAILED = 13

# Node types whose failure means the build itself (or its code: unit tests) broke; a failing data test is the
# publish gate refusing the data.
BUILDING_RESOURCES = {"model", "seed", "snapshot", "unit_test"}


class Stage(str, Enum):
    build = "build"
    sync = "sync"
    report = "report"


STAGES = (Stage.build, Stage.sync, Stage.report)


@dataclass(frozen=True)
class DailyOptions:
    target: str = "local"
    as_of_date: date | None = None
    backfill_from: date | None = None
    backfill_to: date | None = None
    lookback_days: int | None = None
    full_refresh: bool = False
    only: Stage | None = None
    report_out: Path | None = None

    @property
    def stages(self) -> tuple[Stage, ...]:
        return (self.only,) if self.only is not None else STAGES

    @property
    def last_date(self) -> date | None:
        """The last feature date to build (`as_of_date` var): --as-of-date or --backfill-to."""
        return self.backfill_to or self.as_of_date


@dataclass
class StageReport:
    stage: Stage
    status: str  # ok | failed | not run
    detail: str = ""


@dataclass
class DailyRun:
    """What each stage did, for the final summary."""

    reports: list[StageReport] = field(default_factory=list)

    def add(self, stage: Stage, status: str, detail: str = "") -> None:
        self.reports.append(StageReport(stage, status, detail))

    def summary(self, options: DailyOptions) -> str:
        done = {r.stage: r for r in self.reports}
        parts = []
        for stage in options.stages:
            report = done.get(stage, StageReport(stage, "not run"))
            parts.append(f"{stage.value}: {report.status}" + (f" ({report.detail})" if report.detail else ""))
        return "daily: " + "; ".join(parts)


class StageFailed(FeaturestoreError):
    """A stage failed: its one-line reason and the stage's exit code."""

    def __init__(self, stage: Stage, message: str, exit_code: int) -> None:
        super().__init__(message, exit_code)
        self.stage = stage


def check_options(options: DailyOptions) -> None:
    """FeaturestoreError (exit 2) for a combination that cannot run, before anything is touched."""
    if options.as_of_date and (options.backfill_from or options.backfill_to):
        raise FeaturestoreError(
            "--as-of-date and --backfill-from/--backfill-to both set the last date to build: give one "
            "(a backfill ends at --backfill-to, default the newest event date).",
            EXIT_INPUT,
        )
    if options.backfill_to and not options.backfill_from:
        raise FeaturestoreError(
            "--backfill-to needs --backfill-from (the first date to rebuild).", EXIT_INPUT
        )
    if options.backfill_from and options.backfill_to and options.backfill_from > options.backfill_to:
        raise FeaturestoreError(
            f"--backfill-from {options.backfill_from} is after --backfill-to {options.backfill_to}: "
            "swap them.",
            EXIT_INPUT,
        )
    if options.backfill_from and options.lookback_days is not None:
        raise FeaturestoreError(
            "--backfill-from sets lookback_days itself: drop --lookback-days.", EXIT_INPUT
        )
    builds = options.last_date or options.backfill_from or options.lookback_days is not None or options.full_refresh
    if options.only is not None and options.only is not Stage.build and builds:
        raise FeaturestoreError(
            f"--only {options.only.value} runs no dbt build: drop the build options (--as-of-date, "
            "--backfill-*, --lookback-days, --full-refresh).",
            EXIT_INPUT,
        )
    if options.target != "local" and Stage.report in options.stages:
        raise FeaturestoreError(
            f"The quality report reads the `local` DuckDB warehouse; on target `{options.target}` run the "
            f"build and the sync alone: `featurestore daily --only build --target {options.target}`, then "
            f"`featurestore daily --only sync --target {options.target}`.",
            EXIT_INPUT,
        )


def newest_built_date(paths: ProjectPaths) -> date | None:
    """The newest feature date of `profile_features` in the local warehouse (None before the first build)."""
    import duckdb

    if not paths.duckdb_path.is_file():
        return None
    try:
        with duckdb.connect(str(paths.duckdb_path), read_only=True) as con:
            row = con.execute("select max(feature_date) from main_marts.profile_features").fetchone()
    except duckdb.CatalogException:
        return None
    return row[0] if row else None


def dbt_vars(options: DailyOptions, paths: ProjectPaths) -> dict[str, object]:
    """The dbt vars of the build: `as_of_date` and `lookback_days` (ADR 0002) from the options."""
    variables: dict[str, object] = {}
    if options.last_date is not None:
        variables["as_of_date"] = options.last_date.isoformat()
    if options.lookback_days is not None:
        variables["lookback_days"] = options.lookback_days
    if options.backfill_from is not None:
        if options.target != "local":
            raise FeaturestoreError(
                f"--backfill-from reads the newest built date from the local warehouse; on target "
                f"`{options.target}` pass --lookback-days (days before the newest built date to rebuild "
                "from).",
                EXIT_INPUT,
            )
        newest = newest_built_date(paths)
        if newest is None:
            logger.info("No published features yet: the first build covers every date anyway.")
        else:
            # a backfill never narrows the window below the project's
            variables["lookback_days"] = max(project_lookback_days(paths), (newest - options.backfill_from).days)
    return variables


def build_failure(results: RunResults, verdict: GateVerdict | None) -> StageFailed:
    """The build stage's failure: a broken node (exit 10) or a refused publish (exit 11)."""
    broken = [n for n in results.failed if n.unique_id.split(".")[0] in BUILDING_RESOURCES]
    if broken:
        names = ", ".join(n.unique_id for n in broken[:3]) + (" ..." if len(broken) > 3 else "")
        return StageFailed(
            Stage.build,
            f"dbt build {results.invocation_id} failed: {len(broken)} model, seed, snapshot or unit-test node"
            f"{'s' if len(broken) != 1 else ''} failed ({names}; details above and in logs/dbt.log). Nothing "
            "was published, Redis was not touched. Fix the cause and rerun `featurestore daily`.",
            EXIT_BUILD_FAILED,
        )
    problems = verdict.problems if verdict is not None else [n.unique_id for n in results.failed]
    first = problems[0] if problems else "profile_features was not published"
    more = f" (+{len(problems) - 1} more, listed above)" if len(problems) > 1 else ""
    return StageFailed(
        Stage.build,
        f"The publish gate refused dbt build {results.invocation_id}: {first}{more}. profile_features is "
        "unchanged and Redis was not touched. Fix the data or the model, then rerun `featurestore daily`.",
        EXIT_GATE_REFUSED,
    )


def run_build(
    paths: ProjectPaths,
    options: DailyOptions,
    show_results: Callable[[RunResults], GateVerdict | None],
) -> tuple[GateVerdict, str]:
    """The build stage; (the gate verdict, a one-line detail) or StageFailed."""
    variables = dbt_vars(options, paths)
    extra = ["--vars", json.dumps(variables)] if variables else []
    outcome = pipeline.build(paths, options.target, full_refresh=options.full_refresh, extra=extra)
    if outcome.results is None or outcome.stop is not None:
        stop = outcome.stop
        assert stop is not None  # dbt wrote no results only when it stopped
        raise StageFailed(
            Stage.build, f"{stop.line()} Nothing was published, Redis was not touched.", EXIT_BUILD_FAILED
        ) from outcome.invocation.exception
    verdict = show_results(outcome.results)
    if not outcome.success or verdict is None or not verdict.passed:
        raise build_failure(outcome.results, verdict)
    described = ", ".join(f"{k}={v}" for k, v in variables.items())
    detail = f"dbt build {outcome.results.invocation_id}, gate passed" + (f", {described}" if described else "")
    return verdict, detail


def run_report(paths: ProjectPaths, out: Path) -> Path:
    """The report stage: reports/quality.html (or `out`) from this build's results; StageFailed (13)."""
    from featurestore.invocations import current_results
    from featurestore.report.data import ReportInputError
    from featurestore.report.render import build_report

    try:
        current_results(paths)  # refuses results that are not the newest invocation's
        return build_report(paths.duckdb_path, paths.target_dir, out)
    except (ReportInputError, FeaturestoreError, OSError) as exc:
        reason = getattr(exc, "message", None) or str(exc)
        raise StageFailed(
            Stage.report,
            f"The quality report could not be written to {out}: {reason} The features were published and "
            "synced; rerun `featurestore daily --only report`.",
            EXIT_REPORT_FAILED,
        ) from exc
