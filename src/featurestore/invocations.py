"""Each run reports only itself: dbt invocations as featurestore runs them, and which results are current.

dbt writes `target/run_results.json` only when an invocation gets as far as running nodes; one that stops
earlier (a corrupt Gold file read by an on-run-start hook, a parse error) or is killed leaves the previous
invocation's file in place. So:

- `run_dbt` runs dbt in this process, follows its events (invocation id, the step it is in) and returns this
  invocation's results only: run_results.json is read back only when it carries this invocation's id.
  When dbt stopped before writing results, it says which step failed and why (`DbtStop`).
- It records every invocation beside dbt's artefacts (`target/featurestore_last_invocation.json`: id, step,
  error, PID, the warehouse) when it starts and when it ends.
- `current_results` gives the results of the newest invocation, or refuses (`StaleResults`) when the newest
  invocation wrote none: the record says a later invocation started (and stopped or was killed), or dbt's
  own `manifest.json` (written by every invocation after parsing, also by plain `dbt`) carries a newer id.
  The sync's publish gate, `featurestore summary` and the report read results through it.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

from featurestore.dbt_invoke import invoke_dbt
from featurestore.failures import EXIT_FAILED, Diagnosis, FeaturestoreError, diagnose, one_line
from featurestore.paths import ProjectPaths
from featurestore.run_results import RunResults, parse_timestamp

logger = logging.getLogger(__name__)

RECORD_NAME = "featurestore_last_invocation.json"


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def pid_alive(pid: int) -> bool:
    """Is the process running (a zombie, killed but not yet reaped by its parent, is not)?"""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[:1] != ["Z"]


def command_line() -> str:
    """This process' command as a user would type it (`featurestore run --no-sync`)."""
    argv = list(sys.argv)
    if not argv:
        return "featurestore"
    name = Path(argv[0]).name
    if name in {"featurestore", "__main__.py"} or name.endswith(".py") or argv[0] == "-c":
        name = "featurestore"
    return " ".join([name, *argv[1:]])


@dataclass
class InvocationRecord:
    """What featurestore knows about the dbt invocation it started last in this target folder."""

    command: str  # the dbt command line (`build --target local`)
    started_at: str
    pid: int
    caller: str  # the featurestore command that ran it
    warehouse: str  # DUCKDB_PATH when it started (the `local` target's warehouse)
    target: str  # dbt target
    invocation_id: str | None = None
    # running | finished (wrote its results) | stopped (failed before writing results) | no-results (succeeded;
    # a command that writes none, such as `ls`)
    status: str = "running"
    finished_at: str | None = None
    step: str | None = None  # where it stopped
    error: str | None = None

    @property
    def started(self) -> datetime:
        return parse_timestamp(self.started_at) or datetime.min.replace(tzinfo=timezone.utc)

    def write(self, target_dir: Path) -> None:
        target_dir.mkdir(parents=True, exist_ok=True)
        path = target_dir / RECORD_NAME
        partial = path.with_name(f".{RECORD_NAME}.{os.getpid()}")
        partial.write_text(json.dumps(asdict(self), indent=2))
        partial.replace(path)  # atomic: a reader sees the old record or the new one

    @classmethod
    def load(cls, target_dir: Path) -> "InvocationRecord | None":
        path = target_dir / RECORD_NAME
        try:
            raw = json.loads(path.read_text())
            return cls(**{k: raw.get(k) for k in cls.__dataclass_fields__ if k in raw})
        except (OSError, ValueError, TypeError):
            return None

    def describe_stop(self) -> str:
        who = f"`dbt {self.command}` (started {self.started:%Y-%m-%d %H:%M:%S} UTC by `{self.caller}`, PID {self.pid}"
        who += f", invocation {self.invocation_id})" if self.invocation_id else ")"
        if self.status == "running":
            if pid_alive(self.pid) and self.pid != os.getpid():
                return f"{who} is still running"
            return f"{who} did not finish: the process was killed or crashed"
        where = f" during {self.step}" if self.step else ""
        return f"{who} stopped{where}: {(self.error or 'see logs/dbt.log').rstrip('.')}"


class StaleResults(FeaturestoreError):
    """target/run_results.json does not belong to the newest dbt invocation."""


