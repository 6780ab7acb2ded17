"""The fake Zoho's API limits: a cap on calls in flight and a daily credit budget, per
organisation, enforced as Zoho does (HTTP 429 with ``Retry-After`` beyond them).

Per organisation and service (the CRM's ``zgid``, the Books ``organization_id``, Desk's
``orgId``, the Projects portal):

* at most :attr:`ApiLimits.concurrency_cap` calls in flight; the next one gets 429
  ``TOO_MANY_REQUESTS`` with ``Retry-After: concurrency_retry_after``. The highest number
  ever in flight is kept (:meth:`ApiLimits.max_in_flight`), and the calls refused
  (:attr:`ApiLimits.refused`), so a test can prove nobody exceeded the cap;
* CRM: :attr:`ApiLimits.daily_credits` credits per day, one per call; once half are spent
  every answer carries ``X-API-CREDITS-REMAINING`` (one secondary source; the fake is the
  stricter for sending it only then); none left: 429 with ``Retry-After`` until the day
  ends.

What Zoho documents, what was recorded and what is inferred: docs/limits.md.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field

__all__ = ["Admission", "ApiLimits"]


@dataclass(frozen=True)
class Admission:
    """Whether a call may go on; if not, what the 429 says."""

    admitted: bool
    retry_after: int = 0
    reason: str = ""


@dataclass
class ApiLimits:
    """The fake's limits and what it counted (``fake.limits``)."""

    #: Calls one organisation may have in flight to one service (None: no cap).
    concurrency_cap: int | None = 10
    #: ``Retry-After`` of a 429 for the cap, in seconds.
    concurrency_retry_after: int = 1
    #: CRM credits per organisation and day (Zoho: 50,000 and up, by edition and users).
    daily_credits: int = 50_000
    #: Seconds every API call takes (a load test's latency); 0: answered at once.
    latency: float = 0.0
    _in_flight: Counter[str] = field(default_factory=Counter)
    _max_in_flight: Counter[str] = field(default_factory=Counter)
    _credits_spent: Counter[str] = field(default_factory=Counter)
    #: Calls refused with a 429, per ``"<service>:<organisation>"``.
    refused: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def enter(self, key: str, *, crm: bool, seconds_left_today: float) -> Admission:
        """A call of ``key`` (``"crm:700000001"``) arrives; admitted unless over a limit."""
        with self.lock:
            if self.concurrency_cap is not None and self._in_flight[key] >= self.concurrency_cap:
                self.refused[key] += 1
                return Admission(False, self.concurrency_retry_after, "concurrency")
            if crm and self._credits_spent[key] >= self.daily_credits:
                self.refused[key] += 1
                return Admission(False, max(1, int(seconds_left_today)), "credits")
            self._in_flight[key] += 1
            self._max_in_flight[key] = max(self._max_in_flight[key], self._in_flight[key])
            if crm:
                self._credits_spent[key] += 1
            return Admission(True)

    def leave(self, key: str) -> None:
        """A call of ``key`` was answered."""
        with self.lock:
            self._in_flight[key] -= 1

    def credits_remaining(self, key: str) -> int:
        """CRM credits ``key`` has left today."""
        with self.lock:
            return max(self.daily_credits - self._credits_spent[key], 0)

    def credits_header(self, key: str) -> dict[str, str]:
        """``X-API-CREDITS-REMAINING``, once half of the day's credits are spent."""
        left = self.credits_remaining(key)
        return {"X-API-CREDITS-REMAINING": str(left)} if left <= self.daily_credits / 2 else {}

    def max_in_flight(self, key: str | None = None) -> int:
        """The most calls ever in flight at once for ``key`` (or for any key)."""
        with self.lock:
            if key is not None:
                return self._max_in_flight[key]
            return max(self._max_in_flight.values(), default=0)

    def reset(self) -> None:
        """Forget what was counted (in flight stays: calls may be under way)."""
        with self.lock:
            self._max_in_flight = Counter(self._in_flight)
            self._credits_spent.clear()
            self.refused.clear()
