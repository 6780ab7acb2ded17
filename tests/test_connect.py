"""connect_with_code: the code exchange shared by the callback view and the Self Client form."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from zoho_tokens.connect import connect_with_code
from zoho_tokens.models import ZohoToken
from zoho_tokens.testing import FakeZoho

pytestmark = pytest.mark.django_db


def test_a_new_zoho_user_gets_one_row_with_the_fakes_data_centre(zoho_tokens_settings):
    fake: FakeZoho = zoho_tokens_settings

    row = connect_with_code(fake.issue_code(), accounts_server=fake.url, redirect_uri=None)

    assert ZohoToken.objects.count() == 1
    assert row.user_name == fake.users[0].sdk_user_name
    assert row.accounts_server == fake.url
    assert row.api_domain == fake.url
    assert fake.is_refresh_token_active(row.refresh_token)


def test_reconnecting_revokes_the_refresh_token_it_replaces(zoho_tokens_settings):
    fake: FakeZoho = zoho_tokens_settings
    first = connect_with_code(fake.issue_code(), accounts_server=fake.url, redirect_uri=None)
    old_refresh_token = first.refresh_token

    second = connect_with_code(fake.issue_code(), accounts_server=fake.url, redirect_uri=None)

    assert second.pk == first.pk
    assert not fake.is_refresh_token_active(old_refresh_token)
    assert fake.is_refresh_token_active(second.refresh_token)


def test_reconnecting_works_when_the_old_token_no_longer_decrypts(zoho_tokens_settings, settings):
    fake: FakeZoho = zoho_tokens_settings
    first = connect_with_code(fake.issue_code(), accounts_server=fake.url, redirect_uri=None)
    # The key that encrypted the row is gone, as after a careless SECRET_KEY change.
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "ENCRYPTION_KEYS": [Fernet.generate_key()]}

    second = connect_with_code(fake.issue_code(), accounts_server=fake.url, redirect_uri=None)

    assert second.pk == first.pk
    assert ZohoToken.objects.get().refresh_token == second.refresh_token
    assert fake.count("/oauth/v2/token/revoke") == 0
