"""The same staging rules on the local Spark target (dbt-spark session, parquet tables)."""

from __future__ import annotations

import pytest

from tests.conftest import reset_raw_dir
from tests.functional import staging_cases as cases
from tests.functional.test_staging_local import STAGING
from tests.support.dbt import DbtHarness
from tests.support.gold import write_gold

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def staged(spark_project: DbtHarness) -> DbtHarness:
    reset_raw_dir(spark_project)
    write_gold(spark_project.raw_dir, cases.TABLES)
    outcome = spark_project.build("--full-refresh", *STAGING)
    assert outcome.success, outcome.text
    return spark_project


def test_quarantine_matches_the_hand_computed_outcome(staged: DbtHarness) -> None:
    rows = staged.query(
        "select source_table, event_id, quarantine_reason from featurestore_staging.stg_gold__quarantined_events"
    )
    assert cases.sort_quarantine(rows) == cases.EXPECTED_QUARANTINE


def test_valid_rows_deduplicated_and_normalised(staged: DbtHarness) -> None:
    viewing = staged.query("select event_id, device_type from featurestore_staging.stg_gold__viewing_events")
    assert dict(viewing) == cases.EXPECTED_VIEWING_DEVICES
    assert len(viewing) == len(cases.EXPECTED_VIEWING_DEVICES)
    engagement = staged.query("select event_id from featurestore_staging.stg_gold__engagement_events")
    assert {r[0] for r in engagement} == cases.EXPECTED_ENGAGEMENT_IDS
