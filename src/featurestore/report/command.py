"""`featurestore report`: the CLI face of the quality report.

A plain function so the main app can register it with `app.command("report")(report_command)` without this
module importing (or being imported by) `featurestore.cli`. Missing inputs give one readable line and exit
code 2, never a traceback; when the newest dbt invocation wrote no results (it stopped early or was killed),
the report is refused (exit 1) rather than drawn from an older run's results.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from featurestore.failures import expected_failures
from featurestore.invocations import current_results
from featurestore.paths import ProjectPaths
from featurestore.writer_lock import WAIT_ENV, WAIT_HELP, writer_lock
from featurestore.report.data import ReportInputError
from featurestore.report.render import build_report

DEFAULT_OUT = Path("reports") / "quality.html"

console = Console()
err_console = Console(stderr=True)


@expected_failures
def report_command(
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="HTML file to write (folders are created).",
            show_default="reports/quality.html in the project",
            dir_okay=False,
        ),
    ] = None,
    warehouse: Annotated[
        Path | None,
        typer.Option(
            "--warehouse",
            help="DuckDB file of the `local` target.",
            show_default="DUCKDB_PATH, else data/featurestore.duckdb",
            dir_okay=False,
        ),
    ] = None,
    target_dir: Annotated[
        Path | None,
        typer.Option(
            "--target-dir",
            help="dbt's target folder holding run_results.json.",
            show_default="DBT_TARGET_PATH, else target/",
            file_okay=False,
        ),
    ] = None,
    wait: Annotated[
        float, typer.Option("--wait", metavar="SECONDS", min=0, envvar=WAIT_ENV, help=WAIT_HELP)
    ] = 0.0,
) -> None:
    """Write a self-contained HTML page: run summary, tests, quarantine, per-feature history and drift.

    Open the file in any browser; it needs no network access. Holds the warehouse's writer lock while it
    reads (a second writer exits 2 at once, or waits: --wait).
    """
    check_current: ProjectPaths | None = None
    if out is None or warehouse is None or target_dir is None:
        try:
            paths = ProjectPaths.discover()
        except FileNotFoundError as exc:
            err_console.print(
                f"[red]{escape(str(exc))}[/] Or pass --out, --warehouse and --target-dir.", soft_wrap=True
            )
            raise typer.Exit(2) from exc
        if warehouse is None and target_dir is None:
            check_current = paths
        out = out or paths.project_dir / DEFAULT_OUT
        warehouse = warehouse or paths.duckdb_path
        target_dir = target_dir or paths.target_dir
    try:
        with writer_lock(None, warehouse=warehouse, wait=wait):
            if check_current is not None and (check_current.target_dir / "run_results.json").is_file():
                current_results(check_current)  # refuses (exit 1) when the newest invocation wrote no results
            written = build_report(warehouse, target_dir, out)
    except ReportInputError as exc:
        err_console.print(f"[red]Cannot build the report:[/] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(2) from exc
    except OSError as exc:
        err_console.print(
            f"[red]Cannot write the report to {escape(str(out))}:[/] {escape(str(exc))}", soft_wrap=True
        )
        raise typer.Exit(2) from exc
    size_kb = written.stat().st_size / 1024
    console.print(
        f"Wrote the quality report to [bold]{escape(str(written))}[/] ({size_kb:,.0f} KB).", soft_wrap=True
    )
    console.print(f"Open it in a browser: {written.resolve().as_uri()}", soft_wrap=True)
