"""The feature catalog is the contract: 62 features, six categories, and the rendered docs are up to date."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter

import yaml

from featurestore.catalog import CATEGORIES, load_catalog
from tests.support.dbt import PROJECT_DIR


def test_catalog_has_the_62_contract_features_in_six_categories() -> None:
    features = load_catalog(PROJECT_DIR)
    assert len(features) == 62
    assert len({f.name for f in features}) == 62
    assert Counter(f.category for f in features) == {
        "watch_behavior": 12, "content_consumption": 9, "engagement_quality": 9,
        "affinity": 15, "lifecycle": 9, "household_share": 8,
    }
    assert set(CATEGORIES) == {f.category for f in features}
    assert {f.data_type for f in features} == {"int", "double", "string", "boolean"}


def test_rendered_feature_docs_are_current() -> None:
    result = subprocess.run(
        [sys.executable, str(PROJECT_DIR / "scripts" / "render_feature_docs.py"), "--check"],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def gold_source_columns() -> set[str]:
    """`table.column` of every column the Gold source contract declares (models/staging/gold/_gold__sources.yml)."""
    sources = yaml.safe_load((PROJECT_DIR / "models" / "staging" / "gold" / "_gold__sources.yml").read_text())
    return {f"{table['name']}.{column['name']}" for source in sources["sources"] for table in source["tables"]
            for column in table.get("columns", [])}


def test_every_feature_names_the_gold_columns_it_is_computed_from() -> None:
    features = {f.name: f for f in load_catalog(PROJECT_DIR)}
    declared = gold_source_columns()
    for feature in features.values():
        assert feature.gold_columns, f"{feature.name}: no Gold columns"
        assert set(feature.gold_columns) <= declared, f"{feature.name}: {set(feature.gold_columns) - declared}"
    # a few read off the definitions by hand
    assert features["is_kids_profile"].gold_columns == ("profiles.is_kids",)
    assert features["account_tenure_days"].gold_columns == ("profiles.account_id", "accounts.signup_date")
    assert "content.release_date" in features["new_release_watch_share_28d"].gold_columns
    assert "engagement_events.event_type" in features["searches_per_play_28d"].gold_columns
    assert "viewing_events.event_ts" in features["searches_per_play_28d"].gold_columns  # per play
    assert "viewing_events.device_type" in features["primary_device_28d"].gold_columns
    # every event-based feature dates its events by event_ts
    for feature in features.values():
        tables = {column.split(".")[0] for column in feature.gold_columns}
        for events in tables & {"viewing_events", "engagement_events"}:
            assert f"{events}.event_ts" in feature.gold_columns, feature.name
