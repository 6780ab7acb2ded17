"""Attack: hostile values in every parameter of every view never make a 500."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from zoho_tokens.testing import FakeZoho

pytestmark = pytest.mark.django_db

#: The most characters a log line may spend (values from outside are quoted in part).
LOG_BOUND = 2_000

HOSTILE = [
    "\x00",
    "a\x00b",
    "1\x00",
    "x" * 100_000,
    "²",
    "-1",
    "9" * 40,
    "%00",
    "\u202e",
    "https://evil.example/",
    "0",
    " 1",
]

PARAMS = {
    "connect": ["scope", "location", "next"],
    "callback": ["state", "code", "error", "accounts-server", "location"],
    "disconnect": ["token", "next"],
}


def _client(user: Any) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


@pytest.mark.parametrize("view", sorted(PARAMS))
def test_no_hostile_value_makes_a_500(
    view: str, alice: Any, fake_zoho: FakeZoho, caplog: pytest.LogCaptureFixture
) -> None:
    client = _client(alice)
    caplog.set_level(logging.DEBUG)
    failures: list[tuple[str, str, str, object]] = []
    for name in PARAMS[view]:
        for value in HOSTILE:
            for method in ("get", "post"):
                if view == "callback" and method == "post":
                    continue
                try:
                    response = getattr(client, method)(f"/zoho/{view}/", {name: value})
                except Exception as err:
                    failures.append((method, name, value[:20], repr(err)[:200]))
                    continue
                if response.status_code >= 500:
                    failures.append((method, name, value[:20], response.status_code))
            response = client.get(f"/zoho/{view}/?{name}=%FF%FE%00")
            if response.status_code >= 500:
                failures.append(("bytes", name, "%FF", response.status_code))
            response = client.get(f"/zoho/{view}/", {name: ["1", "2", value]})
            if response.status_code >= 500:
                failures.append(("list", name, value[:20], response.status_code))
    assert failures == [], "\n".join(map(repr, failures))
    longest = max((len(record.getMessage()) for record in caplog.records), default=0)
    assert longest < LOG_BOUND


@pytest.mark.parametrize("next_url", ["x", "dashboard", "logout"])
def test_a_next_that_looks_like_a_view_name_is_a_plain_relative_url(
    next_url: str, alice: Any, fake_zoho: FakeZoho
) -> None:
    """``redirect()`` reverses a ``next`` without ``/`` or ``.`` as a URL name: a 500 when
    no URL has that name (or another page when one has). The views redirect to exactly the
    safe ``next``."""
    client = _client(alice)

    response = client.post("/zoho/disconnect/", {"next": next_url})

    assert (response.status_code, response["Location"]) == (302, next_url)


@pytest.mark.parametrize("view", ["connect", "callback"])
def test_no_hostile_value_from_an_anonymous_visitor_makes_a_500(
    view: str, settings: Any, fake_zoho: FakeZoho, caplog: pytest.LogCaptureFixture
) -> None:
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "LOGIN": True}
    client = Client(raise_request_exception=False)
    caplog.set_level(logging.DEBUG)
    failures = []
    for name in PARAMS[view]:
        for value in HOSTILE:
            response = client.get(f"/zoho/{view}/", {name: value})
            if response.status_code >= 500:
                failures.append((name, value[:20], response.status_code))
    assert failures == []
    assert max((len(r.getMessage()) for r in caplog.records), default=0) < LOG_BOUND


def _state(client: Client) -> str:
    location = client.get("/zoho/connect/")["Location"]
    return parse_qs(urlsplit(location).query)["state"][0]


@pytest.mark.parametrize("name", ["code", "error", "accounts-server", "location"])
def test_no_hostile_value_on_a_real_callback_makes_a_500(
    name: str, alice: Any, fake_zoho: FakeZoho, caplog: pytest.LogCaptureFixture
) -> None:
    """The state is right (the browser came back from Zoho); another parameter is hostile."""
    client = _client(alice)
    caplog.set_level(logging.DEBUG)
    failures = []
    for value in HOSTILE:
        params = {"state": _state(client), "code": "x", name: value}
        if name != "accounts-server":
            params["accounts-server"] = fake_zoho.url
        response = client.get("/zoho/callback/", params)
        if response.status_code >= 500:
            failures.append((value[:20], response.status_code))
    assert failures == []
    assert max((len(r.getMessage()) for r in caplog.records), default=0) < LOG_BOUND
