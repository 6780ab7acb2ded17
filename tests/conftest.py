"""Fixtures shared by the whole suite.

The fake Zoho is the ``zoho_tokens.testing`` plugin's ``fake_zoho`` (started, with
``settings.ZOHO_TOKENS`` pointed at it) and nothing else; the fixtures here add one thing
each to it or to the settings, and are named for what they add.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from zohocrmsdk.src.com.zoho.crm.api.dc.data_center import DataCenter

from tests.sdk.helpers import connect, make_user
from zoho_tokens.limits.connection import (
    close_limiter_connections,
    execute,
    limiter_connection,
)
from zoho_tokens.limits.figures import _last_write
from zoho_tokens.limits.releaser import flush_releases
from zoho_tokens.models import ZohoCallSlot, ZohoLimitFigures
from zoho_tokens.sdk.store import DjangoTokenStore
from zoho_tokens.testing import FakeZoho

#: The Zoho account of the ``alice`` fixture.
ALICE_ZOHO_EMAIL = "alice.zoho@example.com"


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the ``slow`` tests (those that start many processes or threads and time them) on
    one pytest-xdist worker, one after another (``--dist loadgroup``, as ``make`` runs the
    suites): two sixteen-process storms at once would starve both cores, and the timing
    bounds of one would then measure the other."""
    for item in items:
        if item.get_closest_marker("slow") is not None:
            item.add_marker(pytest.mark.xdist_group("slow"))


@pytest.fixture(autouse=True)
def _fresh_sdk_for_every_test(zoho_sdk_reset: None) -> None:
    """Every test starts and ends with a fresh Zoho SDK.

    The SDK keeps its initializer and metadata caches in class attributes; without this,
    one test's user and store would leak into the next.
    """


@pytest.fixture(autouse=True)
def _fresh_limits_memory(request: pytest.FixtureRequest, django_db_blocker: Any) -> Iterator[None]:
    """Each worker writes an organisation's figures at most once a second; a test's
    emptied database must not inherit what an earlier test wrote. The limiter writes its
    slots and figures on a connection of its own (PostgreSQL, MariaDB), outside the test's
    transaction: they are deleted after each test that used the database, and its
    connections closed."""
    _last_write.clear()
    yield
    if request.node.get_closest_marker("django_db") is None and not {
        "db",
        "transactional_db",
    } & set(request.fixturenames):
        return
    with django_db_blocker.unblock():
        flush_releases()
        with limiter_connection("default") as own:
            for model in (ZohoCallSlot, ZohoLimitFigures):
                execute(own, "DELETE FROM {table}", model._meta.db_table, ())
        close_limiter_connections()


@pytest.fixture
def store() -> DjangoTokenStore:
    """A ``DjangoTokenStore`` on the default database."""
    return DjangoTokenStore()


@pytest.fixture
def sdk_environment(fake_zoho: FakeZoho) -> DataCenter.Environment:
    """The SDK's ``Environment`` for the fake Zoho (CRM API and accounts on one server)."""
    return DataCenter.Environment(fake_zoho.url, fake_zoho.token_url, fake_zoho.url)


@pytest.fixture
def sdk_resource_path(settings: Any, tmp_path: Path) -> Path:
    """A folder in ``tmp_path`` for the SDK's resources, set as ``SDK_RESOURCE_PATH``."""
    path = tmp_path / "sdk"
    path.mkdir(mode=0o700)  # private whatever the umask: a shared folder is refused
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "SDK_RESOURCE_PATH": str(path)}
    return path


@pytest.fixture
def short_http_timeout(fake_zoho: FakeZoho, settings: Any) -> None:
    """``HTTP_TIMEOUT`` of one second: the fake's "slow" answers (``slow_seconds``, 5 by
    default) outlast it, and it is still roomy for the calls that must succeed on a busy
    machine. Set after ``fake_zoho``, which sets a timeout of its own."""
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "HTTP_TIMEOUT": 1}


@pytest.fixture
def alice(fake_zoho: FakeZoho) -> Any:
    """Alice, a Django user connected through the fake as ``alice.zoho@example.com``."""
    user = make_user("alice")
    connect(fake_zoho, user, ALICE_ZOHO_EMAIL)
    return user
