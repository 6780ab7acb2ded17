"""pytest fixtures for testing code that talks to Zoho, registered as a pytest plugin.

The plugin is declared in ``pyproject.toml`` (``pytest11: zoho_tokens``), so these
fixtures are available in any project that installs django-zoho-tokens:

``fake_zoho``
    A started :class:`~zoho_tokens.testing.FakeZoho` (with ``auto_consent=True``), stopped
    after the test, with pytest-django's ``settings.ZOHO_TOKENS`` pointed at it for the
    duration of the test (other keys, such as ``ENCRYPTION_KEYS``, are kept). Without
    pytest-django it is the bare fake.
``zoho_sdk_reset``
    Clears the Zoho SDK's process-wide initializer and caches before and after the test.

This module must import without Django settings and without pytest-django, so nothing
Django-related is imported here at module level.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from zoho_tokens.testing.fake import FakeZoho

__all__ = ["fake_zoho", "zoho_sdk_reset"]


@pytest.fixture
def fake_zoho(request: pytest.FixtureRequest) -> Iterator[FakeZoho]:
    """A fake Zoho on ``127.0.0.1`` for one test, with ``settings.ZOHO_TOKENS`` pointing at it.

    It consents automatically. The settings are restored afterwards by pytest-django's
    ``settings`` fixture; in a project without pytest-django only the fake is started.
    """
    with FakeZoho(auto_consent=True) as fake:
        _point_settings_at(request, fake)
        yield fake


def _point_settings_at(request: pytest.FixtureRequest, fake: FakeZoho) -> None:
    """Point pytest-django's ``settings.ZOHO_TOKENS`` at ``fake``, when pytest-django is here."""
    try:
        # Looked up lazily so that the plugin works in projects without pytest-django.
        settings = request.getfixturevalue("settings")
    except pytest.FixtureLookupError:
        return
    existing = dict(getattr(settings, "ZOHO_TOKENS", None) or {})
    settings.ZOHO_TOKENS = {
        **existing,
        "CLIENT_ID": fake.client_id,
        "CLIENT_SECRET": fake.client_secret,
        "DATA_CENTER": fake.location,
        "ACCOUNTS_URL": fake.url,
        "API_DOMAIN": fake.url,
        "HTTP_TIMEOUT": 2,
    }


@pytest.fixture
def zoho_sdk_reset() -> Iterator[None]:
    """Run the test with a fresh Zoho SDK (no initializer, no cached metadata)."""
    from zoho_tokens.testing.sdk import reset_zoho_sdk

    reset_zoho_sdk()
    yield
    reset_zoho_sdk()
