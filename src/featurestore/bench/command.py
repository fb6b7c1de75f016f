"""`featurestore bench`: the typer command, its progress display and its error handling.

Exit codes: 0 every step succeeded (a missed flat-cost goal is a result, reported, not a failure); 1 a step
failed (one line names it and its log; the work folder is kept); 2 bad usage.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from featurestore.bench import report
from featurestore.bench.flat_cost import DORMANT_FACTOR, FlatCostBench
from featurestore.bench.measure import duckdb_settings, machine_facts
from featurestore.bench.steps import MARKER, SizeBench, StepFailed, StepResult, Workspace
from featurestore.paths import find_project_dir

logger = logging.getLogger("featurestore.bench")
console = Console()
err_console = Console(stderr=True)


class RichDisplay:
    """A spinner (and, for dbt, a nodes-done bar) per running step; one log line per finished step."""

    def __init__(self, console: Console) -> None:
        self.interactive = console.is_terminal
        self.bar = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=not self.interactive,
        )
        self.task: TaskID | None = None

    def __enter__(self) -> RichDisplay:
        self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.stop()

    def start(self, label: str) -> None:
        if self.interactive:
            self.task = self.bar.add_task(label, total=None)
        else:
            logger.info("%s ...", label)

    def progress(self, completed: int, total: int) -> None:
        if self.task is not None:
            self.bar.update(self.task, completed=completed, total=total)

    def finish(self, result: StepResult) -> None:
        if self.task is not None:
            self.bar.remove_task(self.task)
            self.task = None
        rss = "-" if result.peak_rss_mb is None else f"{result.peak_rss_mb:,.0f} MB"
        wall = "-" if result.wall_s is None else f"{result.wall_s:.2f} s"
        if result.success:
            logger.info("%s: %s [%s], peak RSS %s", result.label, wall, _headline(result), rss)
        else:
            logger.error("%s: FAILED after %s, peak RSS %s", result.label, wall, rss)


def _headline(result: StepResult) -> str:
    d = result.details
    if "statuses" in d:
        return ", ".join(f"{k} {v}" for k, v in sorted(d["statuses"].items()))
    for key, unit in (
        ("profiles_written", "profiles written"),
        ("events_read", "events read"),
        ("rows_written", "rows written"),
        ("total_rows", "rows"),
        ("feature_log_rows", "rows"),
    ):
        if key in d:
            return f"{d[key]:,} {unit}"
    return "ok"


def _summary_table(results: dict[str, Any], profiles: list[int]) -> Table:
    table = Table(title="featurestore bench (this run)")
    for column in ("size", "full", "daily", "daily/full", "scan", "write", "full/floors", "sync", "synced"):
        table.add_column(column, justify="right")
    for entry in results["sizes"]:
        if entry["profiles"] not in profiles:
            continue
        steps, r = entry["steps"], entry.get("ratios") or {}

        def s(name: str, steps: dict[str, Any] = steps) -> str:
            record = steps.get(name) or {}
            if not record.get("success"):
                return "-" if (record.get("details") or {}).get("skipped") else "FAILED"
            return f"{record['wall_s']:.1f} s"

        synced = ((steps.get("daily_sync") or {}).get("details") or {}).get("profiles_written")
        table.add_row(
            f"{entry['profiles']:,} x {entry['days']}",
            s("full_build"),
            s("daily_build"),
            "-" if r.get("daily_over_full") is None else f"{r['daily_over_full']:.3f}",
            s("scan_floor"),
            s("write_floor"),
            "-" if r.get("full_over_floors") is None else f"{r['full_over_floors']:.1f}x",
            s("daily_sync"),
            "-" if synced is None else f"{synced:,}",
        )
    return table


# Disk a size's work folder may need at its peak, per profile and generated day: its Gold Parquet, the warehouse
# (47 GB after the 1,000,000 x 90 full build) and DuckDB's spill while the candidate builds; a 1,000,000 x 90
# full build ran out of disk with 75 GB free (docs/benchmarks.md). Generous at small sizes
# (5,000 x 90 peaked at 280 MB), where it does not matter.
DISK_BYTES_PER_PROFILE_DAY = 1_000


def disk_needed(sizes: list[int], days: int, keep: bool, flat_cost_profiles: int | None) -> int:
    """Bytes the run may need at once: its largest folder (each is deleted before the next starts), or every
    folder's when --keep leaves them all behind. The flat-cost folder holds the base scenario's profiles and
    DORMANT_FACTOR times as many dormant ones."""
    folders = [n * days * DISK_BYTES_PER_PROFILE_DAY for n in sizes]
    if flat_cost_profiles is not None:
        folders.append((1 + DORMANT_FACTOR) * flat_cost_profiles * days * DISK_BYTES_PER_PROFILE_DAY)
    return sum(folders) if keep else max(folders, default=0)


def check_disk(root: Path, needed: int) -> None:
    """Refuse to start a run that the free space under `root` cannot hold (it would stop hours in)."""
    existing = next(folder for folder in (root, *root.parents) if folder.exists())
    free = shutil.disk_usage(existing).free
    if free < needed:
        raise typer.BadParameter(
            f"{existing} has {free / 1e9:,.1f} GB free and this run may need about {needed / 1e9:,.1f} GB "
            "(warehouse and DuckDB spill): choose a roomier --work-dir, fewer sizes, or --no-disk-check.",
            param_hint="--work-dir",
        )


def _fail(message: str) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(1)


def _run_sizes(
    sizes: list[int],
    days: int,
    seed: int,
    root: Path,
    project_dir: Path,
    out: Path,
    results: dict[str, Any],
    display: RichDisplay,
    keep: bool,
    gold_cache: Path | None = None,
) -> str | None:
    """Each size in turn, results saved after each; the first failure stops the run and is returned."""
    for n in sizes:
        workspace = Workspace(root / f"profiles-{n}", project_dir)
        bench = SizeBench(n, days, seed, workspace, display, keep, gold_cache=gold_cache)
        failure = None
        try:
            bench.run()
        except StepFailed as exc:
            failure = f"{exc} (work folder kept: {bench.workspace.root})"
        report.merge_size(results, bench.entry)
        report.save(out, results)
        if failure:
            return failure
    return None


def _run_flat_cost(flat: FlatCostBench, out: Path, results: dict[str, Any]) -> str | None:
    failure = None
    try:
        flat.run()
    except StepFailed as exc:
        failure = f"{exc} (work folder kept: {flat.root})"
    results["flat_cost"] = flat.result
    report.save(out, results)
    if flat.result.get("success"):
        logger.info(
            "Flat cost: daily build %.2fx the time, %.2fx the rows with %s dormant profiles: goal %s",
            flat.result["time_ratio"],
            flat.result["rows_ratio"],
            f"{flat.result['dormant_profiles']:,}",
            "met" if flat.result["met"] else "NOT met",
        )
    return failure


def bench_command(
    profiles: Annotated[
        list[int] | None,
        typer.Option(
            "--profiles",
            "-p",
            min=1,
            help="Profiles of one size to measure (on the start date); repeat for several sizes, e.g. "
            "-p 5000 -p 20000. Each size runs in its own fresh work folder with its own Redis.",
            show_default=False,
        ),
    ] = None,
    days: Annotated[int, typer.Option("--days", min=1, help="Days of generated history per size.")] = 90,
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            file_okay=False,
            help="Results folder: bench.json, bench.md, bench.png. Results already there are merged (one "
            "entry per size, newer replaces older).",
            show_default=False,
        ),
    ] = ...,  # type: ignore[assignment]
    seed: Annotated[int, typer.Option("--seed", min=0, help="Generator seed.")] = 42,
    flat_cost: Annotated[
        bool,
        typer.Option(
            "--flat-cost/--no-flat-cost",
            help="Also run the flat-cost experiment: the daily build with 10x dormant profiles vs without "
            "(goals <= 1.3x time, <= 1.1x rows written).",
        ),
    ] = False,
    flat_cost_profiles: Annotated[
        int, typer.Option("--flat-cost-profiles", min=1, help="Profiles of the flat-cost base scenario.")
    ] = 5_000,
    flat_cost_repeats: Annotated[
        int, typer.Option("--flat-cost-repeats", min=1, help="Daily builds per flat-cost scenario (median).")
    ] = 2,
    work_dir: Annotated[
        Path | None,
        typer.Option(
            "--work-dir",
            file_okay=False,
            help="Where the per-size work folders go (data, warehouse, dbt target and logs, Redis). "
            "Large sizes need disk: choose a roomy place.",
            show_default="a new temporary folder",
        ),
    ] = None,
    keep: Annotated[
        bool, typer.Option("--keep", help="Keep the work folders (they are always kept when a step fails).")
    ] = False,
    disk_check: Annotated[
        bool,
        typer.Option(
            "--disk-check/--no-disk-check",
            help="Refuse to start when the work folder's disk has less free space than the run may need "
            "(about 1 KB per profile and day for the largest size; every size's with --keep).",
        ),
    ] = True,
    gold_cache: Annotated[
        Path | None,
        typer.Option(
            "--gold-cache",
            file_okay=False,
            help="Keep each size's generated Gold data here and copy it instead of generating it again "
            "(same profiles, days and seed). The generate step then reports the original generation time.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Benchmark the pipeline end to end at one or more sizes: data generation, a scan floor, the full dbt
    build, a write floor, one daily incremental build and the Redis sync of that day.

    Every step runs as a child process (wall time and peak RSS from its rusage), isolated from data/: own
    RAW_DATA_DIR, DUCKDB_PATH, DBT_TARGET_PATH, DBT_LOG_PATH and redis-server. DUCKDB_MEMORY_LIMIT,
    DUCKDB_THREADS and DUCKDB_TEMP_DIR pass through and are recorded. What each step measures:
    docs/benchmarks.md.

    Example: featurestore bench -p 5000 -p 20000 --flat-cost --out benchmarks/results
    """
    sizes = list(dict.fromkeys(profiles or []))
    if not sizes and not flat_cost:
        raise typer.BadParameter(
            "nothing to measure: give --profiles N (repeatable) and/or --flat-cost.", param_hint="--profiles"
        )
    try:
        project_dir = find_project_dir()
    except FileNotFoundError as exc:
        raise typer.BadParameter(str(exc)) from exc
    try:
        results = report.load(out)
        out.mkdir(parents=True, exist_ok=True)
    except (report.ReportError, OSError) as exc:
        raise typer.BadParameter(str(exc), param_hint="--out") from exc

    if disk_check:
        check_disk(
            work_dir.resolve() if work_dir else Path(tempfile.gettempdir()),
            disk_needed(sizes, days, keep, flat_cost_profiles if flat_cost else None),
        )
    created_root = work_dir is None
    root = Path(tempfile.mkdtemp(prefix="featurestore-bench-")) if work_dir is None else work_dir.resolve()
    for name in [f"profiles-{n}" for n in sizes] + (["flat-cost"] if flat_cost else []):
        folder = root / name
        if folder.exists() and any(folder.iterdir()) and not (folder / MARKER).is_file():
            raise typer.BadParameter(
                f"{folder} exists and was not made by `featurestore bench`.", param_hint="--work-dir"
            )

    machine = machine_facts()
    logger.info(
        "Machine: %s usable CPUs, %s GB RAM, load %s; DuckDB %s, dbt-core %s; DuckDB env %s; work folder %s",
        machine["cpus_usable"],
        machine["ram_gb"],
        machine["load_average"],
        machine["duckdb"],
        machine["dbt_core"],
        duckdb_settings(),
        root,
    )
    display = RichDisplay(err_console)
    try:
        with display:
            cache = gold_cache.resolve() if gold_cache else None
            failure = _run_sizes(sizes, days, seed, root, project_dir, out, results, display, keep, cache)
            if flat_cost and failure is None:
                flat = FlatCostBench(
                    flat_cost_profiles,
                    days,
                    seed,
                    flat_cost_repeats,
                    root / "flat-cost",
                    project_dir,
                    display,
                    keep,
                )
                failure = _run_flat_cost(flat, out, results)
    except KeyboardInterrupt:
        err_console.print(
            f"[bold red]interrupted[/]: finished sizes are in {escape(str(out))}; "
            f"work folder kept: {escape(str(root))}",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(130) from None
    if sizes:
        console.print(_summary_table(results, sizes))
    logger.info("Results in %s: %s, %s, %s", out, report.JSON_NAME, report.MD_NAME, report.PNG_NAME)
    if failure:
        raise _fail(failure)
    if created_root and not keep:
        shutil.rmtree(root, ignore_errors=True)
