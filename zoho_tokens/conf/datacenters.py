"""The Zoho data centres: where each location's accounts server and CRM API live.

A user's data centre is decided by Zoho at consent time and reported back to us in the
callback's ``accounts-server`` parameter, which comes from the browser. This table is the
allow-list that decides which hosts may ever receive our client secret.

Sources: the SDK's data-centre classes (``zohocrmsdk/src/com/zoho/crm/api/dc/*_data_center.py``
in ``zohocrmsdk8_0`` 7.0.0: US, EU, IN, AU, JP, CA, SA, CN, with their accounts URLs and API
domains), and Zoho's "Multi DC" OAuth page (https://www.zoho.com/accounts/protocol/oauth/multi-dc.html)
for the list of accounts servers. The UK entry's API domain is unconfirmed (the SDK has no UK
class): a token's own ``api_domain``, from Zoho's token response, always wins over this table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class DataCenter:
    """One Zoho data centre: its short location code, accounts server and CRM API domain."""

    location: str
    accounts_server: str
    api_domain: str

    @property
    def token_url(self) -> str:
        """The OAuth token endpoint, as the SDK's ``Environment.accounts_url`` expects it."""
        return token_url(self.accounts_server)


def token_url(accounts_server: str) -> str:
    """The OAuth token endpoint of ``accounts_server`` (any accounts server, a proxy's too)."""
    return f"{accounts_server.rstrip('/')}/oauth/v2/token"


DATA_CENTERS: dict[str, DataCenter] = {
    dc.location: dc
    for dc in (
        DataCenter("us", "https://accounts.zoho.com", "https://www.zohoapis.com"),
        DataCenter("eu", "https://accounts.zoho.eu", "https://www.zohoapis.eu"),
        DataCenter("in", "https://accounts.zoho.in", "https://www.zohoapis.in"),
        DataCenter("au", "https://accounts.zoho.com.au", "https://www.zohoapis.com.au"),
        DataCenter("jp", "https://accounts.zoho.jp", "https://www.zohoapis.jp"),
        DataCenter("ca", "https://accounts.zohocloud.ca", "https://www.zohoapis.ca"),
        DataCenter("sa", "https://accounts.zoho.sa", "https://www.zohoapis.sa"),
        DataCenter("cn", "https://accounts.zoho.com.cn", "https://www.zohoapis.com.cn"),
        # Zoho has not published the UK API domain alongside the SDK (it has no UK class);
        # it follows the naming every other data centre uses.
        DataCenter("uk", "https://accounts.zoho.uk", "https://www.zohoapis.uk"),
    )
}


def normalize_origin(url: str) -> str:
    """Reduce a URL to ``scheme://host[:port]`` in lower case, for exact comparisons.

    Paths, queries, user info and trailing slashes are dropped, so that
    ``https://accounts.zoho.eu/`` and ``HTTPS://Accounts.Zoho.EU`` compare equal while
    ``https://accounts.zoho.eu.evil.example`` does not.
    """
    try:
        parts = urlsplit(url.strip())
        port_number = parts.port
    except ValueError:
        # A bad port or IPv6 literal: the value may come from a browser, so it is no origin
        # rather than an error.
        return ""
    if not parts.scheme or not parts.hostname:
        return ""
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"  # IPv6 literals keep their brackets, as URLs need them
    port = f":{port_number}" if port_number else ""
    return f"{parts.scheme.lower()}://{host}{port}"


def by_accounts_server(
    url: str, data_centers: Mapping[str, DataCenter] = DATA_CENTERS
) -> DataCenter | None:
    """The data centre of ``data_centers`` (default: Zoho's) whose accounts server is
    ``url``, or None for any other host."""
    origin = normalize_origin(url)
    for dc in data_centers.values():
        if dc.accounts_server == origin:
            return dc
    return None


def known_location(code: str) -> str | None:
    """``code`` if it is one of Zoho's data centre codes (``us``, ``eu`` ...), else None.

    The callback's ``location`` comes from the browser: only a known code may be stored.
    """
    code = code.strip().lower()
    return code if code in DATA_CENTERS else None


def by_api_domain(url: str) -> DataCenter | None:
    """The data centre whose CRM API domain (production, sandbox or developer) is ``url``."""
    origin = normalize_origin(url)
    for dc in DATA_CENTERS.values():
        host = urlsplit(dc.api_domain).hostname or ""
        suffix = host.removeprefix("www.")
        if origin in {f"https://{prefix}.{suffix}" for prefix in ("www", "sandbox", "developer")}:
            return dc
    return None
