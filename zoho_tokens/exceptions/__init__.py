"""The exceptions this package raises: one error model for views, tasks and the SDK.

Every class knows how it is shown (django-oauth-toolkit's ``OIDCError`` pattern): an HTTP
status (``http_status``) and a message a person can act on (``user_message``, translatable,
never containing a secret). ``str(err)`` is the technical message for logs and developers;
it never contains a token or a client secret either: these exceptions end up in logs, error
pages and the SDK's own exception strings.

Where a standard base fits, it is mixed in (as django-anymail's errors do): configuration
errors are ``ImproperlyConfigured``, a request that names an untrusted server is a
``SuspiciousOperation``, a refused value is a ``ValueError``.

The three a view or a task usually catches:

* :class:`NoUsableTokenError`: this user must connect Zoho (again); send them to
  ``zoho_tokens:connect``. :class:`ReauthorizationRequired` and :class:`MissingScopeError`
  are kinds of it.
* :class:`ZohoUnavailableError`: Zoho is down, slow or answered garbage; nothing changed,
  retry later. :class:`ZohoThrottledError` is a kind of it.
* :class:`ZohoAPIError`: a Zoho API (CRM, Books ...) refused one call, with Zoho's code.
"""

from __future__ import annotations

# The whole error model, listed in one place: defined in base (the root), accounts (what
# Zoho Accounts answers) and app (the rest).
from zoho_tokens.exceptions.accounts import (
    InvalidGrantError,
    UnknownDataCentreError,
    UntrustedAccountsServerError,
    UntrustedAPIDomainError,
    ZohoOAuthError,
    ZohoThrottledError,
    ZohoUnavailableError,
)
from zoho_tokens.exceptions.app import (
    ConnectionNotSavedError,
    ImproperlyConfiguredZoho,
    LoginRefusedError,
    MissingScopeError,
    NoUsableTokenError,
    ReauthorizationRequired,
    TokenDecryptionError,
    UntrustedHostError,
    ZohoAccountTakenError,
    ZohoAPIError,
)
from zoho_tokens.exceptions.base import ZohoTokensError

__all__ = [
    "ConnectionNotSavedError",
    "ImproperlyConfiguredZoho",
    "InvalidGrantError",
    "LoginRefusedError",
    "MissingScopeError",
    "NoUsableTokenError",
    "ReauthorizationRequired",
    "TokenDecryptionError",
    "UnknownDataCentreError",
    "UntrustedAPIDomainError",
    "UntrustedAccountsServerError",
    "UntrustedHostError",
    "ZohoAPIError",
    "ZohoAccountTakenError",
    "ZohoOAuthError",
    "ZohoThrottledError",
    "ZohoTokensError",
    "ZohoUnavailableError",
]
