"""One size of the benchmark, step by step, each step a measured child process in an isolated work folder.

The order (`SIZE_STEPS`) is the life of a real deployment: data lands, the first full build, the first Redis
load, then one day later the daily incremental build and the sync of that day's changed profiles. The floors
sit next to the full build they bound: the scan floor reads what the build reads, the write floor writes
what the build publishes.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import signal
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from featurestore.bench.measure import (
    Measurement,
    duckdb_settings,
    load_average,
    machine_facts,
    now_utc,
    run_measured,
)
from featurestore.online import OnlineStoreError

logger = logging.getLogger(__name__)

MARKER = ".featurestore-bench"
TOP_NODES = 10

#: (key in bench.json, label shown in progress, the Markdown table and errors), in run order.
SIZE_STEPS: tuple[tuple[str, str], ...] = (
    ("generate", "generate Gold data"),
    ("scan_floor", "scan floor"),
    ("full_build", "full dbt build"),
    ("write_floor", "write floor"),
    ("initial_sync", "initial Redis sync (full load)"),
    ("append_day", "append one day"),
    ("daily_build", "daily dbt build"),
    ("daily_sync", "Redis sync of the day"),
)
STEP_LABELS = dict(SIZE_STEPS)


class StepFailed(Exception):
    """A step ended badly; the message is one line naming the step and the log to read."""

    def __init__(self, label: str, reason: str, log: Path | None, result: StepResult | None = None) -> None:
        self.label = label
        self.reason = reason
        self.log = log
        self.result = result  # the failed step's measurement, when it ran at all
        where = f"; log: {log}" if log else ""
        super().__init__(f"step '{label}' failed: {reason}{where}")


class Display(Protocol):
    """What the command shows while steps run (a rich progress display, or nothing in tests)."""

    def start(self, label: str) -> None: ...

    def progress(self, completed: int, total: int) -> None: ...

    def finish(self, result: StepResult) -> None: ...


class NoDisplay:
    def start(self, label: str) -> None:
        pass

    def progress(self, completed: int, total: int) -> None:
        pass

    def finish(self, result: StepResult) -> None:
        pass


@dataclass
class StepResult:
    name: str
    label: str
    wall_s: float | None
    peak_rss_mb: float | None
    success: bool
    details: dict[str, Any] = field(default_factory=dict)
    log: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "wall_s": None if self.wall_s is None else round(self.wall_s, 3),
            "peak_rss_mb": None if self.peak_rss_mb is None else round(self.peak_rss_mb, 1),
            "success": self.success,
            "details": self.details,
            "log": self.log,
        }


@dataclass(frozen=True)
class Workspace:
    """A fresh folder holding everything one size (or flat-cost scenario) writes; nothing of data/ is used."""

    root: Path
    project_dir: Path

    @property
    def raw(self) -> Path:
        return self.root / "raw"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def target(self) -> Path:
        return self.root / "target"

    @property
    def dbt_logs(self) -> Path:
        return self.root / "dbt-logs"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def results(self) -> Path:
        return self.root / "results"

    @property
    def scratch(self) -> Path:
        return self.root / "scratch"

    @property
    def redis(self) -> Path:
        return self.root / "redis"

    def prepare(self) -> None:
        """Create the folder empty; an older folder of ours (marked) is replaced, anything else refused."""
        if self.root.exists():
            if not self.root.is_dir() or (any(self.root.iterdir()) and not (self.root / MARKER).is_file()):
                raise FileExistsError(
                    f"{self.root} exists and was not made by `featurestore bench`: choose another --work-dir."
                )
            shutil.rmtree(self.root)
        self.root.mkdir(parents=True)
        (self.root / MARKER).write_text("made by `featurestore bench`; removed with --no-keep\n")

    def env(self, redis_url: str | None = None) -> dict[str, str]:
        """The caller's environment (DuckDB settings, DBT_PROFILES_DIR, ... pass through) with every data path
        pointing into this folder."""
        env = {
            **os.environ,
            "FS_PROJECT_DIR": str(self.project_dir),
            "RAW_DATA_DIR": str(self.raw),
            "DUCKDB_PATH": str(self.warehouse),
            "DBT_TARGET_PATH": str(self.target),
            "DBT_LOG_PATH": str(self.dbt_logs),
            "SPARK_HOME_DIR": str(self.root / "spark"),
            "DBT_USE_COLORS": "false",
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("REDIS_URL", None)  # never the user's Redis
        if redis_url:
            env["REDIS_URL"] = redis_url
        return env


def dbt_executable() -> str:
    beside = Path(sys.executable).parent / "dbt"
    if beside.is_file():
        return str(beside)
    found = shutil.which("dbt")
    if not found:
        raise FileNotFoundError("No `dbt` executable next to this Python or on PATH: run `make setup`.")
    return found


_DBT_DONE = re.compile(r"\b(\d+) of (\d+) (?:OK|PASS|WARN|ERROR|FAIL|SKIP|NO-OP)\b")


class DbtLogFollower:
    """Reads a running dbt's output log and reports nodes done / total (for the progress bar)."""

    def __init__(self, log: Path, display: Display) -> None:
        self.log = log
        self.display = display
        self.offset = 0
        self.total = 0
        self.done = 0
        self.partial = ""

    def poll(self) -> None:
        try:
            with self.log.open("r", errors="replace") as handle:
                handle.seek(self.offset)
                chunk = handle.read()
                self.offset = handle.tell()
        except OSError:
            return
        lines = (self.partial + chunk).split("\n")
        self.partial = lines.pop()
        for line in lines:
            match = _DBT_DONE.search(line)
            if not match:
                continue
            total = int(match.group(2))
            if total > self.total:  # the nodes, not the (smaller) list of hooks
                self.total, self.done = total, 0
            if total == self.total:
                self.done += 1
        if self.total:
            self.display.progress(self.done, self.total)


