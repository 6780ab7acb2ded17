"""System checks for ``settings.ZOHO_TOKENS`` (ids ``zoho_tokens.E0xx`` / ``W0xx``).

A wrong setting is reported by ``manage.py check`` (and so by ``runserver`` and
``migrate``) with a hint, instead of surfacing later as an obscure SDK error.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.db import connections, router

from zoho_tokens.conf import DEFAULTS, zoho_settings
from zoho_tokens.crypto import configured_fernet_keys
from zoho_tokens.datacenters import DATA_CENTERS
from zoho_tokens.exceptions import ImproperlyConfiguredZoho
from zoho_tokens.models import ZohoToken
from zoho_tokens.sqlite import takes_write_lock_first

#: Scopes without which the SDK cannot find out who a token belongs to.
USER_LOOKUP_SCOPES = ("ZohoCRM.users.READ", "ZohoCRM.org.READ")


def _is_http_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number)
    except ValueError:
        return False
    return parts.scheme in {"http", "https"} and bool(parts.hostname)


@register(Tags.security, "zoho_tokens")
def check_client_credentials(**kwargs: Any) -> list[CheckMessage]:
    """E001/E002: the OAuth client id and secret are set."""
    errors: list[CheckMessage] = []
    if not zoho_settings.CLIENT_ID:
        errors.append(
            Error(
                "ZOHO_TOKENS['CLIENT_ID'] is not set.",
                hint="Register a server-based client in Zoho's API console and copy its id.",
                id="zoho_tokens.E001",
            )
        )
    if not zoho_settings.CLIENT_SECRET:
        errors.append(
            Error(
                "ZOHO_TOKENS['CLIENT_SECRET'] is not set.",
                hint="Copy the client secret from Zoho's API console (keep it out of git).",
                id="zoho_tokens.E002",
            )
        )
    return errors


@register("zoho_tokens")
def check_data_center(**kwargs: Any) -> list[CheckMessage]:
    """E003: the data centre is one Zoho has; E006: URL overrides are URLs."""
    errors: list[CheckMessage] = []
    if zoho_settings.DATA_CENTER not in DATA_CENTERS:
        errors.append(
            Error(
                f"ZOHO_TOKENS['DATA_CENTER'] is {zoho_settings.DATA_CENTER!r}, "
                "which is not a Zoho data centre.",
                hint="Use one of: " + ", ".join(sorted(DATA_CENTERS)) + ".",
                id="zoho_tokens.E003",
            )
        )
    for key in ("ACCOUNTS_URL", "API_DOMAIN", "REDIRECT_URI"):
        value = zoho_settings.raw(key)
        if value is not None and not _is_http_url(value):
            errors.append(
                Error(
                    f"ZOHO_TOKENS[{key!r}] is not an absolute http(s) URL.",
                    hint="Give the full URL, e.g. https://accounts.zoho.eu.",
                    id="zoho_tokens.E006",
                )
            )
    return errors


@register(Tags.security, "zoho_tokens")
def check_encryption_keys(**kwargs: Any) -> list[CheckMessage]:
    """E004: every configured encryption key is a valid Fernet key."""
    try:
        configured_fernet_keys()
    except ImproperlyConfiguredZoho as err:
        return [Error(str(err), id="zoho_tokens.E004")]
    return []


@register(Tags.security, "zoho_tokens", deploy=True)
def check_dedicated_keys(**kwargs: Any) -> list[CheckMessage]:
    """W001 (deploy): keys derived from SECRET_KEY tie every token to that key."""
    if zoho_settings.ENCRYPTION_KEYS:
        return []
    return [
        Warning(
            "ZOHO_TOKENS['ENCRYPTION_KEYS'] is not set: tokens are encrypted with a key "
            "derived from SECRET_KEY.",
            hint="Set dedicated keys, or when you change SECRET_KEY keep the old one in "
            "SECRET_KEY_FALLBACKS until `manage.py rotate_zoho_token_keys` has run.",
            id="zoho_tokens.W001",
        )
    ]


@register("zoho_tokens")
def check_scopes(**kwargs: Any) -> list[CheckMessage]:
    """E005: the scopes include what the SDK needs to identify a user."""
    missing = [scope for scope in USER_LOOKUP_SCOPES if scope not in zoho_settings.SCOPES]
    if not missing:
        return []
    return [
        Error(
            "ZOHO_TOKENS['SCOPES'] lacks " + ", ".join(missing) + ".",
            hint="Without them the SDK cannot tell whose token it holds "
            '("<email>:<org zgid>"), and every user\'s token would look the same.',
            id="zoho_tokens.E005",
        )
    ]


@register("zoho_tokens")
def check_unknown_keys(**kwargs: Any) -> list[CheckMessage]:
    """W002: keys in ZOHO_TOKENS that the app does not know (usually a typo)."""
    unknown = sorted(zoho_settings.configured_keys - set(DEFAULTS))
    return [
        Warning(
            f"ZOHO_TOKENS has an unknown key {key!r}; it is ignored.",
            hint="Known keys: " + ", ".join(sorted(DEFAULTS)) + ".",
            id="zoho_tokens.W002",
        )
        for key in unknown
    ]


@register(Tags.database, "zoho_tokens")
def check_sqlite_transaction_mode(**kwargs: Any) -> list[CheckMessage]:
    """W003: on Django 5.1+, the SQLite database of the tokens begins its transactions with
    the write lock (``OPTIONS["transaction_mode"] = "IMMEDIATE"``)."""
    alias = router.db_for_write(ZohoToken)
    settings_dict = connections[alias].settings_dict
    if settings_dict["ENGINE"] != "django.db.backends.sqlite3" or takes_write_lock_first(
        settings_dict
    ):
        return []
    return [
        Warning(
            f"The SQLite database {alias!r} begins its transactions without the write lock: "
            "concurrent saves of tokens fail with 'database is locked' whatever the timeout.",
            hint=f'Set DATABASES[{alias!r}]["OPTIONS"]["transaction_mode"] = "IMMEDIATE" '
            '(and, for readers that never wait for writers, "init_command": '
            '"PRAGMA journal_mode=WAL").',
            id="zoho_tokens.W003",
        )
    ]
