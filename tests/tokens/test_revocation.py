"""Revoking tokens: ``zoho_tokens.tokens.revocation``, against the fake Zoho over a real socket."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from django.utils import timezone

from zoho_tokens.models import TokenStatus, ZohoToken
from zoho_tokens.sdk.store import DjangoTokenStore
from zoho_tokens.testing import REVOKE_PATH, FakeZoho
from zoho_tokens.tokens.connect import connect_with_code
from zoho_tokens.tokens.revocation import retry_pending_revocations, revoke_token

pytestmark = pytest.mark.django_db


def connect(fake_zoho: FakeZoho, email: str | None = None) -> ZohoToken:
    """A token connected through the fake for ``email`` (default: the fake's first user)."""
    if email is not None:
        fake_zoho.add_user(email)
    code = fake_zoho.issue_code(user=email)
    return connect_with_code(code, accounts_server=fake_zoho.url, redirect_uri=None).token


def test_revoke_token_sends_the_refresh_token_to_the_tokens_accounts_server(fake_zoho):
    token = connect(fake_zoho)
    refresh_token = token.refresh_token

    revoke_token(token)

    assert fake_zoho.count(REVOKE_PATH, method="POST", token=refresh_token) == 1
    assert not fake_zoho.is_refresh_token_active(refresh_token)


def test_revoke_token_marks_the_row_revoked_and_wipes_its_secrets(fake_zoho):
    token = connect(fake_zoho)

    result = revoke_token(token)

    row = ZohoToken.objects.get(pk=token.pk)
    assert result.remote_done
    assert row.status == TokenStatus.REVOKED
    assert not row.remote_revoke_pending
    assert (row.refresh_token, row.access_token, row.client_secret, row.grant_token) == (
        None,
        None,
        None,
        None,
    )


def test_revoke_token_while_zoho_is_down_makes_the_token_unusable_and_pending(fake_zoho):
    token = connect(fake_zoho)
    refresh_token = token.refresh_token
    fake_zoho.fail("revoke", "down")

    result = revoke_token(token)

    row = ZohoToken.objects.get(pk=token.pk)
    assert not result.remote_done
    assert "could not be reached" in result.reason
    assert row.status == TokenStatus.REVOKED
    assert row.remote_revoke_pending
    assert row.access_token is None
    assert row.refresh_token == refresh_token  # kept, encrypted, to revoke it later
    assert DjangoTokenStore().find_token_by_id(str(row.pk)) is None
    assert fake_zoho.is_refresh_token_active(refresh_token)


def test_revoke_token_when_zoho_answers_an_error_is_pending(fake_zoho):
    token = connect(fake_zoho)
    fake_zoho.fail("revoke", "http_500")

    result = revoke_token(token)

    assert not result.remote_done
    assert "HTTP 500" in result.reason
    assert ZohoToken.objects.get(pk=token.pk).remote_revoke_pending


def test_revoke_token_counts_a_refresh_token_zoho_no_longer_knows_as_revoked(fake_zoho):
    token = connect(fake_zoho)
    fake_zoho.revoke(token.refresh_token)  # the user removed the app in Zoho already

    result = revoke_token(token)

    assert result.remote_done
    assert not ZohoToken.objects.get(pk=token.pk).remote_revoke_pending


def test_revoke_token_without_a_refresh_token_does_not_call_zoho(fake_zoho):
    token = ZohoToken.objects.create(accounts_server=fake_zoho.url)
    token.access_token = "1000.access-only"
    token.save()

    result = revoke_token(token)

    assert result.remote_done
    assert fake_zoho.count(REVOKE_PATH) == 0
    assert ZohoToken.objects.get(pk=token.pk).status == TokenStatus.REVOKED


def test_revoking_an_already_revoked_token_keeps_its_status_age(fake_zoho):
    token = connect(fake_zoho)
    revoke_token(token)
    long_ago = timezone.now() - timedelta(days=40)
    ZohoToken.objects.filter(pk=token.pk).update(status_changed_at=long_ago)
    fake_zoho.reset_counts()

    result = revoke_token(ZohoToken.objects.get(pk=token.pk))

    assert result.remote_done
    assert ZohoToken.objects.get(pk=token.pk).status_changed_at == long_ago
    assert fake_zoho.count(REVOKE_PATH) == 0


def test_revoking_a_token_whose_revocation_is_pending_retries_at_zoho(fake_zoho):
    token = connect(fake_zoho)
    refresh_token = token.refresh_token
    fake_zoho.fail("revoke", "down", times=1)
    revoke_token(token)

    result = revoke_token(ZohoToken.objects.get(pk=token.pk))

    assert result.remote_done
    assert not fake_zoho.is_refresh_token_active(refresh_token)
    assert ZohoToken.objects.get(pk=token.pk).refresh_token is None


def test_retry_pending_revocations_revokes_them_once_zoho_answers(fake_zoho):
    tokens = [connect(fake_zoho, f"user{n}@example.com") for n in range(3)]
    refresh_tokens = [token.refresh_token for token in tokens]
    fake_zoho.fail("revoke", "http_500")
    for token in tokens:
        revoke_token(token)
    fake_zoho.heal()

    done, still_pending = retry_pending_revocations(batch_size=2)

    assert (done, still_pending) == (3, 0)
    assert not any(fake_zoho.is_refresh_token_active(t) for t in refresh_tokens)
    assert not ZohoToken.objects.pending_remote_revocation().exists()
    assert ZohoToken.objects.filter(refresh_token_encrypted="").count() == 3


def test_retry_pending_revocations_stops_asking_a_server_that_does_not_answer(fake_zoho):
    for n in range(3):
        fake_zoho.fail("revoke", "down", times=1)
        revoke_token(connect(fake_zoho, f"user{n}@example.com"))
    fake_zoho.fail("revoke", "down")
    fake_zoho.reset_counts()

    done, still_pending = retry_pending_revocations()

    assert (done, still_pending) == (0, 3)
    assert fake_zoho.count(REVOKE_PATH) == 1
    assert ZohoToken.objects.pending_remote_revocation().count() == 3


def test_retry_pending_revocations_keeps_a_refresh_token_no_key_decrypts(fake_zoho, settings):
    token = connect(fake_zoho)
    fake_zoho.fail("revoke", "down", times=1)
    revoke_token(token)
    ciphertext = ZohoToken.objects.get(pk=token.pk).refresh_token_encrypted
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "ENCRYPTION_KEYS": [Fernet.generate_key()]}
    fake_zoho.reset_counts()

    done, still_pending = retry_pending_revocations()

    assert (done, still_pending) == (0, 1)
    assert fake_zoho.count(REVOKE_PATH) == 0
    row = ZohoToken.objects.get(pk=token.pk)
    assert row.remote_revoke_pending
    assert row.refresh_token_encrypted == ciphertext


def test_revoke_token_when_a_proxy_answers_html_400_stays_pending(fake_zoho):
    token = connect(fake_zoho)
    refresh_token = token.refresh_token
    fake_zoho.fail("revoke", "html_400", times=1)

    result = revoke_token(token)

    row = ZohoToken.objects.get(pk=token.pk)
    assert not result.remote_done
    assert row.remote_revoke_pending
    assert row.refresh_token == refresh_token
    assert fake_zoho.is_refresh_token_active(refresh_token)


def test_retry_after_a_proxy_html_400_revokes_at_zoho(fake_zoho):
    token = connect(fake_zoho)
    refresh_token = token.refresh_token
    fake_zoho.fail("revoke", "html_400", times=1)
    revoke_token(token)

    assert retry_pending_revocations() == (1, 0)
    assert not fake_zoho.is_refresh_token_active(refresh_token)
