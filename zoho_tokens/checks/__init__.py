"""System checks for ``settings.ZOHO_TOKENS`` (ids ``zoho_tokens.E0xx`` / ``W0xx``; the
next free ones are ``E020`` and ``W023``).

The checks of what a newcomer wires up around the settings (old keys still needed, the
callback's path, the login backend) are in :mod:`zoho_tokens.checks.wiring`; those of
``LIMITS`` (E019, W019) in :mod:`zoho_tokens.checks.limits`.

A wrong setting is reported by ``manage.py check`` (and so by ``runserver`` and
``migrate``) with a hint, instead of surfacing later as an obscure SDK error.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.db import connections, router

# E019/W019 (LIMITS) live in checks.limits; importing it here registers them.
from zoho_tokens.checks import limits as _limits  # noqa: F401

# The checks of a newcomer's wiring (W020-W022, and E003/E007's suggestion) live in
# checks.wiring; importing it here registers them.
from zoho_tokens.checks.wiring import data_center_suggestion
from zoho_tokens.conf import CONSENT_MODES, DEFAULTS, zoho_settings
from zoho_tokens.conf.datacenters import DATA_CENTERS
from zoho_tokens.conf.sdk_folder import HINT, folder_problem, resource_path
from zoho_tokens.conf.transport import is_http_url, transport_messages
from zoho_tokens.exceptions import ImproperlyConfiguredZoho
from zoho_tokens.models import ZohoToken
from zoho_tokens.models.crypto import KEY_COMMAND, configured_fernet_keys, invalid_key_position
from zoho_tokens.tokens.sqlite import takes_write_lock_first

#: E006's hint per URL setting: what a right value looks like for that setting.
URL_HINTS = {
    "ACCOUNTS_URL": "Give the accounts server's full URL, e.g. https://accounts.zoho.eu "
    "(or the fake Zoho's http://127.0.0.1:8765), or remove the key to use DATA_CENTER's.",
    "API_DOMAIN": "Give the API domain's full URL, e.g. https://www.zohoapis.eu, or remove "
    "the key to use DATA_CENTER's.",
    "REDIRECT_URI": "Give the absolute URL of this site's zoho_tokens:callback view, exactly "
    "as registered in Zoho's API console, e.g. https://crm-tools.example.com/zoho/callback/, "
    "or remove the key to build it from the request.",
}
E004_HINT = (
    f"Generate a key with {KEY_COMMAND}; keep the old keys after the new one until "
    "`manage.py rotate_zoho_token_keys` has run."
)

#: Scopes without which the SDK cannot find out who a token belongs to.
USER_LOOKUP_SCOPES = ("ZohoCRM.users.READ", "ZohoCRM.org.READ")


def _not_one_of(message: str, advice: str, known: Iterable[str], check_id: str) -> Error:
    """The error for a value that is none of ``known``, whose hint lists them."""
    return Error(message, hint=f"{advice}: {', '.join(sorted(known))}.", id=check_id)


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


@register("zoho_tokens")
def check_data_center(**kwargs: Any) -> list[CheckMessage]:
    """E003: the data centre is one Zoho has; E006: URL overrides are URLs."""
    errors: list[CheckMessage] = []
    if zoho_settings.DATA_CENTER not in DATA_CENTERS:
        configured = zoho_settings.raw("DATA_CENTER")
        message = f"ZOHO_TOKENS['DATA_CENTER'] is {configured!r}, which is not a Zoho data centre"
        suggestion = data_center_suggestion(configured)
        message += f"; did you mean {suggestion!r}?" if suggestion else "."
        errors.append(_not_one_of(message, "Use one of", DATA_CENTERS, "zoho_tokens.E003"))
    for key, hint in URL_HINTS.items():
        value = zoho_settings.raw(key)
        if value is not None and not is_http_url(value):
            errors.append(
                Error(
                    f"ZOHO_TOKENS[{key!r}] is not an absolute http(s) URL.",
                    hint=hint,
                    id="zoho_tokens.E006",
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
    if zoho_settings.ENCRYPTION_KEYS:
        return []
    return [
        Warning(
            "ZOHO_TOKENS['ENCRYPTION_KEYS'] is not set: tokens are encrypted with a key "
            "derived from SECRET_KEY.",
            hint="Set dedicated keys (tokens stored so far stay readable; then run "
            "`manage.py rotate_zoho_token_keys`), or when you change SECRET_KEY keep the old "
            "one in SECRET_KEY_FALLBACKS until that command has run.",
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
            hint="Add them to SCOPES (the default SCOPES has them): without them the SDK "
            'cannot tell whose token it holds ("<email>:<org zgid>"), and every user\'s '
            "token would look the same.",
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


@register("zoho_tokens")
def check_data_center_settings(**kwargs: Any) -> list[CheckMessage]:
    """E007: per-data-centre settings name known data centres and hold URLs; E008: a
    data centre listed with its own URLs has a client secret; E009: a known consent mode."""
    errors: list[CheckMessage] = []
    for key in ("CLIENT_SECRETS", "DATA_CENTER_OVERRIDES"):
        value = zoho_settings.raw(key)
        if value is None:
            continue
        if not isinstance(value, dict):
            errors.append(
                Error(
                    f"ZOHO_TOKENS[{key!r}] is not a dict of data-centre codes.",
                    hint=f'For example {{"eu": ...}}; known codes: {_codes()}.',
                    id="zoho_tokens.E007",
                )
            )
            continue
        errors.extend(
            Error(
                f"ZOHO_TOKENS[{key!r}] names {location!r}, which is not a Zoho data centre"
                + (f"; did you mean {hint!r}?" if hint else "."),
                hint=f"Use the data centre's code: {_codes()}.",
                id="zoho_tokens.E007",
            )
            for location in value
            if str(location).lower() not in DATA_CENTERS
            for hint in [data_center_suggestion(location)]
        )
    for location, urls in zoho_settings.DATA_CENTER_OVERRIDES.items():
        bad = [name for name, url in urls.items() if not is_http_url(url)]
        unknown = set(urls) - {"accounts_server", "api_domain"}
        if bad or unknown:
            errors.append(
                Error(
                    f"ZOHO_TOKENS['DATA_CENTER_OVERRIDES'][{location!r}] must map "
                    "'accounts_server' and/or 'api_domain' to absolute http(s) URLs.",
                    hint='For example {"accounts_server": "https://accounts-proxy.example.com"}.',
                    id="zoho_tokens.E007",
                )
            )
        if location in DATA_CENTERS and not zoho_settings.client_secret_for(location):
            errors.append(
                Error(
                    f"There is no client secret for the data centre {location!r}.",
                    hint=f"Set ZOHO_TOKENS['CLIENT_SECRETS'][{location!r}] or CLIENT_SECRET.",
                    id="zoho_tokens.E008",
                )
            )
    if zoho_settings.INCREMENTAL_CONSENT not in CONSENT_MODES:
        errors.append(
            Error(
                f"ZOHO_TOKENS['INCREMENTAL_CONSENT'] is {zoho_settings.INCREMENTAL_CONSENT!r}.",
                hint='Use "full" (a new consent for all scopes) or "enhance" (Zoho\'s '
                "incremental authorisation).",
                id="zoho_tokens.E009",
            )
        )
    return errors


def _codes() -> str:
    return ", ".join(sorted(DATA_CENTERS))


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
            messages.append(_not_one_of(message, "Use some of", SERVICES, "zoho_tokens.E016"))
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