def _short_name(unique_id: str) -> str:
    return unique_id.split(".", 2)[-1] if unique_id.count(".") >= 2 else unique_id


def summarize_run_results(path: Path, top: int = TOP_NODES) -> dict[str, Any]:
    """dbt's own account of a build: status counts, elapsed time, seconds per node type, the slowest models
    (and snapshots), the failed nodes."""
    raw = json.loads(path.read_text())
    results = raw.get("results", [])

    def seconds(r: dict[str, Any]) -> float:
        return float(r.get("execution_time") or 0.0)

    by_type: dict[str, float] = {}
    for r in results:
        kind = r["unique_id"].split(".", 1)[0]
        by_type[kind] = by_type.get(kind, 0.0) + seconds(r)
    models = sorted(
        (r for r in results if r["unique_id"].split(".", 1)[0] in {"model", "snapshot"}),
        key=lambda r: -seconds(r),
    )
    failed = [
        {"node": r["unique_id"], "status": r["status"], "message": (r.get("message") or "")[:300]}
        for r in results
        if r.get("status") in {"error", "fail", "runtime error"}
    ]
    return {
        "dbt_elapsed_s": round(float(raw.get("elapsed_time") or 0.0), 3),
        "invocation_id": raw.get("metadata", {}).get("invocation_id"),
        "nodes": len(results),
        "statuses": dict(Counter(r.get("status") for r in results)),
        "node_seconds_by_type": {k: round(v, 3) for k, v in sorted(by_type.items())},
        "top_models": [
            {"model": _short_name(r["unique_id"]), "seconds": round(seconds(r), 3), "status": r.get("status")}
            for r in models[:top]
        ],
        "failed": failed,
    }


