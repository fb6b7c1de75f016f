"""`featurestore generate`: the CLI face of the generator.

A plain function so the main app can register it with `app.command("generate")(generate_command)`
without this module importing (or being imported by) `featurestore.cli`. User mistakes surface as
`typer.BadParameter` (exit code 2, one readable line), never as a traceback.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from featurestore.generator.config import (
    DEFAULT_DAYS,
    DEFAULT_PROFILES,
    DEFAULT_SEED,
    DEFAULT_START_DATE,
    GeneratorConfig,
    GeneratorError,
)
from featurestore.generator.progress import rich_progress
from featurestore.generator.runner import GenerationReport, append_day, generate
from featurestore.generator.writer import existing_data, prepare_output, read_manifest
from featurestore.paths import ProjectPaths

_DEFAULT_START = datetime.combine(DEFAULT_START_DATE, datetime.min.time())
#: Options that define the data; with --append-day they come from the manifest instead.
_DATA_OPTIONS = {"profiles": "--profiles", "days": "--days", "seed": "--seed", "start_date": "--start-date"}


def _source(ctx: typer.Context, name: str) -> str | None:
    """Where a parameter's value came from ("COMMANDLINE", "ENVIRONMENT", "DEFAULT", ...).

    Compared by name because typer ships its own copy of click, whose enum is not click's.
    """
    source = ctx.get_parameter_source(name)
    return None if source is None else source.name


def _resolve_out_dir(ctx: typer.Context, out: Path | None) -> Path:
    """--out as given; RAW_DATA_DIR resolved like dbt sees it (relative to the project); else the default."""
    if out is not None and _source(ctx, "out") != "ENVIRONMENT":
        return out
    try:
        return ProjectPaths.discover().raw_data_dir
    except FileNotFoundError as exc:
        if out is not None:
            return out
        raise typer.BadParameter(f"{exc} Or pass --out.", param_hint="--out") from exc


def _report_table(report: GenerationReport) -> Table:
    table = Table(title=f"{report.mode} -> {report.out_dir}", show_footer=True)
    table.add_column("table", footer="total")
    table.add_column("rows written", justify="right", footer=f"{report.total_rows:,}")
    for name, rows in report.rows.items():
        table.add_row(name, f"{rows:,}")
    return table


def _check_append_options(ctx: typer.Context, overwrite: bool) -> None:
    """With --append-day the manifest defines the data; conflicting flags are errors, not ignored."""
    if overwrite:
        raise typer.BadParameter(
            "--append-day and --overwrite cannot be combined.", param_hint="--append-day"
        )
    given = [flag for name, flag in _DATA_OPTIONS.items() if _source(ctx, name) == "COMMANDLINE"]
    if given:
        raise typer.BadParameter(
            f"{', '.join(given)} cannot be used with --append-day: the output's manifest defines them.",
            param_hint="--append-day",
        )


def generate_command(
    ctx: typer.Context,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            envvar="RAW_DATA_DIR",
            file_okay=False,
            help="Output folder for the Parquet tables [default: RAW_DATA_DIR, else <project>/data/raw].",
            show_default=False,
        ),
    ] = None,
    profiles: Annotated[
        int,
        typer.Option("--profiles", min=1, help="Profiles existing on the start date (sign-ups come on top)."),
    ] = DEFAULT_PROFILES,
    days: Annotated[
        int, typer.Option("--days", min=1, help="Number of days of events to generate.")
    ] = DEFAULT_DAYS,
    seed: Annotated[
        int, typer.Option("--seed", min=0, help="Random seed: the same seed and options give identical data.")
    ] = DEFAULT_SEED,
    start_date: Annotated[
        datetime,
        typer.Option(
            "--start-date",
            formats=["%Y-%m-%d"],
            help="First event day (UTC), YYYY-MM-DD.",
            show_default=DEFAULT_START_DATE.isoformat(),
        ),
    ] = _DEFAULT_START,
    append: Annotated[
        bool,
        typer.Option(
            "--append-day",
            help="Add the next day to an existing output, using the parameters in its _generator.json.",
        ),
    ] = False,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace data a previous run left in the output folder.")
    ] = False,
) -> None:
    """Generate synthetic Gold-layer data (accounts, profiles, content, viewing and engagement events)."""
    out_dir = _resolve_out_dir(ctx, out)
    config: GeneratorConfig | None = None
    try:
        if append:
            _check_append_options(ctx, overwrite)
            read_manifest(out_dir)  # fail before drawing a progress bar
        else:
            config = GeneratorConfig(
                out_dir=out_dir, profiles=profiles, days=days, seed=seed, start_date=start_date.date()
            )
            if existing_data(out_dir) and not overwrite:
                prepare_output(out_dir, overwrite=False)  # raises the explanatory GeneratorError
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    except GeneratorError as exc:
        raise typer.BadParameter(str(exc), param_hint="--out") from exc

    with rich_progress("append-day" if append else "generate") as advance:
        try:
            if config is None:
                report = append_day(out_dir, progress=advance)
            else:
                report = generate(config, advance, overwrite=overwrite)
        except GeneratorError as exc:
            raise typer.BadParameter(str(exc), param_hint="--out") from exc

    Console().print(_report_table(report))
    Console().print(report.summary(), soft_wrap=True)
