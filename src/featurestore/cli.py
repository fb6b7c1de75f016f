"""Command line of the profile feature store: `featurestore --help`.

Exit codes: 0 success; 1 the work failed (dbt error, failed test, data problem); 2 bad usage or input.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.table import Table

from featurestore import pipeline
from featurestore.bench.command import bench_command
from featurestore.dbt_invoke import invoke_dbt
from featurestore.generator import GeneratorConfig, generate
from featurestore.gate import publish_gate
from featurestore.generator.command import generate_command
from featurestore.paths import ProjectPaths
from featurestore.point_in_time import PointInTimeError, build_training_set
from featurestore.online.commands import get_command, redis_app, sync_command, verify_command
from featurestore.report.command import report_command
from featurestore.serving.command import serve_command
from featurestore.run_results import RunResults
from featurestore.warehouse import Warehouse

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
app.add_typer(redis_app, name="redis", help="Start, stop or inspect the project's local redis-server.")


@app.command(
    "dbt",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def dbt_command(ctx: typer.Context) -> None:
    """Run dbt with the project's paths; the way to run Python models on the local `spark` target.

    Example: featurestore dbt build --target spark
    """
    result = invoke_dbt(ctx.args)
    raise typer.Exit(0 if result.success else 1)


@app.command("run")
def run_command(
    target: str = typer.Option("local", "--target", "-t", envvar="DBT_TARGET", help="dbt target: local or spark."),
    full_refresh: bool = typer.Option(False, "--full-refresh", help="Rebuild every incremental model from scratch."),
    profiles: int = typer.Option(20_000, help="Profiles to generate when RAW_DATA_DIR holds no data."),
    days: int = typer.Option(90, help="Days of events to generate when RAW_DATA_DIR holds no data."),
    seed: int = typer.Option(42, help="Seed of the generated sample data."),
    sync: bool = typer.Option(True, "--sync/--no-sync", help="Load the published features into Redis afterwards."),
) -> None:
    """The main job: sample data if RAW_DATA_DIR is empty, `dbt build`, a summary, then `featurestore sync`.

    Redis: REDIS_URL, else a local redis-server under data/redis (started when needed).
    """
    paths = ProjectPaths.discover()
    raw_dir = paths.raw_data_dir
    if not pipeline.has_gold_data(raw_dir):
        console.print(f"[bold]No Gold data in {raw_dir}[/]: generating {profiles:,} profiles x {days} days (seed {seed}).")
        report = generate(
            GeneratorConfig(out_dir=raw_dir, profiles=profiles, days=days, seed=seed, start_date=date(2026, 8, 1)),
            progress=True,
        )
        console.print(str(report))
    else:
        console.print(f"Gold data: {raw_dir}")
    console.print(f"Building with dbt on target [bold]{target}[/] …")
    outcome = pipeline.build(paths, target, full_refresh=full_refresh)
    print_summary(paths, outcome.results, target)
    if not outcome.success:
        console.print("[bold red]dbt build failed[/]: see the failures above and logs/dbt.log. Redis was not touched.")
        raise typer.Exit(1)
    if sync and target == "local":
        console.print("Loading the published features into Redis …")
        sync_command(full=False, dry_run=False, batch_rows=8192)
    console.print("Next: `.venv/bin/featurestore report` writes reports/quality.html.")


@app.command("summary")
def summary_command() -> None:
    """Print what the last dbt invocation built and rejected."""
    paths = ProjectPaths.discover()
    try:
        results = RunResults.load(paths.target_dir)
    except FileNotFoundError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from exc
    print_summary(paths, results, results.target or "local")


@app.command("training-set")
def training_set_command(
    labels: Path = typer.Option(..., "--labels", help="Parquet file: profile_id, label_date, any label columns."),
    out: Path = typer.Option(..., "--out", help="Parquet file to write: the labels plus the features as of each label_date."),
    date_column: str = typer.Option("label_date", help="Name of the as-of date column in the labels file."),
) -> None:
    """Point-in-time training set: every label row joined to its profile's features as of label_date.

    Uses only data up to each label date (no leakage). Labels of profiles unknown or not live on their date
    keep their row with empty features. Reads the `local` warehouse (DUCKDB_PATH); on Spark/Databricks use the
    `profile_features_point_in_time` macro in a dbt model instead.
    """
    paths = ProjectPaths.discover()
    try:
        report = build_training_set(labels, out, paths, date_column=date_column)
    except (PointInTimeError, FileNotFoundError) as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from exc
    console.print(
        f"Wrote {report.labels:,} label rows to {report.out} "
        f"({report.with_features:,} with features, {report.labels - report.with_features:,} without: "
        "profile unknown or not live on its label date)."
    )


def print_summary(paths: ProjectPaths, results: RunResults | None, target: str) -> None:
    if results is None:
        console.print("[red]dbt stopped before building anything[/] (see the error above).")
        return
    table = Table(title=f"dbt {results.command} on {target} in {results.elapsed_seconds:.1f}s")
    table.add_column("resource")
    for status in ("success", "pass", "warn", "error", "fail", "skipped"):
        table.add_column(status, justify="right")
    for resource, counts in sorted(results.by_type().items()):
        table.add_row(resource, *(str(counts.get(s, 0) or "") for s in ("success", "pass", "warn", "error", "fail", "skipped")))
    console.print(table)
    for node in results.failed:
        console.print(f"[red]{node.status}[/] {node.unique_id}: {node.message}")
    if results.command == "build":
        verdict = publish_gate(results)
        style = "green" if verdict.passed else "bold red"
        console.print(f"[{style}]{verdict.explain()}[/]")
        for warning in verdict.warnings:
            console.print(f"[yellow]{warning}[/]")
    if target != "local" or not paths.duckdb_path.is_file():
        return
    warehouse = Warehouse(paths.duckdb_path)
    built = Table(title=f"Relations in {paths.duckdb_path}")
    built.add_column("relation")
    built.add_column("rows", justify="right")
    for relation in pipeline.REPORTED_RELATIONS:
        rows = warehouse.table_rows(relation)
        if rows is not None:
            built.add_row(relation, f"{rows:,}")
    console.print(built)
    rejected = Table(title="Rejected events seen by this run (quarantined rows keep their original columns)")
    for column in ("source table", "outcome", "reason", "rows"):
        rejected.add_column(column, justify="right" if column == "rows" else "left")
    for row in warehouse.quarantine_counts(results.invocation_id):
        rejected.add_row(row.source_table, row.outcome, row.reason, f"{row.rows:,}")
    console.print(rejected)
