"""The feature catalog is the contract: 62 features, six categories, and the rendered docs are up to date."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter

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
