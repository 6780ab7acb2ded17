"""Zoho's scope rules (``zoho_tokens.accounts.scopes``) and the scopes a stored token has."""

from __future__ import annotations

import time

import pytest

from zoho_tokens.accounts.client import _grant_from, exchange_code
from zoho_tokens.accounts.scopes import covers, missing_scopes, parse_scopes, scopes_text
from zoho_tokens.models import ZohoToken
from zoho_tokens.testing import FakeZoho


def test_parse_scopes_accepts_commas_and_spaces_and_drops_duplicates() -> None:
    assert parse_scopes("ZohoCRM.modules.ALL, ZohoCRM.org.READ zohocrm.modules.all") == [
        "ZohoCRM.modules.ALL",
        "ZohoCRM.org.READ",
    ]


def test_scopes_text_is_zohos_comma_separated_form() -> None:
    assert scopes_text(["A.b.READ", " C.d.ALL "]) == "A.b.READ,C.d.ALL"


@pytest.mark.parametrize(
    ("granted", "needed"),
    [
        ("ZohoCRM.modules.ALL", "ZohoCRM.modules.leads.READ"),
        ("ZohoCRM.modules.ALL", "zohocrm.MODULES.all"),
        ("ZohoCRM.settings.fields.ALL", "ZohoCRM.settings.fields.READ"),
        ("ZohoBooks.fullaccess.all", "ZohoBooks.estimates.CREATE"),
        ("ZohoBooks.estimates.ALL", "ZohoBooks.estimates.CREATE"),
    ],
)
def test_a_broader_scope_covers_a_narrower_one(granted: str, needed: str) -> None:
    assert covers([granted], needed)


@pytest.mark.parametrize(
    ("granted", "needed"),
    [
        ("ZohoCRM.modules.READ", "ZohoCRM.modules.leads.CREATE"),
        ("ZohoCRM.settings.fields.READ", "ZohoCRM.settings.modules.READ"),
        ("ZohoCRM.modules.leads.ALL", "ZohoCRM.modules.ALL"),
        ("ZohoCRM.modules.ALL", "ZohoBooks.estimates.READ"),
        ("ZohoCRM.fullaccess.all", "ZohoBooks.estimates.READ"),
    ],
)
def test_a_scope_never_covers_another_service_or_a_broader_scope(granted: str, needed: str) -> None:
    assert not covers([granted], needed)


def test_missing_scopes_keeps_the_order_asked() -> None:
    granted = ["ZohoCRM.modules.ALL"]
    needed = ["ZohoBooks.invoices.READ", "ZohoCRM.modules.leads.READ", "ZohoBooks.estimates.ALL"]
    assert missing_scopes(granted, needed) == ["ZohoBooks.invoices.READ", "ZohoBooks.estimates.ALL"]


def test_a_token_exposes_its_granted_scopes() -> None:
    token = ZohoToken(granted_scopes="ZohoCRM.modules.ALL,ZohoCRM.org.READ")

    assert token.scopes == ["ZohoCRM.modules.ALL", "ZohoCRM.org.READ"]
    assert token.has_scopes("ZohoCRM.modules.leads.READ", "ZohoCRM.org.READ")
    assert not token.has_scopes("ZohoCRM.modules.leads.READ", "ZohoBooks.estimates.READ")
    assert token.missing_scopes("ZohoBooks.estimates.READ") == ["ZohoBooks.estimates.READ"]


def test_a_token_response_reports_its_scopes() -> None:
    grant = _grant_from(
        {
            "access_token": "1000.a.b",
            "expires_in": 3600,
            "scope": "ZohoCRM.modules.ALL,ZohoCRM.org.READ",
        },
        "https://accounts.zoho.com",
    )
    assert grant.scopes == ("ZohoCRM.modules.ALL", "ZohoCRM.org.READ")


def test_the_older_token_response_shape_gives_seconds_in_expires_in_sec(
    fake_zoho: FakeZoho,
) -> None:
    fake_zoho.legacy_expiry = True
    grant = exchange_code(fake_zoho.issue_code(), accounts_server=fake_zoho.url, redirect_uri=None)

    remaining = grant.expires_at_ms / 1000 - time.time()
    assert 3500 < remaining <= 3600