def _manifest_meta(target_dir: Path) -> tuple[str | None, datetime | None]:
    path = target_dir / "manifest.json"
    try:
        with path.open("rb") as handle:
            head = handle.read(4096).decode("utf-8", "replace")  # metadata is written first
    except OSError:
        return None, None
    meta: dict[str, Any] = {}
    for key in ("invocation_id", "generated_at"):
        marker = f'"{key}": "'
        start = head.find(marker)
        if start >= 0:
            end = head.find('"', start + len(marker))
            meta[key] = head[start + len(marker) : end]
    return meta.get("invocation_id"), parse_timestamp(meta.get("generated_at"))


def current_results(paths: ProjectPaths) -> RunResults:
    """The results of the newest dbt invocation of this target folder, or StaleResults (exit 1) saying why
    run_results.json is not theirs; FeaturestoreError (exit 1) when there are none at all."""
    target_dir = paths.target_dir
    try:
        results = RunResults.load(target_dir)
    except FileNotFoundError as exc:
        raise FeaturestoreError(str(exc), EXIT_FAILED) from exc
    except (KeyError, ValueError, TypeError) as exc:
        raise FeaturestoreError(
            f"Unreadable dbt results {target_dir / 'run_results.json'} ({exc!r}): rerun `featurestore run`.",
            EXIT_FAILED,
        ) from exc
    written = results.generated_at
    record = InvocationRecord.load(target_dir)
    if (
        record is not None
        and record.status in ("running", "stopped")
        and record.invocation_id != results.invocation_id
    ):
        if written is None or record.started > written:
            raise StaleResults(
                f"The newest dbt invocation wrote no results: {record.describe_stop()}. "
                f"{target_dir / 'run_results.json'} belongs to an older invocation ({results.invocation_id}); "
                "rerun `featurestore run`."
            )
    if (
        record is not None
        and record.invocation_id == results.invocation_id
        and record.target == "local"
        and record.warehouse != str(paths.duckdb_path)
    ):
        raise StaleResults(
            f"The dbt results in {target_dir} are those of a build of another warehouse ({record.warehouse}), "
            f"not of {paths.duckdb_path}: build this one (`featurestore run`) or set DBT_TARGET_PATH."
        )
    manifest_id, manifest_at = _manifest_meta(target_dir)
    if (
        manifest_id
        and manifest_id != results.invocation_id
        and manifest_at is not None
        and (written is None or manifest_at > written)
        and not (
            record is not None
            and record.invocation_id == manifest_id
            and record.status in ("finished", "no-results")
        )
    ):
        raise StaleResults(
            f"The newest dbt invocation ({manifest_id}, parsed at {manifest_at:%Y-%m-%d %H:%M:%S} UTC) wrote no "
            f"results: it stopped or was killed before finishing (or was a command without results, such as "
            f"`dbt ls`). {target_dir / 'run_results.json'} belongs to an older invocation "
            f"({results.invocation_id}); rerun `featurestore run` (or `dbt build`)."
        )
    return results


# --- running dbt ----------------------------------------------------------------------------------------


def _hook_texts(project_dir: Path) -> dict[str, list[str]]:
    try:
        project = yaml.safe_load((project_dir / "dbt_project.yml").read_text()) or {}
    except (OSError, yaml.YAMLError):
        return {}
    hooks: dict[str, list[str]] = {}
    for kind in ("on-run-start", "on-run-end"):
        value = project.get(kind) or []
        items = [value] if isinstance(value, str) else list(value)
        hooks[kind] = [" ".join(str(item).replace("{{", "").replace("}}", "").split()) for item in items]
    return hooks


def _node_label(unique_id: str) -> str:
    kind, _package, *rest = unique_id.split(".")
    return f"{kind.replace('_', ' ')} {rest[-1] if rest else unique_id}"


