"""The system checks of the data centres in ``settings.ZOHO_TOKENS``: E003 (a known data
centre), E006 (URL overrides are URLs), E007-E009 (per-data-centre settings and the consent
mode). Registered by importing :mod:`zoho_tokens.checks`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.checks import CheckMessage, Error, register

from zoho_tokens.checks.wiring import data_center_suggestion
from zoho_tokens.conf import CONSENT_MODES, zoho_settings
from zoho_tokens.conf.datacenters import DATA_CENTERS
from zoho_tokens.conf.transport import is_http_url

__all__ = ["URL_HINTS", "check_data_center", "check_data_center_settings", "not_one_of"]

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


def not_one_of(message: str, advice: str, known: Iterable[str], check_id: str) -> Error:
    """The error for a value that is none of ``known``, whose hint lists them."""
    return Error(message, hint=f"{advice}: {', '.join(sorted(known))}.", id=check_id)


@register("zoho_tokens")
def check_data_center(**kwargs: Any) -> list[CheckMessage]:
    """E003: the data centre is one Zoho has; E006: URL overrides are URLs."""
    errors: list[CheckMessage] = []
    if zoho_settings.DATA_CENTER not in DATA_CENTERS:
        configured = zoho_settings.raw("DATA_CENTER")
        message = f"ZOHO_TOKENS['DATA_CENTER'] is {configured!r}, which is not a Zoho data centre"
        suggestion = data_center_suggestion(configured)
        message += f"; did you mean {suggestion!r}?" if suggestion else "."
        errors.append(not_one_of(message, "Use one of", DATA_CENTERS, "zoho_tokens.E003"))
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
