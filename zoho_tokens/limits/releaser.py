"""Freeing the slots of finished calls off the caller's path: one thread per process.

A call far below the cap used to cost two round trips to the store: the take (an insert)
before the request and the release (a delete) after it. The take must stay on the
caller's path, and atomic: it is what keeps the calls in flight under the cap across
every process. The release need not: a slot freed a few milliseconds late only holds the
cap a little longer, which is safe. So :meth:`Releaser.put` only hands the slot to this
process's releaser thread (no round trip, no waiting), and the thread frees what it was
handed in batches: one ``DELETE`` for every slot handed since its last one (the cache:
one ``get_many`` and one ``delete_many`` of those still held by their call).

Why not a single statement that frees the last call's slot and takes the next one? A
worker that makes one call and then none would hold its slot until it expires; a thread
frees it within milliseconds whatever comes next.

* Started lazily, by the first release handed to it; a daemon thread, idle until then.
* Fork-safe: a child process (Celery's prefork pool, ``gunicorn --preload``) starts with an
  empty queue and no thread (``os.register_at_fork``); the parent frees what it was handed.
* Flushed (:meth:`Releaser.flush`): at exit (``atexit``), by anything of this process that
  reads the slots (:mod:`zoho_tokens.limits.status`), and by a call that found every slot
  held (so that its own process's finished calls are not counted against it).
* Never blocks the caller, and never fails a call: a release that fails is logged and the
  slot expires (``SLOT_TTL``), as a dead worker's does. Only when the thread has not freed
  a slot handed over more than :data:`STALE` seconds ago (a server that runs no thread of
  the application: uWSGI without ``--enable-threads``) does the next call free the waiting
  slots itself.

SQLite keeps the release on the caller's path when the slot was taken inside the caller's
transaction (see :attr:`DatabaseSlots.defers_release
<zoho_tokens.limits.stores.DatabaseSlots.defers_release>`): it has one writer, and the
limiter writes there on the caller's own connection, inside that transaction; a releaser
with a connection of its own would wait for the transaction to end, and fail after
SQLite's timeout with the slot still held. A slot taken in autocommit (an async view's, a
task's, a view's without ``ATOMIC_REQUESTS``) is handed over as on the other databases.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections import defaultdict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zoho_tokens.limits.stores import SlotStore

__all__ = ["Releaser", "flush_releases", "releaser"]

logger = logging.getLogger(__name__)

#: Seconds a flush waits at most for the releaser (a database that hangs must not hang the
#: caller for longer; the slots then expire).
FLUSH_WAIT = 5.0
#: Seconds a slot may wait for the releaser thread before the next call of this process
#: frees it on its own path: a server that runs no thread of the application (uWSGI
#: without ``--enable-threads``), or a releaser held up by a slow store.
STALE = 1.0


class Releaser:
    """The slots this process's finished calls still hold, and the thread that frees them."""

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self._changed = threading.Condition()
        self._pending: list[tuple[SlotStore, str, int, str]] = []
        #: Releases handed over, and releases done (freed or given up), since the start.
        self._handed = 0
        self._done = 0
        self._thread: threading.Thread | None = None
        #: When the oldest release still waiting was handed over (``time.monotonic()``).
        self._waiting_since: float | None = None

    @property
    def done(self) -> int:
        """How many releases this process's releaser has done (freed or given up) so far."""
        return self._done

    def put(
        self, store: SlotStore, key: str, number: int, holder: str, *, free_stale: bool = True
    ) -> bool:
        """Free slot ``number`` of ``key`` if ``holder`` still holds it, soon (see the module).

        When slots have waited for the thread more than :data:`STALE` seconds, they are
        freed here, on the caller's thread; with ``free_stale=False`` (async code: never the
        store on the event loop) they are not, and True says the caller should free them
        with :meth:`free_waiting` from a thread."""
        now = time.monotonic()
        with self._changed:
            stale = self._waiting_since is not None and now - self._waiting_since > STALE
            if self._waiting_since is None:
                self._waiting_since = now
            self._pending.append((store, key, number, holder))
            self._handed += 1
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="zoho-tokens-slot-releaser", daemon=True
                )
                self._thread.start()
            self._changed.notify_all()
        if stale and free_stale:
            # The thread has not run for a while: this call frees what waits, itself.
            self.free_waiting()
            return False
        return stale

    def free_waiting(self) -> None:
        """Free, on the calling thread, every slot still waiting for the releaser thread
        (blocking: the store)."""
        self._free(self._take_pending())

    def flush(self, timeout: float = FLUSH_WAIT) -> bool:
        """Free every slot handed over so far, waiting at most ``timeout`` seconds; whether
        there was anything to free. What is still waiting is freed by the calling thread
        itself, rather than waiting for the releaser to wake."""
        with self._changed:
            target = self._handed
            if self._done >= target:
                return False
        self._free(self._take_pending())
        with self._changed:
            self._changed.wait_for(lambda: self._done >= target, timeout)
        return True

    def _run(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: bool(self._pending))
            self._free(self._take_pending())

    def _take_pending(self) -> list[tuple[SlotStore, str, int, str]]:
        with self._changed:
            batch, self._pending = self._pending, []
            self._waiting_since = None
        return batch

    def _free(self, batch: list[tuple[SlotStore, str, int, str]]) -> None:
        by_store: dict[SlotStore, list[tuple[str, int, str]]] = defaultdict(list)
        for store, key, number, holder in batch:
            by_store[store].append((key, number, holder))
        for store, slots in by_store.items():
            try:
                store.release(slots)
            except Exception:  # the database or the cache: any of their errors
                logger.warning(
                    "Zoho limits: %d slots could not be freed; they expire.",
                    len(slots),
                    exc_info=True,
                )
        with self._changed:
            self._done += len(batch)
            self._changed.notify_all()


#: This process's releaser.
releaser = Releaser()


def flush_releases(timeout: float = FLUSH_WAIT) -> bool:
    """Free every slot this process's finished calls still hold (see :meth:`Releaser.flush`)."""
    return releaser.flush(timeout)


# A child of fork() has no releaser thread, and its queue is its parent's to free.
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=releaser._reset)
atexit.register(flush_releases, 2.0)
