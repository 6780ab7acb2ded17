"""Fault injection (``FakeZoho.fail``), and the token endpoint's ``delay``.

Run without Django: ``python -m pytest tests/testing -p no:django --confcutdir=tests/testing``.
"""

from __future__ import annotations

import time

import pytest
import requests

from tests.testing.fake_client import (
    REDIRECT_URI,
    THROTTLE_BODY,
    connect,
    exchange,
    leads_get,
    open_url,
    refresh,
)
from zoho_tokens.testing import FakeZoho


def test_fault_http_500(http: requests.Session, fake_zoho: FakeZoho) -> None:
    fake_zoho.fail("token", "http_500")
    response = http.post(fake_zoho.token_url, data={"grant_type": "refresh_token"}, timeout=5)
    assert response.status_code == 500


def test_fault_html(http: requests.Session, fake_zoho: FakeZoho) -> None:
    fake_zoho.fail("exchange", "html")
    response = http.post(fake_zoho.token_url, data={"grant_type": "authorization_code"}, timeout=5)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")


def test_fault_malformed(http: requests.Session, fake_zoho: FakeZoho) -> None:
    fake_zoho.fail("token", "malformed")
    response = http.post(fake_zoho.token_url, data={"grant_type": "refresh_token"}, timeout=5)
    with pytest.raises(ValueError):
        response.json()


def test_fault_slow_answers_normally_after_a_wait(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    fake_zoho.slow_seconds = 0.3
    fake_zoho.fail("exchange", "slow", times=1)
    started = time.monotonic()
    payload = connect(http, fake_zoho)
    assert time.monotonic() - started >= 0.3
    assert "access_token" in payload


def test_fault_invalid_code(http: requests.Session, fake_zoho: FakeZoho) -> None:
    fake_zoho.fail("exchange", "invalid_code")
    assert connect(http, fake_zoho) == {"error": "invalid_code"}


def test_fault_throttle(http: requests.Session, fake_zoho: FakeZoho) -> None:
    refresh_token = connect(http, fake_zoho)["refresh_token"]
    fake_zoho.fail("refresh", "throttle")
    assert refresh(http, fake_zoho, refresh_token) == THROTTLE_BODY


def test_fault_down_closes_the_connection(http: requests.Session, fake_zoho: FakeZoho) -> None:
    fake_zoho.fail("token", "down")
    with pytest.raises(requests.ConnectionError):
        http.post(fake_zoho.token_url, data={"grant_type": "refresh_token"}, timeout=5)


def test_fault_lost_processes_but_never_answers(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    code = fake_zoho.issue_code()
    fake_zoho.fail("exchange", "lost", times=1)
    with pytest.raises(requests.ConnectionError):
        exchange(http, fake_zoho, code)
    assert exchange(http, fake_zoho, code) == {"error": "invalid_code"}


def test_fault_times_then_heals_itself(http: requests.Session, fake_zoho: FakeZoho) -> None:
    fault = fake_zoho.fail("exchange", "invalid_code", times=1)
    assert connect(http, fake_zoho) == {"error": "invalid_code"}
    assert "access_token" in connect(http, fake_zoho)
    assert fault.hits == 1
    assert fake_zoho.faults == []


def test_fault_until_heal(http: requests.Session, fake_zoho: FakeZoho) -> None:
    fake_zoho.fail("token", "invalid_code")
    assert connect(http, fake_zoho) == {"error": "invalid_code"}
    assert connect(http, fake_zoho) == {"error": "invalid_code"}
    fake_zoho.heal()
    assert "access_token" in connect(http, fake_zoho)


def test_fault_on_refresh_spares_the_exchange(http: requests.Session, fake_zoho: FakeZoho) -> None:
    fake_zoho.fail("refresh", "http_500")
    assert "access_token" in connect(http, fake_zoho)


def test_fault_on_crm(http: requests.Session, fake_zoho: FakeZoho) -> None:
    token = connect(http, fake_zoho)["access_token"]
    fake_zoho.fail("crm", "throttle", times=1)
    assert leads_get(http, fake_zoho, token).status_code == 429
    assert leads_get(http, fake_zoho, token).status_code == 200


def test_fault_on_revoke(http: requests.Session, fake_zoho: FakeZoho) -> None:
    refresh_token = connect(http, fake_zoho)["refresh_token"]
    fake_zoho.fail("revoke", "http_500")
    response = http.post(fake_zoho.revoke_url, params={"token": refresh_token}, timeout=5)
    assert response.status_code == 500
    assert fake_zoho.is_refresh_token_active(refresh_token)


def test_fault_on_auth(http: requests.Session, fake_zoho: FakeZoho) -> None:
    fake_zoho.fail("auth", "http_500")
    url = fake_zoho.authorize_url(REDIRECT_URI)
    assert open_url(http, url).status_code == 500


def test_fault_rejects_unknown_names(fake_zoho: FakeZoho) -> None:
    with pytest.raises(ValueError, match="endpoint"):
        fake_zoho.fail("accounts", "down")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="kind"):
        fake_zoho.fail("token", "explode")  # type: ignore[arg-type]


def test_delay_slows_every_token_request(http: requests.Session, fake_zoho: FakeZoho) -> None:
    fake_zoho.delay = 0.2
    started = time.monotonic()
    connect(http, fake_zoho)
    assert time.monotonic() - started >= 0.2
