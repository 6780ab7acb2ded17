"""System checks for ``settings.ZOHO_TOKENS`` (ids ``zoho_tokens.E0xx`` / ``W0xx``; the
next free ones are ``E020`` and ``W023``).

The data centres' checks (E003, E006-E009) are in :mod:`zoho_tokens.checks.data_centres`.
The checks of what a newcomer wires up around the settings (old keys still needed, the
callback's path, the login backend) are in :mod:`zoho_tokens.checks.wiring`; those of
``LIMITS`` (E019, W019) in :mod:`zoho_tokens.checks.limits`.

A wrong setting is reported by ``manage.py check`` (and so by ``runserver`` and
``migrate``) with a hint, instead of surfacing later as an obscure SDK error.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.db import connections, router

# E019/W019 (LIMITS) live in checks.limits; importing it here registers them.
from zoho_tokens.checks import limits as _limits  # noqa: F401

# The checks of a newcomer's wiring (W020-W022, and E003/E007's suggestion) live in
# checks.wiring; importing it here registers them.
from zoho_tokens.checks import wiring as _wiring  # noqa: F401

# E003, E006-E009 (the data centres) live in checks.data_centres; importing it registers them.
from zoho_tokens.checks.data_centres import URL_HINTS as URL_HINTS
from zoho_tokens.checks.data_centres import check_data_center as check_data_center
from zoho_tokens.checks.data_centres import (
    check_data_center_settings as check_data_center_settings,
)
from zoho_tokens.checks.data_centres import not_one_of
from zoho_tokens.conf import DEFAULTS, zoho_settings
from zoho_tokens.conf.sdk_folder import HINT, folder_problem, resource_path
from zoho_tokens.conf.transport import transport_messages
from zoho_tokens.exceptions import ImproperlyConfiguredZoho
from zoho_tokens.models import ZohoToken
from zoho_tokens.models.crypto import KEY_COMMAND, configured_fernet_keys, invalid_key_position
from zoho_tokens.tokens.sqlite import takes_write_lock_first

E004_HINT = (
    f"Generate a key with {KEY_COMMAND}; keep the old keys after the new one until "
    "`manage.py rotate_zoho_token_keys` has run."
)

#: Scopes without which the SDK cannot find out who a token belongs to.
USER_LOOKUP_SCOPES = ("ZohoCRM.users.READ", "ZohoCRM.org.READ")


def _when(problem: bool, message: CheckMessage) -> list[CheckMessage]:
    """``message`` alone when there is a ``problem``, else nothing to report."""
    return [message] if problem else []


@register(Tags.security, "zoho_tokens")
def check_client_credentials(**kwargs: Any) -> list[CheckMessage]:
    """E001/E002: the OAuth client id and secret are set."""
    errors: list[CheckMessage] = []
    if not zoho_settings.CLIENT_ID:
        errors.append(
            Error(
                "ZOHO_TOKENS['CLIENT_ID'] is not set.",
                hint="Set the environment variable your settings read it from (e.g. "
                "ZOHO_CLIENT_ID); the id comes from a server-based client in Zoho's API "
                "console (https://api-console.zoho.com). To try the app without Zoho, "
                "`python -m zoho_tokens.testing` prints the values of its fake Zoho.",
                id="zoho_tokens.E001",
            )
        )
    if not zoho_settings.client_secret_for(zoho_settings.DATA_CENTER):
        errors.append(
            Error(
                "ZOHO_TOKENS['CLIENT_SECRET'] is not set.",
                hint="Set the environment variable your settings read it from (e.g. "
                "ZOHO_CLIENT_SECRET) to the client secret shown in Zoho's API console; keep "
                "it out of version control.",
                id="zoho_tokens.E002",
            )
        )
    return errors


@register(Tags.security, "zoho_tokens")
def check_encryption_keys(**kwargs: Any) -> list[CheckMessage]:
    """E004: every configured encryption key is a valid Fernet key."""
    position = invalid_key_position(zoho_settings.ENCRYPTION_KEYS or ())
    if position is not None:
        message = (
            f"ZOHO_TOKENS['ENCRYPTION_KEYS'][{position}] is not a valid Fernet key "
            "(32 url-safe base64-encoded bytes)."
        )
        return [Error(message, hint=E004_HINT, id="zoho_tokens.E004")]
    try:
        configured_fernet_keys()
    except ImproperlyConfiguredZoho as err:
        return [Error(str(err), hint=E004_HINT, id="zoho_tokens.E004")]
    return []


@register(Tags.security, "zoho_tokens", deploy=True)
def check_dedicated_keys(**kwargs: Any) -> list[CheckMessage]:
    """W001 (deploy): keys derived from SECRET_KEY tie every token to that key."""
    return _when(
        not zoho_settings.ENCRYPTION_KEYS,
        Warning(
            "ZOHO_TOKENS['ENCRYPTION_KEYS'] is not set: tokens are encrypted with a key "
            "derived from SECRET_KEY.",
            hint="Set dedicated keys (tokens stored so far stay readable; then run "
            "`manage.py rotate_zoho_token_keys`), or when you change SECRET_KEY keep the old "
            "one in SECRET_KEY_FALLBACKS until that command has run.",
            id="zoho_tokens.W001",
        ),
    )


@register("zoho_tokens")
def check_scopes(**kwargs: Any) -> list[CheckMessage]:
    """E005: the scopes include what the SDK needs to identify a user."""
    missing = [scope for scope in USER_LOOKUP_SCOPES if scope not in zoho_settings.SCOPES]
    return _when(
        bool(missing),
        Error(
            "ZOHO_TOKENS['SCOPES'] lacks " + ", ".join(missing) + ".",
            hint="Add them to SCOPES (the default SCOPES has them): without them the SDK "
            'cannot tell whose token it holds ("<email>:<org zgid>"), and every user\'s '
            "token would look the same.",
            id="zoho_tokens.E005",
        ),
    )


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


@register("zoho_tokens")
def check_services(**kwargs: Any) -> list[CheckMessage]:
    """E016: SERVICES names known services; W016: SCOPES has every scope each one needs.

    Only when SERVICES is set: the default (the CRM alone) is E005's to check, and a project
    may ask for narrower CRM scopes than the table's.
    """
    from zoho_tokens.api.services import SERVICES

    messages: list[CheckMessage] = []
    if zoho_settings.raw("SERVICES") is None:
        return messages
    for name, scopes in zoho_settings.SERVICES.items():
        service = SERVICES.get(name)
        if service is None:
            message = f"ZOHO_TOKENS['SERVICES'] names {name!r}, which is not a Zoho service this package knows."
            messages.append(not_one_of(message, "Use some of", SERVICES, "zoho_tokens.E016"))
            continue
        # E005 already reports the scopes that identify a user.
        missing = [
            s
            for s in scopes or service.scopes
            if s not in zoho_settings.SCOPES and s not in USER_LOOKUP_SCOPES
        ]
        if missing:
            messages.append(
                Warning(
                    f"ZOHO_TOKENS['SCOPES'] lacks {', '.join(missing)}, which "
                    f"{service.label} needs (ZOHO_TOKENS['SERVICES']).",
                    hint="Add them to SCOPES; users who connected before must connect Zoho "
                    "again to grant them.",
                    id="zoho_tokens.W016",
                )
            )
    return messages


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


@register(Tags.security, "zoho_tokens", deploy=True)
def check_transport(**kwargs: Any) -> list[CheckMessage]:
    """With ``DEBUG`` off (deploy): E017, a Zoho URL over plain HTTP to another machine;
    W017, a Zoho URL on this machine; E019, a Zoho URL with user info; W018, the fake
    Zoho's client id (see
    :func:`zoho_tokens.conf.transport.transport_messages`)."""
    return [] if settings.DEBUG else transport_messages()


@register(Tags.security, "zoho_tokens")
def check_sdk_folder(**kwargs: Any) -> list[CheckMessage]:
    """E018: the Zoho SDK's resource folder, if it exists, is private to this user."""
    path = resource_path()
    problem = folder_problem(path)
    if problem is None:
        return []
    return [Error(f"The Zoho SDK's folder {path!r} {problem}.", hint=HINT, id="zoho_tokens.E018")]
