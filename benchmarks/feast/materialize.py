"""Feast `materialize` of a Parquet file into Redis, timed. Runs INSIDE the Feast virtual environment
(.venv-feast/, built by scripts/feast_compare.py); it imports nothing from the project.

    .venv-feast/bin/python benchmarks/feast/materialize.py --parquet rows.parquet --repo DIR \
        --redis 127.0.0.1:PORT --types types.json --out result.json

`types.json`: {"feature name": "int" | "double" | "string" | "boolean"} in schema order. The Parquet file has
`profile_id`, `event_timestamp` and one column per feature. One Feast feature view over a file source (the
`file` offline store), a Redis online store with `key_ttl_seconds` (an EXPIRE per key, as the sync does);
`store.materialize(start, end)` is timed alone (imports and `apply` are not), then a few profiles are read
back with `get_online_features` and compared with the Parquet rows, to prove the values landed.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import resource
import time
from datetime import timedelta, timezone
from pathlib import Path

import pyarrow.parquet as pq

logger = logging.getLogger("feast_materialize")

TTL_SECONDS = 120 * 86400


def feature_store_yaml(repo: Path, redis_address: str) -> str:
    return (
        "project: fs_bench\n"
        f"registry: {repo / 'registry.db'}\n"
        "provider: local\n"
        "online_store:\n"
        "  type: redis\n"
        f'  connection_string: "{redis_address},db=0"\n'
        f"  key_ttl_seconds: {TTL_SECONDS}\n"
        "offline_store:\n"
        "  type: file\n"
        "entity_key_serialization_version: 3\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--parquet", type=Path, required=True)
    parser.add_argument("--repo", type=Path, required=True)
    parser.add_argument("--redis", required=True, help="host:port")
    parser.add_argument("--types", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    started = time.perf_counter()
    import feast
    from feast import Entity, FeatureStore, FeatureView, Field, FileSource, ValueType
    from feast.types import Bool, Float64, Int64, String

    import_s = time.perf_counter() - started
    dtypes = {"int": Int64, "double": Float64, "string": String, "boolean": Bool}
    types: dict[str, str] = json.loads(args.types.read_text())
    args.repo.mkdir(parents=True, exist_ok=True)
    (args.repo / "feature_store.yaml").write_text(feature_store_yaml(args.repo, args.redis))

    meta = pq.read_metadata(args.parquet)
    stamps = sorted(pq.read_table(args.parquet, columns=["event_timestamp"]).column(0).unique().to_pylist())
    start = stamps[0].replace(tzinfo=timezone.utc) - timedelta(days=1)
    end = stamps[-1].replace(tzinfo=timezone.utc) + timedelta(days=1)

    profile = Entity(name="profile", join_keys=["profile_id"], value_type=ValueType.STRING)
    source = FileSource(
        name="profile_features_source", path=str(args.parquet), timestamp_field="event_timestamp"
    )
    view = FeatureView(
        name="profile_features",
        entities=[profile],
        ttl=timedelta(days=3650),
        schema=[Field(name="profile_id", dtype=String)]
        + [Field(name=name, dtype=dtypes[kind]) for name, kind in types.items()],
        online=True,
        source=source,
    )
    store = FeatureStore(repo_path=str(args.repo))
    t0 = time.perf_counter()
    store.apply([profile, view])
    apply_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    store.materialize(start_date=start, end_date=end, feature_views=["profile_features"])
    materialize_s = time.perf_counter() - t0

    checked = check_values(store, args.parquet, list(types))
    result = {
        "feast_version": feast.__version__,
        "rows": meta.num_rows,
        "features": len(types),
        "window": [start.isoformat(), end.isoformat()],
        "import_seconds": round(import_s, 3),
        "apply_seconds": round(apply_s, 3),
        "materialize_seconds": round(materialize_s, 3),
        "profiles_per_s": round(meta.num_rows / materialize_s),
        "peak_rss_bytes_self": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "values_checked": checked,
    }
    args.out.write_text(json.dumps(result, indent=2) + "\n")


def check_values(store: object, parquet: Path, names: list[str], sample: int = 5) -> int:
    """Read `sample` profiles back through Feast and compare every feature with the Parquet row."""
    table = pq.read_table(parquet).slice(0, sample).to_pylist()
    refs = [f"profile_features:{name}" for name in names]
    online = store.get_online_features(  # type: ignore[attr-defined]
        features=refs, entity_rows=[{"profile_id": row["profile_id"]} for row in table]
    ).to_dict()
    checked = 0
    for i, row in enumerate(table):
        if online["profile_id"][i] != row["profile_id"]:
            raise SystemExit(
                f"Feast returned profile {online['profile_id'][i]}, expected {row['profile_id']}"
            )
        for name in names:
            got, want = online[name][i], row[name]
            same = got == want or (
                isinstance(want, float) and isinstance(got, float) and math.isclose(got, want)
            )
            if not same:
                raise SystemExit(f"Feast returned {row['profile_id']}.{name} = {got!r}, expected {want!r}")
            checked += 1
    return checked


if __name__ == "__main__":
    main()
