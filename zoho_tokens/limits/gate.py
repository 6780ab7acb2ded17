"""The cap on calls in flight, per Zoho organisation and service, across every worker.

>>> with call_slot("crm", "700000001"):  # doctest: +SKIP
...     response = send()

A call takes one of the organisation's slots for its service before it is sent and frees
it when Zoho has answered (:mod:`zoho_tokens.limits.stores`: the database or the cache, so
every process of every machine counts the same calls). With every slot taken, the call
waits, polling, at most ``ZOHO_TOKENS["LIMITS"]["WAIT"]`` seconds; then it fails with
:class:`~zoho_tokens.exceptions.ZohoThrottledError` naming the cap. A call held to a
:class:`~zoho_tokens.accounts.deadline.Deadline` (a session's call) waits no longer than
what is left of it; when that runs out first, it fails as any step of the call does
(:meth:`Deadline.ran_out <zoho_tokens.accounts.deadline.Deadline.ran_out>`). While Zoho
asked every worker to wait (a 429), the slots are held by the back-off: a call fails at
once when the back-off outlasts its wait, and waits for its end otherwise.

What it costs a call far below the cap: one round trip to the store, the take. Freeing
the slot is handed to this process's releaser thread (:mod:`zoho_tokens.limits.releaser`),
which frees finished calls' slots in batches, off the caller's path; on SQLite, where the
limiter writes on the caller's own connection, a slot taken inside the caller's transaction
is freed on the spot.

:func:`acall_slot` is the same for ``async`` code, and shares its steps (:class:`_Attempt`):
the take is made from a thread (``sync_to_async``), the waits are ``asyncio.sleep``, and the
release, a hand-over to the releaser, needs no thread.

When the store itself fails (the database or the cache down), the call goes ahead
unlimited, with a warning: Zoho still enforces its limits, and its 429s are handled.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass

from asgiref.sync import sync_to_async

from zoho_tokens.accounts.deadline import Deadline
from zoho_tokens.conf import zoho_settings
from zoho_tokens.exceptions import ZohoThrottledError
from zoho_tokens.limits.releaser import FLUSH_WAIT, flush_releases, releaser
from zoho_tokens.limits.stores import SlotStore, Taken, slot_store
from zoho_tokens.models import now_ms

__all__ = [
    "WAITING_FOR_SLOT",
    "CallSlot",
    "acall_slot",
    "call_slot",
    "organization_of",
    "slot_key",
]

logger = logging.getLogger(__name__)

#: Seconds between two tries for a slot: the first wait, and the longest.
FIRST_POLL = 0.003
LONGEST_POLL = 0.02
#: Seconds a call finding every slot held waits at least for its process's releaser: a
#: batch under way takes a millisecond or so, but on a loaded machine (the suite on two
#: cores, MariaDB) 50 ms were not always enough for a slot this process had already freed.
FLUSH_FLOOR = 0.25
#: The step of a call waiting for a slot, as its deadline names it when it runs out.
WAITING_FOR_SLOT = "waiting for a free slot of the organisation's cap on calls in flight"


@dataclass(frozen=True)
class CallSlot:
    """The slot a call holds: whose, which of how many, and how long it waited for it."""

    service: str
    organization: str
    number: int
    cap: int
    waited: float


def organization_of(user_name: str | None) -> str:
    """The Zoho organisation of a token, from the SDK's user name ``"<email>:<org zgid>"``;
    ``"default"`` for a token whose organisation is not known (one shared cap)."""
    organization = (user_name or "").rpartition(":")[2]
    return organization or "default"


def slot_key(service: str, organization: str) -> str:
    """The name of one organisation's slots for one service."""
    return f"{service}:{organization}"


