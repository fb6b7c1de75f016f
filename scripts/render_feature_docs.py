"""Render the feature documentation of the dbt project from the feature catalog seed.

Writes docs/dbt/features.md (one docs block per feature) and the column lists of the six category marts and
the published models. Run after editing seeds/reference/feature_catalog.csv; `--check` fails when the
rendered files are out of date (CI runs it through the test suite).

    .venv/bin/python scripts/render_feature_docs.py [--check]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

from featurestore.catalog import CATEGORIES, Feature, load_catalog
from featurestore.paths import find_project_dir

HEADER = "# Rendered by scripts/render_feature_docs.py from seeds/reference/feature_catalog.csv: edit the CSV.\n"

ANCHORS = [
    ("profile_created_date", "date", "UTC date the profile was created (anchor of profile_tenure_days)."),
    ("account_signup_date", "date", "Signup date of the account (anchor of account_tenure_days)."),
    ("first_play_date", "date", "Earliest play date <= feature_date; null if never played."),
    ("last_play_date", "date", "Latest play date <= feature_date; null if never played."),
    ("last_reactivation_date", "date", "Latest play date <= feature_date that came >= 28 days after the previous one."),
]

MODEL_DESCRIPTIONS = {
    "watch_behavior": "How much and when the profile watches.",
    "content_consumption": "What kind of content the profile watches and how (titles, series, binges, new releases).",
    "engagement_quality": "How the profile engages: completion, abandonment, ratings, list adds, searches.",
    "affinity": "Genre and device preferences. A dbt Python model (PySpark API; SQLFrame on DuckDB).",
    "lifecycle": "Tenure, recency, lifetime totals, plan and lifecycle stage, plus the anchor dates of the day counts.",
    "household_share": "The profile within its household (the live profiles of the account). A dbt Python model.",
}


def docs_block(feature: Feature) -> str:
    return (
        f"{{% docs feature_{feature.name} %}}\n"
        f"{feature.definition}.\n\n"
        f"**Category** {feature.category} · **window** {feature.window} · **type** {feature.data_type} · "
        f"**NULL / empty** {feature.null_rule}.\n\n"
        f"**Computed from Gold** {', '.join(f'`{column}`' for column in feature.gold_columns)} "
        f"(besides the keys and the staging rules every event passes).\n"
        f"{{% enddocs %}}\n"
    )


def feature_column(feature: Feature, typed: bool) -> dict[str, object]:
    column: dict[str, object] = {
        "name": feature.name,
        "description": f"{{{{ doc('feature_{feature.name}') }}}}",
        "config": {"meta": {"category": feature.category, "window": feature.window, "null_rule": feature.null_rule}},
    }
    if typed:
        column["data_type"] = feature.data_type
    return column


def key(name: str, data_type: str, description: str, typed: bool) -> dict[str, object]:
    column: dict[str, object] = {"name": name, "description": description}
    if typed:
        column["data_type"] = data_type
    return column


GRAIN = ("profile_id", "feature_date")


def grain_test(model_name: str, where: str | None = None) -> dict[str, object]:
    """The one-row-per-profile-and-date test of a feature-date model (its declared primary key, GRAIN), on the
    rows `where` selects (a scope of macros/quality/get_where_subquery.sql) if given."""
    test: dict[str, object] = {
        "name": f"{model_name.removeprefix('profile_')}_one_row_per_profile_and_feature_date",
        "arguments": {"column_list": list(GRAIN)}}
    if where:
        test["config"] = {"where": where}
    return {"expect_compound_columns_to_be_unique": test}


def not_null_keys(columns: list[dict[str, object]]) -> list[dict[str, object]]:
    """`columns` with a not_null test on each of the grain's columns."""
    for column in columns:
        if column["name"] in GRAIN:
            column["data_tests"] = ["not_null"]
    return columns


# Databricks only: the Unity Catalog feature-table key, so Feature Engineering's FeatureLookup reads
# profile_features point in time (timestamp_lookup_key; docs/databricks.md). A primary key needs NOT NULL columns;
# as contract constraints, dbt-databricks adds them on create and keeps them on incremental runs.
FEATURE_TABLE_KEY = (
    "{{ [{'type': 'not_null', 'columns': ['profile_id', 'feature_date']},"
    " {'type': 'custom', 'name': 'profile_features_pk',"
    " 'expression': 'primary key (profile_id, feature_date timeseries)'}]"
    " if target.type == 'databricks' else [] }}"
)


def category_models(features: list[Feature]) -> dict[str, object]:
    models = []
    for category in CATEGORIES:
        columns = [key("profile_id", "string", "{{ doc('col_profile_id') }}", False)]
        columns += [feature_column(f, False) for f in features if f.category == category]
        if category == "lifecycle":
            columns += [key(name, kind, text, False) for name, kind, text in ANCHORS]
        columns.append(key("feature_date", "date", "{{ doc('col_feature_date') }}", False))
        model: dict[str, object] = {
            "name": f"features_{category}",
            "description": f"{MODEL_DESCRIPTIONS[category]} {{{{ doc('feature_mart_rows') }}}}",
            "config": {"meta": {"primary_key": list(GRAIN)}},
            "data_tests": [grain_test(f"features_{category}")],
            "columns": not_null_keys(columns),
        }
        if category in ("affinity", "household_share"):  # Python models: their configs (dbt_project.yml has the rest)
            model["config"] = {  # type: ignore[dict-item]
                **model["config"],  # type: ignore[dict-item]
                "lookback_days": "{{ var('lookback_days') }}",
                "profile_slice_rows": "{{ var('profile_slice_rows') }}",
            }
        models.append(model)
    return {"version": 2, "models": models}


