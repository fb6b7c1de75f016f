"""Prometheus metrics of the feature server, at GET /metrics (text format 0.0.4).

- `featurestore_http_requests_total{route, method, status}`   requests answered
- `featurestore_http_request_duration_seconds{route}`          latency histogram (first byte in to last out)
- `featurestore_redis_errors_total`                            failed reads: Redis unreachable, or an error
- `featurestore_profiles_requested_total{route}`               profile ids asked for

With several workers (`--workers N`), each is its own process: the server then runs prometheus_client's
multiprocess mode (PROMETHEUS_MULTIPROC_DIR, set by `featurestore serve` before the workers start), and any
worker's /metrics sums all of them.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)

disable_created_metrics()  # no `*_created` series: the counters' start times say nothing to a dashboard

BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)

REQUESTS = Counter(
    "featurestore_http_requests_total", "HTTP requests answered.", ["route", "method", "status"]
)
LATENCY = Histogram(
    "featurestore_http_request_duration_seconds",
    "HTTP request latency in seconds.",
    ["route"],
    buckets=BUCKETS,
)
REDIS_ERRORS = Counter(
    "featurestore_redis_errors_total",
    "Reads of the online store that failed (Redis unreachable or an error).",
)
PROFILES = Counter("featurestore_profiles_requested_total", "Profile ids requested.", ["route"])


def exposition() -> tuple[bytes, str]:
    """The metrics in Prometheus' text format, summed over workers in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
