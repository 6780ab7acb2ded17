"""The data-centre table and the origin comparisons the accounts-server allow-list rests on."""

from __future__ import annotations

import pytest

from zoho_tokens.conf.datacenters import (
    DATA_CENTERS,
    DataCenter,
    by_accounts_server,
    by_api_domain,
    normalize_origin,
)

#: Zoho's published accounts servers and API domains (see zoho-facts.md).
PUBLISHED = {
    "us": ("https://accounts.zoho.com", "https://www.zohoapis.com"),
    "eu": ("https://accounts.zoho.eu", "https://www.zohoapis.eu"),
    "in": ("https://accounts.zoho.in", "https://www.zohoapis.in"),
    "au": ("https://accounts.zoho.com.au", "https://www.zohoapis.com.au"),
    "jp": ("https://accounts.zoho.jp", "https://www.zohoapis.jp"),
    "ca": ("https://accounts.zohocloud.ca", "https://www.zohoapis.ca"),
    "sa": ("https://accounts.zoho.sa", "https://www.zohoapis.sa"),
    "cn": ("https://accounts.zoho.com.cn", "https://www.zohoapis.com.cn"),
}


def test_table_has_every_location_the_issue_names():
    assert set(DATA_CENTERS) == {"us", "eu", "in", "au", "jp", "ca", "sa", "cn", "uk"}


@pytest.mark.parametrize(("location", "servers"), sorted(PUBLISHED.items()))
def test_table_matches_zohos_published_servers(location, servers):
    dc = DATA_CENTERS[location]
    assert (dc.location, dc.accounts_server, dc.api_domain) == (location, *servers)


def test_uk_accounts_server_is_zoho_uk():
    assert DATA_CENTERS["uk"].accounts_server == "https://accounts.zoho.uk"


def test_token_url_is_the_accounts_servers_token_endpoint():
    dc = DataCenter("xx", "http://127.0.0.1:8123", "http://127.0.0.1:8123")
    assert dc.token_url == "http://127.0.0.1:8123/oauth/v2/token"


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://accounts.zoho.eu", "https://accounts.zoho.eu"),
        ("https://accounts.zoho.eu/", "https://accounts.zoho.eu"),
        ("HTTPS://Accounts.Zoho.EU", "https://accounts.zoho.eu"),
        ("https://accounts.zoho.eu/oauth/v2/token?x=1#f", "https://accounts.zoho.eu"),
        ("  https://accounts.zoho.eu  ", "https://accounts.zoho.eu"),
        ("http://127.0.0.1:8123/", "http://127.0.0.1:8123"),
        ("https://user:pw@accounts.zoho.eu", "https://accounts.zoho.eu"),
        ("http://[::1]:8123/x", "http://[::1]:8123"),
    ],
)
def test_normalize_origin_keeps_scheme_host_and_port(url, origin):
    assert normalize_origin(url) == origin


@pytest.mark.parametrize(
    "url",
    [
        "",
        "accounts.zoho.eu",
        "/oauth/v2/token",
        "https://",
        "::",
        "https://accounts.zoho.eu:99999",
        "https://accounts.zoho.eu:abc",
        "http://[::1",
    ],
)
def test_normalize_origin_of_a_non_url_is_empty(url):
    assert normalize_origin(url) == ""


@pytest.mark.parametrize("location", sorted(DATA_CENTERS))
def test_by_accounts_server_finds_each_data_centre(location):
    dc = DATA_CENTERS[location]
    assert by_accounts_server(dc.accounts_server + "/") is dc


@pytest.mark.parametrize(
    "url",
    [
        "https://accounts.zoho.eu.evil.example",
        "https://evil.example/https://accounts.zoho.eu",
        "https://accounts.zoho.eu@evil.example",
        "http://accounts.zoho.eu",
        "https://accounts.zoho.eu:8443",
        "https://evilaccounts.zoho.com",
        "",
    ],
)
def test_by_accounts_server_rejects_lookalikes(url):
    assert by_accounts_server(url) is None


@pytest.mark.parametrize("prefix", ["www", "sandbox", "developer"])
@pytest.mark.parametrize("location", sorted(PUBLISHED))
def test_by_api_domain_finds_production_sandbox_and_developer(location, prefix):
    host = DATA_CENTERS[location].api_domain.removeprefix("https://www.")
    assert by_api_domain(f"https://{prefix}.{host}/") is DATA_CENTERS[location]


@pytest.mark.parametrize(
    "url",
    ["https://www.zohoapis.com.evil.example", "http://www.zohoapis.com", "https://zohoapis.com"],
)
def test_by_api_domain_rejects_other_hosts(url):
    assert by_api_domain(url) is None
