"""The views are exercised by a logged-in user (``client``); the fixtures that switch a
setting on for a whole test module are applied there with ``pytest.mark.usefixtures``."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

#: The scope the ``books_estimates_extra_scope`` fixture allows on top of ``SCOPES``.
BOOKS_ESTIMATES_SCOPE = "ZohoBooks.estimates.ALL"


@pytest.fixture
def user() -> Any:
    """Alice, a Django user."""
    return get_user_model().objects.create_user("alice", "alice@example.com", "pw")


@pytest.fixture
def client(user: Any) -> Client:
    """A test client logged in as ``user`` (replaces pytest-django's anonymous one here)."""
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def bob() -> Any:
    """Bob, a second Django user."""
    return get_user_model().objects.create_user("bob", "bob@example.com", "pw")


@pytest.fixture
def bob_client(bob: Any) -> Client:
    """A test client logged in as ``bob``."""
    client = Client()
    client.force_login(bob)
    return client


@pytest.fixture
def login_with_zoho(settings: Any) -> None:
    """Log in with Zoho switched on (``ZOHO_TOKENS["LOGIN"]``)."""
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "LOGIN": True}


@pytest.fixture
def books_estimates_extra_scope(settings: Any) -> None:
    """Books estimates allowed as an extra scope (``ZOHO_TOKENS["EXTRA_SCOPES"]``)."""
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "EXTRA_SCOPES": [BOOKS_ESTIMATES_SCOPE]}
