"""What the cap on calls in flight costs a call far below the cap, per database and on Redis.

For each store: the median time of taking a slot and freeing it (what ``call_slot`` adds
to a call: one statement each way), against one round trip to the same server
(``SELECT 1``, or a Redis ``GET``) measured in the same run. Target (issue 25): at most
0.3 ms on PostgreSQL.
"""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

#: Milliseconds the limiter may add to a call on PostgreSQL.
TARGET_MS = 0.3
REDIS_URL = "redis://127.0.0.1:6379/2"
REDIS_ALIAS = "zoho_bench_limits"


@dataclass(frozen=True)
class Cost:
    """One store: the limiter's median per call and one round trip's, in milliseconds."""

    label: str
    limiter_ms: float
    round_trip_ms: float

    @property
    def ratio(self) -> float:
        """The limiter in round trips."""
        return self.limiter_ms / self.round_trip_ms if self.round_trip_ms else float("nan")


def _median_ms(call: Callable[[], object], reps: int) -> float:
    for _ in range(min(reps, 50)):
        call()  # warm: connections, statement caches
    samples = []
    for _ in range(reps):
        started = time.perf_counter_ns()
        call()
        samples.append((time.perf_counter_ns() - started) / 1e6)
    return statistics.median(samples)


def _database_cost(label: str, alias: str, reps: int) -> Cost:
    from django.core.management import call_command
    from django.db import connections

    from zoho_tokens.limits.stores import DatabaseSlots

    call_command("migrate", database=alias, verbosity=0)
    slots = DatabaseSlots(alias)
    key = f"crm:bench-{uuid.uuid4().hex[:8]}"

    def take_and_free() -> None:
        taken = slots.try_take(key, 10, "bench", 30)
        assert taken.number is not None
        slots.release(key, taken.number, "bench")

    def round_trip() -> None:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()

    return Cost(label, _median_ms(take_and_free, reps), _median_ms(round_trip, reps))


def _redis_cost(reps: int) -> Cost | None:
    from django.conf import settings
    from django.core.cache import caches

    from zoho_tokens.limits.stores import CacheSlots

    settings.CACHES[REDIS_ALIAS] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": f"zoho-bench-{uuid.uuid4().hex[:8]}",
    }
    cache = caches[REDIS_ALIAS]
    try:
        cache.get("ping")
    except Exception:  # no Redis here: the report says so
        return None
    slots = CacheSlots(REDIS_ALIAS)

    def take_and_free() -> None:
        taken = slots.try_take("crm:bench", 10, "bench", 30)
        assert taken.number is not None
        slots.release("crm:bench", taken.number, "bench")

    return Cost("Redis", _median_ms(take_and_free, reps), _median_ms(lambda: cache.get("x"), reps))


def measure(available: dict[str, str], quick: bool) -> list[Cost]:
    """The cost on every database that answered (label -> alias), and on Redis."""
    reps = 300 if quick else 3000
    costs = [_database_cost(label, alias, reps) for label, alias in available.items()]
    redis_cost = _redis_cost(reps)
    return costs + ([redis_cost] if redis_cost is not None else [])


def report_section(available: dict[str, str], quick: bool) -> str:
    """The Markdown section of ``docs/benchmarks.md``."""
    costs = measure(available, quick)
    lines = [
        "## The limiter's cost per call",
        "",
        "Taking a slot of the organisation's cap and freeing it (one statement each way), far "
        "below the cap, against one round trip to the same server in the same run "
        f"(median of {300 if quick else 3000}). Target: at most {TARGET_MS} ms on PostgreSQL.",
        "",
        "| Store | Limiter per call | One round trip | Ratio | Verdict |",
        "|---|---|---|---|---|",
    ]
    for cost in costs:
        verdict = ""
        if cost.label == "PostgreSQL":
            verdict = "met" if cost.limiter_ms <= TARGET_MS else "missed"
        lines.append(
            f"| {cost.label} | {cost.limiter_ms:.3f} ms | {cost.round_trip_ms:.3f} ms | "
            f"{cost.ratio:.1f}x | {verdict} |"
        )
    if not any(cost.label == "Redis" for cost in costs):
        lines += ["", "Redis did not answer at 127.0.0.1:6379: left out."]
    return "\n".join(lines)


def main() -> None:
    """``python -m bench.limits.cost``: the section alone, on the bench's databases."""
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from bench import databases

    available = {}
    for label, alias in databases.BACKENDS.items():
        try:
            databases.recreate(alias)
        except Exception:  # a server that does not answer is left out, as in make bench
            continue
        available[label] = alias
    print(report_section(available, quick=False))


if __name__ == "__main__":
    main()
