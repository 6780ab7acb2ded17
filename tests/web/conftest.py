"""The views are exercised by a logged-in user (``client``); the fixtures that switch a
setting on for a whole test module are applied there with ``pytest.mark.usefixtures``."""

from __future__ import annotations

from typing import Any, NamedTuple

import pytest
from django.test import Client

from tests.sdk.helpers import make_user

#: The scope the ``books_estimates_extra_scope`` fixture allows on top of ``SCOPES``.
BOOKS_ESTIMATES_SCOPE = "ZohoBooks.estimates.ALL"


def logged_in(user: Any) -> Client:
    """A test client logged in as ``user``."""
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def user() -> Any:
    """Alice, a Django user."""
    return make_user("alice")


@pytest.fixture
def client(user: Any) -> Client:
    """A test client logged in as ``user`` (replaces pytest-django's anonymous one here)."""
    return logged_in(user)


class Visitor(NamedTuple):
    """A Django user and a test client logged in as them."""

    user: Any
    client: Client


@pytest.fixture
def bob() -> Visitor:
    """Bob, a second Django user (``bob.user``), logged in on a client of his own (``bob.client``)."""
    user = make_user("bob")
    return Visitor(user, logged_in(user))


@pytest.fixture
def login_with_zoho(settings: Any) -> None:
    """Log in with Zoho switched on (``ZOHO_TOKENS["LOGIN"]``)."""
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "LOGIN": True}


@pytest.fixture
def books_estimates_extra_scope(settings: Any) -> None:
    """Books estimates allowed as an extra scope (``ZOHO_TOKENS["EXTRA_SCOPES"]``)."""
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "EXTRA_SCOPES": [BOOKS_ESTIMATES_SCOPE]}
