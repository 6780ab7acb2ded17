"""What the cap on calls in flight costs a call far below the cap, per database and on Redis.

For each store, the median time the limiter adds to a call's path, measured in one run:

* *before* (the release on the caller's path, as the limiter did until now): taking a slot
  and freeing it on the spot, one statement (Redis: one command, two to free) each way;
* *now* (what ``call_slot`` does): taking a slot and handing it to the releaser thread,
  which frees finished calls' slots in batches off the caller's path
  (:mod:`zoho_tokens.limits.releaser`); on SQLite too, the call being in autocommit (a slot
  taken inside the caller's transaction is still freed on the spot there);
* one round trip to the same server (``SELECT 1``, or a Redis ``GET``).

Target (issue 25): at most 0.3 ms on PostgreSQL, one round trip or none.
"""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zoho_tokens.limits.stores import SlotStore

#: Milliseconds the limiter may add to a call on PostgreSQL.
TARGET_MS = 0.3
REDIS_URL = "redis://127.0.0.1:6379/2"
REDIS_ALIAS = "zoho_bench_limits"
#: The organisation's cap in the bench: the CRM standard edition's.
CAP = 10


@dataclass(frozen=True)
class Cost:
    """One store: the limiter's median per call now and before, and one round trip's, in
    milliseconds."""

    label: str
    limiter_ms: float
    before_ms: float
    round_trip_ms: float

    @property
    def ratio(self) -> float:
        """The limiter in round trips."""
        return self.limiter_ms / self.round_trip_ms if self.round_trip_ms else float("nan")

    @property
    def verdict(self) -> str:
        """Met or missed, against the target (PostgreSQL alone has one)."""
        if self.label != "PostgreSQL":
            return ""
        return "met" if self.limiter_ms <= TARGET_MS else "missed"


def _median_ms(call: Callable[[], object], reps: int) -> float:
    for _ in range(min(reps, 50)):
        call()  # warm: connections, statement caches
    samples = []
    for _ in range(reps):
        started = time.perf_counter_ns()
        call()
        samples.append((time.perf_counter_ns() - started) / 1e6)
    return statistics.median(samples)


#: Seconds each call of the bench lasts between its take and its release (not counted): a
#: call to Zoho takes far longer; without one the releaser would be raced by a loop that
#: takes a slot again the moment it hands one over, which no caller does.
CALL_SECONDS = 0.002


def _costs(label: str, slots: SlotStore, round_trip: Callable[[], object], reps: int) -> Cost:
    """The limiter's cost on ``slots``, now and before, against ``round_trip``."""
    from zoho_tokens.limits.releaser import flush_releases, releaser

    key = f"crm:bench-{uuid.uuid4().hex[:8]}"

    def one_call(hand_over: bool) -> float:
        """One call's limiter, in milliseconds (its call's own time left out)."""
        holder = uuid.uuid4().hex
        started = time.perf_counter_ns()
        taken = slots.try_take(key, CAP, holder, 30)
        if taken.number is None:
            # The releaser is behind (SQLite: a commit that waited for a busy disk): as a
            # call does (limits.gate), free this process's finished calls and try again.
            flush_releases()
            taken = slots.try_take(key, CAP, holder, 30)
        took = time.perf_counter_ns() - started
        assert taken.number is not None
        time.sleep(CALL_SECONDS)
        started = time.perf_counter_ns()
        if hand_over and slots.defers_release:
            releaser.put(slots, key, taken.number, holder)
        else:
            slots.release([(key, taken.number, holder)])
        return (took + time.perf_counter_ns() - started) / 1e6

    for _ in range(min(reps, 50)):
        one_call(True)  # warm: connections, statement caches, the releaser's thread
        one_call(False)
    # Alternated, so that a busy moment of the shared machine weighs on both alike.
    now, before = [], []
    for _ in range(reps):
        now.append(one_call(True))
        before.append(one_call(False))
    flush_releases()
    return Cost(
        label,
        statistics.median(now),
        statistics.median(before),
        _median_ms(round_trip, reps),
    )


def _database_cost(label: str, alias: str, reps: int) -> Cost:
    from django.core.management import call_command
    from django.db import connections

    from zoho_tokens.limits.stores import DatabaseSlots

    call_command("migrate", database=alias, verbosity=0)

    def round_trip() -> None:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()

    return _costs(label, DatabaseSlots(alias), round_trip, reps)


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
    return _costs("Redis", CacheSlots(REDIS_ALIAS), lambda: cache.get("x"), reps)


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
        "What the limiter adds to a call far below the cap (median of "
        f"{300 if quick else 3000}, in one run): now, taking a slot and handing its release "
        "to the releaser thread (SQLite too, in autocommit); before, taking it and "
        "freeing it on the spot; and one round trip to the same server. "
        f"Target: at most {TARGET_MS} ms on PostgreSQL.",
        "",
        "| Store | Limiter per call | Before | One round trip | Ratio | Verdict |",
        "|---|---|---|---|---|---|",
    ]
    for cost in costs:
        lines.append(
            f"| {cost.label} | {cost.limiter_ms:.3f} ms | {cost.before_ms:.3f} ms | "
            f"{cost.round_trip_ms:.3f} ms | {cost.ratio:.1f}x | {cost.verdict} |"
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
    from zoho_tokens.limits.releaser import flush_releases

    flush_releases()


if __name__ == "__main__":
    main()
