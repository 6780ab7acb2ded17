"""The exceptions this package raises.

Every message is written for the person who has to act on it, and none ever contains a
token or a client secret: these exceptions end up in logs, error pages and the SDK's own
exception strings.
"""

from __future__ import annotations


class ZohoTokensError(Exception):
    """Base class of every error raised by django-zoho-tokens."""


class ImproperlyConfiguredZoho(ZohoTokensError):
    """``settings.ZOHO_TOKENS`` is missing something or holds a wrong value."""


class TokenDecryptionError(ZohoTokensError):
    """A stored secret can no longer be decrypted with any configured key."""

    def __init__(self, token_id: object, field: str) -> None:
        self.token_id = token_id
        self.field = field
        super().__init__(
            f"Zoho token {token_id}: its {field} cannot be decrypted with any key in "
            "ZOHO_TOKENS['ENCRYPTION_KEYS'] (or the keys derived from SECRET_KEY and "
            "SECRET_KEY_FALLBACKS). The key it was encrypted with was probably removed or "
            "SECRET_KEY changed; restore that key, or ask the user to connect again."
        )


class ZohoOAuthError(ZohoTokensError):
    """Zoho Accounts refused or failed an OAuth request.

    ``error`` holds Zoho's error code (``invalid_code``, ``invalid_client`` ...) when Zoho
    gave one.
    """

    def __init__(self, message: str, *, error: str | None = None) -> None:
        self.error = error
        super().__init__(message)


class InvalidGrantError(ZohoOAuthError):
    """Zoho answered ``invalid_code``: the grant code was used or expired, or the refresh
    token was revoked or expired. Only a new consent helps."""


class ZohoThrottledError(ZohoOAuthError):
    """Zoho throttled us (too many access tokens for one refresh token); wait and retry."""


class ZohoUnavailableError(ZohoOAuthError):
    """Zoho could not be reached, timed out, failed (5xx) or answered something that is not
    its JSON. Nothing was changed; retrying later is safe."""


class UntrustedAccountsServerError(ZohoOAuthError):
    """An accounts server that is not a known Zoho data centre (nor ``ACCOUNTS_URL``)."""


class ReauthorizationRequired(ZohoTokensError):
    """The token can no longer be refreshed; the user has to connect Zoho again."""

    def __init__(self, token_id: object) -> None:
        self.token_id = token_id
        super().__init__(
            f"Zoho token {token_id} was revoked or expired at Zoho; the user must connect "
            "Zoho CRM again."
        )


class NoUsableTokenError(ZohoTokensError):
    """The user (or token) has no active Zoho token to make CRM calls with."""
