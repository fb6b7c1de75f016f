"""A BI-style reader of the published features, run as its own process next to a build.

`python -m tests.support.warehouse_reader <warehouse> <log> <stop-file>` opens the DuckDB file read-only
(as docs/operations.md tells readers to), reads every row of `profile_features_latest`, closes the file, and
appends one JSON line per attempt to <log>: the digest of what it read, or the error it got. It stops once
<stop-file> exists. The test computes the digests of the old and the new publish with `latest_digest`.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path

import duckdb

LATEST = "main_marts.profile_features_latest"
PAUSE_SECONDS = 0.05  # between reads: the writer must find the file free now and then


def latest_rows(con: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    return con.execute(f"select * from {LATEST} order by profile_id").fetchall()


def digest(rows: list[tuple[object, ...]]) -> str:
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def latest_digest(warehouse: Path) -> str:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return digest(latest_rows(con))


def read_until_stopped(warehouse: Path, log: Path, stop: Path) -> None:
    with log.open("a") as out:
        while not stop.exists():
            started = time.time()
            try:
                with duckdb.connect(str(warehouse), read_only=True) as con:
                    rows = latest_rows(con)
                entry: dict[str, object] = {"ok": True, "digest": digest(rows), "rows": len(rows)}
            except duckdb.Error as exc:
                entry = {"ok": False, "error": " ".join(str(exc).split())}
            entry.update(started=started, ended=time.time())
            out.write(json.dumps(entry) + "\n")
            out.flush()
            time.sleep(PAUSE_SECONDS)


if __name__ == "__main__":
    read_until_stopped(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
