"""The store after its database connection dies: every failure is an ``SDKException``, and
the next call works on a new connection.

The connection is killed by the database server itself, from a second connection that
targets this test's own backend only (``pg_terminate_backend`` on PostgreSQL, ``KILL`` on
MariaDB/MySQL). SQLite has no server connection to lose, so these tests do not apply to it.
They need real, committed connections (``transaction=True``): inside pytest-django's
test transaction a dead connection could not be replaced.
"""

from __future__ import annotations

import contextlib
import threading
import time

import pytest
from django.db import Error, connection, connections, transaction
from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
from zohocrmsdk.src.com.zoho.crm.api.exception.sdk_exception import SDKException
from zohocrmsdk.src.com.zoho.crm.api.user_signature import UserSignature

from zoho_tokens.models import ZohoToken, now_ms
from zoho_tokens.testing import TOKEN_PATH, FakeZoho
from zoho_tokens.tokens.connect import connect_with_code

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor == "sqlite", reason="SQLite has no server connection to lose"
    ),
]


def backend_id() -> int:
    """This thread's connection as the server knows it."""
    connection.ensure_connection()
    query = (
        "SELECT pg_backend_pid()" if connection.vendor == "postgresql" else "SELECT CONNECTION_ID()"
    )
    with connection.cursor() as cursor:
        cursor.execute(query)
        return int(cursor.fetchone()[0])


def kill_backend(backend: int) -> None:
    """Make the server end connection ``backend`` (ours), from another connection, and wait
    until it is gone."""
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            if other.vendor == "postgresql":
                cursor.execute("SELECT pg_terminate_backend(%s)", [backend])
                alive = "SELECT 1 FROM pg_stat_activity WHERE pid = %s"
            else:
                cursor.execute(f"KILL {int(backend)}")
                alive = "SELECT 1 FROM information_schema.PROCESSLIST WHERE ID = %s"
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                cursor.execute(alive, [backend])
                if cursor.fetchone() is None:
                    return
                time.sleep(0.02)
            raise AssertionError(f"connection {backend} outlived its killing")
    finally:
        other.close()


def kill_own_connection() -> None:
    kill_backend(backend_id())


@pytest.fixture
def ada(fake_zoho: FakeZoho) -> ZohoToken:
    return connect_with_code(
        fake_zoho.issue_code(), accounts_server=fake_zoho.url, redirect_uri=None
    ).token


def by_name(row: ZohoToken) -> OAuthToken:
    return OAuthToken(user_signature=UserSignature(row.user_name))


def test_find_token_after_the_connection_was_killed_finds_the_token(store, ada):
    kill_own_connection()

    found = store.find_token(by_name(ada))

    assert found is not None
    assert found.get_access_token() == ada.access_token


def test_store_goes_on_working_after_the_connection_was_killed(store, ada):
    kill_own_connection()
    store.find_token(by_name(ada))

    assert store.find_token_by_id(str(ada.pk)) is not None
    assert len(store.get_tokens()) == 1


#: Each method of the store, called with the store and a stored row.
every_store_method = pytest.mark.parametrize(
    "call",
    [
        lambda store, row: store.find_token(by_name(row)),
        lambda store, row: store.find_token_by_id(str(row.pk)),
        lambda store, row: store.get_tokens(),
        lambda store, row: store.save_token(by_name(row)),
        lambda store, row: store.delete_token(str(row.pk)),
        lambda store, row: store.delete_tokens(),
    ],
    ids=[
        "find_token",
        "find_token_by_id",
        "get_tokens",
        "save_token",
        "delete_token",
        "delete_tokens",
    ],
)


@every_store_method
def test_every_store_method_works_on_a_new_connection_after_a_kill(store, ada, call):
    before = backend_id()
    kill_own_connection()

    call(store, ada)

    assert backend_id() != before


@every_store_method
def test_store_inside_a_dead_transaction_raises_sdk_exception_every_time(store, ada, call):
    raised = []
    try:
        # Leaving the block fails too (the server is gone), or rolls back quietly.
        with contextlib.suppress(Error), transaction.atomic():
            kill_own_connection()
            for _ in range(2):
                with pytest.raises(SDKException) as caught:
                    call(store, ada)
                raised.append(caught.value.cause)
    finally:
        connection.close()

    assert all(isinstance(cause, Error) for cause in raised), raised


def test_store_works_again_once_a_dead_transaction_is_over(store, ada):
    with contextlib.suppress(Error), transaction.atomic():
        kill_own_connection()
        with pytest.raises(SDKException):
            store.get_tokens()

    assert len(store.get_tokens()) == 1


def test_connection_killed_during_a_refresh_is_replaced_and_the_token_handed_out(
    store, ada, fake_zoho
):
    ZohoToken.objects.filter(pk=ada.pk).update(expires_at_ms=now_ms() - 1000)
    fake_zoho.reset_counts()
    fake_zoho.delay = 1.0
    backend = backend_id()

    def kill_once_zoho_is_asked() -> None:
        deadline = time.monotonic() + 20
        while fake_zoho.count(TOKEN_PATH, grant_type="refresh_token") == 0:
            if time.monotonic() > deadline:
                return
            time.sleep(0.01)
        kill_backend(backend)

    killer = threading.Thread(target=kill_once_zoho_is_asked)
    killer.start()
    try:
        found = store.find_token(by_name(ada))
    finally:
        killer.join()

    assert backend_id() != backend
    assert found is not None
    assert found.get_access_token() == ZohoToken.objects.get(pk=ada.pk).access_token
    assert fake_zoho.is_access_token_active(found.get_access_token())
