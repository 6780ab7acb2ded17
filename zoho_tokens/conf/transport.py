"""How the configured Zoho URLs travel: plain HTTP, a loopback host, or the fake's client.

The fake Zoho (:mod:`zoho_tokens.testing`) is configured with plain-HTTP loopback URLs
and its own client id; pasted into production, the client secret and every refresh token
would go over plain HTTP. :func:`transport_messages` is what the deploy check of
:mod:`zoho_tokens.checks` reports (``E017``, ``W017``, ``W018``).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.core.checks import CheckMessage, Error, Warning

from zoho_tokens.conf import zoho_settings

__all__ = [
    "FAKE_CLIENT_ID",
    "ConfiguredURL",
    "configured_urls",
    "is_http_url",
    "is_loopback",
    "transport_messages",
]

#: The client id the fake Zoho accepts unless told otherwise (``FakeZoho``'s default, which
#: is not imported from there: importing the fake must not start Django's checks).
FAKE_CLIENT_ID = "fake-client-id"


@dataclass(frozen=True)
class ConfiguredURL:
    """One URL of ``ZOHO_TOKENS``: where it is set, and how it travels."""

    #: The setting, as a person would look it up: ``ZOHO_TOKENS['ACCOUNTS_URL']``.
    setting: str
    url: str

    @property
    def host(self) -> str:
        """The URL's host name, lower case ("" when it has none)."""
        try:
            return (urlsplit(self.url).hostname or "").lower()
        except ValueError:
            return ""

    @property
    def plain_http(self) -> bool:
        """Whether requests to it are sent unencrypted."""
        return self.url.strip().lower().startswith("http://")

    @property
    def loopback(self) -> bool:
        """Whether it points at this machine (the fake's URLs, or a local proxy)."""
        return is_loopback(self.host)


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine: ``localhost`` (and ``*.localhost``, which
    resolves there too) or a loopback address (``127.0.0.0/8``, ``::1``)."""
    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_http_url(value: Any) -> bool:
    """Whether ``value`` is an absolute ``http``/``https`` URL with a host (and a port
    that is a number, if any)."""
    if not isinstance(value, str):
        return False
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number)
    except ValueError:
        return False
    return parts.scheme in {"http", "https"} and bool(parts.hostname)


def configured_urls() -> list[ConfiguredURL]:
    """Every URL of Zoho set in ``ZOHO_TOKENS`` (``ACCOUNTS_URL``, ``API_DOMAIN`` and those
    of ``DATA_CENTER_OVERRIDES``), skipping values that are no URL (``E006``/``E007``
    report those)."""
    found = [
        ConfiguredURL(f"ZOHO_TOKENS[{key!r}]", zoho_settings.raw(key))
        for key in ("ACCOUNTS_URL", "API_DOMAIN")
    ]
    overrides = zoho_settings.raw("DATA_CENTER_OVERRIDES")
    if isinstance(overrides, dict):
        for location, urls in overrides.items():
            for name, url in urls.items() if isinstance(urls, dict) else ():
                setting = f"ZOHO_TOKENS['DATA_CENTER_OVERRIDES'][{location!r}][{name!r}]"
                found.append(ConfiguredURL(setting, url))
    return [item for item in found if is_http_url(item.url)]


def transport_messages() -> list[CheckMessage]:
    """E017 for each Zoho URL over plain HTTP to another machine, W017 for each on this
    machine, W018 for the fake Zoho's client id."""
    messages: list[CheckMessage] = []
    for item in configured_urls():
        if item.plain_http and not item.loopback:
            messages.append(
                Error(
                    f"{item.setting} is plain HTTP to {item.host}: the client secret, refresh "
                    "tokens and access tokens would cross the network unencrypted.",
                    hint="Use https://, or remove the key to use the data centre's own URL.",
                    id="zoho_tokens.E017",
                )
            )
        elif item.loopback:
            messages.append(
                Warning(
                    f"{item.setting} points at this machine ({item.host}): the fake Zoho's "
                    "settings, or a local proxy.",
                    hint="In production remove the key (Zoho's own URLs are used); keep it "
                    "only for a proxy you run on this machine on purpose.",
                    id="zoho_tokens.W017",
                )
            )
    if zoho_settings.CLIENT_ID == FAKE_CLIENT_ID:
        messages.append(
            Warning(
                f"ZOHO_TOKENS['CLIENT_ID'] is the fake Zoho's ({FAKE_CLIENT_ID!r}).",
                hint="Set the client id of your server-based client from Zoho's API console.",
                id="zoho_tokens.W018",
            )
        )
    return messages