@dataclass
class DbtTracker:
    """A dbt event callback: this invocation's id, and the step dbt is in (for a failure before results)."""

    hooks: dict[str, list[str]] = field(default_factory=dict)
    invocation_id: str | None = None
    step: str = "starting dbt (profiles.yml, dbt_project.yml)"
    errors: list[str] = field(default_factory=list)
    on_invocation_id: Any = None
    running: set[str] = field(default_factory=set)

    def _hook(self, statement: str, index: int) -> str:
        # statement: "featurestore.on-run-start.0"
        kind = "on-run-end" if "on-run-end" in statement else "on-run-start"
        texts = self.hooks.get(kind, [])
        total = len(texts)
        text = f" ({texts[index - 1]})" if 0 < index <= total else ""
        return f"the {kind} hook {index} of {total or '?'}{text}"

    def __call__(self, event: Any) -> None:
        info = event.info
        if self.invocation_id is None and getattr(info, "invocation_id", None):
            self.invocation_id = info.invocation_id
            if self.on_invocation_id is not None:
                self.on_invocation_id(self.invocation_id)
        name = info.name
        data = event.data
        if name == "MainReportVersion":
            self.step = "parsing the project"
        elif name == "FoundStats":
            self.step = "connecting to the warehouse"
        elif name == "LogHookStartLine":
            self.step = self._hook(data.statement, int(data.index))
        elif name == "LogHookEndLine":
            index, total = int(data.index), int(data.total)
            kind = "on-run-end" if "on-run-end" in data.statement else "on-run-start"
            if index < total:
                self.step = self._hook(f"{kind}", index + 1)
            else:
                self.step = "running the nodes" if kind == "on-run-start" else "finishing (after the nodes)"
        elif name == "NodeStart":
            self.running.add(data.node_info.unique_id)
            self.step = ", ".join(_node_label(n) for n in sorted(self.running))
        elif name == "NodeFinished":
            self.running.discard(data.node_info.unique_id)
        elif info.level == "error" and name != "MainEncounteredError":
            self.errors.append(info.msg)


@dataclass(frozen=True)
class DbtStop:
    """Why an invocation ended without results, for the user."""

    step: str
    error: str
    fix: str
    exit_code: int

    def line(self, command: str = "dbt build") -> str:
        return f"{command} stopped during {self.step}: {self.error}. {self.fix}"


@dataclass(frozen=True)
class DbtInvocation:
    """One dbt invocation as this process ran it."""

    args: list[str]
    invocation_id: str | None
    success: bool
    results: RunResults | None  # this invocation's results; None when it wrote none
    stop: DbtStop | None  # set when dbt raised (no results, or a failure around the nodes)
    exception: BaseException | None = None  # dbt's own, for `-v`

    @property
    def exit_code(self) -> int:
        if self.success:
            return 0
        return self.stop.exit_code if self.stop else EXIT_FAILED


def _stop(tracker: DbtTracker, exception: BaseException | None, results: RunResults | None) -> DbtStop:
    text = str(exception) if exception is not None else (tracker.errors[-1] if tracker.errors else "")
    found: Diagnosis | None = diagnose(text) if text else None
    if found is not None:
        return DbtStop(tracker.step, found.what, found.fix, found.exit_code)
    fix = "See logs/dbt.log, fix the cause and rerun."
    return DbtStop(tracker.step, one_line(text).rstrip(".") or "dbt gave no reason", fix, EXIT_FAILED)


def run_dbt(args: Sequence[str], paths: ProjectPaths, caller: str | None = None, target: str = "local") -> DbtInvocation:
    """`dbt <args>` in this process, recorded; this invocation's results only."""
    from dbt.cli.main import dbtRunner

    record = InvocationRecord(
        command=" ".join(args),
        started_at=now_utc().isoformat(timespec="microseconds"),
        pid=os.getpid(),
        caller=caller or command_line(),
        warehouse=str(paths.duckdb_path),
        target=target,
    )
    target_dir = paths.target_dir
    record.write(target_dir)

    def remember_id(invocation_id: str) -> None:
        record.invocation_id = invocation_id
        record.write(target_dir)

    tracker = DbtTracker(hooks=_hook_texts(paths.project_dir), on_invocation_id=remember_id)
    try:
        result = invoke_dbt(list(args), paths, runner=dbtRunner(callbacks=[tracker]))
    except BaseException as exc:  # dbt itself crashed, or Ctrl-C: the record says so
        record.status, record.step, record.error = "stopped", tracker.step, one_line(str(exc) or type(exc).__name__)
        record.finished_at = now_utc().isoformat(timespec="microseconds")
        record.write(target_dir)
        raise
    results: RunResults | None = None
    try:
        loaded = RunResults.load(target_dir)
        if tracker.invocation_id is not None and loaded.invocation_id == tracker.invocation_id:
            results = loaded
    except (FileNotFoundError, KeyError, ValueError):
        results = None
    stop = None
    if result.exception is not None or (results is None and not result.success):
        stop = _stop(tracker, result.exception, results)
    if results is not None:
        record.status = "finished"
    else:
        record.status = "no-results" if result.success else "stopped"
    if stop is not None:
        record.step, record.error = stop.step, stop.error
    record.finished_at = now_utc().isoformat(timespec="microseconds")
    record.write(target_dir)
    return DbtInvocation(list(args), tracker.invocation_id, bool(result.success), results, stop, result.exception)
