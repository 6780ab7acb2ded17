"""A minimal OAuth client of the fake Zoho for the tests in ``tests/testing``.

Plain functions over a ``requests`` session (the ``http`` fixture of this folder's
conftest), so that each test reads as the HTTP exchange it makes.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from zoho_tokens.testing import FakeZoho

REDIRECT_URI = "http://app.example.com/zoho/callback"
INVALID_TOKEN_BODY = {
    "code": "INVALID_TOKEN",
    "details": {},
    "message": "invalid oauth token",
    "status": "error",
}
THROTTLE_BODY = {
    "error": "Access Denied",
    "error_description": "You have made too many requests continuously. "
    "Please try again after some time.",
    "status": "failure",
}
#: The fields every list call asks for: Zoho (API v3+) refuses a list call without them.
LEAD_FIELDS = "First_Name,Last_Name,Company,Email,Phone"


def post_token(http: requests.Session, fake: FakeZoho, **params: str) -> requests.Response:
    """``POST /oauth/v2/token`` as the fake's client; ``params`` add to its credentials
    (or replace them)."""
    data = {"client_id": fake.client_id, "client_secret": fake.client_secret, **params}
    return http.post(fake.token_url, data=data, timeout=5)


def exchange(
    http: requests.Session,
    fake: FakeZoho,
    code: str,
    redirect_uri: str | None = None,
    **overrides: str,
) -> dict[str, Any]:
    """Exchange ``code``; Zoho answers HTTP 200 whatever the outcome."""
    redirect = {"redirect_uri": redirect_uri} if redirect_uri else {}
    params = {"grant_type": "authorization_code", "code": code, **redirect, **overrides}
    response = post_token(http, fake, **params)
    assert response.status_code == 200
    payload: dict[str, Any] = response.json()
    return payload


def refresh(http: requests.Session, fake: FakeZoho, refresh_token: str) -> dict[str, Any]:
    """Refresh; HTTP 200 even for errors, except Zoho's throttle (400, "status": "failure")."""
    response = post_token(http, fake, grant_type="refresh_token", refresh_token=refresh_token)
    payload: dict[str, Any] = response.json()
    assert response.status_code == (400 if payload.get("status") == "failure" else 200)
    return payload


def open_url(http: requests.Session, url: str) -> requests.Response:
    """``GET`` ``url`` as a browser would, but stop at a redirect so the test can read it."""
    return http.get(url, allow_redirects=False, timeout=5)


def connect(http: requests.Session, fake: FakeZoho, **code_options: Any) -> dict[str, Any]:
    """Exchange a freshly minted code; return the token payload."""
    return exchange(http, fake, fake.issue_code(**code_options))


def crm_get(
    http: requests.Session, fake: FakeZoho, path: str, token: str | None, **params: str
) -> requests.Response:
    """``GET`` a CRM path with ``Authorization: Zoho-oauthtoken <token>`` (if any)."""
    headers = {"Authorization": f"Zoho-oauthtoken {token}"} if token else {}
    return http.get(fake.url + path, headers=headers, params=params, timeout=5)


def leads_get(
    http: requests.Session, fake: FakeZoho, token: str | None, **params: str
) -> requests.Response:
    """``GET /crm/v8/Leads`` with ``fields`` (override it or add ``page`` ...)."""
    return crm_get(http, fake, "/crm/v8/Leads", token, **{"fields": LEAD_FIELDS, **params})


def owner_email(fake: FakeZoho, access_token: str) -> str | None:
    """The email of the user a live access token belongs to."""
    user = fake.user_for_access_token(access_token)
    return user.email if user is not None else None


def callback_params(location: str) -> dict[str, str]:
    """The query parameters of a callback URL, one value each."""
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}
