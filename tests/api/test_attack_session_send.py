"""Attack: a session's ``send`` used directly, with a request it prepared earlier (which
still carries ``Authorization: Zoho-oauthtoken ...``), after the token moved to another
Django user or was revoked. ``request()`` re-checks the token; ``send`` is the other door
into the same session, and must re-check it too, before anything leaves."""

from __future__ import annotations

import pytest
import requests

from tests.api.conftest import connect
from tests.api.test_session_owner import move_to_new_user, transfers_allowed  # noqa: F401
from zoho_tokens.api.session import session_for
from zoho_tokens.exceptions import NoUsableTokenError
from zoho_tokens.testing import FakeZoho
from zoho_tokens.tokens.revocation import revoke_token

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("crm_and_books_services")]


@pytest.mark.usefixtures("transfers_allowed")
def test_send_refuses_once_the_account_moved(fake_zoho: FakeZoho) -> None:
    row = connect(fake_zoho, "alice")
    session = session_for(row.user, "crm")
    kept = session.get("org").request
    move_to_new_user(fake_zoho, row)
    fake_zoho.reset_counts()

    with pytest.raises(NoUsableTokenError, match="moved to another Django user"):
        session.send(kept)

    assert fake_zoho.crm_calls == []


def test_send_refuses_once_the_token_is_revoked(fake_zoho: FakeZoho) -> None:
    row = connect(fake_zoho, "alice")
    session = session_for(row, "crm")
    kept = session.get("org").request
    revoke_token(row)
    fake_zoho.reset_counts()

    with pytest.raises(NoUsableTokenError):
        session.send(kept)
    with pytest.raises(NoUsableTokenError):
        session.send(session.prepare_request(requests.Request("GET", kept.url)))

    assert fake_zoho.crm_calls == []


def test_send_of_a_prepared_request_still_works_for_its_owner(fake_zoho: FakeZoho) -> None:
    session = session_for(connect(fake_zoho, "alice"), "crm")
    kept = session.get("org").request

    assert session.send(kept).status_code == 200
