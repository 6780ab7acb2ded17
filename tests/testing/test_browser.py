"""``FakeZoho.consent``: playing the browser against the fake.

Run without Django: ``python -m pytest tests/testing -p no:django --confcutdir=tests/testing``.
"""

from __future__ import annotations

import pytest
import requests

from tests.testing.fake_client import REDIRECT_URI, callback_params, exchange, owner_email
from zoho_tokens.testing import FakeZoho, FakeZohoError


def test_consent_helper_submits_the_page_when_not_automatic(fake_zoho: FakeZoho) -> None:
    fake_zoho.auto_consent = False
    location = fake_zoho.consent(fake_zoho.authorize_url(REDIRECT_URI))
    assert "code" in callback_params(location)


def test_consent_helper_can_deny(fake_zoho: FakeZoho) -> None:
    location = fake_zoho.consent(fake_zoho.authorize_url(REDIRECT_URI), accept=False)
    assert callback_params(location)["error"] == "access_denied"


def test_consent_helper_can_consent_as_another_user(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    fake_zoho.add_user("grace@example.com", "Grace Hopper")
    url = fake_zoho.authorize_url(REDIRECT_URI)
    code = callback_params(fake_zoho.consent(url, user="grace@example.com"))["code"]
    token = exchange(http, fake_zoho, code, REDIRECT_URI)["access_token"]
    assert owner_email(fake_zoho, token) == "grace@example.com"


def test_consent_helper_refuses_other_hosts(fake_zoho: FakeZoho) -> None:
    with pytest.raises(ValueError, match="not this fake"):
        fake_zoho.consent("https://accounts.zoho.com/oauth/v2/auth?client_id=x")


def test_consent_helper_reports_an_error_page(fake_zoho: FakeZoho) -> None:
    with pytest.raises(FakeZohoError, match="HTTP 400"):
        fake_zoho.consent(fake_zoho.authorize_url(REDIRECT_URI, client_id="nope"))
