"""The HTTP API's logic, independent of the web framework: request validation and limits, the reads, the
JSON answers (bytes, by orjson). `app.py` maps routes onto it.

Answers (docs/serving.md):
- features: `{"feature_date": "YYYY-MM-DD", "contract": "v1", "profiles": {id: {feature: value} | null}}`,
  every feature of the store's schema present (NULL as null), typed (int, float, bool, string);
- errors: `{"detail": "<one line: what is wrong and how to fix it>", "code": "<machine name>"}` with
  400 (malformed body), 413 (batch too large), 422 (bad profile id or as_of), 404 (GET of a missing
  profile), 503 (Redis unreachable, or no completed sync yet).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import orjson

from featurestore.catalog import load_catalog
from featurestore.online.asof import AsOfError
from featurestore.online.layout import ANCHOR_CATEGORY, CONTRACT
from featurestore.serving.jsonrender import JsonRenderer
from featurestore.serving.reader import AsyncStoreReader, StoreUnavailable

MAX_BATCH = 1000
MAX_ID_LENGTH = 128


@dataclass(frozen=True)
class Limits:
    max_batch: int = MAX_BATCH
    max_id_length: int = MAX_ID_LENGTH


class ApiError(Exception):
    """An answer other than 200: HTTP status, machine code and a one-line message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def body(self) -> bytes:
        return orjson.dumps({"detail": self.message, "code": self.code})


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    profiles: int = 0  # profiles asked for (access log, metrics)


def _is_valid_id_char(text: str) -> bool:
    return text.isprintable() and not any(c.isspace() for c in text)


class FeatureService:
    """Validation, reads and answers of the API, over one `AsyncStoreReader`."""

    def __init__(self, reader: AsyncStoreReader, limits: Limits, project_dir: Path | None = None) -> None:
        self.reader = reader
        self.limits = limits
        self.catalog = [
            {
                "name": f.name,
                "type": f.data_type,
                "category": f.category,
                "window": f.window,
                "definition": f.definition,
                "null_rule": f.null_rule,
                "gold_columns": list(f.gold_columns),
            }
            for f in load_catalog(project_dir)
        ]
        self._catalog_names = [entry["name"] for entry in self.catalog]
        self._catalog_types = {entry["name"]: entry["type"] for entry in self.catalog}
        self._render: JsonRenderer | None = None
        self._render_key: str | None = None

    # --- validation -------------------------------------------------------------------------------------

    def check_id(self, profile_id: str) -> str:
        if not profile_id:
            raise ApiError(422, "invalid_profile_id", "A profile id must not be empty.")
        if len(profile_id) > self.limits.max_id_length:
            raise ApiError(
                422,
                "invalid_profile_id",
                f"Profile id of {len(profile_id)} characters: at most {self.limits.max_id_length} allowed "
                f"(starts {profile_id[:20]!r}).",
            )
        if not _is_valid_id_char(profile_id):
            raise ApiError(
                422,
                "invalid_profile_id",
                f"Profile id {profile_id[:40]!r} contains whitespace or control characters.",
            )
        return profile_id

    def check_ids(self, ids: list[str]) -> list[str]:
        if len(ids) > self.limits.max_batch:
            raise ApiError(
                413,
                "batch_too_large",
                f"{len(ids)} profile ids in one request: at most {self.limits.max_batch}; split the batch.",
            )
        return [self.check_id(pid) for pid in dict.fromkeys(ids)]

    @staticmethod
    def parse_as_of(value: object) -> date | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise ApiError(422, "invalid_as_of", f"as_of must be a date string YYYY-MM-DD, got {value!r}.")
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ApiError(
                422, "invalid_as_of", f"as_of must be a date YYYY-MM-DD, got {value[:40]!r}."
            ) from None

    def parse_batch(self, body: bytes) -> tuple[list[str], date | None]:
        """`{"profile_ids": [...], "as_of": "YYYY-MM-DD" | null}` -> (distinct ids, as_of)."""
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise ApiError(400, "invalid_json", f"The request body is not JSON: {exc}.") from None
        if not isinstance(payload, dict):
            raise ApiError(400, "invalid_body", 'The body must be an object: {"profile_ids": [...]}.')
        unknown = set(payload) - {"profile_ids", "as_of"}
        if unknown:
            raise ApiError(
                400,
                "invalid_body",
                f"Unknown field(s) {', '.join(sorted(unknown))}: only profile_ids, as_of.",
            )
        ids = payload.get("profile_ids")
        if not isinstance(ids, list) or not all(isinstance(pid, str) for pid in ids):
            raise ApiError(400, "invalid_body", '"profile_ids" must be a list of strings.')
        return self.check_ids(ids), self.parse_as_of(payload.get("as_of"))

    # --- answers ----------------------------------------------------------------------------------------

    def _renderer(self) -> JsonRenderer:
        """The JSON renderer of the store's current schema (rebuilt when a sync changes it)."""
        meta = self.reader.meta
        key = meta.raw.get("schema", "") if meta else ""
        if self._render_key != key or self._render is None:
            if meta and meta.schema:
                names = [e["name"] for e in meta.schema if e.get("category") != ANCHOR_CATEGORY]
                self._render = JsonRenderer(names, meta.types)
            else:
                self._render = JsonRenderer(self._catalog_names, self._catalog_types)
            self._render_key = key
        return self._render

    async def answer(self, ids: list[str], as_of: date | None) -> tuple[bool, bytes]:
        """(every profile found, the JSON answer) for distinct, checked ids."""
        try:
            stored = await self.reader.fetch(ids, as_of)
        except AsOfError as exc:
            raise ApiError(422, "as_of_too_early", str(exc)) from None
        except StoreUnavailable as exc:
            raise ApiError(503, "store_unavailable", f"{exc}. Retry when Redis is back.") from None
        meta = self.reader.meta
        if meta is None:
            raise ApiError(
                503, "store_empty", "The online store holds no completed sync yet: run `featurestore sync`."
            )
        _, body = self._renderer().answer(stored, as_of, meta.feature_date, CONTRACT)
        return all(reply is not None for reply in stored.values()), body

    async def batch(self, body: bytes) -> Answer:
        ids, as_of = self.parse_batch(body)
        _, payload = await self.answer(ids, as_of)
        return Answer(200, payload, len(ids))

    async def single(self, profile_id: str, as_of: str | None) -> Answer:
        ids = [self.check_id(profile_id)]
        found, payload = await self.answer(ids, self.parse_as_of(as_of))
        return Answer(200 if found else 404, payload, 1)

    def schema(self) -> bytes:
        meta = self.reader.meta
        return orjson.dumps(
            {
                "contract": CONTRACT,
                "feature_date": meta.feature_date if meta else None,
                "features": self.catalog,
            }
        )

    async def health(self) -> Answer:
        """200 when Redis answers and holds a completed sync; 503 otherwise (the body says which)."""
        try:
            meta = await self.reader.refresh_meta()
        except StoreUnavailable as exc:
            return Answer(503, orjson.dumps({"status": "unavailable", "detail": str(exc)}))
        if meta is None or meta.feature_date is None:
            return Answer(
                503, orjson.dumps({"status": "empty", "detail": "no completed sync: run `featurestore sync`"})
            )
        return Answer(
            200,
            orjson.dumps(
                {
                    "status": "ok",
                    "feature_date": meta.feature_date,
                    "loaded_at": meta.loaded_at,
                    "profiles_loaded": meta.profiles,
                    "redis": self.reader.where,
                }
            ),
        )
