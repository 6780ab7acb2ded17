"""The fake Zoho enforces the limits: a cap on calls in flight per organisation (429 with
Retry-After beyond), CRM credits, Books' quota headers, X-Accesstoken-Reset."""

from __future__ import annotations

import threading
from datetime import datetime, timezone

import requests

from tests.testing.fake_client import exchange
from zoho_tokens.testing import FakeZoho
from zoho_tokens.testing.accounts.users import DEFAULT_ZGID


def crm_get(fake: FakeZoho, token: str) -> requests.Response:
    return requests.get(
        f"{fake.url}/crm/v8/users",
        params={"type": "CurrentUser"},
        headers={"Authorization": f"Zoho-oauthtoken {token}"},
        timeout=10,
    )


def access_token(fake: FakeZoho) -> str:
    with requests.Session() as http:
        return str(exchange(http, fake, fake.issue_code())["access_token"])


def test_calls_beyond_the_cap_get_429_with_retry_after_and_are_counted() -> None:
    with FakeZoho() as fake:
        token = access_token(fake)
        fake.limits.concurrency_cap = 2
        fake.limits.latency = 0.5
        answers: list[requests.Response] = []
        threads = [
            threading.Thread(target=lambda: answers.append(crm_get(fake, token))) for _ in range(4)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200, 200, 429, 429]
    refused = next(a for a in answers if a.status_code == 429)
    assert refused.headers["Retry-After"] == "1"
    assert refused.json()["code"] == "TOO_MANY_REQUESTS"
    assert fake.limits.max_in_flight(f"crm:{DEFAULT_ZGID}") == 2
    assert fake.limits.refused[f"crm:{DEFAULT_ZGID}"] == 2


def test_crm_answers_carry_the_access_tokens_expiry() -> None:
    with FakeZoho(access_token_lifetime=3600) as fake:
        answer = crm_get(fake, access_token(fake))

    reset = datetime.fromisoformat(answer.headers["X-Accesstoken-Reset"])
    assert reset.utcoffset() is not None
    assert 3590 < reset.timestamp() - datetime.now(timezone.utc).timestamp() <= 3601


def test_crm_credits_are_reported_once_half_are_spent_and_refused_once_spent() -> None:
    with FakeZoho() as fake:
        token = access_token(fake)
        fake.limits.daily_credits = 4
        answers = [crm_get(fake, token) for _ in range(5)]

    assert [a.headers.get("X-API-CREDITS-REMAINING") for a in answers[:4]] == [None, "2", "1", "0"]
    assert answers[4].status_code == 429
    assert int(answers[4].headers["Retry-After"]) > 0
