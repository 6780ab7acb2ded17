"""Back-offs racing each other and the releases of calls ending, on every store."""

from __future__ import annotations

import threading
import time
from functools import partial
from typing import Any

import pytest
from django.db import connection, transaction

from tests.limits.conftest import use_limits
from tests.limits.test_gate import race
from zoho_tokens.limits.stores import BACKOFF, slot_store
from zoho_tokens.models import ZohoCallSlot

pytestmark = [pytest.mark.django_db(transaction=True)]

ORG = "700000001"


def _store(settings: Any) -> Any:
    limits = settings.ZOHO_TOKENS["LIMITS"]
    return slot_store(limits["STORE"], limits.get("CACHE", "default"))


def test_two_back_offs_shared_at_once_keep_the_longer(settings: Any, limits_store: str) -> None:
    """Two workers answered 429 at the same moment, with different delays: whichever
    writes last, every slot is held until the end of the longer one."""
    use_limits(settings, CONCURRENCY=4)
    store = _store(settings)
    now = int(time.time() * 1000)
    longer, shorter = now + 60_000, now + 20_000
    shortened = []
    for round_ in range(40):
        key = f"crm:{ORG}-{round_}"
        race([partial(store.hold_all, key, 4, longer), partial(store.hold_all, key, 4, shorter)])
        held = sorted((h.number, h.holder, h.expires_at_ms) for h in store.occupied(key, 4))
        if held != [(n, BACKOFF, longer) for n in range(4)]:
            shortened.append((round_, held))

    assert shortened == []


def _waiting_for_a_lock() -> int:
    with connection.cursor() as cursor:
        # Inside a transaction the server's statistics are read once, then kept: read anew.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return int(cursor.fetchone()[0])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL")
def test_a_release_and_a_back_off_meeting_on_a_locked_row_do_not_deadlock(
    settings: Any,
) -> None:
    """A release of several slots of one organisation (the releaser's batch) and a 429's
    back-off, both held at the same row (locked by a third connection), go on when it is
    free. The back-off locks the rows by number, the
    release in the order it finds them in the table: each held a row the other wanted."""
    use_limits(settings, STORE="database", CONCURRENCY=8)
    store = _store(settings)
    table = ZohoCallSlot._meta.db_table
    for round_ in range(20):
        key = f"crm:{ORG}-{round_}"
        taken = [
            (key, store.try_take(key, 8, f"call-{i}", 30).number, f"call-{i}") for i in range(8)
        ]
        with connection.cursor() as cursor:
            # What autovacuum does to a table this small: the release then reads it whole,
            # in the order of its rows (a sequential scan), not by number (the index).
            cursor.execute(f"ANALYZE {table}")
            cursor.execute(f"SELECT number FROM {table} WHERE slot_key = %s ORDER BY ctid", [key])
            found = [int(n) for (n,) in cursor.fetchall()]
        # A row met by the release after rows of higher numbers only.
        meeting = next((n for i, n in enumerate(found) if i and n < min(found[:i])), None)
        if meeting is not None:
            break
    else:
        pytest.skip("the rows were always found in the order of their numbers")
    until = int(time.time() * 1000) + 30_000
    errors: list[BaseException] = []

    def run(action: Any) -> None:
        try:
            action()
        except BaseException as error:  # handed to the test
            errors.append(error)
        finally:
            connection.close()

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {table} WHERE slot_key = %s AND number = %s FOR UPDATE",
            [key, meeting],
        )
        threads = []
        for waiting, action in enumerate(
            [partial(store.hold_all, key, 8, until), partial(store.release, taken)], start=1
        ):
            threads.append(threading.Thread(target=run, args=(action,)))
            threads[-1].start()
            give_up = time.monotonic() + 5
            while _waiting_for_a_lock() < waiting and time.monotonic() < give_up:
                time.sleep(0.01)
    for thread in threads:
        thread.join(timeout=10)

    assert errors == []
    held = sorted((h.number, h.holder) for h in store.occupied(key, 8))
    assert held == [(n, BACKOFF) for n in range(8)]
