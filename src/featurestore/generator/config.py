"""Generator parameters, fixed vocabularies and the time arithmetic every module shares.

Everything that decides *what* data comes out lives in `GeneratorConfig` and is written to the manifest,
so `--append-day` can rebuild exactly the same world later. Vocabularies (genres, devices, ...) are
module constants because the dbt models test against them: changing one is a data-contract change and
must bump `GENERATOR_VERSION`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

#: Version of the data model. Bump when the same seed would produce different data, so an
#: `--append-day` onto output of an older version is refused instead of silently mixing two models.
GENERATOR_VERSION = 1

DEFAULT_PROFILES = 20_000
DEFAULT_DAYS = 90
DEFAULT_SEED = 42
#: Fixed, not "today": the same command must produce the same data on any day it is run.
DEFAULT_START_DATE = date(2026, 8, 1)

MANIFEST_NAME = "_generator.json"
DIMENSION_TABLES = ("accounts", "profiles", "content")
EVENT_TABLES = ("viewing_events", "engagement_events")
TABLES = DIMENSION_TABLES + EVENT_TABLES

GENRES = ("action", "comedy", "documentary", "drama", "horror", "kids", "romance", "scifi")
KIDS_GENRE = GENRES.index("kids")
CONTENT_TYPES = ("movie", "episode")
DEVICES = ("tv", "mobile", "web", "tablet")
#: Device values outside the contract; downstream keeps these rows and maps them to 'other'.
ODD_DEVICES = ("smart_tv", "console", "TV", None)
ENGAGEMENT_TYPES = ("thumbs_up", "thumbs_down", "add_to_list", "search", "trailer_view")
THUMBS_UP, THUMBS_DOWN, ADD_TO_LIST, SEARCH, TRAILER_VIEW = range(len(ENGAGEMENT_TYPES))
#: Event types outside the contract (quarantined downstream as bad_event_type). No null or empty
#: values: `x not in (...)` is not true for NULL in SQL, so those would depend on how a model is written.
BAD_EVENT_TYPES = ("like", "share", "rate", "click", "download")
PLAN_TIERS = ("basic", "standard", "premium")
ACCOUNT_STATUSES = ("active", "paused", "cancelled")
COUNTRIES = ("US", "GB", "DE", "FR", "BR", "IN", "JP", "ES", "IT", "CA", "MX", "AU", "NL", "KR", "SE", "PL")
COUNTRY_WEIGHTS = (30, 8, 7, 6, 9, 8, 5, 5, 4, 5, 5, 3, 2, 2, 1, 0.5)

#: Late arrivals land 1..MAX_LATE_DAYS days after the event; a duplicate of a late row may slip one
#: more day, so `--append-day` regenerates this many previous days to find what lands on the new day.
MAX_LATE_DAYS = 6
LATE_LOOKBACK_DAYS = MAX_LATE_DAYS + 1

US_PER_SECOND = 1_000_000
US_PER_HOUR = 3600 * US_PER_SECOND
US_PER_DAY = 24 * US_PER_HOUR
_EPOCH = date(1970, 1, 1)
#: Sentinel "day index" for things that never happen (no deletion, no lapse, ...).
NEVER = 2**30


@dataclass(frozen=True)
class GeneratorConfig:
    """Everything that determines the generated data; equal configs give byte-identical tables.

    `profiles` is the number of profiles that exist on `start_date`; new households sign up during
    the period on top of that (about 0.15% of the base per day), so a 90-day run ends with ~13% more.
    `days` only says how far to generate: the world itself (who exists, who churns when) does not
    depend on it, which is what makes `generate --days N` + `--append-day` equal `--days N+1`.
    """

    out_dir: Path
    profiles: int = DEFAULT_PROFILES
    days: int = DEFAULT_DAYS
    seed: int = DEFAULT_SEED
    start_date: date = DEFAULT_START_DATE
    movies: int = 3_000
    series: int = 400
    late_rate: float = 0.01
    duplicate_rate: float = 0.005
    dirty_rate: float = 0.002

    def __post_init__(self) -> None:
        object.__setattr__(self, "out_dir", Path(self.out_dir))
        if isinstance(self.start_date, datetime):
            object.__setattr__(self, "start_date", self.start_date.date())
        problems = []
        if self.profiles < 1:
            problems.append(f"profiles must be >= 1 (got {self.profiles})")
        if self.days < 1:
            problems.append(f"days must be >= 1 (got {self.days})")
        if self.seed < 0:
            problems.append(f"seed must be >= 0 (got {self.seed})")
        if self.movies < len(GENRES) or self.series < len(GENRES):
            problems.append(f"movies and series must each be >= {len(GENRES)} (one per genre)")
        for name in ("late_rate", "duplicate_rate", "dirty_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 0.2:
                problems.append(f"{name} must be between 0 and 0.2 (got {value})")
        if problems:
            raise ValueError("; ".join(problems))

    @property
    def last_date(self) -> date:
        """The last generated event day (inclusive)."""
        return self.start_date + timedelta(days=self.days - 1)

    def day_date(self, day: int) -> date:
        """Calendar date of day index `day` (0 = start_date)."""
        return self.start_date + timedelta(days=day)

    def day_start_us(self, day: int) -> int:
        """UTC midnight of day index `day` in microseconds since the epoch."""
        return ((self.start_date - _EPOCH).days + day) * US_PER_DAY

    def to_manifest(self) -> dict[str, Any]:
        """JSON-ready parameters (without out_dir: the manifest travels with the folder)."""
        data = asdict(self)
        data.pop("out_dir")
        data["start_date"] = self.start_date.isoformat()
        data["last_date"] = self.last_date.isoformat()
        data["version"] = GENERATOR_VERSION
        return data

    @classmethod
    def from_manifest(cls, out_dir: Path, data: dict[str, Any]) -> GeneratorConfig:
        """Rebuild the config a manifest was written from; unknown keys are ignored."""
        known = {f.name for f in fields(cls)} - {"out_dir"}
        kwargs = {k: v for k, v in data.items() if k in known}
        kwargs["start_date"] = date.fromisoformat(kwargs["start_date"])
        return cls(out_dir=out_dir, **kwargs)

    def with_days(self, days: int) -> GeneratorConfig:
        return replace(self, days=days)


def date_from_us(us: int) -> date:
    """UTC calendar date of a microsecond timestamp."""
    return datetime.fromtimestamp(us // US_PER_SECOND, tz=timezone.utc).date()


def epoch_days(value: date) -> int:
    """Days since 1970-01-01 (the Arrow date32 representation)."""
    return (value - _EPOCH).days


class GeneratorError(Exception):
    """A problem the user can fix (occupied output folder, missing manifest, ...): no traceback needed."""
