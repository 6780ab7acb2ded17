"""Every call of a session within Zoho's limits, sync (``session_for``) and async
(``asession_for``).

:func:`send_within_limits` wraps one send: it holds a slot of the organisation's cap on
calls in flight while the request is out (:func:`zoho_tokens.limits.call_slot`), hands
the answer to :func:`zoho_tokens.limits.after_answer` (figures kept, a 429 shared with
every worker as a back-off, a token's real expiry learnt), and turns a 429 into
:class:`~zoho_tokens.exceptions.ZohoThrottledError` with Zoho's delay. With
``LIMITS["RETRIES"]``, an idempotent call whose body can be sent again is sent again after
the delay (when it is at most ``LIMITS["MAX_RETRY_WAIT"]``, and the call's deadline leaves
time for it). A call held to a deadline waits for a slot no longer than it has left
(:func:`~zoho_tokens.limits.call_slot`). :func:`asend_within_limits` is
the same for ``async`` sends (httpx or any client whose answers have ``status_code``,
``headers`` and ``json()``). :class:`WithinLimits` is the part of
:class:`~zoho_tokens.api.session.ZohoSession` that sends through them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from asgiref.sync import sync_to_async

from zoho_tokens.accounts.deadline import Deadline
from zoho_tokens.api import errors as api_errors
from zoho_tokens.api.context import LISTS
from zoho_tokens.api.services import Service
from zoho_tokens.api.wire import replayable
from zoho_tokens.conf import zoho_settings
from zoho_tokens.exceptions import ZohoThrottledError
from zoho_tokens.limits.gate import acall_slot, call_slot
from zoho_tokens.limits.observe import (
    Observed,
    after_answer,
    settled_without_store,
    throttled_error,
)

__all__ = [
    "IDEMPOTENT",
    "LimitedCall",
    "WithinLimits",
    "asend_within_limits",
    "send_within_limits",
]

#: The methods that may be sent again after a 429 (``LIMITS["RETRIES"]``): asking twice
#: leaves Zoho as asking once.
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})

Answer = TypeVar("Answer")
Answered = TypeVar("Answered")


@dataclass(frozen=True)
class LimitedCall:
    """Whose limits one call spends, and what a retry and the expiry check need."""

    service: Service
    organization: str
    method: str
    #: Whether the request's body can be sent a second time.
    replayable: bool
    token_id: int | None = None
    stored_expiry_ms: int | None = None
    #: The call's one time limit: the wait for a slot stops when it runs out too.
    deadline: Deadline | None = None

    def observe(self, answer: Any) -> Observed:
        """Act on what ``answer`` says about the limits."""
        return self._read(after_answer, answer)

    def settled(self, answer: Any) -> Observed | None:
        """:meth:`observe`'s result for an answer that asks nothing of the database or the
        cache; None for one that does (then :meth:`observe` it)."""
        return self._read(settled_without_store, answer)

    def _read(self, reader: Callable[..., Answered], answer: Any) -> Answered:
        """``reader`` (``after_answer`` or ``settled_without_store``) on this call's answer."""
        return reader(
            self.service.name,
            self.organization,
            answer.status_code,
            answer.headers,
            token_id=self.token_id,
            stored_expiry_ms=self.stored_expiry_ms,
        )

    def may_retry(self, done: int, wait: float | None) -> bool:
        """Whether to send again after a 429 whose delay is ``wait`` (``done`` retries so far)."""
        limits = zoho_settings.LIMITS
        return (
            done < limits.retries
            and self.method.upper() in IDEMPOTENT
            and self.replayable
            and (wait or 0) <= limits.max_retry_wait
            and (self.deadline is None or (wait or 0) < self.deadline.remaining())
        )

    def throttled(self, answer: Any, observed: Observed) -> ZohoThrottledError:
        """The error for a 429 that is not retried."""
        rate_limit = api_errors.rate_limit_headers(answer)
        code = api_errors.read_error(answer).code
        return throttled_error(self.service.label, self.organization, observed, rate_limit, code)


def send_within_limits(call: LimitedCall, send: Callable[[], Answer]) -> Answer:
    """``send()`` within the organisation's limits (see the module)."""
    retries = 0
    while True:
        with call_slot(call.service.name, call.organization, call.deadline):
            answer = send()
        observed = call.observe(answer)
        if not observed.report.throttled:
            return answer
        if not call.may_retry(retries, observed.backoff):
            raise call.throttled(answer, observed)
        retries += 1
        time.sleep(observed.backoff or 0)


async def asend_within_limits(call: LimitedCall, send: Callable[[], Awaitable[Answer]]) -> Answer:
    """``await send()`` within the organisation's limits (see the module)."""
    retries = 0
    while True:
        async with acall_slot(call.service.name, call.organization, call.deadline):
            answer = await send()
        # Most answers ask nothing of the store: read in the loop, no thread hop.
        observed = call.settled(answer) or await sync_to_async(call.observe)(answer)
        if not observed.report.throttled:
            return answer
        if not call.may_retry(retries, observed.backoff):
            raise call.throttled(answer, observed)
        retries += 1
        await asyncio.sleep(observed.backoff or 0)


class WithinLimits:
    """What a session adds to every send: the organisation's limits (see the module)."""

    service: Service
    token_id: int
    #: The Zoho organisation of the token (the CRM's ``zgid``).
    organization: str

    if TYPE_CHECKING:  # given by api.books.BooksOrganization, which the session derives from

        def _org(self, params: Any) -> str | None: ...

    def _limits_org(self, params: Any) -> str:
        """Whose limits a call spends: the Books organization, Desk's org, the Projects
        portal; else (the CRM) the token's organisation."""
        if self.service.name in LISTS:
            return self._org(params) or self.organization
        return self.organization

    def _within_limits(
        self,
        method: str | bytes,
        params: Any,
        kwargs: dict[str, Any],
        stored_expiry_ms: int | None,
        send: Callable[[], Answer],
        deadline: Deadline | None = None,
    ) -> Answer:
        """``send()`` within the limits of the organisation the call spends."""
        limited = LimitedCall(
            self.service,
            self._limits_org(params),
            method.decode() if isinstance(method, bytes) else method,
            replayable(kwargs),
            token_id=self.token_id,
            stored_expiry_ms=stored_expiry_ms,
            deadline=deadline,
        )
        return send_within_limits(limited, send)
