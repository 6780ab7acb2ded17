"""Every key ``settings.ZOHO_TOKENS`` understands, with its default (read through
:data:`zoho_tokens.conf.zoho_settings`, which re-exports these names).
"""

from __future__ import annotations

from typing import Any

__all__ = ["CONSENT_MODES", "DEFAULTS", "DEFAULT_SCOPES"]

#: Scopes the app needs at the least: CRM data; the field metadata the SDK fetches before it
#: reads or writes records; and the two reads the SDK makes to find out who a token belongs
#: to (``"<email>:<org zgid>"``).
DEFAULT_SCOPES: tuple[str, ...] = (
    "ZohoCRM.modules.ALL",
    "ZohoCRM.settings.fields.READ",
    "ZohoCRM.users.READ",
    "ZohoCRM.org.READ",
)

#: Every key ``ZOHO_TOKENS`` understands, with its default. The settings reference
#: (docs/reference-settings.md) is checked against this mapping by the test suite.
DEFAULTS: dict[str, Any] = {
    "CLIENT_ID": None,
    "CLIENT_SECRET": None,
    "CLIENT_SECRETS": {},
    "SCOPES": DEFAULT_SCOPES,
    "DATA_CENTER": "us",
    "ACCOUNTS_URL": None,
    "API_DOMAIN": None,
    "DATA_CENTER_OVERRIDES": {},
    "REDIRECT_URI": None,
    "ENCRYPTION_KEYS": None,
    "REFRESH_MARGIN": 60,
    "HTTP_TIMEOUT": 10.0,
    "STATE_MAX_AGE": 600,
    "LOGIN": False,
    "LOGIN_CREATE_USERS": False,
    "ALLOW_ACCOUNT_TRANSFER": False,
    "CONNECT_REDIRECT_URL": "/",
    "SDK_RESOURCE_PATH": None,
    "EXTRA_SCOPES": (),
    "INCREMENTAL_CONSENT": "full",
    "SERVICES": {"crm": None},
    "LIMITS": {},
    "HISTORY_DAYS": 90,
}

#: The ways more scopes can be asked for (``INCREMENTAL_CONSENT``): Zoho's documented
#: incremental authorisation, or a new full consent for every scope the token needs.
CONSENT_MODES = ("enhance", "full")
