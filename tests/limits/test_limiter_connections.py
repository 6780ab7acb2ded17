"""The limiter's own connections (PostgreSQL, MariaDB): a few per process, lent per take
and handed back at once, whatever the threads alive (under ASGI, one per request);
replaced when the server ends one; never shared with a forked child; never drawn from
Django's connection pool."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from typing import Any

import pytest
from django.db import connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created

from tests.limits.conftest import use_limits
from tests.limits.pause import Pause
from zoho_tokens.limits import call_slot
from zoho_tokens.limits.connection import (
    SIZE,
    close_limiter_connections,
    limiter_connection,
)
from zoho_tokens.limits.releaser import flush_releases
from zoho_tokens.limits.stores import DatabaseSlots

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor == "sqlite", reason="SQLite: the limiter writes on the caller's"
    ),
]

ORG = "700000001"
THREADS = 30


def _server_connections() -> int:
    """The server's connections to the test database (this test's own included)."""
    sql = {
        "postgresql": "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()",
        "mysql": "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = DATABASE()",
    }[connection.vendor]
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return int(cursor.fetchone()[0])


def _session_id(own: BaseDatabaseWrapper) -> int:
    sql = {"postgresql": "SELECT pg_backend_pid()", "mysql": "SELECT CONNECTION_ID()"}
    with own.cursor() as cursor:
        cursor.execute(sql[own.vendor])
        return int(cursor.fetchone()[0])


def _kill(session: int) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_terminate_backend(%s)", [session])
        else:
            cursor.execute(f"KILL {int(session)}")


@pytest.mark.slow
def test_threads_holding_slots_share_a_few_connections(settings: Any) -> None:
    """Thirty threads (thirty ASGI requests) each hold a slot while Zoho answers: the
    limiter opened one connection per thread; now a few, whatever the threads."""
    use_limits(settings, STORE="database", CONCURRENCY=THREADS + 10, WAIT=30)
    flush_releases()
    close_limiter_connections()
    before = _server_connections()
    opened: list[BaseDatabaseWrapper] = []
    unraisable: list[Any] = []

    def created(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
        opened.append(connection)

    def call(held: list[bool]) -> None:
        with call_slot("crm", ORG) as slot:
            held.append(slot is not None)
            time.sleep(0.5)  # Zoho takes its time

    held: list[bool] = []
    threads = [threading.Thread(target=call, args=(held,)) for _ in range(THREADS)]
    connection_created.connect(created, weak=False)
    previous_hook, sys.unraisablehook = sys.unraisablehook, unraisable.append
    try:
        for thread in threads:
            thread.start()
        during = 0
        while any(thread.is_alive() for thread in threads):
            during = max(during, _server_connections() - before)
            time.sleep(0.02)
        for thread in threads:
            thread.join()
        flush_releases()
        after = _server_connections() - before
    finally:
        sys.unraisablehook = previous_hook
        connection_created.disconnect(created)

    assert held == [True] * THREADS
    assert len(opened) <= SIZE, f"{len(opened)} limiter connections for {THREADS} threads"
    assert during <= SIZE
    assert after <= SIZE
    assert unraisable == []


def test_a_connection_the_server_ended_is_replaced(settings: Any) -> None:
    use_limits(settings, STORE="database", CONCURRENCY=10, WAIT=0)
    flush_releases()
    with limiter_connection("default") as own:
        ended = _session_id(own)
    _kill(ended)
    time.sleep(0.2)  # the server ends the session

    # The first take meets the dead session: the call goes ahead without the cap (a
    # warning, as for any failure of the store), and the connection is dropped.
    with call_slot("crm", ORG):
        pass
    flush_releases()

    with call_slot("crm", ORG) as slot:
        assert slot is not None
    with limiter_connection("default") as own:
        assert _session_id(own) != ended


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork() only")
def test_a_forked_child_uses_none_of_its_parents_connections(settings: Any) -> None:
    """A child of fork() (Celery's prefork pool, gunicorn --preload) opens its own, and
    leaves its parent's session alive on the server."""
    use_limits(settings, STORE="database", CONCURRENCY=10)
    flush_releases()
    with limiter_connection("default") as own:
        parents = _session_id(own)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: reports its limiter session, then ends its connections
        code = 1
        try:
            taken = DatabaseSlots("default").try_take(f"crm:{ORG}", 10, "child", 30)
            with limiter_connection("default") as child_own:
                os.write(write, str(_session_id(child_own)).encode())
            close_limiter_connections()
            code = 0 if taken.number is not None else 2
        finally:
            os._exit(code)
    os.close(write)
    reported = os.read(read, 64).decode()
    os.close(read)
    _, status = os.waitpid(pid, 0)

    assert os.waitstatus_to_exitcode(status) == 0
    assert reported
    assert int(reported) != parents
    with limiter_connection("default") as own:
        assert _session_id(own) == parents  # still alive, still the parent's


@pytest.mark.skipif(connection.vendor != "postgresql", reason="Django's pool: PostgreSQL")
def test_the_limiter_never_draws_from_djangos_pool() -> None:
    """With ``OPTIONS["pool"]``, Django's connections come from its pool; the limiter's are
    its own (its session setting must not reach the application's connections, and a
    take must not wait for a pool the site has exhausted). Without ``psycopg_pool``
    installed, a connection from the pool cannot even open: the limiter's still does."""
    options = connections.settings["default"].setdefault("OPTIONS", {})
    flush_releases()
    close_limiter_connections()
    options["pool"] = True  # the test's own connection is open already: left alone
    try:
        with limiter_connection("default") as own:
            assert "pool" not in own.settings_dict["OPTIONS"]
            assert getattr(own, "pool", None) is None
            with own.cursor() as cursor:
                cursor.execute("SHOW synchronous_commit")
                assert cursor.fetchone()[0] == "off"
        assert DatabaseSlots("default").try_take(f"crm:{ORG}", 10, "pooled", 30).number is not None
    finally:
        del options["pool"]
        close_limiter_connections()


def test_a_site_without_autocommit_still_shares_its_slots_at_once() -> None:
    """``DATABASES[...]["AUTOCOMMIT"] = False`` (the application commits itself): the
    limiter's connections were made with it too, and nothing the limiter wrote was ever
    committed: no other worker saw a slot taken (nor a back-off), and each row stayed
    locked by a transaction that never ended."""
    settings_dict = connections.settings["default"]
    flush_releases()
    close_limiter_connections()
    settings_dict["AUTOCOMMIT"] = False  # the test's own connection is open already
    try:
        store = DatabaseSlots("default")
        assert store.try_take(f"crm:{ORG}", 1, "no-autocommit", 30).number == 0
        store.hold_all(f"crm:{ORG}-backoff", 2, int(time.time() * 1000) + 30_000)
        with connection.cursor() as cursor:  # another worker's connection
            cursor.execute(
                f"SELECT slot_key FROM {store.table} WHERE slot_key LIKE %s ORDER BY slot_key",
                [f"crm:{ORG}%"],
            )
            seen = [key for (key,) in cursor.fetchall()]
    finally:
        settings_dict["AUTOCOMMIT"] = True
        close_limiter_connections()

    assert seen == [f"crm:{ORG}", f"crm:{ORG}-backoff", f"crm:{ORG}-backoff"]


def _statement_while(closing: Any, pause: Pause | None = None) -> list[BaseException]:
    """Run a statement of 0.4 s on a limiter connection while another thread runs
    ``closing`` (held by ``pause``, if any, until the statement runs): the errors the
    statement met."""
    errors: list[BaseException] = []
    closer = threading.Thread(target=pause.run(closing) if pause else closing)
    if pause is not None:
        closer.start()
        assert pause.reached.wait(5)
    sleep = {"postgresql": "SELECT pg_sleep(0.4)", "mysql": "SELECT SLEEP(0.4)"}
    with limiter_connection("default") as own:
        try:
            with own.cursor() as cursor:
                # While the statement runs.
                threading.Timer(0.1, pause.go.set if pause else closer.start).start()
                cursor.execute(sleep[own.vendor])
                cursor.fetchall()
        except Exception as error:  # the test reports it
            errors.append(error)
    time.sleep(0.2)
    closer.join(5)
    return errors


def test_closing_old_connections_never_closes_one_lent_meanwhile() -> None:
    """With ``CONN_MAX_AGE``, a request ending closes the limiter's idle connections past
    it: one lent to another thread between the moment they were picked and the moment they
    were closed was closed under the statement running on it (on MySQL's client library,
    freed under it)."""
    from zoho_tokens.limits.connection import _Pool, close_old_limiter_connections

    settings_dict = connections.settings["default"]
    flush_releases()
    close_limiter_connections()
    settings_dict["CONN_MAX_AGE"] = 0.2
    try:
        with limiter_connection("default"):
            pass
        time.sleep(0.3)  # idle, and older than CONN_MAX_AGE
        settings_dict["CONN_MAX_AGE"] = 60  # not closed by its own borrower
        errors = _statement_while(
            close_old_limiter_connections, Pause(_Pool.close_old, "for own in old")
        )
    finally:
        settings_dict["CONN_MAX_AGE"] = 0
        close_limiter_connections()

    assert errors == []


def test_closing_every_connection_leaves_a_lent_one_to_its_borrower() -> None:
    """Closing them all (before a database is dropped) closes one lent to a thread when
    that thread hands it back, not under its statement."""
    flush_releases()
    close_limiter_connections()
    before = _server_connections()
    try:
        errors = _statement_while(close_limiter_connections)
        time.sleep(0.2)  # the server ends the session
        after = _server_connections()
    finally:
        close_limiter_connections()

    assert errors == []
    assert after == before  # closed when handed back


class _TimeLimit(Exception):
    """What a task's time limit raises in its thread (Celery's ``SoftTimeLimitExceeded``
    comes from a signal handler), whatever the thread is doing."""


def _sleep_on_a_limiter_connection(sleep: dict[str, str], signal_after: float) -> None:
    with limiter_connection("default") as own:
        signal.setitimer(signal.ITIMER_REAL, signal_after)
        with own.cursor() as cursor:
            cursor.execute(sleep[own.vendor])
            cursor.fetchall()


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="setitimer only")
def test_a_statement_cut_short_by_a_time_limit_leaves_no_broken_connection() -> None:
    """A task's time limit went off during a take: the connection was handed back with
    its statement still under way (not a database error: not checked), and the next take
    on it failed (that call then went ahead without the cap)."""

    def time_limit(signum: int, frame: Any) -> None:
        raise _TimeLimit

    flush_releases()
    close_limiter_connections()
    sleep = {"postgresql": "SELECT pg_sleep(0.5)", "mysql": "SELECT SLEEP(0.5)"}
    previous = signal.signal(signal.SIGALRM, time_limit)
    try:
        with pytest.raises(_TimeLimit):
            _sleep_on_a_limiter_connection(sleep, signal_after=0.1)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    try:
        assert DatabaseSlots("default").try_take(f"crm:{ORG}", 10, "next", 30).number is not None
    finally:
        close_limiter_connections()
