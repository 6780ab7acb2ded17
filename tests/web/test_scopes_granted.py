"""Scopes recorded are scopes granted: only Zoho's token answer says what a token has.

Attack: a signed-in user starts an incremental consent (``INCREMENTAL_CONSENT =
"enhance"``), skips Zoho's grant page and calls the callback directly with the ``state``
they were given. Before, the app recorded the scopes it had asked for whenever Zoho's
answer listed the same scopes as before; no consent was offered again, and every call that
needed them failed later with ``MissingScopeError``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.messages import get_messages
from django.test import Client

from tests.web.conftest import BOOKS_ESTIMATES_SCOPE as BOOKS
from zoho_tokens.models import ZohoToken
from zoho_tokens.testing import FakeZoho
from zoho_tokens.tokens.consent import connect_url
from zoho_tokens.tokens.refresh import ensure_fresh

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("books_estimates_extra_scope")]


@pytest.fixture
def connected(client: Client, fake_zoho: FakeZoho, settings) -> ZohoToken:
    """Alice connected with the configured (CRM) scopes; incremental consent by enhancement."""
    client.get(fake_zoho.consent(client.get("/zoho/connect/")["Location"]))
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "INCREMENTAL_CONSENT": "enhance"}
    return ZohoToken.objects.get()


def skip_zohos_grant_page(client: Client) -> tuple[str, Any]:
    """Start adding Books, then call the callback with the ``state`` alone, as an attacker
    who never visits Zoho's grant page would; the Zoho URL skipped and the response."""
    to_zoho = client.get(connect_url(scopes=[BOOKS], next="/books/"))["Location"]
    assert urlsplit(to_zoho).path == "/oauth/v2/token/addextrascope"
    state = parse_qs(urlsplit(to_zoho).query)["state"][0]
    return to_zoho, client.get("/zoho/callback/", {"state": state})


def test_skipping_zohos_grant_page_records_nothing_new(
    client: Client, connected: ZohoToken
) -> None:
    _skipped, response = skip_zohos_grant_page(client)

    token = ZohoToken.objects.get()
    assert not token.has_scopes(BOOKS)
    assert token.scopes == connected.scopes
    assert response.status_code == 302
    told = [str(m) for m in get_messages(response.wsgi_request)]
    assert told[-1] == "Zoho did not grant all the access asked for."


def test_consent_is_offered_again_after_a_skipped_grant(
    client: Client, fake_zoho: FakeZoho, connected: ZohoToken
) -> None:
    skip_zohos_grant_page(client)

    # Asking again leads to Zoho's grant page, and granting there records the scope.
    to_zoho = client.get(connect_url(scopes=[BOOKS]))["Location"]
    assert urlsplit(to_zoho).path == "/oauth/v2/token/addextrascope"
    client.get(requests.get(to_zoho, allow_redirects=False, timeout=5).headers["Location"])

    assert ZohoToken.objects.get().has_scopes(BOOKS)


def test_without_scope_in_zohos_answer_nothing_new_is_assumed(
    client: Client, fake_zoho: FakeZoho, connected: ZohoToken
) -> None:
    fake_zoho.scope_in_token_answers = False

    # Even through Zoho's grant page: the answer does not say, so nothing is assumed.
    to_zoho = client.get(connect_url(scopes=[BOOKS]))["Location"]
    client.get(requests.get(to_zoho, allow_redirects=False, timeout=5).headers["Location"])

    token = ZohoToken.objects.get()
    assert token.scopes == connected.scopes
    assert not token.has_scopes(BOOKS)


def test_scopes_zoho_grants_are_recorded_from_its_answer(
    client: Client, fake_zoho: FakeZoho, connected: ZohoToken
) -> None:
    to_zoho = client.get(connect_url(scopes=[BOOKS]))["Location"]
    client.get(requests.get(to_zoho, allow_redirects=False, timeout=5).headers["Location"])

    token = ZohoToken.objects.get()
    assert token.scopes == list(fake_zoho.refresh_tokens[0].scopes)
    assert token.has_scopes(BOOKS)


def test_a_refresh_without_scope_in_the_answer_keeps_what_was_known(
    fake_zoho: FakeZoho, connected: ZohoToken
) -> None:
    fake_zoho.scope_in_token_answers = False

    token = ensure_fresh(connected, rejected_access_token=connected.access_token or "-")

    assert token.scopes == connected.scopes
