"""The feature catalog: names, categories, types, windows, definitions and NULL rules of the 62 features.

One definition, as data: `seeds/reference/feature_catalog.csv`. The dbt docs (YAML column entries and docs
blocks) are rendered from it by `scripts/render_feature_docs.py`; the online store publishes it as its schema.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from featurestore.paths import find_project_dir

CATEGORIES = (
    "watch_behavior",
    "content_consumption",
    "engagement_quality",
    "affinity",
    "lifecycle",
    "household_share",
)


@dataclass(frozen=True)
class Feature:
    name: str
    category: str
    data_type: str
    window: str
    definition: str
    null_rule: str
    min_value: float | None = None
    max_value: float | None = None
    accepted_values: tuple[str, ...] = ()
    gold_columns: tuple[str, ...] = ()  # `table.column` of the Gold sources the value is computed from

    @property
    def never_null(self) -> bool:
        """Counts, flags and stages always have a value; ratios and argmax features may be NULL."""
        return self.null_rule.startswith(("0 when", "never NULL"))


def catalog_path(project_dir: Path | None = None) -> Path:
    return (project_dir or find_project_dir()) / "seeds" / "reference" / "feature_catalog.csv"


def load_catalog(project_dir: Path | None = None) -> list[Feature]:
    with catalog_path(project_dir).open(newline="") as handle:
        return [
            Feature(
                name=row["feature_name"],
                category=row["category"],
                data_type=row["data_type"],
                window=row["window"],
                definition=row["definition"],
                null_rule=row["null_rule"],
                min_value=float(row["min_value"]) if row.get("min_value") else None,
                max_value=float(row["max_value"]) if row.get("max_value") else None,
                accepted_values=tuple(v for v in (row.get("accepted_values") or "").split("|") if v),
                gold_columns=tuple(c for c in (row.get("gold_columns") or "").split("|") if c),
            )
            for row in csv.DictReader(handle)
        ]
