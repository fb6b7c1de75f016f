"""The publish gate of one dbt build: did `profile_features` publish, and did every check pass?

Consumers (the Redis sync) read dbt's own results instead of a flag someone must remember to set: those of
the build the same process just ran, or the newest invocation's (`invocations.current_results`, which refuses
run_results.json when a later invocation stopped before writing its own).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from featurestore.run_results import RunResults

# The published contract the sync serves: profile_features v1 (relation `profile_features`; docs/conventions.md).
PUBLISHED_MODEL = "model.featurestore.profile_features.v1"
FAILED = {"error", "fail", "runtime error"}


@dataclass(frozen=True)
class GateVerdict:
    passed: bool
    invocation_id: str
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def explain(self) -> str:
        if self.passed:
            return f"Publish gate passed in dbt run {self.invocation_id}."
        return f"Publish gate failed in dbt run {self.invocation_id}:\n  " + "\n  ".join(self.problems)


def publish_gate(results: RunResults) -> GateVerdict:
    """Passed only when the last invocation was a build that published profile_features with no failed node."""
    problems = [f"{n.status}: {n.unique_id}" + (f" ({n.message})" if n.message else "") for n in results.nodes
                if n.status in FAILED]
    warnings = [f"warn: {n.unique_id} ({n.message})" for n in results.nodes if n.status == "warn"]
    published = next((n for n in results.nodes if n.unique_id == PUBLISHED_MODEL), None)
    if results.command != "build":
        problems.append(f"the last dbt command was `{results.command}`, not `build`: run `dbt build` first")
    elif published is None:
        problems.append(f"{PUBLISHED_MODEL} was not part of the last build (was it excluded by a selector?)")
    elif published.status != "success":
        problems.append(f"{PUBLISHED_MODEL} did not publish (status: {published.status})")
    return GateVerdict(not problems, results.invocation_id, problems, warnings)
