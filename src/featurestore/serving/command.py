"""`featurestore serve`: run the HTTP feature server (uvicorn, uvloop, httptools).

Exit codes: 0 stopped normally (Ctrl-C, SIGTERM); 2 bad configuration (no bearer token and no --no-auth,
a bad limit, the port taken, Redis unreachable at start-up, wrong credentials).
"""

from __future__ import annotations

import logging
import os
import socket
import tempfile

import typer
from rich.console import Console

from featurestore.online import OnlineStoreError
from featurestore.paths import ProjectPaths

err_console = Console(stderr=True)
logger = logging.getLogger(__name__)


def _fail(message: str, code: int = 2) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def serve_command(
    host: str = typer.Option(
        "127.0.0.1", "--host", envvar="FS_SERVE_HOST", help="Interface to listen on (0.0.0.0: all)."
    ),
    port: int = typer.Option(8000, "--port", envvar="FS_SERVE_PORT", min=1, max=65535, help="TCP port."),
    no_auth: bool = typer.Option(
        False, "--no-auth", help="Serve without authentication (default: a bearer token from FS_SERVE_TOKEN)."
    ),
    workers: int = typer.Option(
        1, "--workers", envvar="FS_SERVE_WORKERS", min=1, help="Worker processes (docs/serving.md: sizing)."
    ),
    max_batch: int = typer.Option(
        1000,
        "--max-batch",
        envvar="FS_SERVE_MAX_BATCH",
        min=1,
        help="Most profile ids in one request (413 above).",
    ),
    max_id_length: int = typer.Option(
        128, "--max-id-length", envvar="FS_SERVE_MAX_ID_LENGTH", min=1, help="Longest profile id (422 above)."
    ),
    access_log: bool = typer.Option(
        True, "--access-log/--no-access-log", help="One JSON line per request on stdout."
    ),
) -> None:
    """Serve current features over HTTP (docs/serving.md): GET /v1/features/{id}, POST /v1/features.

    Also /v1/schema (the catalog), /health, /metrics (Prometheus), /openapi.json and /docs.

    Values are as of the store's feature date, equal to dbt's profile_features_as_of for it.

    Redis: REDIS_URL, else the local Redis (started if needed); key prefix FS_PREFIX.

    Auth: `Authorization: Bearer <FS_SERVE_TOKEN>` on /v1/*; --no-auth turns it off.

    Exit codes: 0 stopped; 2 bad configuration (no token, port taken, Redis unreachable).
    """
    from redis.cluster import RedisCluster

    from featurestore.online.client import open_redis, read_meta, redact, resolve_url
    from featurestore.online.layout import Layout, configured_prefix
    from featurestore.serving.app import ACCESS_LOG_ENV, AUTH_ENV, TOKEN_ENV, ConfigError

    if not no_auth and not os.environ.get(TOKEN_ENV):
        raise _fail(
            f"{TOKEN_ENV} is not set: export a bearer token "
            f"(e.g. `export {TOKEN_ENV}=$(openssl rand -hex 32)`) "
            "or pass --no-auth to serve without authentication."
        )
    try:
        paths = ProjectPaths.discover()
        url = resolve_url(None, start_local=True, paths=paths)
        client = open_redis(url, socket_timeout=5.0)
        try:
            if isinstance(client, RedisCluster):
                raise OnlineStoreError(
                    f"REDIS_URL {redact(url)} is a Redis Cluster: featurestore serve reads a standalone "
                    "Redis (or a cluster behind a proxy that routes keys); the Python client reads clusters.",
                    exit_code=2,
                )
            meta = read_meta(client, Layout(configured_prefix(), ()))
        finally:
            client.close()
    except OnlineStoreError as exc:
        raise _fail(exc.message, exc.exit_code) from exc
    except FileNotFoundError as exc:
        raise _fail(str(exc)) from exc
    if not _port_free(host, port):
        raise _fail(f"Cannot listen on {host}:{port}: the port is taken. Pass --port (or FS_SERVE_PORT).")
    os.environ.update(
        {
            "REDIS_URL": url,
            "FS_SERVE_MAX_BATCH": str(max_batch),
            "FS_SERVE_MAX_ID_LENGTH": str(max_id_length),
            AUTH_ENV: "off" if no_auth else "on",
            ACCESS_LOG_ENV: "on" if access_log else "off",
        }
    )
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="featurestore-metrics-")
    try:
        from featurestore.serving.app import ServeConfig

        ServeConfig.from_env()  # the workers build theirs from the same environment: fail here, once
    except ConfigError as exc:
        raise _fail(str(exc)) from exc
    state = (
        f"feature date {meta.feature_date}"
        if meta
        else "no completed sync yet (503 until `featurestore sync`)"
    )
    logger.info(
        "Serving %s on http://%s:%d (%d worker%s, auth %s); Redis %s, %s",
        configured_prefix(),
        host,
        port,
        workers,
        "s" if workers > 1 else "",
        "off" if no_auth else "on",
        redact(url),
        state,
    )
    import uvicorn

    uvicorn.run(
        "featurestore.serving.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
        timeout_graceful_shutdown=10,
    )
