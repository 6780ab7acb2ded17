"""The fake Zoho Accounts' token endpoints: exchange, refresh (with Zoho's limits), revoke.

Run without Django: ``python -m pytest tests/testing -p no:django --confcutdir=tests/testing``.
"""

from __future__ import annotations

import re
import threading
from typing import Any

import requests

from tests.testing.fake_client import (
    INVALID_TOKEN_BODY,
    REDIRECT_URI,
    THROTTLE_BODY,
    connect,
    exchange,
    leads_get,
    post_token,
    refresh,
)
from zoho_tokens.testing import FakeZoho, token_kind

# -- exchange ------------------------------------------------------------------------------


def test_exchange_returns_zoho_shaped_tokens(http: requests.Session, fake_zoho: FakeZoho) -> None:
    payload = connect(http, fake_zoho)
    assert set(payload) == {
        "access_token",
        "refresh_token",
        "scope",
        "api_domain",
        "token_type",
        "expires_in",
    }
    assert payload["api_domain"] == fake_zoho.url
    assert payload["token_type"] == "Bearer"
    assert payload["expires_in"] == 3600


def test_tokens_have_zoho_shape_and_a_recognisable_kind(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    code = fake_zoho.issue_code()
    payload = exchange(http, fake_zoho, code)
    shape = re.compile(r"^1000\.[0-9a-z]{32}\.[0-9a-f]{32}$")
    assert all(shape.match(t) for t in (code, payload["access_token"], payload["refresh_token"]))
    assert [token_kind(code), token_kind(payload["access_token"])] == ["code", "access"]
    assert token_kind(payload["refresh_token"]) == "refresh"


def test_exchange_without_offline_access_returns_no_refresh_token(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    assert "refresh_token" not in connect(http, fake_zoho, offline=False)


def test_exchange_accepts_parameters_in_the_query_string(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    params = {
        "grant_type": "authorization_code",
        "client_id": fake_zoho.client_id,
        "client_secret": fake_zoho.client_secret,
        "code": fake_zoho.issue_code(),
    }
    assert "access_token" in http.post(fake_zoho.token_url, params=params, timeout=5).json()


def test_exchange_with_a_wrong_secret_is_invalid_client_secret(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    payload = exchange(http, fake_zoho, fake_zoho.issue_code(), client_secret="wrong")
    assert payload == {"error": "invalid_client_secret"}


def test_exchange_with_an_unknown_client_id_is_invalid_client(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    payload = exchange(http, fake_zoho, fake_zoho.issue_code(), client_id="1000.OTHER")
    assert payload == {"error": "invalid_client"}


def test_exchange_with_an_unknown_code_is_invalid_code(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    assert exchange(http, fake_zoho, "1000.nope.nope") == {"error": "invalid_code"}


def test_codes_are_single_use(http: requests.Session, fake_zoho: FakeZoho) -> None:
    code = fake_zoho.issue_code()
    assert "access_token" in exchange(http, fake_zoho, code)
    assert exchange(http, fake_zoho, code) == {"error": "invalid_code"}


def test_codes_expire_after_two_minutes(http: requests.Session, fake_zoho: FakeZoho) -> None:
    code = fake_zoho.issue_code()
    fake_zoho.advance_time(121)
    assert exchange(http, fake_zoho, code) == {"error": "invalid_code"}


def test_code_lifetime_is_configurable(http: requests.Session, fake_zoho: FakeZoho) -> None:
    fake_zoho.code_lifetime = 600
    code = fake_zoho.issue_code()
    fake_zoho.advance_time(300)
    assert "access_token" in exchange(http, fake_zoho, code)


def test_exchange_with_another_redirect_uri_is_invalid_redirect_uri(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    code = fake_zoho.issue_code(redirect_uri=REDIRECT_URI)
    payload = exchange(http, fake_zoho, code, redirect_uri=REDIRECT_URI + "/")
    assert payload == {"error": "invalid_redirect_uri"}


def test_exchange_with_the_same_redirect_uri_succeeds(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    code = fake_zoho.issue_code(redirect_uri=REDIRECT_URI)
    assert "access_token" in exchange(http, fake_zoho, code, redirect_uri=REDIRECT_URI)


def test_unknown_grant_type_is_unsupported(http: requests.Session, fake_zoho: FakeZoho) -> None:
    payload = exchange(http, fake_zoho, "x", grant_type="password")
    assert payload == {"error": "unsupported_grant_type"}


# -- refresh -------------------------------------------------------------------------------


def test_refresh_returns_a_new_access_token_without_refresh_token(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    tokens = connect(http, fake_zoho)
    payload = refresh(http, fake_zoho, tokens["refresh_token"])
    assert set(payload) == {"access_token", "scope", "api_domain", "token_type", "expires_in"}
    assert payload["access_token"] != tokens["access_token"]


def test_refresh_with_an_unknown_token_is_invalid_code(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    assert refresh(http, fake_zoho, "1000.unknown.token") == {"error": "invalid_code"}


def test_refresh_with_a_wrong_secret_is_invalid_client_secret(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    refresh_token = connect(http, fake_zoho)["refresh_token"]
    response = post_token(
        http,
        fake_zoho,
        grant_type="refresh_token",
        client_secret="wrong",
        refresh_token=refresh_token,
    )
    payload = response.json()
    assert payload == {"error": "invalid_client_secret"}


def test_refresh_is_throttled_after_ten_in_ten_minutes(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    refresh_token = connect(http, fake_zoho)["refresh_token"]
    for _ in range(10):
        assert "access_token" in refresh(http, fake_zoho, refresh_token)
    assert refresh(http, fake_zoho, refresh_token) == THROTTLE_BODY


def test_refresh_throttle_window_slides(http: requests.Session, fake_zoho: FakeZoho) -> None:
    refresh_token = connect(http, fake_zoho)["refresh_token"]
    for _ in range(10):
        refresh(http, fake_zoho, refresh_token)
    fake_zoho.advance_time(601)
    assert "access_token" in refresh(http, fake_zoho, refresh_token)


def test_concurrent_refreshes_respect_the_limit(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    refresh_token = connect(http, fake_zoho)["refresh_token"]
    fake_zoho.delay = 0.05  # keep them all in flight together
    answers: list[dict[str, Any]] = []

    def worker() -> None:
        with requests.Session() as session:
            session.trust_env = False
            answers.append(refresh(session, fake_zoho, refresh_token))

    threads = [threading.Thread(target=worker) for _ in range(25)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert sum("access_token" in answer for answer in answers) == 10
    assert sum(answer == THROTTLE_BODY for answer in answers) == 15


def test_refresh_limit_is_configurable(http: requests.Session, fake_zoho: FakeZoho) -> None:
    fake_zoho.refresh_limit = 2
    refresh_token = connect(http, fake_zoho)["refresh_token"]
    refresh(http, fake_zoho, refresh_token)
    refresh(http, fake_zoho, refresh_token)
    assert refresh(http, fake_zoho, refresh_token)["error"] == "Access Denied"


def test_sixteenth_access_token_invalidates_the_oldest(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    fake_zoho.refresh_limit = 100
    tokens = connect(http, fake_zoho)
    later = [refresh(http, fake_zoho, tokens["refresh_token"])["access_token"] for _ in range(15)]
    assert not fake_zoho.is_access_token_active(tokens["access_token"])
    assert all(fake_zoho.is_access_token_active(token) for token in later)


def test_twenty_first_refresh_token_invalidates_the_oldest(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    first = connect(http, fake_zoho)
    rest = [connect(http, fake_zoho)["refresh_token"] for _ in range(20)]
    assert not fake_zoho.is_refresh_token_active(first["refresh_token"])
    assert not fake_zoho.is_access_token_active(first["access_token"])
    assert all(fake_zoho.is_refresh_token_active(token) for token in rest)
    assert fake_zoho.revoked_tokens == []  # silently, not a revocation


def test_refresh_token_cap_is_per_user(http: requests.Session, fake_zoho: FakeZoho) -> None:
    grace = fake_zoho.add_user("grace@example.com", "Grace Hopper")
    graces = connect(http, fake_zoho, user=grace)["refresh_token"]
    for _ in range(20):
        connect(http, fake_zoho)
    assert fake_zoho.is_refresh_token_active(graces)


# -- revoke --------------------------------------------------------------------------------


def test_revoke_answers_success(http: requests.Session, fake_zoho: FakeZoho) -> None:
    refresh_token = connect(http, fake_zoho)["refresh_token"]
    response = http.post(fake_zoho.revoke_url, params={"token": refresh_token}, timeout=5)
    assert (response.status_code, response.json()) == (200, {"status": "success"})
    assert fake_zoho.revoked_tokens == [refresh_token]


def test_revoke_accepts_the_token_in_the_form_body(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    refresh_token = connect(http, fake_zoho)["refresh_token"]
    http.post(fake_zoho.revoke_url, data={"token": refresh_token}, timeout=5)
    assert not fake_zoho.is_refresh_token_active(refresh_token)


def test_revoke_kills_the_access_tokens(http: requests.Session, fake_zoho: FakeZoho) -> None:
    tokens = connect(http, fake_zoho)
    http.post(fake_zoho.revoke_url, params={"token": tokens["refresh_token"]}, timeout=5)
    response = leads_get(http, fake_zoho, tokens["access_token"])
    assert (response.status_code, response.json()) == (401, INVALID_TOKEN_BODY)


def test_refresh_after_revoke_is_invalid_code(http: requests.Session, fake_zoho: FakeZoho) -> None:
    refresh_token = connect(http, fake_zoho)["refresh_token"]
    fake_zoho.revoke(refresh_token)
    assert refresh(http, fake_zoho, refresh_token) == {"error": "invalid_code"}


def test_revoke_of_an_unknown_token_is_a_400_failure(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    response = http.post(fake_zoho.revoke_url, params={"token": "1000.x.y"}, timeout=5)
    assert response.status_code == 400
    assert response.json()["status"] == "failure"
