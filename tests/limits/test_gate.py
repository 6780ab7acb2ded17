"""The cap on calls in flight (``zoho_tokens.limits.gate``), in the database and in Redis."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import pytest
from django.db import connection

from tests.limits.conftest import use_limits
from tests.multiproc import run_in_threads
from zoho_tokens.accounts.deadline import Deadline
from zoho_tokens.exceptions import ZohoThrottledError, ZohoUnavailableError
from zoho_tokens.limits import acall_slot, after_answer, call_slot, status
from zoho_tokens.limits.stores import slot_store
from zoho_tokens.models import ZohoCallSlot

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("limits_store")]

ORG = "700000001"


def race(actions: Sequence[Callable[[], Any]]) -> None:
    """Run ``actions`` in threads of their own, all started at the same moment; raises the
    first error of any."""
    start = threading.Barrier(len(actions))
    errors: list[BaseException] = []

    def step(action: Callable[[], Any]) -> None:
        try:
            start.wait(timeout=10)
            action()
        except BaseException as err:  # handed to the test, which raises it
            errors.append(err)
        finally:
            connection.close()

    threads = [threading.Thread(target=step, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    if errors:
        raise errors[0]


def hold_for(seconds: float) -> int:
    """Take a CRM slot of ORG, hold it ``seconds``; the slot's number."""
    with call_slot("crm", ORG) as slot:
        assert slot is not None
        time.sleep(seconds)
        return slot.number


def test_calls_beyond_the_cap_fail_naming_it_once_the_wait_is_over(settings: Any) -> None:
    use_limits(settings, CONCURRENCY=3, WAIT=0.3)

    outcomes = run_in_threads(hold_for, (1.5,), 5)

    held = sorted(o.value for o in outcomes if o.error is None)
    refused = [o.error for o in outcomes if o.error is not None]
    assert held == [0, 1, 2]
    assert len(refused) == 2
    assert all("ZohoThrottledError" in e and "3 calls to crm" in e for e in refused)


def test_a_call_waits_for_a_slot_to_free_up(settings: Any) -> None:
    use_limits(settings, CONCURRENCY=1, WAIT=10)
    holder = threading.Thread(target=hold_for, args=(0.5,))
    holder.start()
    time.sleep(0.1)

    with call_slot("crm", ORG) as slot:
        assert slot is not None
        assert slot.waited >= 0.2
    holder.join()


def test_slots_are_per_organisation_and_service(settings: Any) -> None:
    use_limits(settings, CONCURRENCY=1, WAIT=0)

    with (
        call_slot("crm", ORG),
        call_slot("books", ORG),
        call_slot("crm", "800000002"),
        pytest.raises(ZohoThrottledError),
        call_slot("crm", ORG),
    ):
        pass


def test_a_slot_left_by_a_dead_worker_expires(settings: Any) -> None:
    use_limits(settings, CONCURRENCY=1, WAIT=0, SLOT_TTL=1)
    limits = settings.ZOHO_TOKENS["LIMITS"]
    store = slot_store(limits["STORE"], limits.get("CACHE", "default"))
    # A worker took the only slot and died: nobody will release it.
    assert store.try_take("crm:" + ORG, 1, "dead-worker", 1).number == 0
    with pytest.raises(ZohoThrottledError), call_slot("crm", ORG):
        pass

    time.sleep(2.1)  # past the slot's life (the cache counts whole seconds)

    with call_slot("crm", ORG) as slot:
        assert slot is not None


def test_a_429_makes_every_call_fail_at_once_while_its_delay_outlasts_the_wait(
    settings: Any,
) -> None:
    use_limits(settings, CONCURRENCY=4, WAIT=1)
    after_answer("crm", ORG, 429, {"Retry-After": "30"})

    started = time.monotonic()
    with pytest.raises(ZohoThrottledError) as raised, call_slot("crm", ORG):
        pass

    assert time.monotonic() - started < 0.5
    assert raised.value.error == "backoff"
    assert 28 < raised.value.retry_after <= 30
    assert status(ORG).backoff_until is not None


def test_a_short_back_off_is_waited_out(settings: Any) -> None:
    use_limits(settings, CONCURRENCY=4, WAIT=5)
    # From before the 429 is read: the back-off runs from then, however long sharing it
    # takes (a new connection to a loaded server may take a few hundred milliseconds).
    started = time.monotonic()
    after_answer("crm", ORG, 429, {"Retry-After": "1"})

    with call_slot("crm", ORG) as slot:
        assert slot is not None

    assert 0.8 < time.monotonic() - started < 4


def test_a_call_in_flight_ending_does_not_lift_the_back_off(settings: Any) -> None:
    use_limits(settings, CONCURRENCY=1, WAIT=0)
    # A delay shorter than the slot's own life: the slot must still not free up early.
    with call_slot("crm", ORG):
        after_answer("crm", ORG, 429, {"Retry-After": "3"})

    with pytest.raises(ZohoThrottledError), call_slot("crm", ORG):
        pass


