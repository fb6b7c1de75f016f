"""Read what the last dbt invocation did, from dbt's own `target/run_results.json`."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path


def parse_timestamp(value: object) -> datetime | None:
    """dbt's artefact timestamps (ISO 8601, UTC, 'Z' or no zone) as aware datetimes; None if absent."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class NodeResult:
    unique_id: str
    status: str
    message: str | None
    seconds: float = 0.0  # dbt's execution_time of the node

    @property
    def resource_type(self) -> str:
        return self.unique_id.split(".", 1)[0]

    @property
    def name(self) -> str:
        return self.unique_id.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class RunResults:
    """The outcome of one dbt invocation."""

    invocation_id: str
    command: str
    target: str | None
    elapsed_seconds: float
    nodes: list[NodeResult] = field(default_factory=list)
    generated_at: datetime | None = None  # when dbt wrote the file (the end of the invocation)

    @classmethod
    def load(cls, target_dir: Path) -> "RunResults":
        path = target_dir / "run_results.json"
        if not path.is_file():
            raise FileNotFoundError(f"No dbt results at {path}: run `dbt build` (or `featurestore run`) first.")
        raw = json.loads(path.read_text())
        args = raw.get("args", {})
        return cls(
            invocation_id=raw["metadata"]["invocation_id"],
            command=args.get("which", "?"),
            target=args.get("target"),
            elapsed_seconds=float(raw.get("elapsed_time", 0.0)),
            nodes=[
                NodeResult(r["unique_id"], r["status"], r.get("message"), float(r.get("execution_time") or 0.0))
                for r in raw["results"]
            ],
            generated_at=parse_timestamp(raw["metadata"].get("generated_at")),
        )

    def status_counts(self) -> Counter[str]:
        return Counter(n.status for n in self.nodes)

    def by_type(self) -> dict[str, Counter[str]]:
        table: dict[str, Counter[str]] = {}
        for node in self.nodes:
            table.setdefault(node.resource_type, Counter())[node.status] += 1
        return table

    @property
    def failed(self) -> list[NodeResult]:
        return [n for n in self.nodes if n.status in {"error", "fail", "runtime error"}]
