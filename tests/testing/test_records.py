"""What the fake records: requests, their counts, and forgetting them.

Run without Django: ``python -m pytest tests/testing -p no:django --confcutdir=tests/testing``.
"""

from __future__ import annotations

import time

import requests

from tests.testing.fake_client import connect, refresh
from zoho_tokens.testing import FakeZoho


def test_count_filters_on_parameters(http: requests.Session, fake_zoho: FakeZoho) -> None:
    refresh(http, fake_zoho, connect(http, fake_zoho)["refresh_token"])
    assert fake_zoho.count("/oauth/v2/token") == 2
    assert fake_zoho.count("/oauth/v2/token", grant_type="refresh_token") == 1
    assert fake_zoho.count(method="GET") == 0


def test_requests_are_recorded_with_their_details(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    connect(http, fake_zoho)
    (recorded,) = fake_zoho.requests
    assert (recorded.method, recorded.path, recorded.status) == ("POST", "/oauth/v2/token", 200)
    assert recorded.form["client_id"] == fake_zoho.client_id
    assert recorded.timestamp <= time.time()


def test_reset_counts_forgets_requests(http: requests.Session, fake_zoho: FakeZoho) -> None:
    connect(http, fake_zoho)
    fake_zoho.reset_counts()
    assert (fake_zoho.requests, fake_zoho.crm_calls) == ([], [])
