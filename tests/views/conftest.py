"""The views are exercised by a logged-in user (``client``); the fixtures that switch a
setting on for a whole test module are applied there with ``pytest.mark.usefixtures``."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.sdk_helpers import make_user

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


@pytest.fixture
def bob() -> Any:
    """Bob, a second Django user."""
    return make_user("bob")


@pytest.fixture
def bob_client(bob: Any) -> Client:
    """A test client logged in as ``bob``."""
    return logged_in(bob)


@pytest.fixture
def login_with_zoho(settings: Any) -> None:
    """Log in with Zoho switched on (``ZOHO_TOKENS["LOGIN"]``)."""
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "LOGIN": True}


@pytest.fixture
def books_estimates_extra_scope(settings: Any) -> None:
    """Books estimates allowed as an extra scope (``ZOHO_TOKENS["EXTRA_SCOPES"]``)."""
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "EXTRA_SCOPES": [BOOKS_ESTIMATES_SCOPE]}
