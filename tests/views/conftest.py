"""The connect, callback and disconnect views are exercised by a logged-in user."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client


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
