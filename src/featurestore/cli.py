"""Command line of the profile feature store: `featurestore --help`.

Exit codes (every command; docs/operations.md): 0 success; 1 the work ran and failed or was refused (a dbt
node or test failed, the publish gate refused, a write failed midway); 2 it could not start (bad usage or
configuration, unreadable Gold input, another writer holds the warehouse, Redis unreachable or refusing the
credentials); 130 interrupted. Expected failures end in one line; `featurestore -v ...` adds the traceback.
"""

from __future__ import annotations

import logging
import os
from datetime import date, datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.table import Table

from featurestore import daily, parity, pipeline, run_summary
from featurestore.bench.command import bench_command
from featurestore.dbt_invoke import target_of
from featurestore.docs_site import docs_command
from featurestore.failures import EXIT_INPUT, FeaturestoreError, expected_failures
from featurestore.gate import GateVerdict, publish_gate
from featurestore.generator import GeneratorConfig, generate
from featurestore.generator.command import generate_command
from featurestore.paths import ProjectPaths
from featurestore.invocations import current_results, run_dbt
from featurestore.point_in_time import PointInTimeError, build_training_set
from featurestore.online.commands import get_command, redis_app, run_sync_command, sync_command, verify_command
from featurestore.online import sync as online_sync
from featurestore.report.command import report_command
from featurestore.serving.command import serve_command
from featurestore.run_results import RunResults
from featurestore.warehouse import Warehouse
from featurestore.writer_lock import WAIT_ENV, WAIT_HELP, writer_lock

app = typer.Typer(
    help="Profile feature store: generate sample Gold data, build features with dbt, serve them from Redis.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()
logger = logging.getLogger("featurestore")


@app.callback()
def main(verbose: bool = typer.Option(False, "--verbose", "-v", help="Log debug details.")) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(message)s",
        handlers=[RichHandler(show_path=False, rich_tracebacks=False, console=Console(stderr=True))],
    )
    # py4j logs every Spark gateway call at INFO.
    logging.getLogger("py4j").setLevel(logging.WARNING)


app.command("generate")(generate_command)
app.command("report")(report_command)
app.command("sync")(sync_command)
app.command("get")(get_command)
app.command("verify")(verify_command)
app.command("bench")(bench_command)
app.command("serve")(serve_command)
app.command("docs")(docs_command)
app.add_typer(redis_app, name="redis", help="Start, stop or inspect the project's local redis-server.")


# dbt commands (and flags) that never open the warehouse: no writer lock
READ_ONLY_DBT = {"parse", "ls", "list", "deps", "clean", "debug", "init", "--help", "-h", "--version"}


