"""Fixtures shared by the whole suite.

The fake Zoho fixtures (``fake_zoho``, ``fake_zoho``, ``zoho_sdk_reset``) come
from the ``zoho_tokens.testing`` pytest plugin; these build on them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from zohocrmsdk.src.com.zoho.crm.api.dc.data_center import DataCenter

from zoho_tokens.store import DjangoTokenStore
from zoho_tokens.testing import FakeZoho, reset_zoho_sdk


@pytest.fixture(autouse=True)
def sdk_reset() -> Iterator[None]:
    """Forget the SDK's process-wide and thread-local initializer after every test.

    The SDK keeps them in class attributes; without this, one test's user and store would
    leak into the next.
    """
    yield
    reset_zoho_sdk()


@pytest.fixture
def store() -> DjangoTokenStore:
    """A ``DjangoTokenStore`` on the default database."""
    return DjangoTokenStore()


@pytest.fixture
def sdk_environment(fake_zoho: FakeZoho) -> DataCenter.Environment:
    """The SDK's ``Environment`` for the fake Zoho (CRM API and accounts on one server).

    Also points ``settings.ZOHO_TOKENS`` at the fake, as a real project would be set up.
    """
    fake = fake_zoho
    return DataCenter.Environment(fake.url, fake.token_url, fake.url)


@pytest.fixture
def fake(fake_zoho: FakeZoho) -> FakeZoho:
    """The fake Zoho, with ``settings.ZOHO_TOKENS`` pointed at it."""
    return fake_zoho