def published_columns(features: list[Feature], typed: bool) -> list[dict[str, object]]:
    columns = [
        key("profile_id", "string", "{{ doc('col_profile_id') }}", typed),
        key("account_id", "string", "{{ doc('col_account_id') }}", typed),
        key("feature_contract_version", "string", "Feature contract version of the row (`v1`).", typed),
    ]
    columns += [feature_column(f, typed) for f in features]
    # Anchors are stored like features (the candidate selects them from the lifecycle mart) but are not
    # features: `computed_in` instead of `category` keeps them out of the quality statistics.
    columns += [{**key(name, kind, text, typed), "config": {"meta": {"computed_in": "lifecycle"}}}
                for name, kind, text in ANCHORS]
    columns.append(key("feature_date", "date", "{{ doc('col_feature_date') }}", typed))
    return columns


def latest_key(columns: list[dict[str, object]]) -> list[dict[str, object]]:
    """The latest view holds one row per live profile."""
    columns[0]["data_tests"] = ["not_null", "unique"]
    return columns


def value_tests(feature: Feature) -> list[object]:
    """Publish-gating expectations that follow from the definition (dbt-expectations names)."""
    tests: list[object] = []
    if feature.never_null:
        tests.append("not_null")
    if feature.min_value is not None or feature.max_value is not None:
        bounds = {k: v for k, v in (("min_value", feature.min_value), ("max_value", feature.max_value)) if v is not None}
        tests.append({"expect_column_values_to_be_between": {"arguments": {
            k: (int(v) if float(v).is_integer() else v) for k, v in bounds.items()}}})
    if feature.accepted_values:
        arguments: dict[str, object] = {"value_set": list(feature.accepted_values)}
        if not feature.never_null:  # like dbt-expectations, the set test counts NULL as outside the set
            arguments["row_condition"] = f"{feature.name} is not null"
        tests.append({"expect_column_values_to_be_in_set": {"arguments": arguments}})
    return tests


def candidate_model(features: list[Feature]) -> dict[str, object]:
    columns: list[dict[str, object]] = [
        {"name": "profile_id", "description": "{{ doc('col_profile_id') }}", "data_tests": ["not_null"]},
        {"name": "account_id", "description": "{{ doc('col_account_id') }}", "data_tests": ["not_null"]},
        {"name": "feature_contract_version", "description": "Feature contract version of the row.",
         "data_tests": [{"expect_column_values_to_be_in_set": {"arguments": {"value_set": ["v1"]}}}]},
    ]
    for feature in features:
        column = feature_column(feature, typed=False)
        if tests := value_tests(feature):
            column["data_tests"] = tests
        columns.append(column)
    columns += [key(name, kind, text, False) for name, kind, text in ANCHORS]
    columns.append({"name": "feature_date", "description": "{{ doc('col_feature_date') }}", "data_tests": ["not_null"]})
    return {
        "name": "profile_features_candidate",
        "description": "{{ doc('profile_features_candidate') }}",
        "config": {"meta": {"primary_key": list(GRAIN)}},
        "data_tests": [
            grain_test("candidate"),
            {"expect_table_row_count_to_be_between": {
                "name": "candidate_is_not_empty_when_there_are_events",
                "arguments": {"min_value": 1},
                "config": {"severity": "warn"}}},
        ],
        "columns": columns,
    }


def published_models(features: list[Feature]) -> dict[str, object]:
    return {
        "version": 2,
        "models": [
            candidate_model(features),
            {
                "name": "profile_features",
                "description": "{{ doc('profile_features') }}",
                "config": {"contract": {"enforced": True}, "meta": {"primary_key": list(GRAIN)}},
                # v1 keeps the relation name consumers know; a v2 would get profile_features_v2 beside it.
                "latest_version": 1,
                "versions": [{"v": 1, "defined_in": "profile_features", "config": {"alias": "profile_features"}}],
                "constraints": FEATURE_TABLE_KEY,
                # a daily build checks the dates its publish replaced, not the whole log
                "data_tests": [grain_test("published", where="__feature_dates_published_by_this_run__")],
                "columns": not_null_keys(published_columns(features, typed=True)),
            },
            {
                "name": "profile_features_latest",
                "description": "{{ doc('profile_features_latest') }}",
                "config": {"contract": {"enforced": True}, "meta": {"primary_key": ["profile_id"]}},
                "columns": [
                    *latest_key(published_columns(features, typed=True)),
                    key("source_feature_date", "date", "Date of the stored feature-log row the values come from.", True),
                ],
            },
        ],
    }


def render(project_dir: Path) -> dict[Path, str]:
    features = load_catalog(project_dir)
    docs = HEADER.replace("# ", "{# ", 1).rstrip("\n") + " #}\n\n" + "\n".join(docs_block(f) for f in features)
    dump = lambda data: HEADER + yaml.safe_dump(data, sort_keys=False, width=120)  # noqa: E731
    return {
        project_dir / "docs" / "dbt" / "features.md": docs,
        project_dir / "models" / "marts" / "features" / "_features__models.yml": dump(category_models(features)),
        project_dir / "models" / "marts" / "published" / "_published__models.yml": dump(published_models(features)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="Exit 1 if a rendered file is out of date.")
    args = parser.parse_args()
    stale = []
    for path, content in render(find_project_dir(Path(__file__).parent)).items():
        if path.exists() and path.read_text() == content:
            continue
        if args.check:
            stale.append(path)
        else:
            path.write_text(content)
            print(f"wrote {path}")
    if stale:
        print("Out of date (run scripts/render_feature_docs.py):", *stale, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
