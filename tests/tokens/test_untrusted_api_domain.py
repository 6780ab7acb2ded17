"""Zoho's answers are trusted only as far as needed: an ``api_domain`` that is not a Zoho API
domain of the token's data centre (nor a configured one) is refused with a clear error,
nothing is stored, no token is sent there, and a refresh token Zoho had just issued is
revoked at Zoho. The attacker's host of these tests records what reaches it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from tests.api.wiretap import Wiretap
from tests.sdk.helpers import connect, current_zoho_email, make_user
from zoho_tokens.api.session import session_for
from zoho_tokens.exceptions import UntrustedAPIDomainError
from zoho_tokens.models import TokenStatus, ZohoToken, now_ms
from zoho_tokens.sdk import DjangoTokenStore, acting_as
from zoho_tokens.sdk.border import OAuthToken, SDKException
from zoho_tokens.testing import FakeZoho
from zoho_tokens.tokens.refresh import ensure_fresh
from zoho_tokens.tokens.revocation import retry_pending_revocations

pytestmark = pytest.mark.django_db

#: API domains a token answer may name that would send its token to the attacker (``{E}``,
#: ``127.0.0.1:{ep}``) if they were believed, however they are spelled; ``{Z}`` is the fake
#: Zoho. (Spellings of Zoho's own domains are refused in tests/accounts/test_destinations.py,
#: without sending anything.)
UNTRUSTED = [
    "{E}",
    "{E}/",
    "{E}/crm",
    "http://localhost:{ep}",
    "http://127.0.0.1:{ep}\\@{Z}",  # urllib.parse reads {Z}, requests connects to {E}
    "http://127.0.0.1:{ep}#@{Z}",
    "http://{Z}@127.0.0.1:{ep}",
    "http://127\u30020\u30020\u30021:{ep}",
    "http://2130706433:{ep}",
    " {E}",
    "{E}\t",
    "javascript:alert(1)",
    "{E}/" + "a" * 5000,
]


@pytest.fixture
def attacker() -> Iterator[Wiretap]:
    with Wiretap() as tap:
        yield tap


@pytest.fixture(params=UNTRUSTED, ids=lambda form: repr(form[:40]))
def untrusted(request: pytest.FixtureRequest, fake_zoho: FakeZoho, attacker: Wiretap) -> str:
    template = str(request.param)
    for name, value in {
        "E": attacker.url,
        "ep": str(attacker.port),
        "Z": fake_zoho.url[7:],
    }.items():
        template = template.replace("{" + name + "}", value)
    return template


def test_a_connection_naming_an_untrusted_api_domain_is_refused(
    fake_zoho: FakeZoho, attacker: Wiretap, untrusted: str
) -> None:
    fake_zoho.api_domain = untrusted

    with pytest.raises(UntrustedAPIDomainError, match="not a Zoho API domain"):
        connect(fake_zoho, make_user("alice"), "alice@zoho.example")

    assert ZohoToken.objects.count() == 0
    assert attacker.seen == []
    assert [token.active for token in fake_zoho.refresh_tokens] == [False]


def test_with_zoho_unreachable_the_refused_token_is_kept_only_to_revoke_it_later(
    fake_zoho: FakeZoho, attacker: Wiretap
) -> None:
    fake_zoho.api_domain = attacker.url
    fake_zoho.fail("revoke", "down", times=1)

    with pytest.raises(UntrustedAPIDomainError):
        connect(fake_zoho, make_user("alice"), "alice@zoho.example")
    (kept,) = ZohoToken.objects.all()
    done, pending = retry_pending_revocations()

    assert (kept.status, kept.user, kept.api_domain, kept.remote_revoke_pending) == (
        TokenStatus.REVOKED,
        None,
        None,
        True,
    )
    assert ((done, pending), [token.active for token in fake_zoho.refresh_tokens]) == (
        (1, 0),
        [False],
    )


def test_the_callback_says_so_and_stores_nothing(fake_zoho: FakeZoho, attacker: Wiretap) -> None:
    client = Client()
    client.force_login(make_user("alice"))
    callback = fake_zoho.consent(client.get("/zoho/connect/")["Location"])
    fake_zoho.api_domain = attacker.url

    response = client.get(callback)

    assert response.status_code == 502
    assert "does not trust" in response.content.decode()
    assert ZohoToken.objects.count() == 0
    assert attacker.seen == []


def expired(fake_zoho: FakeZoho) -> ZohoToken:
    row = connect(fake_zoho, make_user("alice"), "alice@zoho.example")
    ZohoToken.objects.filter(pk=row.pk).update(expires_at_ms=now_ms() - 1000)
    return ZohoToken.objects.get(pk=row.pk)


def test_a_refresh_naming_an_untrusted_api_domain_changes_nothing(
    fake_zoho: FakeZoho, attacker: Wiretap, untrusted: str
) -> None:
    row = expired(fake_zoho)
    fake_zoho.api_domain = untrusted

    with pytest.raises(UntrustedAPIDomainError):
        ensure_fresh(row)

    stored = ZohoToken.objects.get(pk=row.pk)
    assert (stored.api_domain, stored.access_token) == (fake_zoho.url, row.access_token)
    assert attacker.seen == []


def test_a_session_meeting_such_a_refresh_sends_nothing_there(
    fake_zoho: FakeZoho, attacker: Wiretap
) -> None:
    row = expired(fake_zoho)
    fake_zoho.api_domain = attacker.url

    with pytest.raises(UntrustedAPIDomainError):
        session_for(row, "crm").get("org")

    assert attacker.seen == []


@pytest.fixture
def stored_elsewhere(fake_zoho: FakeZoho, attacker: Wiretap) -> ZohoToken:
    """A row whose stored API domain is not (or no longer) a trusted one."""
    row = connect(fake_zoho, make_user("alice"), "alice@zoho.example")
    ZohoToken.objects.filter(pk=row.pk).update(api_domain=attacker.url)
    return ZohoToken.objects.get(pk=row.pk)


def test_a_session_refuses_a_stored_untrusted_api_domain(
    stored_elsewhere: ZohoToken, attacker: Wiretap
) -> None:
    with pytest.raises(UntrustedAPIDomainError):
        session_for(stored_elsewhere, "crm").get("org")

    assert attacker.seen == []


def test_acting_as_refuses_a_stored_untrusted_api_domain(
    stored_elsewhere: ZohoToken, attacker: Wiretap, sdk_resource_path: Any
) -> None:
    with pytest.raises(UntrustedAPIDomainError), acting_as(stored_elsewhere.user):
        current_zoho_email()

    assert attacker.seen == []


def test_the_sdk_cannot_store_an_untrusted_api_domain(
    fake_zoho: FakeZoho, attacker: Wiretap
) -> None:
    row = connect(fake_zoho, make_user("alice"), "alice@zoho.example")
    token = OAuthToken(id=str(row.pk), access_token="1000.at.new")
    token.set_api_domain(attacker.url)

    with pytest.raises(SDKException) as raised:
        DjangoTokenStore().save_token(token)

    assert isinstance(raised.value.__cause__, UntrustedAPIDomainError)
    assert ZohoToken.objects.get(pk=row.pk).api_domain == fake_zoho.url


def test_a_configured_override_is_trusted(fake_zoho: FakeZoho, settings: Any) -> None:
    with FakeZoho(
        client_id=fake_zoho.client_id, client_secret=fake_zoho.client_secret, location="eu"
    ) as europe:
        settings.ZOHO_TOKENS = {
            **settings.ZOHO_TOKENS,
            "DATA_CENTER_OVERRIDES": {
                "eu": {"accounts_server": europe.url, "api_domain": europe.url}
            },
        }
        row = connect(europe, make_user("bob"), "bob@zoho.example")

        assert (row.location, row.api_domain) == ("eu", europe.url)
        assert session_for(row, "crm").get("org").status_code == 200
