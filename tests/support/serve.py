"""A real `featurestore serve` process for tests: started on a free loopback port, stopped afterwards."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from featurestore.online.server import free_port

TOKEN = "test-token-only"


@dataclass
class HttpAnswer:
    status: int
    body: bytes
    headers: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class FeatureServer:
    base: str
    process: subprocess.Popen[bytes]
    log: Path
    token: str | None = TOKEN

    def call(
        self, path: str, body: object = None, token: str | None = "default", raw: bytes | None = None
    ) -> HttpAnswer:
        headers = {"Content-Type": "application/json"}
        token = self.token if token == "default" else token
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        request = urllib.request.Request(self.base + path, data=data, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return HttpAnswer(answer.status, answer.read(), dict(answer.headers))
        except urllib.error.HTTPError as error:
            return HttpAnswer(error.code, error.read(), dict(error.headers))


def serve_args(*extra: str) -> list[str]:
    return [sys.executable, "-c", "from featurestore.cli import app; app()", "serve", *extra]


@contextmanager
def feature_server(
    env: dict[str, str], log: Path, *extra: str, token: str | None = TOKEN
) -> Iterator[FeatureServer]:
    """`featurestore serve --port <free> [extra]` with `env` (and FS_SERVE_TOKEN unless token is None)."""
    port = free_port()
    full_env = {**os.environ, **env}
    if token:
        full_env["FS_SERVE_TOKEN"] = token
    else:
        full_env.pop("FS_SERVE_TOKEN", None)
    with log.open("wb") as out:
        process = subprocess.Popen(
            serve_args("--port", str(port), *extra), env=full_env, stdout=out, stderr=out
        )
    server = FeatureServer(f"http://127.0.0.1:{port}", process, log, token)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    f"featurestore serve exited {process.returncode}: {log.read_text()[-2000:]}"
                )
            try:
                urllib.request.urlopen(server.base + "/health", timeout=1).read()
                break
            except urllib.error.HTTPError:
                break  # answering (503: no sync yet)
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"featurestore serve did not answer: {log.read_text()[-2000:]}"
                    ) from None
                time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
