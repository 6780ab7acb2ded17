"""Attack: hostile values in every parameter of every view never make a 500."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from zoho_tokens.testing import FakeZoho

pytestmark = pytest.mark.django_db

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
def test_no_hostile_value_makes_a_500(view: str, alice: Any, fake_zoho: FakeZoho) -> None:
    client = _client(alice)
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