@pytest.mark.parametrize("upsert", [True, False], ids=["upsert", "without-upsert"])
def test_calls_ending_while_a_429_is_shared_leave_every_slot_to_the_back_off(
    settings: Any, limits_store: str, upsert: bool, monkeypatch: Any
) -> None:
    if not upsert:
        # SQLite before 3.24 has no upsert: an insert and an update in one transaction.
        if limits_store != "database" or connection.vendor != "sqlite":
            pytest.skip("only SQLite's database store goes without an upsert")
        monkeypatch.setattr(
            type(connection.features), "supports_update_conflicts_with_target", False
        )
    # Calls that end while a back-off is being written race it for their slots: a slot
    # freed between the back-off's steps would stay free for the whole delay. Many rounds:
    # the race was lost in about one round of two on PostgreSQL.
    use_limits(settings, CONCURRENCY=4)
    limits = settings.ZOHO_TOKENS["LIMITS"]
    store = slot_store(limits["STORE"], limits.get("CACHE", "default"))
    until = int(time.time() * 1000) + 30_000
    lost = []
    for round_ in range(40):
        key = f"crm:{ORG}-{round_}"
        numbers = [store.try_take(key, 4, f"call-{n}", 30).number for n in range(4)]
        assert sorted(n for n in numbers if n is not None) == [0, 1, 2, 3]
        taken = [(key, n or 0, f"call-{i}") for i, n in enumerate(numbers)]
        race(
            [partial(store.release, [slot]) for slot in taken]
            + [partial(store.hold_all, key, 4, until)]
        )
        held = store.occupied(key, 4)
        if sorted((h.number, h.holder) for h in held) != [(n, "backoff") for n in range(4)]:
            lost.append((round_, held))

    assert lost == []


def test_a_429_without_a_delay_backs_off_the_default(settings: Any) -> None:
    use_limits(settings, CONCURRENCY=2, WAIT=0, DEFAULT_BACKOFF=20)

    observed = after_answer("crm", ORG, 429, {})

    assert observed.backoff == 20
    with pytest.raises(ZohoThrottledError) as raised, call_slot("crm", ORG):
        pass
    assert 18 < raised.value.retry_after <= 20


def test_async_calls_wait_for_slots_too(settings: Any) -> None:
    use_limits(settings, CONCURRENCY=2, WAIT=10)
    in_flight = 0
    most = 0

    async def one() -> None:
        nonlocal in_flight, most
        async with acall_slot("crm", ORG) as slot:
            assert slot is not None
            in_flight += 1
            most = max(most, in_flight)
            await asyncio.sleep(0.2)
            in_flight -= 1

    async def main() -> None:
        await asyncio.gather(*(one() for _ in range(5)))

    started = time.monotonic()
    asyncio.run(main())

    assert most == 2
    assert time.monotonic() - started >= 0.55  # three rounds of 0.2 s


def test_every_slot_is_freed_when_the_calls_end(settings: Any, limits_store: str) -> None:
    use_limits(settings, CONCURRENCY=3)
    with call_slot("crm", ORG), call_slot("crm", ORG):
        assert status(ORG).in_flight == 2

    assert status(ORG).in_flight == 0
    if limits_store == "database":
        assert not ZohoCallSlot.objects.exists()


def test_a_block_that_raises_frees_its_slot(settings: Any) -> None:
    use_limits(settings, CONCURRENCY=1, WAIT=0)

    def failing_call() -> None:
        raise RuntimeError("the call failed")

    with pytest.raises(RuntimeError), call_slot("crm", ORG):
        failing_call()

    with call_slot("crm", ORG) as slot:
        assert slot is not None


def test_limits_switched_off_take_no_slot(settings: Any) -> None:
    use_limits(settings, ENABLED=False, CONCURRENCY=1, WAIT=0)

    with call_slot("crm", ORG) as first, call_slot("crm", ORG) as second:
        assert (first, second) == (None, None)


def test_the_wait_for_a_slot_ends_with_the_call_s_deadline(settings: Any) -> None:
    use_limits(settings, CONCURRENCY=1, WAIT=30)
    holder = threading.Thread(target=hold_for, args=(3,))
    holder.start()
    time.sleep(0.2)
    deadline = Deadline.starting_now(0.5, "Zoho CRM call")

    started = time.monotonic()
    with pytest.raises(ZohoUnavailableError) as raised, call_slot("crm", ORG, deadline):
        pass
    took = time.monotonic() - started
    holder.join()

    assert raised.value.error == "timeout"
    assert "0.5-second time limit while waiting for a free slot" in str(raised.value)
    assert 0.3 < took < 2  # the deadline, not WAIT's 30 s


def test_async_the_wait_for_a_slot_ends_with_the_call_s_deadline(settings: Any) -> None:
    use_limits(settings, CONCURRENCY=1, WAIT=30)
    holder = threading.Thread(target=hold_for, args=(3,))
    holder.start()
    time.sleep(0.2)

    async def call() -> None:
        async with acall_slot("crm", ORG, Deadline.starting_now(0.5, "Zoho CRM call")):
            pass

    started = time.monotonic()
    with pytest.raises(ZohoUnavailableError) as raised:
        asyncio.run(call())
    took = time.monotonic() - started
    holder.join()

    assert raised.value.error == "timeout"
    assert "while waiting for a free slot" in str(raised.value)
    assert 0.3 < took < 2


def test_a_back_off_longer_than_the_deadline_fails_at_once(settings: Any) -> None:
    use_limits(settings, CONCURRENCY=2, WAIT=30)
    after_answer("crm", ORG, 429, {"Retry-After": "3"})

    started = time.monotonic()
    with (
        pytest.raises(ZohoThrottledError) as raised,
        call_slot("crm", ORG, Deadline.starting_now(1, "Zoho CRM call")),
    ):
        pass

    assert time.monotonic() - started < 0.5
    assert raised.value.error == "backoff"
    assert "what is left of its time limit" in str(raised.value)