@app.command(
    "dbt",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
@expected_failures
def dbt_command(ctx: typer.Context) -> None:
    """Run dbt with the project's paths; the way to run Python models on the local `spark` target.

    Commands that open the warehouse hold its writer lock (FS_LOCK_WAIT: seconds to wait for another writer).
    Example: featurestore dbt build --target spark
    """
    paths = ProjectPaths.discover()
    target = target_of(ctx.args)
    if set(ctx.args) & READ_ONLY_DBT or not ctx.args:
        invocation = run_dbt(ctx.args, paths, target=target)
    else:
        with writer_lock(paths, target, wait=float(os.environ.get(WAIT_ENV) or 0)):
            invocation = run_dbt(ctx.args, paths, target=target)
    if invocation.stop is not None:
        command = "dbt " + (ctx.args[0] if ctx.args else "")
        raise FeaturestoreError(invocation.stop.line(command), invocation.exit_code) from invocation.exception
    raise typer.Exit(invocation.exit_code)


@app.command("run")
@expected_failures
def run_command(
    target: str = typer.Option("local", "--target", "-t", envvar="DBT_TARGET", help="dbt target: local or spark."),
    full_refresh: bool = typer.Option(False, "--full-refresh", help="Rebuild every incremental model from scratch."),
    profiles: int = typer.Option(20_000, help="Profiles to generate when RAW_DATA_DIR holds no data."),
    days: int = typer.Option(90, help="Days of events to generate when RAW_DATA_DIR holds no data."),
    seed: int = typer.Option(42, help="Seed of the generated sample data."),
    sync: bool = typer.Option(True, "--sync/--no-sync", help="Load the published features into Redis afterwards."),
    wait: float = typer.Option(0.0, "--wait", metavar="SECONDS", min=0, envvar=WAIT_ENV, help=WAIT_HELP),
) -> None:
    """The main job: sample data if RAW_DATA_DIR is empty, `dbt build`, a summary, then `featurestore sync`.

    Holds the warehouse's writer lock throughout: a second writer exits 2 at once (or waits, --wait).
    Redis: REDIS_URL, else a local redis-server under data/redis (started when needed).
    """
    paths = ProjectPaths.discover()
    with writer_lock(paths, target, wait=wait):
        _run(paths, target, full_refresh, profiles, days, seed, sync)


def _run(paths: ProjectPaths, target: str, full_refresh: bool, profiles: int, days: int, seed: int, sync: bool) -> None:
    raw_dir = paths.raw_data_dir
    clock = run_summary.StageClock()
    if not pipeline.has_gold_data(raw_dir):
        console.print(f"[bold]No Gold data in {raw_dir}[/]: generating {profiles:,} profiles x {days} days (seed {seed}).")
        with clock.stage("generate sample data", f"{profiles:,} profiles x {days} days"):
            report = generate(
                GeneratorConfig(out_dir=raw_dir, profiles=profiles, days=days, seed=seed, start_date=date(2026, 8, 1)),
                progress=True,
            )
        console.print(str(report))
    else:
        console.print(f"Gold data: {raw_dir}")
    before = run_summary.date_watermarks(paths.duckdb_path) if target == "local" else {}
    console.print(f"Building with dbt on target [bold]{target}[/] …")
    with clock.stage("dbt build") as build_stage:
        outcome = pipeline.build(paths, target, full_refresh=full_refresh)
    untouched = "Nothing was published by this run; Redis was not touched."
    if outcome.results is None:  # dbt stopped before running any node: no numbers to show
        assert outcome.stop is not None
        raise FeaturestoreError(f"{outcome.stop.line()} {untouched}", outcome.exit_code) from outcome.invocation.exception
    build_stage.notes.append(_node_counts(outcome.results))
    verdict = print_summary(paths, outcome.results, target, relations=False)
    published = verdict is not None and verdict.passed
    if outcome.stop is not None:
        raise FeaturestoreError(
            outcome.stop.line() + " Redis was not touched.", outcome.exit_code
        ) from outcome.invocation.exception
    if not outcome.success or not published:
        failed = len(outcome.results.failed)
        raise FeaturestoreError(
            f"dbt build {outcome.invocation.invocation_id} failed: {failed} failed node"
            f"{'s' if failed != 1 else ''}, listed above (details in logs/dbt.log); "
            + ("the publish gate passed" if published else "the publish gate refused, profile_features is unchanged")
            + ". Redis was not touched. Fix the cause and rerun `featurestore run`."
        )
    if sync and target == "local":
        console.print("Loading the published features into Redis …")
        with clock.stage("Redis sync") as sync_stage:
            result = run_sync_command(paths, full=False, dry_run=False, batch_rows=8192, gate=verdict)
            sync_stage.notes.append(
                f"{result.written:,} profiles written, {result.deleted + result.expired:,} removed "
                f"({result.plan.mode})"
            )
    print_run_summary(paths, outcome.results, target, clock, before)
    console.print("Next: `.venv/bin/featurestore report` writes reports/quality.html.")


def _node_counts(results: RunResults) -> str:
    by_type = results.by_type()
    models = sum(by_type.get("model", {}).values())
    tests = by_type.get("test", {})
    return (
        f"{models} models; data tests {tests.get('pass', 0)} passed, {tests.get('warn', 0)} warned, "
        f"{tests.get('fail', 0) + tests.get('error', 0)} failed"
    )


def print_run_summary(
    paths: ProjectPaths, results: RunResults, target: str, clock: run_summary.StageClock,
    before: dict[str, date | None],
) -> None:
    """The closing summary of `featurestore run` (src/featurestore/run_summary.py says how each number is made)."""
    stages = Table(title=f"Run summary: dbt build {results.invocation_id} on {target}")
    for column in ("stage", "seconds", "outcome"):
        stages.add_column(column, justify="right" if column == "seconds" else "left")
    layers = run_summary.layer_seconds(paths.target_dir, results)
    for stage in clock.stages:
        stages.add_row(stage.name, f"{stage.seconds:.1f}", stage.outcome)
        if stage.name == "dbt build":
            for layer, node_seconds in layers.items():
                stages.add_row(f"  {layer}", f"{node_seconds:.1f}", "dbt time of its nodes, summed")
    stages.add_row("total", f"{clock.total_seconds:.1f}", "")
    console.print(stages)
    if target != "local":
        return
    written = run_summary.rows_written(
        paths.duckdb_path, paths.target_dir, results, before,
        lookback_days=online_sync.lookback_days(paths), full_refresh=online_sync.was_full_refresh(paths),
    )
    dates = run_summary.published_dates(written, paths.duckdb_path)
    if dates is not None:
        console.print(f"Feature dates built: {dates.first} … {dates.last} ({dates.count} dates with published rows)")
    table = Table(title="Rows written per model by this run (views hold no rows)")
    for column in ("model", "materialized", "rows written", "dates replaced"):
        table.add_column(column, justify="right" if column == "rows written" else "left")
    for row in written:
        if row.rows is None:
            continue
        dates_replaced = f"from {row.since}" if row.since else ("all" if row.materialized == "incremental" else "")
        table.add_row(row.relation, row.materialized, f"{row.rows:,}", dates_replaced)
    console.print(table)


@app.command("daily")
@expected_failures
def daily_command(
    target: str = typer.Option(
        "local", "--target", "-t", envvar="DBT_TARGET", help="dbt target: local, spark or databricks."
    ),
    as_of_date: datetime | None = typer.Option(
        None, "--as-of-date", formats=["%Y-%m-%d"],
        help="Last feature date to build (dbt var as_of_date); default the newest event date.",
    ),
    backfill_from: datetime | None = typer.Option(
        None, "--backfill-from", formats=["%Y-%m-%d"],
        help="Rebuild every date from this one (widens dbt var lookback_days), then sync every profile.",
    ),
    backfill_to: datetime | None = typer.Option(
        None, "--backfill-to", formats=["%Y-%m-%d"],
        help="Last date of the backfill (default: the newest event date).",
    ),
    lookback_days: int | None = typer.Option(
        None, "--lookback-days", min=0,
        help="Days behind the newest built date to re-process (dbt var lookback_days).",
    ),
    full_refresh: bool = typer.Option(
        False, "--full-refresh", help="Rebuild every incremental model from scratch."
    ),
    only: daily.Stage | None = typer.Option(
        None, "--only", help="Run this stage alone (the bundle runs one per task)."
    ),
    report_out: Path | None = typer.Option(None, "--report-out", dir_okay=False, help="Quality report file.",
                                           show_default="reports/quality.html"),
    wait: float = typer.Option(0.0, "--wait", metavar="SECONDS", min=0, envvar=WAIT_ENV, help=WAIT_HELP),
) -> None:
    """The scheduled job: `dbt build` (publish gate included), the Redis sync, the quality report.

    A stage runs only after the previous one succeeded; the writer lock is held throughout. Exit codes:
    0 done; 2 nothing ran (bad options, another writer); 10 build failed; 11 publish gate refused;
    12 sync failed; 13 report failed (docs/scheduling.md).
    """
    options = daily.DailyOptions(
        target=target,
        as_of_date=as_of_date.date() if as_of_date else None,
        backfill_from=backfill_from.date() if backfill_from else None,
        backfill_to=backfill_to.date() if backfill_to else None,
        lookback_days=lookback_days,
        full_refresh=full_refresh,
        only=only,
        report_out=report_out,
    )
    daily.check_options(options)
    paths = ProjectPaths.discover()
    run = daily.DailyRun()
    try:
        with writer_lock(paths, target, wait=wait):
            _daily(paths, options, run)
    except daily.StageFailed as failed:
        run.add(failed.stage, f"failed, exit {failed.exit_code}")
        console.print(run.summary(options), highlight=False, soft_wrap=True)
        raise
    console.print(run.summary(options), highlight=False, soft_wrap=True)


def _daily(paths: ProjectPaths, options: daily.DailyOptions, run: daily.DailyRun) -> None:
    verdict: GateVerdict | None = None
    if daily.Stage.build in options.stages:
        console.print(f"[bold]daily: build[/] on target {options.target} …")
        verdict, detail = daily.run_build(
            paths, options, lambda results: print_summary(paths, results, options.target)
        )
        run.add(daily.Stage.build, "ok", detail)
    if daily.Stage.sync in options.stages:
        full = options.backfill_from is not None or options.full_refresh
        console.print("[bold]daily: sync[/] " + ("(every profile) …" if full else "…"))
        try:
            run_sync_command(paths, full=full, dry_run=False, batch_rows=8192, gate=verdict, target=options.target)
        except typer.Exit as stopped:  # the sync printed its one-line error
            if stopped.exit_code in (0, 130):
                raise
            run.add(daily.Stage.sync, f"failed, exit {daily.EXIT_SYNC_FAILED}")
            console.print(run.summary(options), highlight=False, soft_wrap=True)
            raise typer.Exit(daily.EXIT_SYNC_FAILED) from None
        run.add(daily.Stage.sync, "ok")
    if daily.Stage.report in options.stages:
        console.print("[bold]daily: report[/] …")
        out = options.report_out or paths.project_dir / "reports" / "quality.html"
        written = daily.run_report(paths, out)
        run.add(daily.Stage.report, "ok", str(written))


@app.command("parity")
@expected_failures
def parity_command(
    limit: int = typer.Option(20, "--limit", min=1, help="Differences to list (all are counted)."),
    scratch_dir: Path | None = typer.Option(
        None, "--scratch-dir", file_okay=False,
        help="Folder for both builds (default: a temporary one, removed after).",
    ),
) -> None:
    """Build RAW_DATA_DIR's Gold data on `local` (DuckDB) and `spark`; compare profile_features value for value.

    Both builds run from scratch in a scratch folder: your warehouse, target/ and Spark metastore are not
    touched. Doubles agree within 1e-9 relatively, everything else exactly. Exit 0 when the engines agree,
    1 listing profile, date and feature of the first differences, 2 without Gold data.
    """
    import tempfile

    paths = ProjectPaths.discover()
    parity.require_gold(paths)
    with tempfile.TemporaryDirectory(prefix="featurestore-parity-") as temporary:
        root = scratch_dir.resolve() if scratch_dir is not None else Path(temporary)
        root.mkdir(parents=True, exist_ok=True)
        scratch = parity.ScratchPaths(root)
        console.print(f"Gold data: {paths.raw_data_dir}; scratch folder: {root}")
        for step, target in enumerate(("local", "spark"), start=1):
            console.print(f"[{step}/3] dbt build --full-refresh (profile_features, no data tests) on [bold]{target}[/] …")
            seconds = parity.build_target(scratch, target)
            console.print(f"      built in {seconds:.1f} s")
        parity.export_spark_table(scratch)
        console.print("[3/3] comparing profile_features (local vs spark) …")
        result = parity.compare_builds(
            scratch, limit, on_progress=lambda rows: logger.debug("compared %s rows", f"{rows:,}")
        )
    plural = "s" if result.total != 1 else ""
    console.print(
        f"profile_features: {result.left_rows:,} rows on local, {result.right_rows:,} on spark, "
        f"{len(result.columns)} columns compared; {result.total:,} difference{plural}."
    )
    if result.total:
        for difference in result.first:
            console.print(f"  {difference.describe()}", highlight=False, soft_wrap=True)
        first = result.first[0].describe()
        raise FeaturestoreError(
            f"The engines disagree on profile_features: {result.total:,} difference{plural} (first: {first}; "
            f"the first {len(result.first)} are listed above)."
        )
    console.print("[green]local and spark agree on every value.[/]")


@app.command("summary")
@expected_failures
def summary_command() -> None:
    """Print what the last dbt invocation built and rejected (refuses when it wrote no results)."""
    paths = ProjectPaths.discover()
    results = current_results(paths)
    print_summary(paths, results, results.target or "local")


@app.command("training-set")
@expected_failures
def training_set_command(
    labels: Path = typer.Option(..., "--labels", help="Parquet file: profile_id, label_date, any label columns."),
    out: Path = typer.Option(..., "--out", help="Parquet file to write: the labels plus the features as of each label_date."),
    date_column: str = typer.Option("label_date", help="Name of the as-of date column in the labels file."),
) -> None:
    """Point-in-time training set: every label row joined to its profile's features as of label_date.

    Uses only data up to each label date (no leakage). Labels of profiles unknown or not live on their date
    keep their row with empty features. Reads the `local` warehouse (DUCKDB_PATH); on Spark/Databricks use the
    `profile_features_point_in_time` macro in a dbt model instead, or on Databricks Feature Engineering's
    FeatureLookup (docs/databricks.md).
    """
    paths = ProjectPaths.discover()
    try:
        report = build_training_set(labels, out, paths, date_column=date_column)
    except (PointInTimeError, FileNotFoundError) as exc:
        raise FeaturestoreError(str(exc), EXIT_INPUT) from exc
    console.print(
        f"Wrote {report.labels:,} label rows to {report.out} "
        f"({report.with_features:,} with features, {report.labels - report.with_features:,} without: "
        "profile unknown or not live on its label date)."
    )


def print_summary(
    paths: ProjectPaths, results: RunResults, target: str, relations: bool = True
) -> GateVerdict | None:
    """What this dbt invocation (`results`) did; its publish-gate verdict when it was a build. `relations`:
    also the row count of the main relations (`featurestore run` prints rows written instead)."""
    table = Table(
        title=f"dbt {results.command} {results.invocation_id} on {target} in {results.elapsed_seconds:.1f}s"
    )
    table.add_column("resource")
    for status in ("success", "pass", "warn", "error", "fail", "skipped"):
        table.add_column(status, justify="right")
    for resource, counts in sorted(results.by_type().items()):
        table.add_row(resource, *(str(counts.get(s, 0) or "") for s in ("success", "pass", "warn", "error", "fail", "skipped")))
    console.print(table)
    for node in results.failed:
        console.print(f"[red]{node.status}[/] {node.unique_id}: {node.message}")
    verdict = None
    if results.command == "build":
        verdict = publish_gate(results)
        style = "green" if verdict.passed else "bold red"
        console.print(f"[{style}]{verdict.explain()}[/]", highlight=False)
        for warning in verdict.warnings:
            console.print(f"[yellow]{warning}[/]")
    if target != "local" or not paths.duckdb_path.is_file():
        return verdict
    warehouse = Warehouse(paths.duckdb_path)
    if relations:
        built = Table(title=f"Relations in {paths.duckdb_path} after this run")
        built.add_column("relation")
        built.add_column("rows", justify="right")
        for relation in pipeline.REPORTED_RELATIONS:
            rows = warehouse.table_rows(relation)
            if rows is not None:
                built.add_row(relation, f"{rows:,}")
        console.print(built)
    counts = warehouse.quarantine_counts(results.invocation_id)
    if counts is None:
        console.print("No quarantine counts: main_marts.dq_quarantine_reason_counts was not built.")
        return verdict
    rejected = Table(title="Rejected events seen by this run (quarantined rows keep their original columns)")
    for column in ("source table", "outcome", "reason", "rows"):
        rejected.add_column(column, justify="right" if column == "rows" else "left")
    for row in counts:
        rejected.add_row(row.source_table, row.outcome, row.reason, f"{row.rows:,}")
    console.print(rejected)
    return verdict
