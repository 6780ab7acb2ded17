"""The checks a newcomer's wiring meets (issue 24): rows that still need an older key
(W020), a ``REDIRECT_URI`` that is not the callback (W021), ``LOGIN`` without its backend
(W022), and the data centre a misspelt code meant (used by E003 and E007).

Each names what is wrong and the one thing to do. Registered by importing
:mod:`zoho_tokens.checks`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register
from django.db import DatabaseError, router
from django.urls import NoReverseMatch, reverse
from django.utils.module_loading import import_string

from zoho_tokens.conf import zoho_settings
from zoho_tokens.conf.datacenters import DATA_CENTERS
from zoho_tokens.exceptions import ImproperlyConfiguredZoho
from zoho_tokens.models import ZohoToken
from zoho_tokens.models.crypto import configured_fernet_keys
from zoho_tokens.tokens.rotation import rotate_keys

__all__ = [
    "check_login_backend",
    "check_redirect_uri_path",
    "check_rows_under_older_keys",
    "data_center_suggestion",
]


@register(Tags.database, "zoho_tokens")
def check_rows_under_older_keys(
    databases: Sequence[str] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """W020 (with ``--database``, and at ``migrate``): rows that still need a key other than
    the first one, e.g. one derived from SECRET_KEY after dedicated keys were set."""
    alias = router.db_for_write(ZohoToken)
    if not databases or alias not in databases:
        return []
    try:
        if len(configured_fernet_keys()) < 2:
            return []  # one key: nothing can be older
        report = rotate_keys(dry_run=True)
    except ImproperlyConfiguredZoho:
        return []  # E004's to report
    except DatabaseError:
        return []  # no table yet (before the first migrate)
    if not report.reencrypted:
        return []
    rows = "row" if report.reencrypted == 1 else "rows"
    return [
        Warning(
            f"{report.reencrypted} Zoho token {rows} still need an older encryption key "
            "(a key derived from SECRET_KEY or SECRET_KEY_FALLBACKS, or one after the first "
            "in ENCRYPTION_KEYS).",
            hint="Run `manage.py rotate_zoho_token_keys` to re-encrypt them with the first "
            "key of ENCRYPTION_KEYS (`--dry-run` counts without writing); once this check "
            "is silent, the older keys can go.",
            id="zoho_tokens.W020",
        )
    ]


@register(Tags.urls, "zoho_tokens")
def check_redirect_uri_path(**kwargs: Any) -> list[CheckMessage]:
    """W021: REDIRECT_URI ends with the callback view's path."""
    value = zoho_settings.raw("REDIRECT_URI")
    try:
        parts = urlsplit(value) if isinstance(value, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            return []  # absent, or E006's
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number)
    except ValueError:
        return []  # E006's
    try:
        callback = reverse("zoho_tokens:callback")
    except NoReverseMatch:
        return []  # the app's URLs are not included (a Self Client-only project)
    path = urlsplit(value).path
    # endswith, not ==: a site served under a prefix (SCRIPT_NAME) has it before the path.
    if path.endswith(callback):
        return []
    return [
        Warning(
            f"ZOHO_TOKENS['REDIRECT_URI'] has the path {path or '/'!r}, but the callback "
            f"view is at {callback!r}: Zoho would send people back to a page that is not it.",
            hint=f"Make the URI end with {callback!r} (Zoho compares it character for "
            "character, trailing slash included), both here and in Zoho's API console; or "
            "remove the key to build it from the request.",
            id="zoho_tokens.W021",
        )
    ]


@register("zoho_tokens")
def check_login_backend(**kwargs: Any) -> list[CheckMessage]:
    """W022: LOGIN is on, but no ZohoAccountBackend is in AUTHENTICATION_BACKENDS."""
    if not zoho_settings.LOGIN or _has_zoho_backend(settings.AUTHENTICATION_BACKENDS):
        return []
    return [
        Warning(
            "ZOHO_TOKENS['LOGIN'] is on, but AUTHENTICATION_BACKENDS has no "
            "ZohoAccountBackend: log in with Zoho refuses everyone.",
            hint='Add "zoho_tokens.backends.ZohoAccountBackend" to AUTHENTICATION_BACKENDS '
            '(keep "django.contrib.auth.backends.ModelBackend" for passwords), or set LOGIN '
            "to False.",
            id="zoho_tokens.W022",
        )
    ]


def _has_zoho_backend(paths: Iterable[str]) -> bool:
    """Whether one of ``paths`` is ZohoAccountBackend or a subclass of it."""
    from zoho_tokens.backends import ZohoAccountBackend

    for path in paths:
        try:
            backend = import_string(path)
        except ImportError:
            continue  # Django's own checks and first login report it
        if isinstance(backend, type) and issubclass(backend, ZohoAccountBackend):
            return True
    return False


def data_center_suggestion(value: Any) -> str | None:
    """The data centre code ``value`` probably meant (``" EU "`` -> ``"eu"``,
    ``"zoho.eu"`` -> ``"eu"``), or None when there is no likely one."""
    text = str(value).strip().lower().lstrip(".")
    text = text.removeprefix("https://").removeprefix("accounts.").removeprefix("zoho.")
    if text in DATA_CENTERS:
        return text
    for code, dc in DATA_CENTERS.items():
        host = urlsplit(dc.accounts_server).hostname or ""
        if text and host.endswith("." + text):
            return code
    return None
