"""The errors this app raises for its own reasons: configuration, decryption, saving a
connection, login, a missing or insufficient token, and a Zoho API's refusal.

Internal: import them from :mod:`zoho_tokens.exceptions`, which re-exports them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from zoho_tokens.exceptions.base import ZohoTokensError


class ImproperlyConfiguredZoho(ZohoTokensError, ImproperlyConfigured):
    """``settings.ZOHO_TOKENS`` is missing something or holds a wrong value."""

    user_title = _("Zoho is not set up on this site")
    user_message = _(
        "Zoho is not set up correctly on this site. Nothing was changed; please tell the "
        "site's administrator."
    )


class TokenDecryptionError(ZohoTokensError):
    """A stored secret can no longer be decrypted with any configured key.

    An operator's problem (a key was removed, ``SECRET_KEY`` changed), not the user's: the
    ciphertext is kept, and restoring the key recovers it.
    """

    user_title = _("This Zoho connection cannot be read")
    user_message = _(
        "This site cannot read its saved Zoho connection at the moment. Nothing was "
        "changed; please tell the site's administrator."
    )

    def __init__(self, token_id: object, field: str) -> None:
        self.token_id = token_id
        self.field = field
        super().__init__(
            f"Zoho token {token_id}: its {field} cannot be decrypted with any key in "
            "ZOHO_TOKENS['ENCRYPTION_KEYS'] (or the keys derived from SECRET_KEY and "
            "SECRET_KEY_FALLBACKS). The key it was encrypted with was probably removed or "
            "SECRET_KEY changed; restore that key, or ask the user to connect again."
        )


class ConnectionNotSavedError(ZohoTokensError):
    """Zoho authorised a connection but this site could not store it (the database refused
    the write, the connection to it was lost, a concurrent connect won).

    The new refresh token was withdrawn at Zoho again (or, if Zoho could not be reached,
    recorded for a later revocation); an earlier connection is unchanged.
    """

    http_status = 503
    user_title = _("The connection could not be saved")
    user_message = _(
        "Zoho authorised the connection, but this site could not save it, so it was "
        "withdrawn again. Any earlier connection is unchanged; please try again in a few "
        "minutes."
    )


class ZohoAccountTakenError(ZohoTokensError):
    """The Zoho account is already connected to another Django user, and
    ``ZOHO_TOKENS["ALLOW_ACCOUNT_TRANSFER"]`` is off."""

    http_status = 409
    user_title = _("This Zoho account is already connected")
    user_message = _(
        "This Zoho account is connected to another account on this site, so it was not "
        "connected to yours and nothing was changed. Sign in with that account, or "
        "disconnect Zoho there first."
    )


class LoginRefusedError(ZohoTokensError):
    """Log in with Zoho found no Django user to sign in.

    ``reason`` is one of ``"disabled"``, ``"no_account"`` (no address matches exactly,
    including when only look-alike addresses exist), ``"ambiguous"`` or ``"inactive"``;
    ``email`` is the Zoho user's address (not a secret).
    """

    http_status = 403
    user_title = _("Not signed in")
    MESSAGES: ClassVar[dict[str, str | Promise]] = {
        "disabled": _("Signing in with Zoho is not enabled on this site."),
        "no_account": _(
            "No account on this site has exactly the email address of the Zoho user "
            "%(email)s (addresses must match letter for letter), so you were not signed "
            "in. Sign in another way, or ask an administrator for an account."
        ),
        "ambiguous": _(
            "Several accounts on this site use the email address of the Zoho user "
            "%(email)s, so you were not signed in. Ask an administrator to sort these "
            "accounts out."
        ),
        "inactive": _(
            "The account on this site for the Zoho user %(email)s is disabled, so you were "
            "not signed in."
        ),
    }

    def __init__(self, reason: str, email: str = "") -> None:
        self.reason = reason
        self.email = email
        template = self.MESSAGES.get(reason, self.MESSAGES["no_account"])
        super().__init__(
            f"Log in with Zoho refused ({reason}).",
            user_message=str(template) % {"email": email},
        )


class NoUsableTokenError(ZohoTokensError):
    """The user (or token) has no usable Zoho token: they must connect Zoho (again).

    Views send the user to ``zoho_tokens:connect`` (see
    :func:`zoho_tokens.decorators.zoho_connection_required`).
    """

    http_status = 403
    user_title = _("Connect Zoho to continue")
    user_message = _("This page needs your Zoho account. Please connect Zoho to continue.")


class ReauthorizationRequired(NoUsableTokenError):
    """The token can no longer be refreshed (Zoho refused it); the user has to connect
    Zoho again."""

    user_message = _(
        "Your Zoho connection has expired or was withdrawn at Zoho. Please connect Zoho again "
        "to continue."
    )

    def __init__(self, token_id: object) -> None:
        self.token_id = token_id
        super().__init__(
            f"Zoho token {token_id} was revoked or expired at Zoho; the user must connect "
            "Zoho again."
        )


class MissingScopeError(NoUsableTokenError):
    """The token lacks scopes a call needs; the user must connect again to grant them.

    ``scopes`` lists the missing scopes (as far as they are known); ``connect_url`` is a
    URL of ``zoho_tokens:connect`` that asks for them, when the caller could build one.
    """

    user_title = _("Zoho needs more permissions")
    user_message = _(
        "This page needs more access to your Zoho account than you granted. Please connect "
        "Zoho again and allow the requested access."
    )

    def __init__(
        self,
        message: str,
        *,
        scopes: Sequence[str] = (),
        connect_url: str | None = None,
        user_message: str | Promise | None = None,
    ) -> None:
        self.scopes = list(scopes)
        self.connect_url = connect_url
        super().__init__(message, user_message=user_message)


class ZohoAPIError(ZohoTokensError):
    """A Zoho API (CRM, Books, Desk, Projects ...) refused one call.

    ``status_code`` is the HTTP status Zoho answered; ``code`` Zoho's error code (CRM's
    ``"INVALID_DATA"``, Books' integer code as a string); ``details`` whatever else Zoho
    said about it (never a secret: Zoho does not echo tokens).
    """

    http_status = 502
    user_title = _("Zoho refused the request")
    user_message = _("Zoho refused this request. Nothing was changed.")

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        code: str | None = None,
        details: Any = None,
        service: str | None = None,
        user_message: str | Promise | None = None,
    ) -> None:
        self.status_code = status_code
        self.code = code
        self.details = details
        self.service = service
        super().__init__(message, user_message=user_message)


class UntrustedHostError(ZohoTokensError, SuspiciousOperation, ValueError):
    """A URL given to a Zoho API session is not one of its token's Zoho hosts, or is written
    so that URL parsers could disagree on its host (user info, a backslash, blanks,
    ``%``-escapes or non-ASCII characters in the host, a bad port). Nothing was sent.

    Raised before sending, and again at the moment of sending for the request actually
    sent (after hooks), so that the access token never leaves Zoho's hosts.
    """

    http_status = 400
    user_title = _("Not a Zoho address")
    user_message = _(
        "This request named an address that is not one of Zoho's, so nothing was sent to it."
    )
