"""The ``FakeZoho`` façade: its addresses, its lifecycle, and independent instances.

Run without Django: ``python -m pytest tests/testing -p no:django --confcutdir=tests/testing``.
"""

from __future__ import annotations

import threading
import time

import requests

from tests.testing.fake_client import connect, leads_get, refresh
from zoho_tokens.testing import FakeZoho


def test_urls(fake_zoho: FakeZoho) -> None:
    assert fake_zoho.url.startswith("http://127.0.0.1:")
    assert fake_zoho.accounts_server == fake_zoho.api_domain == fake_zoho.url
    assert fake_zoho.token_url == fake_zoho.url + "/oauth/v2/token"


def test_stop_returns_promptly_during_a_slow_request(http: requests.Session) -> None:
    fake = FakeZoho().start()
    fake.slow_seconds = 60
    fake.fail("token", "slow")
    outcome: list[BaseException | requests.Response] = []

    def call() -> None:
        try:
            outcome.append(http.post(fake.token_url, data={"grant_type": "x"}, timeout=30))
        except requests.RequestException as error:
            outcome.append(error)

    thread = threading.Thread(target=call)
    thread.start()
    while fake.count("/oauth/v2/token") == 0:
        time.sleep(0.01)
    started = time.monotonic()
    fake.stop()
    thread.join(timeout=5)
    assert time.monotonic() - started < 2
    assert isinstance(outcome[0], requests.ConnectionError)


def test_stop_twice_and_restart_keeps_the_state(http: requests.Session) -> None:
    fake = FakeZoho().start()
    refresh_token = connect(http, fake)["refresh_token"]
    fake.stop()
    fake.stop()
    with fake:
        assert "access_token" in refresh(http, fake, refresh_token)


def test_a_second_instance_is_independent(http: requests.Session, fake_zoho: FakeZoho) -> None:
    with FakeZoho() as other:
        tokens = connect(http, fake_zoho)
        assert other.url != fake_zoho.url
        assert other.requests == []
        assert leads_get(http, other, tokens["access_token"]).status_code == 401