class StepRunner:
    """Runs the steps of one workspace as measured child processes and turns them into `StepResult`s."""

    def __init__(self, workspace: Workspace, display: Display, context: str) -> None:
        self.ws = workspace
        self.display = display
        self.context = context  # e.g. "5,000 profiles x 90 days", for labels and errors
        self.redis_url: str | None = None

    def _label(self, label: str) -> str:
        return f"[{self.context}] {label}"

    def worker(self, name: str, label: str, step: str, *args: str) -> StepResult:
        """`python -m featurestore.bench.worker STEP ...`; wall_s is the step's own timed work."""
        result_file = self.ws.results / f"{name}.json"
        result_file.unlink(missing_ok=True)
        log = self.ws.logs / f"{name}.log"
        argv = [sys.executable, "-m", "featurestore.bench.worker", step, "--result", str(result_file), *args]
        self.display.start(self._label(label))
        measured = run_measured(argv, env=self.ws.env(self.redis_url), cwd=self.ws.project_dir, log=log)
        if measured.returncode != 0 or not result_file.is_file():
            reason = _last_error_line(log) or f"exit code {measured.returncode}"
            raise StepFailed(self._label(label), reason, log, self._finish_failed(name, label, measured))
        details: dict[str, Any] = json.loads(result_file.read_text())
        seconds = float(details.pop("seconds"))
        details["process_wall_s"] = round(measured.wall_s, 3)
        result = StepResult(name, label, seconds, measured.peak_rss_mb, True, details, str(log))
        self.display.finish(result)
        return result

    def dbt_build(self, name: str, label: str) -> StepResult:
        """`dbt build --target local` in the project folder; wall_s is the whole process (start-up too)."""
        log = self.ws.logs / f"{name}.log"
        run_results = self.ws.target / "run_results.json"
        run_results.unlink(missing_ok=True)
        self.display.start(self._label(label))
        follower = DbtLogFollower(log, self.display)
        measured = run_measured(
            [dbt_executable(), "build", "--target", "local"],
            env=self.ws.env(self.redis_url),
            cwd=self.ws.project_dir,
            log=log,
            on_poll=follower.poll,
        )
        details: dict[str, Any] = {
            "returncode": measured.returncode,
            "dbt_log": str(self.ws.dbt_logs / "dbt.log"),
        }
        if run_results.is_file():
            self.ws.results.mkdir(parents=True, exist_ok=True)
            shutil.copy(run_results, self.ws.results / f"{name}.run_results.json")
            details.update(summarize_run_results(run_results))
        success = measured.returncode == 0
        result = StepResult(name, label, measured.wall_s, measured.peak_rss_mb, success, details, str(log))
        self.display.finish(result)
        if not success:
            failed = details.get("failed") or []
            if failed:
                names = ", ".join(f"{f['status']} {_short_name(f['node'])}" for f in failed[:3])
                more = f" and {len(failed) - 3} more" if len(failed) > 3 else ""
                reason = f"dbt build exited {measured.returncode} ({names}{more})"
            else:  # no run_results.json: dbt stopped before writing it; its output names the nodes
                nodes = _failed_nodes_in_output(log)
                why = _last_error_line(log) or "see log"
                if measured.returncode < 0:  # killed (out of memory, stopped by hand): say by what and where
                    killed_by = _signal_name(-measured.returncode)
                    reason = f"dbt build was killed by {killed_by} {_progress_in_output(log)}"
                elif nodes:
                    reason = f"dbt build exited {measured.returncode} ({', '.join(nodes[:3])}; then: {why})"
                else:
                    reason = f"dbt build exited {measured.returncode} before running nodes ({why})"
            raise StepFailed(self._label(label), reason, log, result)
        return result

    def _finish_failed(self, name: str, label: str, measured: Measurement) -> StepResult:
        result = StepResult(
            name,
            label,
            measured.wall_s,
            measured.peak_rss_mb,
            False,
            {"returncode": measured.returncode},
            str(measured.log),
        )
        self.display.finish(result)
        return result


def _last_error_line(log: Path) -> str | None:
    """The most telling words of a failed child's log: our worker's `error in step` line, dbt's
    "Encountered an error:" block, else its last error-looking line."""
    try:
        lines = [line.strip() for line in log.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return None
    lines = [re.sub(r"^\d\d:\d\d:\d\d\s+", "", line) for line in lines]
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].startswith("error in step"):
            return lines[i][:300]
        if lines[i].startswith("Encountered an error"):
            block = [line for line in lines[i + 1 : i + 3] if not line.startswith("Traceback")]
            return ": ".join(block)[:300] or None
    for line in reversed(lines):
        if "Error" in line or "error" in line:
            return line[:300]
    return lines[-1][:300] if lines else None


