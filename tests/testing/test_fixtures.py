"""The pytest plugin: the ``fake_zoho`` fixture, with and without Django.

Run without Django: ``python -m pytest tests/testing -p no:django --confcutdir=tests/testing``.
"""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace

import pytest

from zoho_tokens.testing import FakeZoho


def test_fake_zoho_fixture_is_running_with_auto_consent(fake_zoho: FakeZoho) -> None:
    assert fake_zoho.running
    assert fake_zoho.auto_consent is True


@pytest.fixture
def settings() -> SimpleNamespace:
    """Stands in for pytest-django's ``settings`` so that these tests need no Django."""
    return SimpleNamespace(ZOHO_TOKENS={"CLIENT_ID": "real-id", "ENCRYPTION_KEYS": ["k"]})


def test_fake_zoho_points_django_at_the_fake(
    fake_zoho: FakeZoho, settings: SimpleNamespace
) -> None:
    expected = {
        "CLIENT_ID": fake_zoho.client_id,
        "CLIENT_SECRET": fake_zoho.client_secret,
        "DATA_CENTER": "us",
        "ACCOUNTS_URL": fake_zoho.url,
        "API_DOMAIN": fake_zoho.url,
        "HTTP_TIMEOUT": 2,
        "ENCRYPTION_KEYS": ["k"],
    }
    configured = settings.ZOHO_TOKENS
    assert configured == expected


def test_fixtures_module_imports_without_django() -> None:
    code = (
        "import sys, zoho_tokens.testing.fixtures, zoho_tokens.testing; "
        "assert 'django.conf' not in sys.modules, 'imported Django'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=30)
