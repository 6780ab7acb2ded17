"""Where a token may go, read without sending anything: URLs that every parser reads alike,
and the API domains a token answer may name."""

from __future__ import annotations

from typing import Any

import pytest

from zoho_tokens.accounts.destinations import (
    Origin,
    api_domain_for,
    checked_destination,
    plain_origin,
    trusted_api_domain,
)
from zoho_tokens.exceptions import UntrustedAPIDomainError, UntrustedHostError

ZOHO = frozenset({"https://www.zohoapis.eu", "https://desk.zoho.eu"})


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://www.zohoapis.eu/crm/v8/org", Origin("https", "www.zohoapis.eu", 443)),
        ("HTTPS://WWW.ZohoAPIs.EU:443/x", Origin("https", "www.zohoapis.eu", 443)),
        ("http://127.0.0.1:8000", Origin("http", "127.0.0.1", 8000)),
        ("http://[::1]:8000/", Origin("http", "::1", 8000)),
        ("https://desk.zoho.eu?a=@b#c", Origin("https", "desk.zoho.eu", 443)),
        ("https://desk.zoho.eu/a b\\c\t", Origin("https", "desk.zoho.eu", 443)),
    ],
)
def test_a_plainly_written_url_has_one_origin(url: str, origin: Origin) -> None:
    assert plain_origin(url) == origin


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example\\@www.zohoapis.eu/",
        "https://www.zohoapis.eu\\@evil.example/",
        "https://www.zohoapis.eu@evil.example/",
        "https://user@www.zohoapis.eu/",
        "https://www.zohoapis.eu%40evil.example/",
        "https://www.zohoapis.eu\t@evil.example/",
        "https://www.zohoapis\u3002eu/",
        "https://www.zohoapis\uff0eeu/",
        "https://www\u200b.zohoapis.eu/",
        "https://www.zohoapis.eu./",
        "https://www.zohoapis.eu:99999/",
        "https://www.zohoapis.eu:/",
        "https://www.zohoapis.eu:+443/",
        "https://[::1%25lo]/",
        " https://www.zohoapis.eu/",
        "https:/www.zohoapis.eu/",
        "https:\\\\www.zohoapis.eu/",
        "ftp://www.zohoapis.eu/",
        "//www.zohoapis.eu/",
        "",
    ],
)
def test_anything_else_is_refused(url: str) -> None:
    with pytest.raises(UntrustedHostError):
        plain_origin(url)


def test_a_url_that_is_not_text_is_refused() -> None:
    with pytest.raises(UntrustedHostError):
        plain_origin(b"https://www.zohoapis.eu/")  # type: ignore[arg-type]


def test_a_refusal_quotes_a_bounded_part_of_the_url() -> None:
    with pytest.raises(UntrustedHostError) as raised:
        plain_origin("https://evil.example\\" + "a" * 100_000)

    assert len(str(raised.value)) < 400


@pytest.mark.parametrize(
    "url", ["https://www.zohoapis.eu/crm", "https://desk.zoho.eu:443/api", "HTTPS://DESK.ZOHO.EU"]
)
def test_the_allowed_origins_pass(url: str) -> None:
    assert str(checked_destination(url, ZOHO)) in ZOHO


@pytest.mark.parametrize(
    "url", ["https://www.zohoapis.com/crm", "http://www.zohoapis.eu/", "https://desk.zoho.eu:8443/"]
)
def test_other_origins_are_refused(url: str) -> None:
    with pytest.raises(UntrustedHostError, match="never sent there"):
        checked_destination(url, ZOHO)


@pytest.mark.parametrize(
    ("location", "api_domain", "stored"),
    [
        ("eu", "https://www.zohoapis.eu", "https://www.zohoapis.eu"),
        ("eu", "https://www.zohoapis.eu/", "https://www.zohoapis.eu"),
        ("eu", "HTTPS://WWW.ZOHOAPIS.EU:443", "https://www.zohoapis.eu"),
        ("eu", "https://sandbox.zohoapis.eu", "https://sandbox.zohoapis.eu"),
        ("eu", "https://developer.zohoapis.eu", "https://developer.zohoapis.eu"),
        ("ca", "https://www.zohoapis.ca", "https://www.zohoapis.ca"),
        ("au", "https://www.zohoapis.com.au", "https://www.zohoapis.com.au"),
    ],
)
def test_zoho_s_api_domains_of_the_data_centre_are_trusted(
    location: str, api_domain: str, stored: str
) -> None:
    assert trusted_api_domain(api_domain, location) == stored


