"""`featurestore docs`: build dbt's docs site (feature catalog and lineage) and serve it on a local port.

The site is dbt's own (`dbt docs generate`): `index.html`, `manifest.json` and `catalog.json` in `docs/`
inside the target folder (DBT_TARGET_PATH), beside, not over, the last build's artefacts. The catalog half is read from the built warehouse, so a warehouse that was never
built is refused up front (exit 2) rather than published as a site without column types.

`dbt docs generate` opens the DuckDB warehouse read-write (dbt-duckdb has no read-only main database), so it
runs under the warehouse's writer lock, like `featurestore dbt`: while a build writes, it exits 2 naming the
writer (or waits, --wait / FS_LOCK_WAIT). Serving reads only the files in the target folder: the lock and
the warehouse are released before the server starts, so a `featurestore run` may rebuild meanwhile (reload
the page after `featurestore docs --no-serve` to see the new site).

Exit codes: 0 built (--no-serve) or served until stopped (Ctrl-C, SIGTERM); 1 dbt failed; 2 could not start
(no built warehouse, another writer, the port taken); 130 Ctrl-C during the build.
"""

from __future__ import annotations

import errno
import functools
import json
import logging
import shutil
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any

import typer
from rich.console import Console

from featurestore.failures import EXIT_INPUT, EXIT_INTERRUPTED, FeaturestoreError, err_console, expected_failures
from featurestore.invocations import run_dbt
from featurestore.paths import ProjectPaths
from featurestore.writer_lock import WAIT_ENV, WAIT_HELP, writer_lock

logger = logging.getLogger(__name__)
console = Console()

DEFAULT_PORT = 8080
PARTIAL_PARSE = "partial_parse.msgpack"


@dataclass(frozen=True)
class DocsSite:
    """A built docs site: the folder dbt wrote it to and how many models its catalog describes."""

    directory: Path
    cataloged_models: int

    @property
    def index(self) -> Path:
        return self.directory / "index.html"


def site_dir(paths: ProjectPaths) -> Path:
    """Where the site is built: a folder of its own inside the target folder, because `docs generate` also
    writes manifest.json and run_results.json, which would replace the last build's (the publish gate of
    `featurestore sync`, `summary` and the report read those)."""
    return paths.target_dir / "docs"


def reuse_parse(build_dir: Path, site: Path) -> None:
    """Start the site's dbt from the last build's parsed project when it is newer than the site's own.

    dbt keeps its parsed project in `<target-path>/partial_parse.msgpack`; the site's folder would otherwise
    start with none and parse the whole project again (about as long as generating the site). dbt checks the
    file against the project, vars and profile before using it and parses afresh when they differ.
    """
    parsed, copy = build_dir / PARTIAL_PARSE, site / PARTIAL_PARSE
    try:
        if parsed.is_file() and (not copy.is_file() or parsed.stat().st_mtime > copy.stat().st_mtime):
            site.mkdir(parents=True, exist_ok=True)
            shutil.copy2(parsed, copy)
    except OSError as exc:  # only a speed-up: dbt parses from scratch without it
        logger.debug("not reusing %s: %s", parsed, exc)


def missing_warehouse(paths: ProjectPaths, target: str) -> str | None:
    """Why the target's warehouse cannot feed the catalog (it was never built), or None."""
    if target == "local" and not paths.duckdb_path.is_file():
        return f"No warehouse at {paths.duckdb_path} (DUCKDB_PATH)"
    if target == "spark" and not (paths.spark_dir / "metastore_db").is_dir():
        return f"No Spark warehouse in {paths.spark_dir} (SPARK_HOME_DIR)"
    return None


def _cataloged_models(catalog: Path) -> int:
    try:
        nodes = json.loads(catalog.read_text()).get("nodes", {})
    except (OSError, ValueError) as exc:
        raise FeaturestoreError(f"dbt docs generate wrote no readable {catalog} ({exc}). See logs/dbt.log.") from exc
    return sum(1 for unique_id in nodes if unique_id.startswith("model."))


def build_site(paths: ProjectPaths, target: str = "local", wait: float = 0.0) -> DocsSite:
    """`dbt docs generate` into the target folder, under the warehouse's writer lock."""
    build_hint = "run `make run` (or `featurestore run`) first to build it, then rerun `featurestore docs`."
    missing = missing_warehouse(paths, target)
    if missing is not None:
        raise FeaturestoreError(f"{missing}: the docs catalog is read from the built warehouse; {build_hint}",
                                EXIT_INPUT)
    directory = site_dir(paths)
    reuse_parse(paths.target_dir, directory)
    with writer_lock(paths, target, wait=wait):
        invocation = run_dbt(["docs", "generate", "--target", target, "--target-path", str(directory)], paths,
                             target=target)
    if isinstance(invocation.exception, KeyboardInterrupt):  # dbt's runner returns a Ctrl-C as its result
        raise invocation.exception
    if invocation.stop is not None:
        stopped = FeaturestoreError(invocation.stop.line("dbt docs generate"), invocation.exit_code)
        raise stopped from invocation.exception
    if not invocation.success:
        raise FeaturestoreError("dbt docs generate failed: see the errors above and logs/dbt.log.",
                                invocation.exit_code)
    site = DocsSite(directory, _cataloged_models(directory / "catalog.json"))
    if site.cataloged_models == 0:
        # the file exists (DuckDB creates an empty one on first open) but no model was ever built into it
        where = f" ({paths.duckdb_path})" if target == "local" else ""
        raise FeaturestoreError(f"The warehouse of target {target}{where} holds none of the project's models: "
                                f"{build_hint}", EXIT_INPUT)
    return site


