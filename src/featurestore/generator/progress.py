"""Progress reporting: the callback type and a rich progress bar (one step per simulated day)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

#: Called after each simulated day with (steps done, total steps, day just processed).
ProgressCallback = Callable[[int, int, date], None]


@contextmanager
def rich_progress(description: str, console: Console | None = None) -> Iterator[ProgressCallback]:
    """A progress bar on stderr (stdout stays clean for the report) and the callback that drives it."""
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[day]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console or Console(stderr=True),
    )
    with progress:
        task = progress.add_task(description, total=None, day="")

        def advance(done: int, total: int, day: date) -> None:
            progress.update(task, completed=done, total=total, day=day.isoformat())

        yield advance
