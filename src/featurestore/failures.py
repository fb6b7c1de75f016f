"""Expected failures: one line that names the thing and the fix, a documented exit code, no traceback.

Exit codes of every `featurestore` command (docs/operations.md):

- 0 `EXIT_OK`: done.
- 1 `EXIT_FAILED`: the work ran and failed or was refused: a dbt node or test failed, the publish gate
  refused, a write failed midway (Redis full or gone, disk full). Whatever was committed stays consistent;
  rerun after fixing the cause.
- 2 `EXIT_INPUT`: the work could not start: bad usage or configuration, an unreadable or incomplete Gold
  input, another writer holds the warehouse, Redis unreachable or refusing the credentials. Nothing changed.
- 130 `EXIT_INTERRUPTED`: stopped with Ctrl-C.

`-v` (before the command: `featurestore -v run`) logs the traceback of an expected failure for debugging.
"""

from __future__ import annotations

import errno
import functools
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INPUT = 2
EXIT_INTERRUPTED = 130

logger = logging.getLogger("featurestore")
err_console = Console(stderr=True)


class FeaturestoreError(Exception):
    """A failure with a message meant for the user (what broke, what to do) and the exit code it maps to."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


@dataclass(frozen=True)
class Diagnosis:
    """What an engine's error text means for the user."""

    what: str
    fix: str
    exit_code: int

    def line(self) -> str:
        return f"{self.what}. {self.fix}"  # `fix` ends with a full stop


def one_line(text: str, limit: int = 400) -> str:
    """An error text on one line (dbt and DuckDB wrap theirs over several), shortened to `limit` characters."""
    flat = " ".join(str(text).split())
    for prefix in ("Runtime Error ", "Database Error ", "Compilation Error "):
        if flat.startswith(prefix):
            flat = flat[len(prefix) :]
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


_Rule = tuple[re.Pattern[str], Callable[[re.Match[str], str], Diagnosis]]


def _corrupt_file(match: re.Match[str], _text: str) -> Diagnosis:
    path = match.group("path")
    return Diagnosis(
        f"Gold file {path} is not a readable Parquet file (truncated or half-copied?)",
        "Replace it with a complete copy, or move it out of RAW_DATA_DIR, then rerun.",
        EXIT_INPUT,
    )


def _contract(match: re.Match[str], text: str) -> Diagnosis:
    # the project's own source checks (macros/sources/) name the table, the column or folder, and the fix
    what, _, fix = one_line(text[match.start() :]).partition(". ")
    return Diagnosis(what, fix or "Fix the files under RAW_DATA_DIR, then rerun.", EXIT_INPUT)


def _duckdb_lock(match: re.Match[str], _text: str) -> Diagnosis:
    from pathlib import Path

    from featurestore.writer_lock import current_writer

    path = match.group("path")
    writer = current_writer(Path(path))
    if writer is not None:
        return Diagnosis(
            f"The warehouse {path} is being written by {writer.describe()}; DuckDB lets no other process open "
            "it meanwhile",
            "Retry when that run has finished (`featurestore run` holds it for its whole dbt build).",
            EXIT_INPUT,
        )
    return Diagnosis(
        f"Another process has the DuckDB file {path} open (DuckDB allows one writing process)",
        "Close it (a dbt run outside featurestore, a BI tool, a Python session), or wait for it, then rerun.",
        EXIT_INPUT,
    )


def _disk_full(_match: re.Match[str], text: str) -> Diagnosis:
    path = re.search(r"""["'](?P<path>/[^"']+)["']""", text)
    where = f" (writing {path.group('path')})" if path else ""
    return Diagnosis(
        f"The disk is full{where}",
        "Free space (DuckDB also spills to DUCKDB_TEMP_DIR) and rerun: committed data is intact, the "
        "unfinished step is redone.",
        EXIT_FAILED,
    )


def _missing_table(match: re.Match[str], _text: str) -> Diagnosis:
    return Diagnosis(
        f"Table {match.group('name')} does not exist in the warehouse",
        "Build it first: `featurestore run` (or `dbt build`; a warehouse built by an older version: add "
        "--full-refresh).",
        EXIT_FAILED,
    )


def _missing_column_binder(match: re.Match[str], _text: str) -> Diagnosis:
    return Diagnosis(
        f"Column {match.group('name')} does not exist where it is read",
        "The warehouse was built by another version of the project: rebuild with `featurestore run "
        "--full-refresh`.",
        EXIT_FAILED,
    )


_RULES: list[_Rule] = [
    (re.compile(r"No space left on device|Could not write all bytes|ENOSPC", re.I), _disk_full),
    (re.compile(r"No magic bytes found at end of file '(?P<path>[^']+)'"), _corrupt_file),
    (
        re.compile(r"(?:Invalid Input|IO) Error: .*?(?:file|File) '?(?P<path>[^' ]+\.parquet)'?.*?"
                   r"(?:corrupt|too small|invalid|Invalid|not a parquet)"),
        _corrupt_file,
    ),
    (re.compile(r"Gold source table '[^']+' (?:is missing required column|has no Parquet files)"), _contract),
    (re.compile(r'Could not set lock on file "(?P<path>[^"]+)"'), _duckdb_lock),
    (re.compile(r"Table with name (?P<name>\S+) does not exist"), _missing_table),
    (re.compile(r'Referenced column "?(?P<name>[^" ]+)"? not found'), _missing_column_binder),
]


def diagnose(text: str) -> Diagnosis | None:
    """The known meaning of an engine error text (dbt, DuckDB, the OS), or None."""
    flat = " ".join(str(text).split())
    for pattern, explain in _RULES:
        if match := pattern.search(flat):
            return explain(match, flat)
    return None


def as_featurestore_error(exc: BaseException) -> FeaturestoreError | None:
    """An expected failure behind a library exception (DuckDB, the OS), or None for a bug."""
    import duckdb

    if isinstance(exc, FeaturestoreError):
        return exc
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        found = diagnose(f"No space left on device: '{exc.filename}'" if exc.filename else str(exc))
        return FeaturestoreError(found.line() if found else str(exc), EXIT_FAILED)
    if isinstance(exc, duckdb.Error):
        found = diagnose(str(exc))
        if found is not None:
            return FeaturestoreError(found.line(), found.exit_code)
        return FeaturestoreError(f"DuckDB failed: {one_line(str(exc))}", EXIT_FAILED)
    return None


def explain(exc: BaseException, doing: str, exit_code: int = EXIT_FAILED) -> tuple[str, int]:
    """(one line, exit code) for an engine error met while `doing` something ("Cannot read the warehouse x")."""
    found = diagnose(str(exc))
    if found is not None:
        return found.line(), found.exit_code
    return f"{doing}: {one_line(str(exc))}", exit_code


def report_failure(exc: FeaturestoreError) -> None:
    """Print the one-line error; keep the traceback for `-v`."""
    logger.debug("traceback of the failure below", exc_info=exc)
    err_console.print(f"[bold red]error:[/] {escape(exc.message)}", highlight=False, soft_wrap=True)


F = TypeVar("F", bound=Callable[..., Any])


def expected_failures(command: F) -> F:
    """Decorate a CLI command: expected failures end in one line and their exit code, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:  # expected ones are reported; anything else is a bug and keeps its traceback
            expected = as_featurestore_error(exc)
            if expected is None:
                raise
            report_failure(expected)
            raise typer.Exit(expected.exit_code) from None

    return wrapper  # type: ignore[return-value]
