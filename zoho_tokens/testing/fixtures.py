"""pytest fixtures for testing code that talks to Zoho, registered as a pytest plugin.

The plugin is declared in ``pyproject.toml`` (``pytest11: zoho_tokens``), so these
fixtures are available in any project that installs django-zoho-tokens:

``fake_zoho``
    A started :class:`~zoho_tokens.testing.FakeZoho` (with ``auto_consent=True``), stopped
    after the test.
``zoho_tokens_settings``
    ``fake_zoho``, with pytest-django's ``settings.ZOHO_TOKENS`` pointed at it for the
    duration of the test (other keys, such as ``ENCRYPTION_KEYS``, are kept).
``zoho_sdk_reset``
    Clears the Zoho SDK's process-wide initializer and caches before and after the test.

This module must import without Django settings and without pytest-django, so nothing
Django-related is imported here at module level.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from zoho_tokens.testing.fake import FakeZoho


@pytest.fixture
def fake_zoho() -> Iterator[FakeZoho]:
    """A fake Zoho on ``127.0.0.1``, consenting automatically, for one test."""
    with FakeZoho(auto_consent=True) as fake:
        yield fake


@pytest.fixture
def zoho_tokens_settings(request: pytest.FixtureRequest, fake_zoho: FakeZoho) -> FakeZoho:
    """Point ``settings.ZOHO_TOKENS`` at ``fake_zoho`` and return the fake.

    Needs pytest-django (its ``settings`` fixture restores the settings afterwards).
    """
    # Looked up lazily so that the plugin works in projects without pytest-django.
    settings = request.getfixturevalue("settings")
    existing = dict(getattr(settings, "ZOHO_TOKENS", None) or {})
    settings.ZOHO_TOKENS = {
        **existing,
        "CLIENT_ID": fake_zoho.client_id,
        "CLIENT_SECRET": fake_zoho.client_secret,
        "DATA_CENTER": fake_zoho.location,
        "ACCOUNTS_URL": fake_zoho.url,
        "API_DOMAIN": fake_zoho.url,
        "HTTP_TIMEOUT": 2,
    }
    return fake_zoho


@pytest.fixture
def zoho_sdk_reset() -> Iterator[None]:
    """Run the test with a fresh Zoho SDK (no initializer, no cached metadata)."""
    from zoho_tokens.testing.sdk import reset_zoho_sdk

    reset_zoho_sdk()
    yield
    reset_zoho_sdk()