@dataclass
class _Attempt:
    """One call's way to a slot and back: its store, cap, holder id and time limits. The
    steps :func:`call_slot` and :func:`acall_slot` share; they only sleep differently."""

    service: str
    organization: str
    store: SlotStore
    cap: int
    ttl: float
    wait: float
    holder: str
    started: float
    deadline: Deadline | None = None
    poll: float = FIRST_POLL
    #: What the last try found (None: no try yet, or the store failed).
    taken: Taken | None = None
    #: Whether the slot taken may be freed by the releaser thread (the store says so in
    #: the thread that takes it: SQLite, not when the take was in the caller's transaction).
    handed_over: bool = False

    @classmethod
    def start(cls, service: str, organization: str, deadline: Deadline | None) -> _Attempt | None:
        """None when the limits are switched off (no database touched: async code may call
        it)."""
        limits = zoho_settings.LIMITS
        if not limits.enabled:
            return None
        return cls(
            service=service,
            organization=organization,
            store=slot_store(limits.store, limits.cache),
            cap=limits.cap_for(organization, service),
            ttl=limits.ttl(zoho_settings.HTTP_TIMEOUT),
            wait=limits.wait,
            holder=uuid.uuid4().hex,
            started=time.monotonic(),
            deadline=deadline,
        )

    @property
    def key(self) -> str:
        return slot_key(self.service, self.organization)

    def try_once(self) -> float | None:
        """One try for a slot: None when the trying is over (a slot taken, or the store
        failed: see :meth:`held`), else the seconds to sleep before the next; raises when
        the wait or the call's deadline is over. Blocking (the store): async code calls it
        from a thread."""
        self.taken = self._take()
        if self.taken is not None and self.taken.number is not None:
            self.handed_over = self.store.defers_release
        return self.pause(self.taken)

    def _take(self) -> Taken | None:
        """One try; None when the store failed (the call then goes unlimited)."""
        try:
            freed = releaser.done
            taken = self.store.try_take(self.key, self.cap, self.holder, self.ttl)
            if taken.number is None and not taken.backoff_until_ms:
                # Finished calls of this process may hold slots the releaser has not freed
                # yet: freed now, and if any was freed since the try began, one more try.
                # Within what is left of the call's wait (and deadline): a releaser held
                # up by a slow store must not keep the call for FLUSH_WAIT. At least long
                # enough for a batch under way to end (FLUSH_FLOOR).
                flush_releases(min(FLUSH_WAIT, max(self._left(), FLUSH_FLOOR)))
                if releaser.done > freed:
                    taken = self.store.try_take(self.key, self.cap, self.holder, self.ttl)
            return taken
        except Exception:  # the database or the cache: any of their errors
            logger.warning(
                "Zoho limits: the slot store failed; %s call for organisation %s goes "
                "ahead without the cap.",
                self.service,
                self.organization,
                exc_info=True,
            )
            return None

    def _left(self) -> float:
        """Seconds left of the call's wait for a slot, and of its deadline."""
        now = time.monotonic()
        left = self.started + self.wait - now
        if self.deadline is not None:
            left = min(left, self.deadline.ends_at - now)
        return left

    def pause(self, taken: Taken | None) -> float | None:
        """Seconds to sleep before the next try; None when the trying is over (a slot
        taken, or the store failed); raises when the wait or the call's deadline is over."""
        if taken is None or taken.number is not None:
            return None
        now = time.monotonic()
        left = self.started + self.wait - now
        deadline_first = self.deadline is not None and self.deadline.ends_at - now < left
        if self.deadline is not None:
            left = min(left, self.deadline.ends_at - now)
        if taken.backoff_until_ms:
            backoff = (taken.backoff_until_ms - now_ms()) / 1000
            if backoff > left:
                bound = "what is left of its time limit" if deadline_first else "LIMITS['WAIT']"
                raise ZohoThrottledError(
                    f"Zoho asked every worker to wait {backoff:.1f} s more before calling "
                    f"{self.service} for organisation {self.organization} (a 429); this call "
                    f"may wait {max(left, 0):.1f} s ({bound}).",
                    error="backoff",
                    retry_after=round(backoff, 3),
                )
            return max(backoff, FIRST_POLL)
        if left <= 0:
            if deadline_first and self.deadline is not None:
                raise self.deadline.ran_out(
                    f"{WAITING_FOR_SLOT} ({self.cap} calls to {self.service} for "
                    f"organisation {self.organization})"
                )
            raise ZohoThrottledError(
                f"{self.cap} calls to {self.service} for organisation {self.organization} "
                f"were in flight for {self.wait:g} s, the cap on calls in flight "
                "(ZOHO_TOKENS['LIMITS']); try again shortly.",
                error="concurrency_cap",
                retry_after=1.0,
            )
        # Jitter, so that waiting workers do not all try at the same moment.
        pause = min(self.poll * random.uniform(0.5, 1.5), left)  # noqa: S311
        self.poll = min(self.poll * 1.5, LONGEST_POLL)
        return pause

    def held(self) -> CallSlot | None:
        """The slot the trying ended with (None: the store failed; the call goes ahead)."""
        if self.taken is None or self.taken.number is None:
            return None
        return CallSlot(
            self.service,
            self.organization,
            self.taken.number,
            self.cap,
            time.monotonic() - self.started,
        )

    def hand_over(self, slot: CallSlot) -> bool:
        """Hand ``slot`` to the releaser, touching no store (async code calls it on the
        event loop); True when slots waited too long for the releaser thread: the caller
        then frees them from a thread (:meth:`Releaser.free_waiting
        <zoho_tokens.limits.releaser.Releaser.free_waiting>`)."""
        return releaser.put(self.store, self.key, slot.number, self.holder, free_stale=False)

    def release(self, slot: CallSlot) -> None:
        """Free ``slot``: handed to the releaser thread, or (SQLite, taken in the caller's
        transaction) at once."""
        if self.handed_over:
            releaser.put(self.store, self.key, slot.number, self.holder)
            return
        try:
            self.store.release([(self.key, slot.number, self.holder)])
        except Exception:  # it expires on its own
            logger.warning("Zoho limits: a slot could not be freed; it expires.", exc_info=True)


@contextmanager
def call_slot(
    service: str, organization: str, deadline: Deadline | None = None
) -> Iterator[CallSlot | None]:
    """Hold one of ``organization``'s slots for ``service`` while the block runs (None:
    limits disabled, or the store failed). Raises ZohoThrottledError, or the ``deadline``'s
    error when it runs out while waiting (see the module)."""
    attempt = _Attempt.start(service, organization, deadline)
    while attempt is not None and (pause := attempt.try_once()) is not None:
        time.sleep(pause)
    slot = attempt.held() if attempt is not None else None
    try:
        yield slot
    finally:
        if attempt is not None and slot is not None:
            attempt.release(slot)


@asynccontextmanager
async def acall_slot(
    service: str, organization: str, deadline: Deadline | None = None
) -> AsyncIterator[CallSlot | None]:
    """:func:`call_slot` for ``async`` code (``async with acall_slot(...)``)."""
    attempt = _Attempt.start(service, organization, deadline)
    while attempt is not None and (pause := await sync_to_async(attempt.try_once)()) is not None:
        await asyncio.sleep(pause)
    slot = attempt.held() if attempt is not None else None
    try:
        yield slot
    finally:
        if attempt is not None and slot is not None:
            if attempt.handed_over:
                # A hand-over: no round trip, no thread; but never the store on the event
                # loop (SynchronousOnlyOperation), even for slots the releaser left waiting.
                if attempt.hand_over(slot):
                    await sync_to_async(releaser.free_waiting)()
            else:
                await sync_to_async(attempt.release)(slot)
