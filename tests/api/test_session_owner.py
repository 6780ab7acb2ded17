"""A session stays its user's: after the Zoho account moved to another Django user
(``ALLOW_ACCOUNT_TRANSFER``), a session (or an ``acting_as`` block) made for the previous
owner refuses every further call, before anything is sent to Zoho."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from tests.api.conftest import SCOPES, connect
from tests.sdk.helpers import current_zoho_email
from zoho_tokens.api.session import session_for
from zoho_tokens.exceptions import NoUsableTokenError
from zoho_tokens.models import ZohoToken
from zoho_tokens.sdk import acting_as
from zoho_tokens.testing import FakeZoho
from zoho_tokens.tokens.connect import connect_with_code

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("crm_and_books_services")]


@pytest.fixture
def transfers_allowed(settings: Any) -> None:
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "ALLOW_ACCOUNT_TRANSFER": True}


def move_to_new_user(fake_zoho: FakeZoho, row: ZohoToken) -> Any:
    """Mallory connects the Zoho account of ``row``: the row moves to her."""
    mallory = get_user_model().objects.create_user("mallory", "mallory@example.com", "pw")
    code = fake_zoho.issue_code(user=row.user_name.rpartition(":")[0], scopes=SCOPES)
    moved = connect_with_code(code, accounts_server=fake_zoho.url, redirect_uri=None, user=mallory)
    assert (moved.token.pk, moved.transferred_from) == (row.pk, row.user)
    return mallory


@pytest.mark.usefixtures("transfers_allowed")
@pytest.mark.parametrize("made_from", ["user", "token"])
def test_a_session_of_the_previous_owner_refuses_once_the_account_moved(
    fake_zoho: FakeZoho, made_from: str
) -> None:
    row = connect(fake_zoho, "alice")
    session = session_for(row.user if made_from == "user" else row, "crm")
    session.get("org")
    move_to_new_user(fake_zoho, row)
    fake_zoho.reset_counts()

    with pytest.raises(NoUsableTokenError, match="moved to another Django user"):
        session.get("org")

    assert fake_zoho.crm_calls == []


@pytest.mark.usefixtures("transfers_allowed")
def test_the_new_owner_s_session_works(fake_zoho: FakeZoho) -> None:
    row = connect(fake_zoho, "alice")
    mallory = move_to_new_user(fake_zoho, row)

    response = session_for(mallory, "crm").get("org")

    assert response.json()["org"][0]["primary_email"] == "alice@zoho.example"


@pytest.mark.usefixtures("transfers_allowed")
def test_an_acting_as_block_of_the_previous_owner_refuses_once_the_account_moved(
    fake_zoho: FakeZoho, sdk_resource_path: Any
) -> None:
    row = connect(fake_zoho, "alice")

    def call_again_after_the_move() -> None:
        with acting_as(row.user):
            current_zoho_email()
            move_to_new_user(fake_zoho, row)
            fake_zoho.reset_counts()
            current_zoho_email()

    with pytest.raises(NoUsableTokenError, match="moved to another Django user"):
        call_again_after_the_move()

    assert fake_zoho.crm_calls == []


def test_an_org_level_token_linked_to_a_user_later_is_refused_to_the_old_session(
    fake_zoho: FakeZoho,
) -> None:
    row = connect(fake_zoho, "alice")
    ZohoToken.objects.filter(pk=row.pk).update(user=None)
    session = session_for(ZohoToken.objects.get(pk=row.pk), "crm")
    ZohoToken.objects.filter(pk=row.pk).update(user=row.user)

    with pytest.raises(NoUsableTokenError, match="moved to another Django user"):
        session.get("org")
