"""Synthetic Gold-layer data: accounts, profiles, content and viewing/engagement events as Parquet.

The generator models households with lifecycles, tastes, series binges and daily/weekly rhythms,
and adds the defects real landing tables have (late arrivals, duplicates, dirty rows), so the dbt
models and their quarantine logic have something realistic to chew on. See docs/generator.md.

    from featurestore.generator import GeneratorConfig, generate, append_day
    report = generate(GeneratorConfig(out_dir=Path("data/raw"), profiles=20_000, days=90))
"""

from featurestore.generator.config import (
    DEFAULT_DAYS,
    DEFAULT_PROFILES,
    DEFAULT_SEED,
    DEFAULT_START_DATE,
    GENERATOR_VERSION,
    MANIFEST_NAME,
    TABLES,
    GeneratorConfig,
    GeneratorError,
)
from featurestore.generator.progress import ProgressCallback
from featurestore.generator.runner import GenerationReport, append_day, generate
from featurestore.generator.schemas import SCHEMAS

__all__ = [
    "DEFAULT_DAYS",
    "DEFAULT_PROFILES",
    "DEFAULT_SEED",
    "DEFAULT_START_DATE",
    "GENERATOR_VERSION",
    "MANIFEST_NAME",
    "SCHEMAS",
    "TABLES",
    "GenerationReport",
    "GeneratorConfig",
    "GeneratorError",
    "ProgressCallback",
    "append_day",
    "generate",
]