_DBT_FAILED_NODE = re.compile(
    r"\b\d+ of \d+ (ERROR|FAIL)(?: \d+)? "
    r"(?:creating (?:sql|python) \w+ model |snapshotted |loading seed file )?(\S+)"
)


def _failed_nodes_in_output(log: Path) -> list[str]:
    """`error <node>` for every node dbt's console output reports as ERROR or FAIL."""
    try:
        text = log.read_text(errors="replace")
    except OSError:
        return []
    return [f"{m.group(1).lower()} {m.group(2).rsplit('.', 1)[-1]}" for m in _DBT_FAILED_NODE.finditer(text)]


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


_DBT_NODE_PROGRESS = re.compile(r"\b(\d+) of (\d+) (?:OK|PASS|WARN|ERROR|FAIL|SKIP)\b")


def _progress_in_output(log: Path) -> str:
    """`after N of M nodes` from dbt's console output (the last node it reported finished)."""
    try:
        finished = _DBT_NODE_PROGRESS.findall(log.read_text(errors="replace"))
    except OSError:
        finished = []
    if not finished:
        return "before it finished a node"
    done, total = finished[-1]
    return f"after {done} of {total} nodes"


def size_label(profiles: int, days: int) -> str:
    return f"{profiles:,} profiles x {days} days"


