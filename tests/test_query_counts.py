"""How many SQL statements each ``DjangoTokenStore`` operation costs (counts, not timings).

The SDK calls ``find_token`` or ``find_token_by_id`` before every CRM API call, so a lookup
that needs no refresh must stay one query; a save at most two statements (lock or find the
row, then write it); ``get_tokens`` one query however many rows there are.

``save_token`` runs in a transaction. Django logs the transaction's bracket too (BEGIN and
COMMIT, or SAVEPOINT and RELEASE SAVEPOINT inside the test's own transaction), so the save
tests bound the total with ``django_assert_max_num_queries`` and count the statements
that touch data separately.

``acting_as`` reads the token's row once to enter the block, and that row serves the
block's first CRM call; each later call reads the row again (one indexed query), so a token
revoked while the block runs fails the next call.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.sdk.helpers import lead_names
from zoho_tokens.models import ZohoToken, now_ms
from zoho_tokens.sdk.as_user import acting_as
from zoho_tokens.sdk.border import OAuthToken, UserSignature
from zoho_tokens.sdk.store import DjangoTokenStore

#: Settings point at the fake Zoho, so that even an unexpected refresh stays local.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fake_zoho")]

HOUR_MS = 3_600_000
CLIENT_ID = "1000.QUERYCOUNTS"
CLIENT_SECRET = "query-counts-client-secret"
USER = "ada@example.com:700000001"

#: Statements that only open or close a transaction or savepoint.
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")


def stored_row(user_name: str = USER, number: int = 0) -> ZohoToken:
    """A stored active token whose access token is valid for another hour."""
    row = ZohoToken(
        client_id=CLIENT_ID,
        api_domain="https://www.zohoapis.com",
        accounts_server="https://accounts.zoho.com",
        location="us",
        expires_at_ms=now_ms() + HOUR_MS,
    )
    row.set_user_name(user_name)
    row.client_secret = CLIENT_SECRET
    row.refresh_token = f"1000.refresh{number:04d}.{'r' * 32}"
    row.access_token = f"1000.access{number:04d}.{'a' * 32}"
    row.save()
    return row


def data_statements(captured: Any) -> list[str]:
    """The captured statements that read or write rows (transaction control left out)."""
    return [
        query["sql"]
        for query in captured.captured_queries
        if not query["sql"].lstrip().upper().startswith(TRANSACTION_CONTROL)
    ]


def test_find_token_by_user_name_is_one_query_when_no_refresh_is_due(
    store: DjangoTokenStore, django_assert_num_queries: Any
) -> None:
    stored_row()
    with django_assert_num_queries(1):
        found = store.find_token(OAuthToken(user_signature=UserSignature(USER)))
    assert found is not None


def test_find_token_by_refresh_token_is_one_query_when_no_refresh_is_due(
    store: DjangoTokenStore, django_assert_num_queries: Any
) -> None:
    row = stored_row()
    token = OAuthToken(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, refresh_token=row.refresh_token
    )
    with django_assert_num_queries(1):
        found = store.find_token(token)
    assert found is not None


def test_find_token_by_id_is_one_query_when_no_refresh_is_due(
    store: DjangoTokenStore, django_assert_num_queries: Any
) -> None:
    row = stored_row()
    with django_assert_num_queries(1):
        found = store.find_token_by_id(str(row.pk))
    assert found is not None


def test_save_token_update_is_at_most_two_statements(
    store: DjangoTokenStore, django_assert_max_num_queries: Any
) -> None:
    row = stored_row()
    token = store.find_token_by_id(str(row.pk))
    token.set_access_token("1000.refreshed.access-token-value")
    token.set_expires_in(str(now_ms() + HOUR_MS))
    # Two statements plus the transaction's opening and closing.
    with django_assert_max_num_queries(4) as captured:
        store.save_token(token)
    assert len(data_statements(captured)) <= 2


def test_save_token_update_changes_the_row_it_counted(store: DjangoTokenStore) -> None:
    row = stored_row()
    token = store.find_token_by_id(str(row.pk))
    token.set_access_token("1000.refreshed.access-token-value")
    store.save_token(token)
    row.refresh_from_db()
    assert row.access_token == "1000.refreshed.access-token-value"


def test_save_token_insert_is_at_most_two_statements(
    store: DjangoTokenStore, django_assert_max_num_queries: Any
) -> None:
    token = OAuthToken(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        refresh_token="1000.newrefresh.token-value",
        access_token="1000.newaccess.token-value",
        user_signature=UserSignature("grace@example.com:700000001"),
    )
    token.set_expires_in(str(now_ms() + HOUR_MS))
    with django_assert_max_num_queries(4) as captured:
        store.save_token(token)
    assert len(data_statements(captured)) <= 2


def test_save_token_insert_creates_the_row_it_counted(store: DjangoTokenStore) -> None:
    token = OAuthToken(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        refresh_token="1000.newrefresh.token-value",
        user_signature=UserSignature("grace@example.com:700000001"),
    )
    store.save_token(token)
    assert ZohoToken.objects.filter(pk=int(token.get_id())).exists()


@pytest.mark.parametrize("rows", [1, 50])
def test_get_tokens_is_one_query_whatever_the_row_count(
    store: DjangoTokenStore, django_assert_num_queries: Any, rows: int
) -> None:
    for number in range(rows):
        stored_row(f"user{number}@example.com:700000001", number)
    with django_assert_num_queries(1):
        tokens = store.get_tokens()
    assert len(tokens) == rows


# -- acting_as: one indexed read per CRM call -------------------------------------------------


@pytest.fixture
def sdk_user(alice: Any, sdk_resource_path: Any, settings: Any) -> Any:
    """``alice``, after a first call: the SDK fetches a module's field metadata once per user.

    The limiter is off: these count the token's reads; the limiter's own statements (one
    to take a slot, one to free it) are counted in tests/limits/test_round_trips.py."""
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "LIMITS": {"ENABLED": False}}
    with acting_as(alice):
        lead_names()
    return alice


def test_entering_acting_as_and_one_call_is_one_query(
    sdk_user: Any, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(1), acting_as(sdk_user):
        lead_names()


@pytest.mark.parametrize("calls", [2, 5])
def test_entering_acting_as_and_k_calls_is_k_queries(
    sdk_user: Any, django_assert_num_queries: Any, calls: int
) -> None:
    with django_assert_num_queries(calls), acting_as(sdk_user):
        for _ in range(calls):
            lead_names()


def test_entering_acting_as_without_a_call_is_one_query(
    sdk_user: Any, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(1), acting_as(sdk_user):
        pass