class _QuietHandler(SimpleHTTPRequestHandler):
    """Serves the site's folder; request lines go to the debug log instead of stderr."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class' name
        logger.debug("docs server: " + format, *args)


class _SiteServer(ThreadingHTTPServer):
    """The HTTP server; a browser that goes away mid-response (a closed tab) is not an error worth a traceback."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.debug("docs server: request from %s failed", client_address, exc_info=True)


def open_server(directory: Path, host: str, port: int) -> ThreadingHTTPServer:
    """A static HTTP server of `directory` bound to host:port (port 0: any free port); exit 2 when taken."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    try:
        return _SiteServer((host, port), handler)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise FeaturestoreError(
                f"Cannot serve the docs on {host}:{port}: the port is in use (another `featurestore docs` or "
                f"`dbt docs serve`?). Stop it, or pick a free port: --port {port + 1 if port else DEFAULT_PORT}.",
                EXIT_INPUT,
            ) from exc
        if exc.errno == errno.EACCES:
            raise FeaturestoreError(
                f"Cannot serve the docs on {host}:{port}: permission denied (ports below 1024 need root). "
                f"Pick a port from 1024 up: --port {DEFAULT_PORT}.",
                EXIT_INPUT,
            ) from exc
        raise FeaturestoreError(
            f"Cannot serve the docs on {host}:{port}: {exc.strerror or exc}. Check --host (an address of this "
            "machine, e.g. 127.0.0.1 or 0.0.0.0) and --port.",
            EXIT_INPUT,
        ) from exc


def site_url(server: ThreadingHTTPServer, host: str) -> str:
    port = server.server_address[1]
    shown = "127.0.0.1" if host in ("", "0.0.0.0") else (f"[{host}]" if ":" in host else host)
    return f"http://{shown}:{port}/"


def serve_forever(server: ThreadingHTTPServer, announce: Callable[[], None] = lambda: None) -> None:
    """Serve until Ctrl-C or SIGTERM, then close the socket (both are the normal way to stop: exit 0).

    `announce` (e.g. printing the URL) runs once the signals are handled: a Ctrl-C right after it stops the server
    instead of killing the process."""

    def stop(_signum: int, _frame: FrameType | None) -> None:
        # shutdown() waits for serve_forever to return, so it must not run on the serving thread itself
        threading.Thread(target=server.shutdown, daemon=True).start()

    # Both signals get this handler explicitly, and are unblocked, rather than trusting the state the process
    # started with: a Ctrl-C that the parent left ignored or blocked, or a native library's handler left in
    # place by the in-process docs build, would otherwise leave the server running.
    stop_signals = (signal.SIGINT, signal.SIGTERM)
    previous = {signum: signal.signal(signum, stop) for signum in stop_signals}
    signal.pthread_sigmask(signal.SIG_UNBLOCK, stop_signals)
    try:
        announce()
        server.serve_forever(poll_interval=0.2)
    finally:
        for signum, handler in previous.items():
            if handler is not None:  # None: a handler not set from Python, which cannot be put back from here
                signal.signal(signum, handler)
        server.server_close()


@expected_failures
def docs_command(
    port: int = typer.Option(DEFAULT_PORT, "--port", "-p", min=0, max=65535, envvar="FS_DOCS_PORT",
                             help="TCP port of the local site (0: any free port)."),
    host: str = typer.Option("127.0.0.1", "--host", envvar="FS_DOCS_HOST",
                             help="Address to listen on (0.0.0.0: every interface; the site has no login)."),
    serve: bool = typer.Option(True, "--serve/--no-serve", help="Serve the site after building it (--no-serve: only build)."),
    target: str = typer.Option("local", "--target", "-t", envvar="DBT_TARGET", help="dbt target whose warehouse feeds the catalog."),
    wait: float = typer.Option(0.0, "--wait", metavar="SECONDS", min=0, envvar=WAIT_ENV, help=WAIT_HELP),
) -> None:
    """Build the dbt docs site (feature catalog, lineage from Gold to the exposures) and serve it locally.

    Needs a built warehouse (`make run`). Writes the site into target/docs/ (under DBT_TARGET_PATH), then
    serves that folder at http://HOST:PORT/ until Ctrl-C. docs/lineage.md.
    Exit codes: 0 built / stopped; 1 dbt failed; 2 no built warehouse, another writer, port taken; 130 Ctrl-C
    during the build.
    """
    paths = ProjectPaths.discover()
    server = open_server(site_dir(paths), host, port) if serve else None  # a taken port fails before the build
    try:
        try:
            site = build_site(paths, target, wait=wait)
        except KeyboardInterrupt:
            err_console.print(f"[bold red]interrupted[/]: the docs site in {site_dir(paths)} may be incomplete; "
                              "rerun `featurestore docs`.", highlight=False, soft_wrap=True)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        console.print(f"Docs site built in {site.directory} ({site.cataloged_models} models in the catalog).")
        if server is None:
            console.print("Serve it with `featurestore docs` (or open it with `dbt docs serve`).")
            return
        url = site_url(server, host)
        announcement = f"Serving the docs at [bold]{url}[/] - Ctrl-C to stop."
        serve_forever(server, lambda: console.print(announcement, highlight=False))
        server = None
        logger.info("Docs server stopped.")
    finally:
        if server is not None:
            server.server_close()
