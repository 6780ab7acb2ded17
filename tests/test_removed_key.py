"""An encryption key removed too early destroys nothing.

Disconnect, the admin's revoke and cleanup keep the ciphertext of a refresh token they
cannot decrypt (revoked here, revocation at Zoho pending, the reason logged); once the key
is back, ``cleanup_zoho_tokens`` revokes it at Zoho.
"""

from __future__ import annotations

from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from zoho_tokens.models import TokenStatus, ZohoToken
from zoho_tokens.testing import REVOKE_PATH, FakeZoho
from zoho_tokens.tokens.connect import connect_with_code
from zoho_tokens.tokens.revocation import revoke_token

pytestmark = pytest.mark.django_db


class Keys:
    """Removes the configured encryption key (another one takes its place) and restores it."""

    def __init__(self, settings: Any) -> None:
        self.settings = settings
        self.configured = dict(settings.ZOHO_TOKENS)

    def remove(self) -> None:
        self.settings.ZOHO_TOKENS = {
            **self.configured,
            "ENCRYPTION_KEYS": [Fernet.generate_key().decode()],
        }

    def restore(self) -> None:
        self.settings.ZOHO_TOKENS = self.configured


@pytest.fixture
def keys(fake_zoho: FakeZoho, settings: Any) -> Keys:
    return Keys(settings)


@pytest.fixture
def ann() -> User:
    return User.objects.create_user("ann", "ann@example.com", "pw")


@pytest.fixture
def token(fake_zoho: FakeZoho, ann: User) -> ZohoToken:
    fake_zoho.add_user("ann@zoho.example")
    code = fake_zoho.issue_code(user="ann@zoho.example")
    return connect_with_code(code, accounts_server=fake_zoho.url, redirect_uri=None, user=ann).token


def disconnect(token: ZohoToken, ann: User, admin_client: Client) -> None:
    client = Client()
    client.force_login(ann)
    assert client.post("/zoho/disconnect/").status_code == 302


def admin_revoke_button(token: ZohoToken, ann: User, admin_client: Client) -> None:
    url = reverse("admin:zoho_tokens_zohotoken_revoke", args=[token.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 302


def admin_revoke_action(token: ZohoToken, ann: User, admin_client: Client) -> None:
    response = admin_client.post(
        reverse("admin:zoho_tokens_zohotoken_changelist"),
        {"action": "revoke_selected", "_selected_action": [token.pk], "post": "yes"},
    )
    assert response.status_code == 302


def admin_delete(token: ZohoToken, ann: User, admin_client: Client) -> None:
    url = reverse("admin:zoho_tokens_zohotoken_delete", args=[token.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 302


REVOKING_PATHS: list[Callable[[ZohoToken, User, Client], None]] = [
    disconnect,
    admin_revoke_button,
    admin_revoke_action,
    admin_delete,
]


@pytest.fixture(params=REVOKING_PATHS, ids=[path.__name__ for path in REVOKING_PATHS])
def revoke_without_the_key(
    request: pytest.FixtureRequest, token: ZohoToken, ann: User, admin_client: Client, keys: Keys
) -> Callable[[], None]:
    """Removes the key, then revokes ``token`` through one of the revoking paths."""

    def revoke() -> None:
        keys.remove()
        request.param(token, ann, admin_client)

    return revoke


def test_revoking_without_the_key_keeps_the_refresh_token_ciphertext(
    token, fake_zoho, revoke_without_the_key
):
    ciphertext = token.refresh_token_encrypted

    revoke_without_the_key()

    row = ZohoToken.objects.get(pk=token.pk)
    assert row.status == TokenStatus.REVOKED
    assert row.remote_revoke_pending
    assert row.refresh_token_encrypted == ciphertext
    assert fake_zoho.count(REVOKE_PATH) == 0


def test_once_the_key_is_back_cleanup_revokes_at_zoho(
    token, keys, fake_zoho, revoke_without_the_key
):
    refresh_token = token.refresh_token
    revoke_without_the_key()
    keys.restore()

    call_command("cleanup_zoho_tokens", stdout=StringIO())

    assert not fake_zoho.is_refresh_token_active(refresh_token)
    row = ZohoToken.objects.get(pk=token.pk)
    assert not row.remote_revoke_pending
    assert row.refresh_token_encrypted == ""


def test_cleanup_without_the_key_keeps_a_pending_refresh_token(
    token, admin_client, keys, fake_zoho
):
    fake_zoho.fail("revoke", "down", times=1)
    revoke_token(token)
    ciphertext = ZohoToken.objects.get(pk=token.pk).refresh_token_encrypted
    keys.remove()

    call_command("cleanup_zoho_tokens", stdout=StringIO())

    row = ZohoToken.objects.get(pk=token.pk)
    assert row.remote_revoke_pending
    assert row.refresh_token_encrypted == ciphertext


def test_revoking_without_the_key_logs_why_the_revocation_waits(token, keys, caplog):
    keys.remove()

    result = revoke_token(token)

    assert not result.remote_done
    assert "cannot be decrypted" in result.reason
    assert "put the removed key back" in caplog.text
