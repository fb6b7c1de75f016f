"""The real `featurestore` command in a child process, as a user (or a scheduler) runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

from tests.support.dbt import PROJECT_DIR, DbtHarness


def featurestore_argv(*args: str) -> list[str]:
    return [sys.executable, "-c", "from featurestore.cli import app; app()", *args]


def cli_env(harness: DbtHarness, **extra: str) -> dict[str, str]:
    """The environment of a child `featurestore`: the harness's data paths, a wide console, unbuffered."""
    env = {**os.environ, **harness._env(), "COLUMNS": "240", "PYTHONUNBUFFERED": "1"}
    env.pop("REDIS_URL", None)  # never the developer's Redis: a test that syncs passes its own
    env.update(extra)
    return env


@dataclass
class CliRun:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    @property
    def error_lines(self) -> list[str]:
        """The lines featurestore printed as its own errors (`error: ...`)."""
        return [line for line in self.output.splitlines() if line.startswith("error:")]


def run_cli(harness: DbtHarness, *args: str, timeout: float = 900, **env: str) -> CliRun:
    done = subprocess.run(
        featurestore_argv(*args),
        cwd=PROJECT_DIR,
        env=cli_env(harness, **env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return CliRun(done.returncode, done.stdout, done.stderr)


def start_cli(harness: DbtHarness, *args: str, **env: str) -> "subprocess.Popen[str]":
    """A `featurestore` child whose stdout (stderr merged) the caller reads line by line."""
    options: dict[str, Any] = {"stdout": subprocess.PIPE, "stderr": subprocess.STDOUT, "text": True}
    return subprocess.Popen(featurestore_argv(*args), cwd=PROJECT_DIR, env=cli_env(harness, **env), **options)
