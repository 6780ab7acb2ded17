"""The cap on calls in flight, per Zoho organisation and service, across every worker.

>>> with call_slot("crm", "700000001"):  # doctest: +SKIP
...     response = send()

A call takes one of the organisation's slots for its service before it is sent and frees
it when Zoho has answered (:mod:`zoho_tokens.limits.stores`: the database or the cache, so
every process of every machine counts the same calls). With every slot taken, the call
waits, polling, at most ``ZOHO_TOKENS["LIMITS"]["WAIT"]`` seconds; then it fails with
:class:`~zoho_tokens.exceptions.ZohoThrottledError` naming the cap. While Zoho asked every
worker to wait (a 429), the slots are held by the back-off: a call fails at once when the
back-off outlasts its wait, and waits for its end otherwise.

:func:`acall_slot` is the same for ``async`` code: the store is used from a thread
(``sync_to_async``), the waits are ``asyncio.sleep``.

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

from zoho_tokens.conf import zoho_settings
from zoho_tokens.exceptions import ZohoThrottledError
from zoho_tokens.limits.stores import SlotStore, Taken, slot_store
from zoho_tokens.models import now_ms

__all__ = ["CallSlot", "acall_slot", "call_slot", "organization_of", "slot_key"]

logger = logging.getLogger(__name__)

#: Seconds between two tries for a slot: the first wait, and the longest.
FIRST_POLL = 0.003
LONGEST_POLL = 0.02


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
    """One call's way to a slot: its store, cap, holder id and deadline."""

    service: str
    organization: str
    store: SlotStore
    cap: int
    ttl: float
    wait: float
    holder: str
    started: float
    poll: float = FIRST_POLL

    @classmethod
    def start(cls, service: str, organization: str) -> _Attempt | None:
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
        )

    @property
    def key(self) -> str:
        return slot_key(self.service, self.organization)

    def take(self) -> Taken | None:
        """One try; None when the store failed (the call then goes unlimited)."""
        try:
            return self.store.try_take(self.key, self.cap, self.holder, self.ttl)
        except Exception:  # the database or the cache: any of their errors
            logger.warning(
                "Zoho limits: the slot store failed; %s call for organisation %s goes "
                "ahead without the cap.",
                self.service,
                self.organization,
                exc_info=True,
            )
            return None

    def pause(self, taken: Taken) -> float:
        """Seconds to sleep before the next try; raises when the wait is over."""
        left = self.started + self.wait - time.monotonic()
        if taken.backoff_until_ms:
            backoff = (taken.backoff_until_ms - now_ms()) / 1000
            if backoff > left:
                raise ZohoThrottledError(
                    f"Zoho asked every worker to wait {backoff:.1f} s more before calling "
                    f"{self.service} for organisation {self.organization} (a 429); this call "
                    f"may wait {max(left, 0):.1f} s (ZOHO_TOKENS['LIMITS']['WAIT']).",
                    error="backoff",
                    retry_after=round(backoff, 3),
                )
            return max(backoff, FIRST_POLL)
        if left <= 0:
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

    def slot(self, number: int) -> CallSlot:
        return CallSlot(
            self.service, self.organization, number, self.cap, time.monotonic() - self.started
        )

    def release(self, number: int) -> None:
        try:
            self.store.release(self.key, number, self.holder)
        except Exception:  # it expires on its own
            logger.warning("Zoho limits: a slot could not be freed; it expires.", exc_info=True)


@contextmanager
def call_slot(service: str, organization: str) -> Iterator[CallSlot | None]:
    """Hold one of ``organization``'s slots for ``service`` while the block runs (None:
    limits disabled, or the store failed). Raises ZohoThrottledError (see the module)."""
    attempt = _Attempt.start(service, organization)
    taken = attempt.take() if attempt is not None else None
    while attempt is not None and taken is not None and taken.number is None:
        time.sleep(attempt.pause(taken))
        taken = attempt.take()
    if attempt is None or taken is None or taken.number is None:
        yield None
        return
    try:
        yield attempt.slot(taken.number)
    finally:
        attempt.release(taken.number)


@asynccontextmanager
async def acall_slot(service: str, organization: str) -> AsyncIterator[CallSlot | None]:
    """:func:`call_slot` for ``async`` code (``async with acall_slot(...)``)."""
    attempt = await sync_to_async(_Attempt.start)(service, organization)
    taken: Taken | None = None
    if attempt is not None:
        take = sync_to_async(attempt.take)
        taken = await take()
        while taken is not None and taken.number is None:
            await asyncio.sleep(attempt.pause(taken))
            taken = await take()
    if attempt is None or taken is None or taken.number is None:
        yield None
        return
    try:
        yield attempt.slot(taken.number)
    finally:
        await sync_to_async(attempt.release)(taken.number)
