"""``reconsent_required``: sent once when a token turns out dead, with the reason, by a
refresh, an API call, or the verify command; ``reauth_required`` is the same signal."""

from __future__ import annotations

import pytest

from tests.conftest import ALICE_ZOHO_EMAIL
from tests.multiproc import run_threads
from zoho_tokens import signals
from zoho_tokens.api import session_for
from zoho_tokens.exceptions import NoUsableTokenError, ReauthorizationRequired
from zoho_tokens.models import TokenStatus, ZohoToken
from zoho_tokens.tokens.refresh import ensure_fresh

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def received():
    calls: list[dict] = []

    def receiver(sender, **kwargs):
        calls.append(kwargs)

    signals.reconsent_required.connect(receiver)
    yield calls
    signals.reconsent_required.disconnect(receiver)


def test_reauth_required_is_the_same_signal():
    assert signals.reauth_required is signals.reconsent_required


def test_a_refused_refresh_sends_it_once_with_the_reason(fake_zoho, alice, received):
    token = alice.zoho_tokens.get()
    ZohoToken.objects.filter(pk=token.pk).update(expires_at_ms=0)
    fake_zoho.change_password(ALICE_ZOHO_EMAIL)

    for _ in range(3):
        with pytest.raises((ReauthorizationRequired, NoUsableTokenError)):
            ensure_fresh(ZohoToken.objects.get(pk=token.pk))

    assert [(c["token"].pk, c["reason"], c["error"]) for c in received] == [
        (token.pk, "revoked", "invalid_code")
    ]
    assert fake_zoho.count("/oauth/v2/token", grant_type="refresh_token") == 1


def test_an_api_call_that_meets_a_dead_token_sends_it(fake_zoho, alice, received):
    token = alice.zoho_tokens.get()
    fake_zoho.remove_connected_app(ALICE_ZOHO_EMAIL)  # kills the access token too

    with pytest.raises(ReauthorizationRequired):
        session_for(alice, "crm").get("Leads", params={"fields": "Last_Name"})

    assert [c["reason"] for c in received] == ["revoked"]
    assert ZohoToken.objects.get(pk=token.pk).status == TokenStatus.NEEDS_REAUTH


def test_many_workers_meeting_one_dead_token_send_it_once(fake_zoho, alice, received):
    token = alice.zoho_tokens.get()
    ZohoToken.objects.filter(pk=token.pk).update(expires_at_ms=0)
    fake_zoho.remove_connected_app(ALICE_ZOHO_EMAIL)

    def worker(index: int) -> None:
        try:
            ensure_fresh(ZohoToken.objects.get(pk=token.pk))
        except Exception:
            pass

    run_threads(worker, 4)

    assert len(received) == 1
