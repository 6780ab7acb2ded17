"""Fixtures of the fake Zoho's own tests (``fake_zoho`` comes from the pytest plugin).

Nothing here needs Django: ``python -m pytest tests/testing -p no:django
--confcutdir=tests/testing`` runs this folder without the suite's Django conftest.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests


@pytest.fixture
def http() -> Iterator[requests.Session]:
    """A session that never sends loopback traffic through an environment proxy."""
    with requests.Session() as session:
        session.trust_env = False
        yield session
