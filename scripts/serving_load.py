"""Load generators for the serving benchmarks (scripts/benchmark_serving.py, scripts/measure_http_stacks.py).

- HTTP: `wrk` (Debian's package, a C load generator: epoll, one connection per concurrent client, latency
  recorded per request) driven by a Lua script: random profile ids from a file, GET /v1/features/{id}, POST
  /v1/features with a batch, or Feast's POST /get-online-features; bounded in time (`-d`) and in requests
  (each wrk thread stops after its share). Its `done()` prints p50/p99/requests/s as JSON.
- Raw Redis: asyncio, one redis-py connection per concurrent client (RESP2, hiredis), each request one
  pre-packed buffer of HGETALL commands and its replies: the floor a service reading Redis directly gets.

Loopback only: every URL here is 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

import redis.asyncio as aredis

WRK_LUA = r"""
local ids = {}
local mode, batch, max_requests, token, features
local count = 0

function init(args)
  for line in io.lines(os.getenv("FS_IDS")) do ids[#ids + 1] = line end
  mode = os.getenv("FS_MODE")
  batch = tonumber(os.getenv("FS_BATCH") or "100")
  max_requests = tonumber(os.getenv("FS_MAX_REQUESTS_PER_THREAD") or "0")
  token = os.getenv("FS_TOKEN")
  features = os.getenv("FS_FEAST_FEATURES")
  math.randomseed(os.time() + math.floor(os.clock() * 1000000) + #tostring({}))
  wrk.headers["Content-Type"] = "application/json"
  if token and token ~= "" then wrk.headers["Authorization"] = "Bearer " .. token end
end

local function pick(n)
  local parts = {}
  for i = 1, n do parts[i] = '"' .. ids[math.random(#ids)] .. '"' end
  return table.concat(parts, ",")
end

function request()
  if mode == "single" then
    return wrk.format("GET", "/v1/features/" .. ids[math.random(#ids)])
  elseif mode == "batch" then
    return wrk.format("POST", "/v1/features", nil, '{"profile_ids":[' .. pick(batch) .. ']}')
  else -- feast
    return wrk.format("POST", "/get-online-features", nil,
      '{"features":[' .. features .. '],"entities":{"profile_id":[' .. pick(batch) .. ']}}')
  end
end

function response(status, headers, body)
  count = count + 1
  if max_requests > 0 and count >= max_requests then wrk.thread:stop() end
end

function done(summary, latency, requests)
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "errors_connect": %d, "errors_read": %d, "errors_write": %d, ' ..
    '"errors_status": %d, "errors_timeout": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max))
end
"""


def wrk_path() -> str | None:
    return shutil.which("wrk")


def run_wrk(
    base_url: str,
    mode: str,
    connections: int,
    ids_file: Path,
    work: Path,
    duration_s: float = 10.0,
    max_requests: int = 20_000,
    batch: int = 100,
    token: str | None = None,
    feast_features: list[str] | None = None,
) -> dict[str, Any]:
    """One wrk run against `base_url` (http://127.0.0.1:PORT). p50/p99 in ms, requests/s, errors."""
    wrk = wrk_path()
    if wrk is None:
        raise RuntimeError("wrk is not installed: `apt-get install wrk` (Debian) and re-run.")
    if not base_url.startswith("http://127.0.0.1"):
        raise ValueError(f"loopback only: {base_url}")
    script = work / "fs_load.lua"
    script.write_text(WRK_LUA)
    threads = min(2, connections)
    env = {
        **os.environ,
        "FS_IDS": str(ids_file),
        "FS_MODE": mode,
        "FS_BATCH": str(batch),
        "FS_MAX_REQUESTS_PER_THREAD": str(max(1, max_requests // threads)),
        "FS_TOKEN": token or "",
        "FS_FEAST_FEATURES": ",".join(f'"profile_features:{n}"' for n in feast_features or []),
    }
    args = [
        wrk,
        "-t",
        str(threads),
        "-c",
        str(connections),
        "-d",
        f"{duration_s:.0f}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        base_url,
    ]
    done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=duration_s + 60)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed (exit {done.returncode}): {done.stderr.strip()[-300:]}")
    raw = json.loads(lines[-1])
    seconds = raw["duration_us"] / 1e6
    errors = sum(v for k, v in raw.items() if k.startswith("errors_"))
    return {
        "tool": "wrk",
        "mode": mode,
        "clients": connections,
        "batch": 1 if mode == "single" else batch,
        "requests": raw["requests"],
        "seconds": round(seconds, 2),
        "rps": round(raw["requests"] / seconds, 1) if seconds else 0.0,
        "p50_ms": round(raw["p50_us"] / 1000, 3),
        "p99_ms": round(raw["p99_us"] / 1000, 3),
        "max_ms": round(raw["max_us"] / 1000, 3),
        "errors": errors,
        "non_2xx": raw["errors_status"],
    }


def _hgetall(key: bytes) -> bytes:
    return b"*2\r\n$7\r\nHGETALL\r\n$%d\r\n%s\r\n" % (len(key), key)


async def _raw_clients(
    url: str, keys: list[bytes], batch: int, clients: int, duration_s: float, max_requests: int
) -> tuple[list[float], float]:
    pool = aredis.ConnectionPool.from_url(url, protocol=2, max_connections=clients)
    latencies: list[float] = []
    deadline = time.perf_counter() + duration_s
    budget = [max_requests]

    async def client(seed: int) -> None:
        rng = random.Random(seed)
        conn = await pool.get_connection()
        try:
            while budget[0] > 0 and time.perf_counter() < deadline:
                budget[0] -= 1
                payload = b"".join(_hgetall(keys[rng.randrange(len(keys))]) for _ in range(batch))
                t0 = time.perf_counter()
                await conn.send_packed_command(payload, check_health=False)
                for _ in range(batch):
                    await conn.read_response()
                latencies.append(time.perf_counter() - t0)
        finally:
            await pool.release(conn)

    started = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(clients)))
    elapsed = time.perf_counter() - started
    await pool.aclose()
    return latencies, elapsed


def run_raw_redis(
    url: str,
    prefix: str,
    ids: list[str],
    batch: int,
    clients: int,
    duration_s: float = 10.0,
    max_requests: int = 20_000,
) -> dict[str, Any]:
    """Raw pipelined HGETALL of random profiles at `clients` concurrent connections (asyncio, uvloop)."""
    import uvloop

    keys = [f"{prefix}:profile:{pid}".encode() for pid in ids]
    latencies, elapsed = uvloop.run(_raw_clients(url, keys, batch, clients, duration_s, max_requests))
    ordered = sorted(latencies)
    return {
        "tool": "redis-py asyncio (RESP2, hiredis), pipelined HGETALL",
        "mode": "raw",
        "clients": clients,
        "batch": batch,
        "requests": len(ordered),
        "seconds": round(elapsed, 2),
        "rps": round(len(ordered) / elapsed, 1),
        "p50_ms": round(statistics.median(ordered) * 1000, 3),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 3),
        "max_ms": round(ordered[-1] * 1000, 3),
        "errors": 0,
        "non_2xx": 0,
    }


def wait_http(url: str, timeout: float = 30.0, process: subprocess.Popen[bytes] | None = None) -> None:
    """Wait until `url` answers (any status); RuntimeError if the process exits or time runs out."""
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode} before answering {url}")
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")
