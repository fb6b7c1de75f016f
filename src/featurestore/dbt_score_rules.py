"""The project's own conventions as dbt-score rules, linted over the parsed manifest by `make test`.

Configured in pyproject.toml ([tool.dbt-score]); docs/conventions.md lists the rules and the exceptions.

Grain: every model names its primary key in `config.meta.primary_key` (a list of columns) and tests it, so a
consumer reads the grain from the docs and a duplicate fails the build. A model without a key (one row per
input row, where the input's own ids may be NULL or repeated) says why in `meta.no_primary_key_because`.
"""

from typing import Any

from dbt_score import Exposure, Model, RuleViolation, Severity, Source, rule

COMPOUND_UNIQUE_TESTS = ("expect_compound_columns_to_be_unique", "unique_combination_of_columns")


def _meta(model: Model) -> dict[str, Any]:
    return {**model.config.get("meta", {}), **model.meta}


def _column_tests(model: Model, column_name: str) -> set[str]:
    column = next((column for column in model.columns if column.name == column_name), None)
    if column is None:
        return set()
    tests = {test.type for test in column.tests}
    tests |= {constraint.type for constraint in column.constraints}
    return tests


def _compound_unique_columns(model: Model) -> list[set[str]]:
    keys = []
    for test in model.tests:
        if test.type in COMPOUND_UNIQUE_TESTS:
            columns = test.kwargs.get("column_list") or test.kwargs.get("combination_of_columns") or []
            keys.append(set(columns))
    return keys


@rule(severity=Severity.HIGH)
def model_has_tested_primary_key(model: Model) -> RuleViolation | None:
    """A model declares its grain (meta.primary_key) and tests it unique and not null."""
    meta = _meta(model)
    primary_key = meta.get("primary_key")
    if primary_key is None:
        return RuleViolation("No meta.primary_key: name the grain's columns (or [] with no_primary_key_because).")
    if not primary_key:
        if not meta.get("no_primary_key_because"):
            return RuleViolation("primary_key is [] without meta.no_primary_key_because.")
        return None
    missing_not_null = [c for c in primary_key if "not_null" not in _column_tests(model, c)]
    if missing_not_null:
        return RuleViolation(f"Primary-key columns without a not_null test: {', '.join(missing_not_null)}.")
    if len(primary_key) == 1:
        if "unique" not in _column_tests(model, primary_key[0]):
            return RuleViolation(f"Primary key {primary_key[0]} has no unique test.")
        return None
    if set(primary_key) not in _compound_unique_columns(model):
        return RuleViolation(f"No compound uniqueness test on ({', '.join(primary_key)}).")
    return None


@rule(severity=Severity.HIGH)
def model_has_owner_group(model: Model) -> RuleViolation | None:
    """A model belongs to a group, which names its owner."""
    if not model.group:
        return RuleViolation("Model has no group (set +group in dbt_project.yml).")
    return None


@rule(severity=Severity.HIGH)
def exposure_depends_on_public_models(exposure: Exposure) -> RuleViolation | None:
    """Consumers read the contract, not the internals: an exposure's parent models are all public."""
    internal = [
        parent.name for parent in exposure.parents if isinstance(parent, Model) and parent.access != "public"
    ]
    if internal:
        return RuleViolation(f"Depends on non-public models: {', '.join(internal)}.")
    return None


@rule(severity=Severity.HIGH)
def exposure_has_owner_and_url(exposure: Exposure) -> RuleViolation | None:
    """An exposure names an owner with an email, its maturity and where the consumer lives (url)."""
    missing = [
        what
        for what, value in (
            ("owner email", exposure.owner.get("email")),
            ("maturity", exposure.maturity),
            ("url", exposure.url),
        )
        if not value
    ]
    if missing:
        return RuleViolation(f"Exposure lacks: {', '.join(missing)}.")
    return None


@rule(severity=Severity.HIGH)
def source_has_freshness(source: Source) -> RuleViolation | None:
    """A source has a loaded_at_field and warn/error freshness thresholds."""
    raw = source._raw_values
    loaded_at_field = raw.get("loaded_at_field") or raw.get("config", {}).get("loaded_at_field")
    error_after = (raw.get("freshness") or {}).get("error_after") or {}
    if not loaded_at_field or error_after.get("count") is None:
        return RuleViolation("Source has no loaded_at_field with a freshness error_after threshold.")
    return None


@rule(severity=Severity.MEDIUM)
def public_model_has_example_sql(model: Model) -> RuleViolation | None:
    """A public model's description shows consumers an example query (internal models need none)."""
    if model.access == "public" and "```sql" not in (model.description or ""):
        return RuleViolation("Public model without an example query (```sql block) in its description.")
    return None
