"""Freeing slots off the caller's path (``zoho_tokens.limits.releaser``): what a call costs,
how the releaser frees many slots at once, and that a forked child starts afresh."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.db import connection, transaction

from tests.limits.conftest import use_limits
from tests.limits.statements import limiter_statements
from zoho_tokens.exceptions import ZohoThrottledError
from zoho_tokens.limits import acall_slot, call_slot, status
from zoho_tokens.limits.releaser import STALE, Releaser, flush_releases, releaser
from zoho_tokens.limits.stores import slot_store
from zoho_tokens.models import ZohoCallSlot

pytestmark = pytest.mark.django_db(transaction=True)

ORG = "700000001"


def test_a_call_far_below_the_cap_costs_its_caller_one_statement(settings: Any) -> None:
    use_limits(settings, STORE="database", CONCURRENCY=10)

    with limiter_statements() as statements, call_slot("crm", ORG):
        pass

    assert statements.verbs() == ["INSERT"]
    flush_releases()
    assert not ZohoCallSlot.objects.exists()


def test_a_slot_taken_in_the_callers_transaction_is_freed_as_the_call_ends(
    settings: Any,
) -> None:
    # SQLite's one writer is the caller's connection, in its transaction: a releaser of its
    # own would wait for that transaction to end. The other databases write the slot on a
    # connection of the limiter's own, outside the transaction, and hand it over.
    use_limits(settings, STORE="database", CONCURRENCY=10)

    with transaction.atomic():
        with limiter_statements() as statements, call_slot("crm", ORG):
            pass
        verbs = statements.verbs()

    if connection.vendor == "sqlite":
        assert verbs == ["INSERT", "DELETE"]
    else:
        assert verbs == ["INSERT"]
        flush_releases()
    assert not ZohoCallSlot.objects.exists()


def test_an_async_call_hands_its_slot_over_on_every_database(settings: Any) -> None:
    use_limits(settings, STORE="database", CONCURRENCY=10)

    async def call() -> list[str]:
        # Entered in the thread the take runs in (asgiref's thread for sync work: on
        # SQLite, the limiter writes on that thread's connection).
        recording = limiter_statements()
        statements = await sync_to_async(recording.__enter__)()
        async with acall_slot("crm", ORG) as slot:
            assert slot is not None
        await sync_to_async(recording.__exit__)(None, None, None)
        return statements.verbs()

    assert asyncio.run(call()) == ["INSERT"]
    flush_releases()
    assert not ZohoCallSlot.objects.exists()


@pytest.mark.usefixtures("limits_store")
def test_the_releaser_frees_many_slots_in_one_batch(settings: Any, limits_store: str) -> None:
    use_limits(settings, CONCURRENCY=20)
    limits = settings.ZOHO_TOKENS["LIMITS"]
    store = slot_store(limits["STORE"], limits.get("CACHE", "default"))
    taken = [
        (store.try_take(f"crm:{ORG}", 20, f"call-{n}", 30).number, f"call-{n}") for n in range(8)
    ]
    # A back-off took one of them over meanwhile: its release must not free it.
    store.hold_all(f"crm:{ORG}", 1, int(time.time() * 1000) + 30_000)
    own = Releaser()
    before = {h.number for h in store.occupied(f"crm:{ORG}", 20)}
    assert before == {number for number, _ in taken} | {0}

    if store.defers_release:
        with limiter_statements() as statements:
            for number, holder in taken:
                assert number is not None
                own.put(store, f"crm:{ORG}", number, holder)
            assert own.flush()
    else:
        store.release([(f"crm:{ORG}", n, h) for n, h in taken if n is not None])

    left = store.occupied(f"crm:{ORG}", 20)
    assert [(h.number, h.holder) for h in left] == [(0, "backoff")]
    if limits_store == "database" and store.defers_release:
        # Eight slots, one statement at most on this thread (the flush frees what the
        # releaser had not picked up yet, all at once).
        assert len(statements.verbs()) <= 1


def test_a_slot_handed_over_is_free_for_the_next_call_at_once(settings: Any) -> None:
    use_limits(settings, STORE="database", CONCURRENCY=1, WAIT=0)

    for _ in range(50):
        with call_slot("crm", ORG) as slot:
            assert slot is not None

    assert status(ORG).in_flight == 0


def test_a_failing_store_logs_and_lets_the_slot_expire(caplog: Any) -> None:
    caplog.set_level(logging.WARNING, "zoho_tokens.limits")

    class Broken:
        defers_release = True

        def release(self, slots: Any) -> None:
            raise ConnectionError("the database went away")

    own = Releaser()
    own.put(Broken(), "crm:1", 0, "a")  # type: ignore[arg-type]

    # Freed by the flush, or by the thread before it (the flush then has nothing to free).
    own.flush(timeout=5)
    assert own.done == 1
    assert "could not be freed; they expire" in caplog.text


def test_a_forked_child_starts_with_no_releases_of_its_parent() -> None:
    started = threading.Event()
    gate = threading.Event()

    class Slow:
        defers_release = True

        def release(self, slots: Any) -> None:
            started.set()
            gate.wait(5)

    # The parent's releaser is busy, with more handed over: the child must not inherit them.
    releaser.put(Slow(), "crm:1", 0, "parent-1")  # type: ignore[arg-type]
    started.wait(5)
    releaser.put(Slow(), "crm:1", 1, "parent-2")  # type: ignore[arg-type]
    pid = os.fork()
    if pid == 0:  # the child: exits with 0 only if it has nothing of its parent's
        fresh = not releaser._pending and releaser._thread is None and not releaser.flush(0.1)
        os._exit(0 if fresh else 1)
    _, code = os.waitpid(pid, 0)
    gate.set()
    assert flush_releases()

    assert os.waitstatus_to_exitcode(code) == 0


def test_slots_waiting_too_long_for_the_releaser_are_freed_by_the_next_call() -> None:
    stuck = threading.Event()
    freed: list[str] = []

    class Hanging:
        defers_release = True

        def release(self, slots: Any) -> None:
            stuck.wait(10)  # a store that hangs: the releaser thread is held up

    class Recording:
        defers_release = True

        def release(self, slots: Any) -> None:
            freed.extend(holder for _, _, holder in slots)

    own = Releaser()
    own.put(Hanging(), "crm:1", 0, "hanging")  # type: ignore[arg-type]
    time.sleep(0.1)  # the thread took it, and hangs
    own.put(Recording(), "crm:1", 1, "first")  # type: ignore[arg-type]
    own.put(Recording(), "crm:1", 2, "soon")  # type: ignore[arg-type]
    assert freed == []  # not stale yet: left to the thread
    time.sleep(STALE + 0.2)

    own.put(Recording(), "crm:1", 3, "late")  # type: ignore[arg-type]

    assert freed == ["first", "soon", "late"]
    stuck.set()
    assert own.flush()


def test_an_async_call_never_frees_waiting_slots_on_the_event_loop(
    settings: Any, caplog: Any
) -> None:
    """Slots left waiting by a releaser held up (a slow store) are freed by the next call;
    when that call is async, its release must not touch the database on the event loop
    (Django raises SynchronousOnlyOperation there, and the slots would be held until they
    expire)."""
    use_limits(settings, STORE="database", CONCURRENCY=5)
    caplog.set_level(logging.WARNING, "zoho_tokens.limits")
    stuck = threading.Event()

    class Hanging:
        defers_release = True

        def release(self, slots: Any) -> None:
            stuck.wait(10)  # the releaser thread is held up by a slow store

    releaser.put(Hanging(), "crm:1", 0, "hanging")  # type: ignore[arg-type]
    time.sleep(0.1)  # the thread took it, and hangs

    async def calls() -> None:
        async with acall_slot("crm", ORG):
            pass
        await asyncio.sleep(STALE + 0.2)  # its slot now waits too long for the thread
        async with acall_slot("crm", "700000002"):
            pass

    try:
        asyncio.run(calls())
        # Freed by the second call (from a thread), not left to expire.
        assert not ZohoCallSlot.objects.exists()
        assert "could not be freed" not in caplog.text
    finally:
        stuck.set()
        flush_releases()


def test_a_call_finding_every_slot_held_waits_no_longer_than_its_wait(settings: Any) -> None:
    """A call that finds the cap full flushes its process's releases first; with the
    releaser held up by a slow store, that flush must not keep the call beyond its own
    ``WAIT`` (here none) for the releaser's five seconds."""
    use_limits(settings, STORE="database", CONCURRENCY=1, WAIT=0)
    stuck = threading.Event()

    class Hanging:
        defers_release = True

        def release(self, slots: Any) -> None:
            stuck.wait(10)

    limits = settings.ZOHO_TOKENS["LIMITS"]
    store = slot_store(limits["STORE"], limits.get("CACHE", "default"))
    assert store.try_take(f"crm:{ORG}", 1, "another-worker", 30).number == 0
    releaser.put(Hanging(), "crm:1", 0, "hanging")  # type: ignore[arg-type]
    time.sleep(0.1)  # the thread took it, and hangs
    try:
        started = time.monotonic()
        with pytest.raises(ZohoThrottledError), call_slot("crm", ORG):
            pass
        assert time.monotonic() - started < 1.0
    finally:
        stuck.set()
        flush_releases()


@pytest.mark.usefixtures("limits_store")
def test_a_batch_frees_a_slot_retaken_after_its_first_holder_expired(settings: Any) -> None:
    """Call A's slot expired while A was in flight and call B took it; B ended first, then
    A: the releaser's batch names the slot twice, B's release first. B's slot is freed
    (A's, long gone, frees nothing)."""
    use_limits(settings, CONCURRENCY=1)
    limits = settings.ZOHO_TOKENS["LIMITS"]
    store = slot_store(limits["STORE"], limits.get("CACHE", "default"))
    key = f"crm:{ORG}"
    assert store.try_take(key, 1, "call-b", 30).number == 0  # A's slot, expired, now B's

    store.release([(key, 0, "call-b"), (key, 0, "call-a")])

    assert store.occupied(key, 1) == []