@pytest.mark.parametrize(
    ("location", "api_domain"),
    [
        ("eu", "https://www.zohoapis.com"),  # another data centre's
        ("us", "https://www.zohoapis.eu"),
        ("au", "https://www.zohoapis.com"),  # a suffix of au's, but us's domain
        ("us", "https://www.zohoapis.com.evil.example"),
        ("us", "https://evil.example/www.zohoapis.com"),
        ("us", "https://www.zohoapis.com@evil.example"),
        ("us", "https://evil.example\\@www.zohoapis.com"),
        ("us", "https://evil.example#@www.zohoapis.com"),
        ("us", "http://www.zohoapis.com"),
        ("us", "https://www.zohoapis.com:8443"),
        ("us", "https://www.zohoapis.com/crm"),
        ("us", "https://www.zohoapis.com?x"),
        ("us", "https://www.zohoapis.com."),
        ("us", "https://www.zohoapis\u3002com"),
        ("us", " https://www.zohoapis.com"),
        ("us", "https://www.zohoapis.com\t"),
        ("us", "https://api.zohoapis.com"),
        ("us", ""),
    ],
)
def test_anything_else_named_as_an_api_domain_is_refused(location: str, api_domain: str) -> None:
    with pytest.raises(UntrustedAPIDomainError) as raised:
        trusted_api_domain(api_domain, location)

    assert raised.value.error == "untrusted_api_domain"


def test_configured_api_domains_are_trusted(settings: Any) -> None:
    settings.ZOHO_TOKENS = {
        "API_DOMAIN": "https://proxy.example.com",
        "DATA_CENTER_OVERRIDES": {"eu": {"api_domain": "https://eu-proxy.example.com/"}},
    }

    assert [
        trusted_api_domain("https://proxy.example.com", "us"),
        trusted_api_domain("https://eu-proxy.example.com", "eu"),
    ] == ["https://proxy.example.com", "https://eu-proxy.example.com"]


def test_a_data_centre_s_override_is_not_trusted_for_another(settings: Any) -> None:
    settings.ZOHO_TOKENS = {
        "DATA_CENTER_OVERRIDES": {"eu": {"api_domain": "https://eu-proxy.example.com"}}
    }

    with pytest.raises(UntrustedAPIDomainError):
        trusted_api_domain("https://eu-proxy.example.com", "jp")


# -- api_domain_for keeps its answers while the settings stay the same --------------------


def test_a_stored_api_domain_is_refused_once_the_setting_trusting_it_is_removed(
    settings: Any,
) -> None:
    settings.ZOHO_TOKENS = {"API_DOMAIN": "https://proxy.example.com"}
    assert api_domain_for("https://proxy.example.com", "us") == "https://proxy.example.com"

    settings.ZOHO_TOKENS = {}

    with pytest.raises(UntrustedAPIDomainError):
        api_domain_for("https://proxy.example.com", "us")


def test_an_override_changed_in_place_is_seen(settings: Any) -> None:
    overrides = {"eu": {"api_domain": "https://eu-proxy.example.com"}}
    settings.ZOHO_TOKENS = {"DATA_CENTER_OVERRIDES": overrides}
    assert api_domain_for("https://eu-proxy.example.com", "eu") == "https://eu-proxy.example.com"

    overrides["eu"]["api_domain"] = "https://other-proxy.example.com"

    with pytest.raises(UntrustedAPIDomainError):
        api_domain_for("https://eu-proxy.example.com", "eu")
    assert api_domain_for(None, "eu") == "https://other-proxy.example.com"


def test_a_refused_api_domain_is_refused_every_time(settings: Any) -> None:
    settings.ZOHO_TOKENS = {}

    for _ in range(2):
        with pytest.raises(UntrustedAPIDomainError):
            api_domain_for("https://evil.example", "us")