@dataclass
class SizeBench:
    """Runs every step of one size; `entry` (what bench.json keeps) fills in as the steps complete."""

    profiles: int
    days: int
    seed: int
    workspace: Workspace
    display: Display = field(default_factory=NoDisplay)
    keep: bool = False
    gold_cache: Path | None = None
    entry: dict[str, Any] = field(default_factory=dict)
    current: str = ""

    def __post_init__(self) -> None:
        self.entry = {
            "profiles": self.profiles,
            "days": self.days,
            "seed": self.seed,
            "measured_at": now_utc(),
            "machine": machine_facts(),
            "duckdb_env": duckdb_settings(),
            "duckdb_effective": None,
            "work_dir": str(self.workspace.root),
            "success": False,
            "error": None,
            "data": {},
            "steps": {},
        }

    def _step(self, name: str, run: Callable[[], StepResult]) -> StepResult:
        self.current = name
        result = run()
        self.entry["steps"][name] = result.to_json()
        return result

    def run(self) -> dict[str, Any]:
        """Every step in order; raises StepFailed (the entry keeps the steps done and the failure)."""
        from featurestore.online.server import RedisServer, free_port, redis_server_path

        ws = self.workspace
        ws.prepare()
        runner = StepRunner(ws, self.display, size_label(self.profiles, self.days))
        data = self.entry["data"]
        raw = str(ws.raw)
        try:
            gen = self._step(
                "generate",
                lambda: runner.worker(
                    "generate",
                    STEP_LABELS["generate"],
                    "generate",
                    "--raw",
                    raw,
                    "--profiles",
                    str(self.profiles),
                    "--days",
                    str(self.days),
                    "--seed",
                    str(self.seed),
                    *(["--gold-cache", str(self.gold_cache)] if self.gold_cache else []),
                ),
            )
            data["gold_rows"] = gen.details["rows"]
            scan = self._step(
                "scan_floor",
                lambda: runner.worker(
                    "scan_floor",
                    STEP_LABELS["scan_floor"],
                    "scan-floor",
                    "--raw",
                    raw,
                    "--db",
                    str(ws.scratch / "scan_floor.duckdb"),
                ),
            )
            data["events"] = scan.details["events_read"]
            data["profile_days"] = scan.details["profile_days_written"]
            self.entry["duckdb_effective"] = scan.details.get("duckdb_settings")
            self._step("full_build", lambda: runner.dbt_build("full_build", STEP_LABELS["full_build"]))
            self._step("write_floor", lambda: self._write_floor(runner))
            self.current = "initial_sync"
            server = RedisServer(ws.redis, free_port())
            runner.redis_url = server.start()
            self.entry["redis"] = {"url": runner.redis_url, "server": str(redis_server_path())}
            try:
                self._step(
                    "initial_sync", lambda: runner.worker("initial_sync", STEP_LABELS["initial_sync"], "sync")
                )
                self._step(
                    "append_day",
                    lambda: runner.worker(
                        "append_day", STEP_LABELS["append_day"], "append-day", "--raw", raw
                    ),
                )
                self._step("daily_build", lambda: runner.dbt_build("daily_build", STEP_LABELS["daily_build"]))
                self._step(
                    "daily_sync", lambda: runner.worker("daily_sync", STEP_LABELS["daily_sync"], "sync")
                )
            finally:
                server.stop(save=False)
        except (StepFailed, OnlineStoreError) as exc:
            reason = exc.reason if isinstance(exc, StepFailed) else exc.message
            self.entry["error"] = str(exc)
            steps = self.entry["steps"]
            if isinstance(exc, StepFailed) and exc.result is not None and exc.result.name in STEP_LABELS:
                steps[exc.result.name] = exc.result.to_json()
            for name, label in SIZE_STEPS:
                if name not in steps:
                    details: dict[str, Any] = {"error": reason} if name == self.current else {"skipped": True}
                    steps[name] = StepResult(name, label, None, None, False, details).to_json()
                elif name == self.current:
                    steps[name]["success"] = False
                    steps[name]["details"]["error"] = reason
            if isinstance(exc, OnlineStoreError):
                raise StepFailed(
                    f"[{runner.context}] {STEP_LABELS[self.current]}", reason, ws.redis / "redis.log"
                ) from exc
            raise
        self.entry["success"] = True
        self.entry["load_average_after"] = load_average()
        if not self.keep:
            shutil.rmtree(ws.root, ignore_errors=True)
            self.entry["work_dir"] = None
            for step in self.entry["steps"].values():  # the logs went with the folder
                step["log"] = None
                step["details"].pop("dbt_log", None)
        return self.entry

    def _write_floor(self, runner: StepRunner) -> StepResult:
        ws = self.workspace
        parquet = ws.scratch / "profile_features.parquet"
        export = runner.worker(
            "export_features",
            "export profile_features to Parquet (untimed)",
            "export-features",
            "--warehouse",
            str(ws.warehouse),
            "--parquet",
            str(parquet),
        )
        for key in ("feature_log_rows", "feature_columns", "live_profiles"):
            self.entry["data"][key] = export.details[key]
        result = runner.worker(
            "write_floor",
            STEP_LABELS["write_floor"],
            "write-floor",
            "--parquet",
            str(parquet),
            "--db",
            str(ws.scratch / "write_floor.duckdb"),
        )
        result.details["export_s"] = None if export.wall_s is None else round(export.wall_s, 3)
        result.details["export_peak_rss_mb"] = round(export.peak_rss_mb or 0.0, 1)
        result.details["parquet_bytes"] = export.details["parquet_bytes"]
        same = (result.details["rows_written"], result.details["columns"]) == (
            export.details["feature_log_rows"],
            export.details["feature_columns"],
        )
        if not same:
            raise StepFailed(
                runner._label(STEP_LABELS["write_floor"]),
                f"wrote {result.details['rows_written']:,} rows x {result.details['columns']} columns, "
                f"profile_features has {export.details['feature_log_rows']:,} x "
                f"{export.details['feature_columns']}",
                Path(result.log) if result.log else None,
            )
        # The floors' two databases and the Parquet export are of no use to the later steps, --keep or not: at
        # 1,000,000 profiles they are 24 GB, and with --keep they once filled the disk in the daily build.
        shutil.rmtree(ws.scratch, ignore_errors=True)
        return result
