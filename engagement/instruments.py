"""The service's Prometheus instruments, counted in each process.

Under a server with several worker processes, prometheus-client's multiprocess mode keeps each
process's figures in files under ``PROMETHEUS_MULTIPROC_DIR`` (its own variable, read when the
library is imported: set it in the server's environment, to an empty folder the workers may
write), and ``/metrics`` adds them up, so any worker answers for all of them. Without it, each
process counts for itself, which is right for one process (tests, ``engagement demo``).
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

# Seconds; from a counters batch answered from memory to a slow moderation page.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Histogram(
    "engagement_http_request_duration_seconds",
    "Time to answer a request, by method, route rule and status (its _count counts requests).",
    ["method", "route", "status"],
    buckets=LATENCY_BUCKETS,
)
RATE_LIMITED = Counter(
    "engagement_rate_limited",
    "Requests refused with 429, by the limit they exceeded.",
    ["limit"],
)
POOL_IN_USE = Gauge(
    "engagement_db_pool_in_use",
    "Database connections checked out of the pool, by pool.",
    ["pool"],
    multiprocess_mode="livesum",
)
POOL_WAITS = Counter(
    "engagement_db_pool_waits",
    "Checkouts that found every connection of the pool in use and had to wait, by pool.",
    ["pool"],
)
POOL_WAIT_SECONDS = Counter(
    "engagement_db_pool_wait_seconds",
    "Time spent waiting for a pooled connection, by pool.",
    ["pool"],
)
ANSWER_CACHE = Counter(
    "engagement_answer_cache_lookups",
    "Lookups in the in-memory answer caches, by cache and result (hit or miss).",
    ["cache", "result"],
)
