"""The real `featurestore` command in a child process, as a user (or a scheduler) runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
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


class OutputWatcher:
    """Reads a child's output on a thread (so the pipe never fills), keeps every line, and lets a test wait
    for a line it cares about."""

    def __init__(self, process: "subprocess.Popen[str]") -> None:
        import threading

        self.process = process
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def wait_for(self, predicate: Callable[[str], bool], timeout: float = 300) -> str:
        """The first line (seen so far or later) matching `predicate`; AssertionError on exit or timeout."""
        import time

        deadline = time.monotonic() + timeout
        seen = 0
        with self._changed:
            while True:
                for line in self.lines[seen:]:
                    if predicate(line):
                        return line
                seen = len(self.lines)
                if not self._thread.is_alive():
                    raise AssertionError("the process ended before the expected line:\n" + self.text[-3000:])
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("timed out waiting for a line:\n" + self.text[-3000:])
                self._changed.wait(min(left, 1.0))

    def finish(self, timeout: float = 600) -> int:
        code = self.process.wait(timeout)
        self._thread.join(timeout=30)
        return code

    @property
    def text(self) -> str:
        return "\n".join(self.lines)
