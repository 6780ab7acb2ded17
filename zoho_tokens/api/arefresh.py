"""A token's row, fresh, for coroutines: re-read per call, refreshed once per expiry.

Across processes the refresh is single-flight through the database lock of
:func:`zoho_tokens.tokens.refresh.ensure_fresh`. Within one process, coroutines that meet
one expired token queue on an :class:`asyncio.Lock` of that token first, so that only one
of them spends a worker thread (and a database connection) on the refresh; the others
re-read the row once it is done and find it fresh.

Reads run through ``sync_to_async`` in Django's thread-sensitive thread (the one the
request's other database work uses). The refresh runs in a thread of its own
(``thread_sensitive=False``): it waits for Zoho Accounts, and must not hold up the sync
work of every other request of the process meanwhile. That thread's connection is closed
when it is done, since no request cycle ever closes it.
"""

from __future__ import annotations

import asyncio
import time
import weakref

from asgiref.sync import sync_to_async
from django.db import connections
from django.views.decorators.debug import sensitive_variables

from zoho_tokens.accounts.deadline import Deadline
from zoho_tokens.api.calls import reread as _reread
from zoho_tokens.exceptions import NoUsableTokenError
from zoho_tokens.models import ZohoToken
from zoho_tokens.tokens.lookups import require_owner
from zoho_tokens.tokens.refresh import ensure_fresh, needs_refresh

__all__ = ["JUST_READ_SECONDS", "EnteredRow", "fresh_row", "refresh_locks"]

#: How long the row read on entering a session serves as its first request's re-read.
JUST_READ_SECONDS = 0.5


class EnteredRow:
    """The row an async session read on entering, handed once to a request sent within
    :data:`JUST_READ_SECONDS` instead of a read of its own: the usual ``async with
    asession_for(...) as zoho: await zoho.get(...)`` reads the row once, not twice. A later
    request reads it again, as every request after the first does."""

    def __init__(self) -> None:
        self._kept: tuple[ZohoToken, float] | None = None

    def keep(self, row: ZohoToken) -> None:
        """Remember ``row``, read now."""
        self._kept = (row, time.monotonic())

    def take(self) -> ZohoToken | None:
        """The row kept, if it was read within :data:`JUST_READ_SECONDS`; once."""
        kept, self._kept = self._kept, None
        if kept is None or time.monotonic() - kept[1] > JUST_READ_SECONDS:
            return None
        return kept[0]


# One lock per token and event loop: an asyncio.Lock belongs to the loop it is used on, and
# a process may run several loops (a test each, async_to_sync's own).
_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)


def refresh_locks() -> dict[int, asyncio.Lock]:
    """The running loop's per-token locks (a token's is made on its first refresh)."""
    return _locks.setdefault(asyncio.get_running_loop(), {})


@sensitive_variables()
async def fresh_row(
    token_id: int,
    *,
    owner_id: object,
    rejected_access_token: str | None = None,
    deadline: Deadline | None = None,
    just_read: ZohoToken | None = None,
) -> ZohoToken:
    """Token ``token_id`` as stored now, its access token valid (refreshed if it must be).

    ``owner_id`` is the user the session was made for: a row that now belongs to someone
    else is refused (:class:`NoUsableTokenError`) rather than used. ``rejected_access_token``
    is an access token Zoho just refused: the row is refreshed if it still holds it.
    ``deadline`` bounds the refresh (its wait for the lock, its call to Zoho).
    ``just_read``: the row as read a moment ago, used instead of a read of its own.
    """
    row = (
        require_owner(just_read, owner_id)
        if just_read is not None and just_read.pk == token_id
        else await _read(token_id, owner_id)
    )
    if not needs_refresh(row, rejected_access_token):
        return _usable(row)
    lock = refresh_locks().setdefault(token_id, asyncio.Lock())
    async with lock:
        # Another coroutine may have refreshed it while this one waited.
        row = await _read(token_id, owner_id)
        if needs_refresh(row, rejected_access_token):
            refresh = sync_to_async(_refresh_in_own_thread, thread_sensitive=False)
            row = await refresh(row, rejected_access_token, deadline)
    return _usable(require_owner(row, owner_id))


async def _read(token_id: int, owner_id: object) -> ZohoToken:
    return require_owner(await sync_to_async(_reread)(token_id), owner_id)


@sensitive_variables()
def _refresh_in_own_thread(
    row: ZohoToken, rejected_access_token: str | None, deadline: Deadline | None
) -> ZohoToken:
    try:
        return ensure_fresh(row, rejected_access_token=rejected_access_token, deadline=deadline)
    finally:
        connections.close_all()


def _usable(row: ZohoToken) -> ZohoToken:
    if not row.access_token_encrypted:
        raise NoUsableTokenError(
            f"Zoho token {row.pk} has no access token and nothing to refresh it with; the "
            "user must connect Zoho again."
        )
    return row
