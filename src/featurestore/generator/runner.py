"""Orchestration: `generate` a whole period, or `append_day` one more day to an existing output.

Memory stays bounded because days stream: each day is simulated, written and dropped. Only late
arrivals (~1% of a day) wait in memory until their landing day. `append_day` needs no stored state: it
regenerates the few previous days whose late rows can land on the new day and keeps just those rows,
which gives exactly the files a longer `generate` would have written.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa

from featurestore.generator.config import (
    DIMENSION_TABLES,
    LATE_LOOKBACK_DAYS,
    TABLES,
    GeneratorConfig,
)
from featurestore.generator.events import simulate_day
from featurestore.generator.population import Catalog, Population, build_catalog, build_population
from featurestore.generator.progress import ProgressCallback, rich_progress
from featurestore.generator.quality import EventBatch, finalize
from featurestore.generator.writer import (
    dimension_path,
    event_path,
    prepare_output,
    read_manifest,
    write_manifest,
    write_parquet,
)

logger = logging.getLogger(__name__)

#: What `progress=` accepts: a callback, True for a rich progress bar on stderr, or None/False.
ProgressArg = ProgressCallback | bool | None


@dataclass
class GenerationReport:
    """What one `generate` / `append_day` call wrote.

    `rows` counts rows written by this call: event rows added, and the full size of the dimension
    tables (they are rewritten every time).
    """

    out_dir: Path
    mode: str
    rows: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLES, 0))
    days_written: list[date] = field(default_factory=list)
    seconds: float = 0.0
    files_written: int = 0
    late_rows: int = 0
    duplicate_rows: int = 0
    dirty_rows: int = 0

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def rows_per_second(self) -> float:
        return self.total_rows / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> str:
        """One short paragraph for logs and the CLI."""
        if not self.days_written:
            span = "no days"
        elif len(self.days_written) == 1:
            span = self.days_written[0].isoformat()
        else:
            span = f"{self.days_written[0]}..{self.days_written[-1]} ({len(self.days_written)} days)"
        tables = ", ".join(f"{name} {count:,}" for name, count in self.rows.items())
        return (
            f"{self.mode}: {span} into {self.out_dir} in {self.seconds:.1f}s "
            f"({self.total_rows:,} rows, {self.rows_per_second:,.0f} rows/s, {self.files_written} files). "
            f"Rows: {tables}. Late {self.late_rows:,}, duplicates {self.duplicate_rows:,}, "
            f"dirty {self.dirty_rows:,}."
        )

    def __str__(self) -> str:
        return self.summary()


def _day_batches(
    config: GeneratorConfig, pop: Population, catalog: Catalog, day: int
) -> dict[str, EventBatch]:
    viewing, engagement = simulate_day(config, pop, catalog, day)
    return {
        "viewing_events": finalize("viewing", config, pop, catalog, day, viewing),
        "engagement_events": finalize("engagement", config, pop, catalog, day, engagement),
    }


def _write_events(
    report: GenerationReport,
    config: GeneratorConfig,
    table: str,
    event_day: int,
    landing_day: int,
    rows: pa.Table,
) -> None:
    path = event_path(config.out_dir, table, config.day_date(event_day), config.day_date(landing_day))
    write_parquet(rows, path)
    report.rows[table] += rows.num_rows
    report.files_written += 1


def _landing_rows(batch: EventBatch, landing_day: int) -> pa.Table:
    return batch.table.filter(pa.array(batch.landing_day == landing_day))


def _count_defects(report: GenerationReport, batch: EventBatch) -> None:
    report.dirty_rows += batch.dirty_rows
    report.duplicate_rows += batch.duplicate_rows


def _write_dimensions(
    report: GenerationReport, config: GeneratorConfig, pop: Population, catalog: Catalog, through_day: int
) -> None:
    tables = {
        "accounts": pop.accounts_table(through_day),
        "profiles": pop.profiles_table(through_day),
        "content": catalog.table(config, through_day),
    }
    for name in DIMENSION_TABLES:
        write_parquet(tables[name], dimension_path(config.out_dir, name))
        report.rows[name] = tables[name].num_rows
        report.files_written += 1


def generate(
    config: GeneratorConfig, progress: ProgressArg = None, *, overwrite: bool = False
) -> GenerationReport:
    """Generate `config.days` days into `config.out_dir`.

    Raises `GeneratorError` if the folder already holds generated data and `overwrite` is false;
    with `overwrite` only the generator's own folders and manifest are removed first.
    """
    if progress is True:
        with rich_progress("generate") as bar:
            return generate(config, bar, overwrite=overwrite)
    callback = progress if callable(progress) else None
    started = time.perf_counter()
    prepare_output(config.out_dir, overwrite)
    logger.info(
        "Generating %d days from %s for %d profiles (seed %d) into %s",
        config.days, config.start_date, config.profiles, config.seed, config.out_dir,
    )  # fmt: skip
    last = config.days - 1
    catalog = build_catalog(config)
    pop = build_population(config, last)
    report = GenerationReport(out_dir=config.out_dir, mode="generate")
    pending: dict[int, list[tuple[str, int, pa.Table]]] = defaultdict(list)

    for day in range(config.days):
        for name, batch in _day_batches(config, pop, catalog, day).items():
            _count_defects(report, batch)
            _write_events(report, config, name, day, day, _landing_rows(batch, day))
            for landing in np.unique(batch.landing_day[batch.landing_day > day]).tolist():
                if landing <= last:  # later landings are written by a future --append-day
                    pending[landing].append((name, day, _landing_rows(batch, landing)))
        for name, event_day, rows in pending.pop(day, []):
            _write_events(report, config, name, event_day, day, rows)
            report.late_rows += rows.num_rows
        report.days_written.append(config.day_date(day))
        logger.debug("Wrote %s", config.day_date(day))
        if callback is not None:
            callback(day + 1, config.days, config.day_date(day))

    _write_dimensions(report, config, pop, catalog, last)
    write_manifest(config)
    report.seconds = time.perf_counter() - started
    logger.info("%s", report.summary())
    return report


def append_day(out_dir: Path, progress: ProgressArg = None) -> GenerationReport:
    """Add the day after the manifest's last day to an existing output.

    Writes that day's events, the late rows of the previous days that land on it (as extra files in
    their own partitions), and rewrites the dimension tables as of the new day. Events are written
    before the manifest, so an interrupted append can simply be repeated.
    """
    if progress is True:
        with rich_progress("append-day") as bar:
            return append_day(out_dir, bar)
    callback = progress if callable(progress) else None
    started = time.perf_counter()
    out_dir = Path(out_dir)
    previous = read_manifest(out_dir)
    day = previous.days
    config = previous.with_days(day + 1)
    logger.info("Appending %s to %s", config.day_date(day), out_dir)
    catalog = build_catalog(config)
    pop = build_population(config, day)
    report = GenerationReport(out_dir=out_dir, mode="append-day")
    first = max(0, day - LATE_LOOKBACK_DAYS)
    steps = day - first + 1

    for step, event_day in enumerate([*range(first, day), day], start=1):
        for name, batch in _day_batches(config, pop, catalog, event_day).items():
            if event_day == day:
                _count_defects(report, batch)
            rows = _landing_rows(batch, day)
            if event_day == day or rows.num_rows:
                _write_events(report, config, name, event_day, day, rows)
            if event_day != day:
                report.late_rows += rows.num_rows
        if callback is not None:
            callback(step, steps, config.day_date(event_day))

    report.days_written.append(config.day_date(day))
    _write_dimensions(report, config, pop, catalog, day)
    write_manifest(config)
    report.seconds = time.perf_counter() - started
    logger.info("%s", report.summary())
    return report
