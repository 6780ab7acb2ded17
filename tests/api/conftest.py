"""Fixtures for ``zoho_tokens.api.session``: the fake Zoho with Books, users connected through it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache

from zoho_tokens.api.services import SERVICES
from zoho_tokens.models import ZohoToken
from zoho_tokens.testing import FakeZoho
from zoho_tokens.testing.books.handlers import INTEGRATION_USER
from zoho_tokens.tokens.connect import connect_with_code

#: The default Books organization of the fake.
ORG = "60000000001"
BOOKS_SCOPES = ("ZohoBooks.settings.READ", "ZohoBooks.estimates.ALL", "ZohoBooks.invoices.READ")
SCOPES = (*SERVICES["crm"].scopes, *BOOKS_SCOPES)


@pytest.fixture(autouse=True)
def forget_refusals() -> Iterator[None]:
    """Row ids repeat across tests: forget what an earlier test's refusals taught."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def crm_and_books_services(settings) -> None:
    """The project asks for CRM and Books scopes and uses both services."""
    settings.ZOHO_TOKENS = {
        **settings.ZOHO_TOKENS,
        "SCOPES": list(SCOPES),
        "SERVICES": {"crm": None, "books": list(BOOKS_SCOPES)},
    }


def connect(
    fake_zoho: FakeZoho,
    name: str,
    *,
    books: frozenset[str] | None = INTEGRATION_USER,
    scopes: tuple[str, ...] = SCOPES,
) -> ZohoToken:
    """A Django user ``name`` connected as the fake's ``<name>@zoho.example``.

    ``books``: their permissions in the fake's Books organization (None: no Books access).
    """
    email = f"{name}@zoho.example"
    fake_zoho.add_user(email, name.title() + " Example")
    if books is not None:
        fake_zoho.books.grant(email, ORG, books)
    user = get_user_model().objects.create_user(name, f"{name}@example.com", "pw")
    code = fake_zoho.issue_code(user=email, scopes=scopes)
    return connect_with_code(
        code, accounts_server=fake_zoho.url, redirect_uri=None, user=user
    ).token
