"""Where a token may go: the one host every URL parser reads in a URL, or a refusal.

Deciding a URL's host with one parser while the HTTP library connects with another is how
tokens leak: for ``https://evil.example\\@www.zohoapis.com/``, ``urllib.parse`` reads the
host ``www.zohoapis.com`` while urllib3 (and so ``requests``) connects to
``evil.example``. Tabs, newlines, ``%``-escapes, user info, full-width dots (``。``) and
other scripts' letters open more such gaps. So :func:`plain_origin` accepts only URLs
written plainly (``http``/``https``, then a host of ASCII letters, digits, dots and
hyphens or an IPv6 literal, an optional port, and nothing else before the path: no user
info, blank, backslash or ``%``-escape) and then checks
that ``urllib.parse``, urllib3's ``parse_url`` and ``requests``' own preparation (read back
the way its adapter picks the connection) all name that same host; any disagreement is
refused. :func:`checked_destination` adds the allow-list; the API session calls it once per
URL and again on the prepared request, at the moment it is sent.

The API domain in Zoho's token answer is a destination too: :func:`trusted_api_domain`
accepts only Zoho's API domains of the token's data centre (production, sandbox,
developer) or the configured ``API_DOMAIN`` / ``DATA_CENTER_OVERRIDES``.

(This module imports ``requests`` to read URLs the way ``requests`` does; it sends nothing.)
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.util import parse_url

from zoho_tokens.conf import SettingsMemo, zoho_settings
from zoho_tokens.conf.datacenters import DATA_CENTERS
from zoho_tokens.exceptions import UntrustedAPIDomainError, UntrustedHostError

__all__ = [
    "Origin",
    "api_domain_for",
    "canonical_origins",
    "checked_destination",
    "default_api_domain",
    "plain_origin",
    "trusted_api_domain",
    "trusted_api_domains",
]

#: The longest part of a refused URL quoted in an error (they end up in logs).
QUOTE_LIMIT = 120

_DEFAULT_PORTS = {"http": 80, "https": 443}

# A URL written plainly. The host: DNS labels (no trailing dot, which names the same host
# under another spelling) or a bracketed IPv6 literal; an optional port; then the path,
# query or fragment, which only has to start where every parser ends the host. What follows
# is left to requests (which escapes spaces, say): the parsers' readings are compared anyway.
_PLAIN_URL = re.compile(
    r"(?P<scheme>https?)://"
    r"(?P<authority>(?P<host>[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?|\[[0-9a-f:.]+\])"
    r"(?::(?P<port>[0-9]{1,5}))?)"
    r"(?:[/?#].*)?",
    re.IGNORECASE | re.ASCII | re.DOTALL,
)


class Origin(NamedTuple):
    """Where a URL connects: scheme, host (lower case, IPv6 without brackets) and port."""

    scheme: str
    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = "" if _DEFAULT_PORTS.get(self.scheme) == self.port else f":{self.port}"
        return f"{self.scheme}://{host}{port}"


def _origin(scheme: str | None, host: str | None, port: int | None) -> Origin | None:
    scheme = (scheme or "").lower()
    host = (host or "").lower().removeprefix("[").removesuffix("]")
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    return Origin(scheme, host, port if port is not None else _DEFAULT_PORTS[scheme])


def _by_urllib(url: str) -> Origin | None:
    parts = urlsplit(url)
    return _origin(parts.scheme, parts.hostname, parts.port)


def _by_urllib3(url: str) -> Origin | None:
    parts = parse_url(url)
    return _origin(parts.scheme, parts.host, parts.port)


def _by_requests(url: str) -> Origin | None:
    prepared = requests.PreparedRequest()
    prepared.prepare_url(url, None)
    # requests' adapter picks the connection from its prepared URL with urllib.parse.
    return _by_urllib(prepared.url or "")


def _quoted(url: str) -> str:
    return repr(url[:QUOTE_LIMIT] + ("..." if len(url) > QUOTE_LIMIT else ""))


def plain_origin(url: str) -> Origin:
    """The origin of ``url``, which must be written plainly and read alike by every parser.

    Raises :class:`~zoho_tokens.exceptions.UntrustedHostError` for anything else: another
    scheme, user info, a blank or control character, a backslash, a ``%``-escape or a
    non-ASCII character before the path, a bad port, or parsers that disagree.
    """
    if not isinstance(url, str):
        raise UntrustedHostError(f"{type(url).__name__} is not a URL; nothing was sent.")
    match = _PLAIN_URL.fullmatch(url)
    if match is None:
        raise UntrustedHostError(
            f"{_quoted(url)} is not a plainly written http(s) URL (user info, blanks, "
            "backslashes, %-escapes or non-ASCII characters in the host, or a bad port); "
            "nothing was sent to it."
        )
    origin = _agreed_origin(match["scheme"], match["authority"])
    if origin is None:
        raise UntrustedHostError(
            f"URL parsers disagree on the host of {_quoted(url)}; nothing was sent to it."
        )
    return origin


@lru_cache(maxsize=1024)
def _agreed_origin(scheme: str, authority: str) -> Origin | None:
    """The origin every parser reads in ``scheme://authority/``, or None.

    The plain form ends the authority with ``/``, ``?``, ``#`` or the end of the URL, where
    every parser ends it too, so what follows cannot change their readings: only this
    prefix is read, once per authority (three parses cost about 0.1 ms, on every request).
    """
    match = _PLAIN_URL.fullmatch(f"{scheme}://{authority}")
    port = match["port"] if match else None
    if match is None or (port is not None and not 0 < int(port) <= 65535):
        return None
    expected = _origin(scheme, match["host"], None if port is None else int(port))
    prefix = f"{scheme}://{authority}/"
    try:
        readings = {_by_urllib(prefix), _by_urllib3(prefix), _by_requests(prefix)}
    except (ValueError, Urllib3Error, requests.RequestException):
        return None
    return expected if readings == {expected} else None


def checked_destination(url: str, allowed: frozenset[str]) -> Origin:
    """The origin of ``url`` when it is one of ``allowed`` (origins such as
    ``https://www.zohoapis.eu``); :class:`~zoho_tokens.exceptions.UntrustedHostError`
    otherwise (see :func:`plain_origin` for how the URL is read)."""
    origin = plain_origin(url)
    if str(origin) not in canonical_origins(allowed):
        raise UntrustedHostError(
            f"{origin} is not a Zoho host of this token's data centre; its token is never "
            "sent there."
        )
    return origin


@lru_cache(maxsize=256)
def canonical_origins(urls: frozenset[str]) -> frozenset[str]:
    """The origins of ``urls`` as :class:`Origin` writes them (no default port); a URL
    that is not plainly written names none."""
    origins = set()
    for url in urls:
        try:
            origins.add(str(plain_origin(url)))
        except UntrustedHostError:
            continue
    return frozenset(origins)


def default_api_domain(location: str | None) -> str:
    """The API domain of data centre ``location`` when Zoho named none: the configured
    ``API_DOMAIN`` for the default data centre, the (overridden) table's for the others."""
    data_center = zoho_settings.data_center_for(location)
    if data_center is None or data_center.location == zoho_settings.DATA_CENTER:
        return zoho_settings.data_center.api_domain
    return data_center.api_domain


#: The settings :func:`trusted_api_domains` and :func:`default_api_domain` read (the last
#: through ``zoho_settings.data_center``): a changed one works every API domain out anew.
_API_DOMAIN_SETTINGS = SettingsMemo(
    "DATA_CENTER", "API_DOMAIN", "DATA_CENTER_OVERRIDES", "ACCOUNTS_URL"
)


def api_domain_for(stored: str | None, location: str | None) -> str:
    """Where a stored token's API calls go: its stored API domain, still trusted for its
    data centre (:func:`trusted_api_domain`: the settings may have changed since), or for
    a token stored without one, :func:`default_api_domain`.

    Asked before every call: the answer is kept per (stored domain, location) until one
    of the settings it depends on changes; a refusal is never kept (it is raised anew).
    """
    return _API_DOMAIN_SETTINGS.get(
        (stored, location),
        lambda: trusted_api_domain(stored, location) if stored else default_api_domain(location),
    )


def trusted_api_domains(location: str | None) -> set[str]:
    """Every API domain a token of data centre ``location`` may be given by Zoho: Zoho's
    own (``www``, ``sandbox`` and ``developer``), its ``DATA_CENTER_OVERRIDES`` entry, and
    ``API_DOMAIN`` (a host of the site's own, such as a proxy in front of Zoho or the fake
    Zoho, which tokens from ``ACCOUNTS_URL`` of any data centre may name)."""
    location = (location or zoho_settings.DATA_CENTER).lower()
    trusted = {default_api_domain(location)}
    if zoho_settings.API_DOMAIN:
        trusted.add(zoho_settings.API_DOMAIN)
    overridden = zoho_settings.data_center_for(location)
    if overridden is not None:
        trusted.add(overridden.api_domain)
    zoho = DATA_CENTERS.get(location)
    if zoho is not None:
        suffix = (urlsplit(zoho.api_domain).hostname or "").removeprefix("www.")
        trusted |= {f"https://{prefix}.{suffix}" for prefix in ("www", "sandbox", "developer")}
    return trusted


def trusted_api_domain(api_domain: str, location: str | None) -> str:
    """``api_domain`` (without a trailing slash) when it is one of
    :func:`trusted_api_domains` for ``location``: one of them exactly, or a bare origin
    spelled otherwise (``https://www.zohoapis.eu/`` and ``HTTPS://WWW.ZOHOAPIS.EU:443`` pass
    as ``https://www.zohoapis.eu``; with a path, user info or anything else, it does not).

    Raises :class:`~zoho_tokens.exceptions.UntrustedAPIDomainError` otherwise: the access
    token is never sent to an API domain Zoho's answer named unless it is Zoho's.
    """
    trusted = trusted_api_domains(location)
    given = api_domain.rstrip("/")
    if given.lower() in {domain.lower() for domain in trusted}:
        return given
    try:
        origin = plain_origin(given)
    except UntrustedHostError:
        origin = None
    # Only a bare origin (no path, query or fragment), compared by its canonical spelling.
    is_bare = origin is not None and given.lower() in {str(origin), _with_port(origin)}
    if is_bare and str(origin) in canonical_origins(frozenset(trusted)):
        return str(origin)
    raise UntrustedAPIDomainError(
        f"Zoho's answer named the API domain {_quoted(str(api_domain))}, which is not a Zoho "
        f"API domain of the data centre {location or zoho_settings.DATA_CENTER!r}; no token "
        "is sent there and nothing was saved. If it is right (a new Zoho domain, a proxy), "
        "set ZOHO_TOKENS['DATA_CENTER_OVERRIDES'][location]['api_domain'] (or API_DOMAIN "
        "for the default data centre)."
    )


def _with_port(origin: Origin) -> str:
    """``origin`` with its port written even when it is the scheme's default."""
    host = f"[{origin.host}]" if ":" in origin.host else origin.host
    return f"{origin.scheme}://{host}:{origin.port}"
