"""Who a token belongs to: the current CRM user's email and the org's zgid, the way the
SDK names users (``"<email>:<org zgid>"``), and the check that Zoho's answer is usable.

The one request this package sends to the CRM outside :mod:`zoho_tokens.api.session`: connecting
needs the identity before there is a row to make a session from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from zoho_tokens.accounts.wire import SENT_SECRETS, json_of, request
from zoho_tokens.conf.datacenters import normalize_origin
from zoho_tokens.exceptions import ZohoOAuthError, ZohoUnavailableError
from zoho_tokens.exceptions.base import QUOTE_LIMIT

__all__ = ["ZohoIdentity", "check_identity", "identify"]

#: The longest email address a mailbox can have (RFC 5321's path limit).
MAX_EMAIL_LENGTH = 254


@dataclass(frozen=True)
class ZohoIdentity:
    """Who a token belongs to, as the SDK names users."""

    email: str
    org_id: str

    @property
    def user_name(self) -> str:
        """``"<email>:<org zgid>"``, the SDK's user name."""
        return f"{self.email}:{self.org_id}"


@sensitive_variables(*SENT_SECRETS, "access_token", "response")
def _crm_get(api_domain: str, path: str, access_token: str, **params: str) -> dict[str, Any]:
    """GET one CRM path with ``access_token``; its JSON."""
    response = request(
        "GET",
        f"{api_domain.rstrip('/')}{path}",
        params=params or None,
        headers={"Authorization": f"Zoho-oauthtoken {access_token}"},
    )
    body = json_of(response)
    if response.status_code >= 400:
        code = str(body.get("code") or "error")[:QUOTE_LIMIT]
        raise ZohoOAuthError(
            f"Zoho CRM at {normalize_origin(api_domain)} refused {path} ({code!r}); the token "
            "may lack the ZohoCRM.users.READ and ZohoCRM.org.READ scopes.",
            error=code,
        )
    return body


@sensitive_variables("access_token")
def identify(access_token: str, *, api_domain: str) -> ZohoIdentity:
    """Who ``access_token`` belongs to, found the way the SDK does: the current user's
    email and the org's zgid."""
    users = _crm_get(api_domain, "/crm/v8/users", access_token, type="CurrentUser")
    org = _crm_get(api_domain, "/crm/v8/org", access_token)
    try:
        email = str(users["users"][0]["email"])
        org_id = str(org["org"][0]["zgid"])
    except (KeyError, IndexError, TypeError):
        raise ZohoUnavailableError(
            f"Zoho CRM at {normalize_origin(api_domain)} answered without the current user's "
            "email or the org id.",
            error="malformed_response",
        ) from None
    return ZohoIdentity(email=email, org_id=org_id)


def check_identity(identity: ZohoIdentity) -> None:
    """Refuse an identity that cannot be an email address and an org id.

    The values come from Zoho's JSON; a control character (NUL above all, which PostgreSQL
    refuses to store) or an absurd length would otherwise fail deep in the database.
    """
    email, org_id = identity.email, identity.org_id
    if (
        "@" not in email
        or len(email) > MAX_EMAIL_LENGTH
        or len(org_id) > MAX_EMAIL_LENGTH
        or not all(char.isprintable() and not char.isspace() for char in email + org_id)
    ):
        raise ZohoOAuthError(
            "Zoho reported a user whose email address or org id is not usable (control "
            "characters, spaces or an impossible length); nothing was saved.",
            error="invalid_identity",
            user_message=_(
                "Zoho reported an account whose email address this site cannot use. "
                "Nothing was saved, and any earlier connection is unchanged."
            ),
        )
