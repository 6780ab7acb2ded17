"""Bounded input, bounded work: what a request or Zoho's answer sends has a bound before it
reaches a loop, a log line or a column.

Attack: an anonymous visitor (log in with Zoho on) POSTs a 170 kB ``scope`` to connect;
Zoho (or whoever answers in its place) sends megabytes of error text or scopes; a Zoho
account with a 200-character address signs in. The work grows linearly with the input
(counted in operations for n against 10n, never timed), refusals quote a
bounded part of what they refuse, and the database never sees a value its column cannot
hold (PostgreSQL and MariaDB refuse, SQLite would store it).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from zoho_tokens.accounts.client import _grant_from
from zoho_tokens.accounts.scopes import (
    MAX_SCOPES,
    MAX_SCOPES_TEXT,
    granted_scopes,
    parse_scopes,
)
from zoho_tokens.accounts.wire import raise_for_error
from zoho_tokens.exceptions import ZohoOAuthError, ZohoUnavailableError
from zoho_tokens.models import ZohoToken
from zoho_tokens.testing import TOKEN_PATH, FakeZoho
from zoho_tokens.tokens.consent import ScopeNotAllowedError, requested_scopes

pytestmark = pytest.mark.django_db

#: What linear work allows between n and 10n: 10 in theory; quadratic work gives 100.
LINEAR_RATIO = 15

#: The most characters a refusal or a log line may spend on a value from outside.
LOG_BOUND = 1000


def calls_made(work: Callable[[], Any]) -> int:
    """How many Python and built-in functions ``work`` calls (``lower``, ``strip``, ...):
    a count of operations, the same on a busy machine as on an idle one."""
    count = 0

    def profile(frame: Any, event: str, arg: Any) -> None:
        nonlocal count
        if event in ("call", "c_call"):
            count += 1

    sys.setprofile(profile)
    try:
        work()
    finally:
        sys.setprofile(None)
    return count


def distinct_scopes(count: int) -> str:
    return ",".join(f"ZohoCRM.bogus{n}.READ" for n in range(count))


# -- the scope list of a link ---------------------------------------------------------------


def test_parsing_a_scope_list_takes_linear_time() -> None:
    small, large = distinct_scopes(1_000), distinct_scopes(10_000)

    ratio = calls_made(lambda: parse_scopes(large)) / calls_made(lambda: parse_scopes(small))

    assert ratio < LINEAR_RATIO


def test_parsing_keeps_the_first_spelling_and_drops_case_duplicates() -> None:
    assert parse_scopes("ZohoCRM.org.READ, zohocrm.ORG.read,ZohoCRM.users.READ") == [
        "ZohoCRM.org.READ",
        "ZohoCRM.users.READ",
    ]


class WatchedText(str):
    """A string that records being split up (the start of any parse)."""

    parsed = False

    def replace(self, *args: Any, **kwargs: Any) -> str:
        WatchedText.parsed = True
        return super().replace(*args, **kwargs)

    def split(self, *args: Any, **kwargs: Any) -> list[str]:
        WatchedText.parsed = True
        return super().split(*args, **kwargs)


def test_an_over_long_scope_list_is_refused_before_it_is_parsed() -> None:
    huge = WatchedText(distinct_scopes(10_000))  # about 220 kB
    WatchedText.parsed = False

    message = refusal_of(huge)

    assert not WatchedText.parsed
    assert f"at most {MAX_SCOPES_TEXT}" in message


def test_a_list_just_within_the_bound_is_parsed() -> None:
    within = WatchedText(("ZohoCRM.modules.ALL," * MAX_SCOPES_TEXT)[:MAX_SCOPES_TEXT])
    WatchedText.parsed = False

    assert requested_scopes(within) == ["ZohoCRM.modules.ALL"]
    assert WatchedText.parsed


def test_more_scopes_than_allowed_are_refused() -> None:
    many = ",".join(["ZohoCRM.modules.ALL", *(f"Z.s{n}.READ" for n in range(MAX_SCOPES))])

    assert f"at most {MAX_SCOPES}" in refusal_of(many)


def refusal_of(raw: str) -> str:
    with pytest.raises(ScopeNotAllowedError) as caught:
        requested_scopes(raw)
    return str(caught.value)


def test_a_refusal_quotes_a_few_refused_scopes_each_cut_short() -> None:
    raw = ",".join(f"ZohoCRM.{'x' * 90}{n}.READ" for n in range(90))

    message = refusal_of(raw)

    assert len(message) < LOG_BOUND
    assert "and 85 more" in message
    assert "more characters" in message


def test_a_refused_scope_cannot_forge_log_lines() -> None:
    message = refusal_of("ZohoCRM.bad\nINFO forged line.READ")

    assert "\n" not in message


@pytest.mark.usefixtures("login_with_zoho")
def test_an_anonymous_170_kb_scope_post_is_refused_with_a_bounded_log_line(
    fake_zoho: FakeZoho, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    scope = distinct_scopes(8_000)
    assert len(scope) > 170_000

    response = Client().post("/zoho/connect/", {"scope": scope})

    assert response.status_code == 400
    assert max(len(record.getMessage()) for record in caplog.records) < LOG_BOUND
    assert fake_zoho.count() == 0


# -- what Zoho answers ----------------------------------------------------------------------


def test_zohos_error_code_is_bounded_in_the_exception() -> None:
    with pytest.raises(ZohoOAuthError) as caught:
        raise_for_error({"error": "x" * 1_000_000}, "https://accounts.zoho.com")

    assert len(str(caught.value)) < LOG_BOUND
    assert len(caught.value.error or "") <= 64


@pytest.mark.parametrize(
    "bad",
    ["1000." + "a" * 5000, "1000.abc\r\nX-Injected: 1", "1000.a b", "1000.\u00e9t\u00e9"],
)
@pytest.mark.parametrize("field", ["access_token", "refresh_token"])
def test_a_token_that_cannot_be_zohos_is_refused(fake_zoho: FakeZoho, field: str, bad: str):
    answer = {"access_token": "1000.good.token", "expires_in": 3600, field: bad}

    with pytest.raises(ZohoUnavailableError, match="usable access token") as caught:
        _grant_from(answer, fake_zoho.url)

    assert bad not in str(caught.value)


def test_scopes_in_zohos_answer_are_bounded_and_well_formed(fake_zoho: FakeZoho) -> None:
    junk = ["ZohoCRM.modules.ALL", "not a scope", "Zoho\x00CRM.x.READ", "A." + "b" * 200]
    assert granted_scopes(",".join(junk)) == ("ZohoCRM.modules.ALL",)
    assert len(granted_scopes(distinct_scopes(MAX_SCOPES + 50)) or ()) == MAX_SCOPES
    assert granted_scopes("Z.a.READ," * MAX_SCOPES_TEXT) is None  # absurd: did not say
    assert granted_scopes(None) is None


# -- what the callback reads ----------------------------------------------------------------


def test_an_over_long_grant_code_is_never_sent_to_zoho(client: Client, fake_zoho: FakeZoho):
    callback = fake_zoho.consent(client.get("/zoho/connect/")["Location"])
    code = callback.split("code=")[1].split("&")[0]

    response = client.get(callback.replace(code, code + "A" * 1000))

    assert response.status_code == 400
    assert fake_zoho.count(TOKEN_PATH) == 0
    assert not ZohoToken.objects.exists()


def test_an_over_long_next_url_is_not_kept(client: Client, fake_zoho: FakeZoho) -> None:
    long_next = "/" + "a" * 5000

    client.get(fake_zoho.consent(client.get(f"/zoho/connect/?next={long_next}")["Location"]))

    assert long_next not in str(dict(client.session))


@pytest.mark.usefixtures("login_with_zoho")
def test_signing_in_with_an_address_longer_than_a_username_creates_nobody(
    fake_zoho: FakeZoho, settings: Any
) -> None:
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "LOGIN_CREATE_USERS": True}
    email = "a" * 190 + "@example.com"  # a valid address, beyond Django's 150-character username
    fake_zoho.add_user(email, "Long Address")
    client = Client()

    response = client.get(fake_zoho.consent(client.get("/zoho/connect/")["Location"], user=email))

    assert response.status_code == 403
    assert get_user_model().objects.count() == 0
    assert not ZohoToken.objects.exists()
    assert [refresh.active for refresh in fake_zoho.refresh_tokens] == [False]
