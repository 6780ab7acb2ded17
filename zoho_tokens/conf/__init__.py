"""The one place that reads ``settings.ZOHO_TOKENS``.

Every value is read live on each access, so ``override_settings`` and pytest-django's
``settings`` fixture work, and nothing is ever written back onto ``django.conf.settings``.
Import the ready-made instance: ``from zoho_tokens.conf import zoho_settings``.

What is costly to work out from the values read (``LIMITS``, a token's API domain) is kept
in a :class:`SettingsMemo`, and worked out again as soon as a value it came from differs
from the one it was worked out from: however the setting changed (``override_settings``,
an assignment to ``settings.ZOHO_TOKENS``, a dict changed in place).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Hashable, Sequence
from typing import Any, Generic, TypeVar, cast, overload

from django.conf import settings

from zoho_tokens.conf.datacenters import (
    DATA_CENTERS,
    DataCenter,
    by_accounts_server,
    normalize_origin,
)
from zoho_tokens.conf.defaults import CONSENT_MODES as CONSENT_MODES
from zoho_tokens.conf.defaults import DEFAULT_SCOPES as DEFAULT_SCOPES
from zoho_tokens.conf.defaults import DEFAULTS as DEFAULTS
from zoho_tokens.conf.limits import LimitsSettings, limits_settings

_Value = TypeVar("_Value")


def _configured() -> dict[str, Any]:
    return getattr(settings, "ZOHO_TOKENS", None) or {}


class SettingsMemo:
    """Values worked out from some keys of ``ZOHO_TOKENS`` (and an argument), kept while
    those keys keep their values.

    Each :meth:`get` reads the keys (live, as every setting) and compares them, by
    equality, with a private deep copy of the values the kept results were worked out
    from; when any differs, every kept result is dropped. A result is kept only when the
    keys still hold the same values after it was computed; an exception is never kept.
    At most ``size`` results are kept.
    """

    def __init__(self, *keys: str, size: int = 64) -> None:
        self._keys = keys
        self._size = size
        #: (a deep copy of the keys' values, {argument: result}); never equal at first.
        self._state: tuple[tuple[Any, ...] | None, dict[Hashable, Any]] = (None, {})

    def _current(self) -> tuple[Any, ...]:
        configured = _configured()
        return tuple(configured.get(key) for key in self._keys)

    def get(self, argument: Hashable, compute: Callable[[], _Value]) -> _Value:
        """The result for ``argument``: kept, or ``compute()`` (then kept)."""
        current = self._current()
        basis, results = self._state
        if basis != current:
            try:
                basis = copy.deepcopy(current)
            except (TypeError, copy.Error):  # a value that cannot be copied: every time
                return compute()
            results = {}
            self._state = (basis, results)
        try:
            return cast("_Value", results[argument])
        except KeyError:
            pass
        value = compute()
        if self._current() == basis:  # not changed meanwhile (another thread's override)
            if len(results) >= self._size:
                results.clear()
            results[argument] = value
        return value


class _Setting(Generic[_Value]):
    """One key of ``ZOHO_TOKENS``, read live on every access and converted to its type.

    The attribute's name is the key; a key absent or set to None (typically
    ``os.environ.get(...)``) gives its default from :data:`DEFAULTS`.
    """

    def __init__(self, convert: Callable[[Any], _Value], doc: str) -> None:
        self._convert = convert
        self.__doc__ = doc
        self._key = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self._key = name

    @overload
    def __get__(self, instance: None, owner: type) -> _Setting[_Value]: ...
    @overload
    def __get__(self, instance: object, owner: type) -> _Value: ...
    def __get__(self, instance: object | None, owner: type) -> _Setting[_Value] | _Value:
        if instance is None:
            return self
        value = _configured().get(self._key)
        return self._convert(DEFAULTS[self._key] if value is None else value)


def _optional_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _lower(value: Any) -> str:
    return str(value).lower()


def _scope_list(value: Any) -> list[str]:
    """A list of scopes, from a list or a comma-separated string."""
    if isinstance(value, str):
        return [scope.strip() for scope in value.split(",") if scope.strip()]
    return list(value)


class ZohoTokensSettings:
    """Typed, live access to ``settings.ZOHO_TOKENS`` with defaults filled in."""

    CLIENT_ID = _Setting(_optional_str, "The OAuth client id registered in Zoho's API console.")
    CLIENT_SECRET = _Setting(_optional_str, "The OAuth client secret that goes with ``CLIENT_ID``.")
    SCOPES = _Setting(
        _scope_list,
        "Scopes requested at consent, as a list (a comma-separated string is accepted).",
    )
    EXTRA_SCOPES = _Setting(
        _scope_list,
        "Scopes that may be asked for beyond ``SCOPES``, for one user at a time "
        "(``connect_url(scopes=...)``, ``zoho_tokens:connect?scope=...``). A scope not listed "
        "here or in ``SCOPES`` is never asked for from a query string.",
    )
    DATA_CENTER = _Setting(
        _lower, "The location code of the default data centre (``us``, ``eu``, ``in`` ...)."
    )
    REDIRECT_URI = _Setting(
        _optional_str,
        "The redirect URI registered at Zoho; None means the callback view's absolute URL.",
    )
    REFRESH_MARGIN = _Setting(
        float, "Seconds before expiry at which an access token is refreshed ahead of use."
    )
    HTTP_TIMEOUT = _Setting(
        float,
        "Seconds a whole request to Zoho may take (connect, headers and body); for a call of "
        "a ``session_for`` session, the whole call (a refresh and a second send included).",
    )
    STATE_MAX_AGE = _Setting(
        int, "Seconds a consent may take between connect and callback before it is refused."
    )
    LOGIN = _Setting(bool, "Whether anonymous visitors may log in to Django through Zoho.")
    LOGIN_CREATE_USERS = _Setting(
        bool, "Whether log in with Zoho may create a Django user when no email matches."
    )
    ALLOW_ACCOUNT_TRANSFER = _Setting(
        bool,
        "Whether connecting a Zoho account that another Django user holds moves it (True) or "
        "is refused (False, the default).",
    )
    CONNECT_REDIRECT_URL = _Setting(
        str, "Where the callback sends the user when no safe ``next`` was given."
    )
    SDK_RESOURCE_PATH = _Setting(
        _optional_str, "Folder where the SDK caches field metadata; None means a temporary folder."
    )
    INCREMENTAL_CONSENT = _Setting(
        _lower,
        'How more scopes are asked for: ``"full"`` (a new consent for every scope the token '
        'needs; the default) or ``"enhance"`` (Zoho\'s incremental authorisation: the same '
        "refresh token gains the scopes).",
    )

    HISTORY_DAYS = _Setting(
        int,
        "Days a token's history (its events) is kept; ``cleanup_zoho_tokens`` deletes older "
        "events. 0 keeps them for ever.",
    )

    def _get(self, key: str) -> Any:
        # A key set to None (typically ``os.environ.get(...)``) means "use the default".
        value = _configured().get(key)
        return DEFAULTS[key] if value is None else value

    def raw(self, key: str) -> Any:
        """The value exactly as configured, or None when absent (for the system checks)."""
        return _configured().get(key)

    @property
    def configured_keys(self) -> set[str]:
        """The keys present in the user's ``ZOHO_TOKENS`` dict (for the system checks)."""
        return set(_configured())

    @property
    def CLIENT_SECRETS(self) -> dict[str, str]:
        """Client secrets per data centre (``{"eu": "..."}``), for a client whose secret
        differs by data centre (an option in Zoho's API console)."""
        value = self._get("CLIENT_SECRETS")
        if not isinstance(value, dict):
            return {}  # reported by the system checks (zoho_tokens.E007)
        return {str(key).lower(): str(secret) for key, secret in value.items() if secret}

    def client_secret_for(self, location: str | None) -> str | None:
        """The client secret of data centre ``location``: its own from ``CLIENT_SECRETS``,
        else ``CLIENT_SECRET``."""
        own = self.CLIENT_SECRETS.get((location or self.DATA_CENTER).lower())
        return own or self.CLIENT_SECRET

    @property
    def data_center(self) -> DataCenter:
        """The default data centre, with ``ACCOUNTS_URL`` and ``API_DOMAIN`` applied."""
        base = self.data_center_for(self.DATA_CENTER) or self.data_centers()["us"]
        return DataCenter(
            location=base.location,
            accounts_server=normalize_origin(self._get("ACCOUNTS_URL") or "")
            or base.accounts_server,
            api_domain=(self._get("API_DOMAIN") or base.api_domain).rstrip("/"),
        )

    @property
    def DATA_CENTER_OVERRIDES(self) -> dict[str, dict[str, str]]:
        """Per data centre, an ``accounts_server`` and/or ``api_domain`` that replace Zoho's
        (a proxy, or one fake Zoho per data centre in tests)."""
        value = self._get("DATA_CENTER_OVERRIDES")
        if not isinstance(value, dict):
            return {}  # reported by the system checks (zoho_tokens.E007)
        return {
            str(location).lower(): dict(urls)
            for location, urls in value.items()
            if isinstance(urls, dict)
        }

    def data_centers(self) -> dict[str, DataCenter]:
        """Zoho's data-centre table with ``DATA_CENTER_OVERRIDES`` applied."""
        table = dict(DATA_CENTERS)
        for location, urls in self.DATA_CENTER_OVERRIDES.items():
            base = table.get(location)
            if base is None:
                continue  # an unknown location is reported by the system checks
            table[location] = DataCenter(
                location=location,
                accounts_server=normalize_origin(urls.get("accounts_server") or "")
                or base.accounts_server,
                api_domain=str(urls.get("api_domain") or base.api_domain).rstrip("/"),
            )
        return table

    def data_center_for(self, location: str | None) -> DataCenter | None:
        """The data centre ``location`` (overrides applied), or None if Zoho has no such."""
        return self.data_centers().get((location or "").lower())

    def data_center_of_accounts_server(self, url: str) -> DataCenter | None:
        """The data centre whose accounts server is ``url`` (``DATA_CENTER_OVERRIDES``
        applied). ``ACCOUNTS_URL`` belongs to no data centre in particular: a token from
        there keeps the location the callback reported."""
        return by_accounts_server(url, self.data_centers())

    @property
    def ACCOUNTS_URL(self) -> str | None:
        """An accounts server that overrides the data centre's (a proxy, or the fake Zoho)."""
        value = self._get("ACCOUNTS_URL")
        return normalize_origin(value) if value else None

    @property
    def API_DOMAIN(self) -> str | None:
        """A CRM API domain that overrides the data centre's."""
        value = self._get("API_DOMAIN")
        return value.rstrip("/") if value else None

    @property
    def ENCRYPTION_KEYS(self) -> Sequence[str] | None:
        """Fernet keys, newest first; None means keys derived from ``SECRET_KEY``."""
        value = self._get("ENCRYPTION_KEYS")
        if isinstance(value, str):
            return [value]
        return cast("Sequence[str] | None", value)

    @property
    def SERVICES(self) -> dict[str, tuple[str, ...] | None]:
        """The Zoho APIs the project calls as its users, with the scopes each needs.

        A list of service names (``["crm", "books"]``: each needs the scopes the service
        table of :mod:`zoho_tokens.api.services` lists), or a mapping of name to scopes
        (``{"books": ["ZohoBooks.estimates.ALL"]}``). None as scopes means the table's.
        """
        value = self._get("SERVICES")
        if isinstance(value, str):
            value = [value]
        if isinstance(value, dict):
            return {
                str(name).lower(): None
                if scopes is None
                else tuple(scopes.split(",") if isinstance(scopes, str) else scopes)
                for name, scopes in value.items()
            }
        return {str(name).lower(): None for name in value}

    @property
    def LIMITS(self) -> LimitsSettings:
        """How this site keeps within Zoho's limits (:mod:`zoho_tokens.conf.limits`);
        parsed again only when the setting changed (read on every CRM call)."""
        # Parsed from a copy: the settings kept never share a dict with the project's.
        return _LIMITS.get(None, lambda: limits_settings(copy.deepcopy(self._get("LIMITS"))))

    def trusted_accounts_servers(self) -> set[str]:
        """Every accounts server that may receive our client secret."""
        servers = {dc.accounts_server for dc in self.data_centers().values()}
        if self.ACCOUNTS_URL:
            servers.add(self.ACCOUNTS_URL)
        return servers


_LIMITS = SettingsMemo("LIMITS", size=1)

zoho_settings = ZohoTokensSettings()
