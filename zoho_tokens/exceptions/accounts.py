"""Errors of talking to Zoho Accounts: refused, unavailable, throttled, untrusted.

Internal: import them from :mod:`zoho_tokens.exceptions`, which re-exports them. Each
keeps Zoho's error code in ``error``; :class:`ZohoUnavailableError` and its kind
:class:`ZohoThrottledError` also serve the API calls of :mod:`zoho_tokens.api.session` (Zoho down,
slow, or throttling, whichever of its services answers).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from django.core.exceptions import SuspiciousOperation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from zoho_tokens.exceptions.base import ZohoTokensError


class ZohoOAuthError(ZohoTokensError):
    """Zoho Accounts refused or failed an OAuth request.

    ``error`` holds Zoho's error code (``invalid_code``, ``invalid_client`` ...) when Zoho
    gave one.
    """

    http_status = 502
    user_title = _("Zoho refused the connection")
    user_message = _(
        "Zoho refused to complete the connection. Nothing was saved, and any earlier "
        "connection is unchanged."
    )

    def __init__(
        self, message: str, *, error: str | None = None, user_message: str | Promise | None = None
    ) -> None:
        self.error = error
        super().__init__(message, user_message=user_message)


class InvalidGrantError(ZohoOAuthError):
    """Zoho answered ``invalid_code``: the grant code was used or expired, or the refresh
    token was revoked or expired. Only a new consent helps."""

    http_status = 400
    user_title = _("Zoho did not accept the authorisation")
    user_message = _(
        "The authorisation from Zoho was already used or has expired. Nothing was saved; "
        "please connect Zoho again."
    )


class ZohoUnavailableError(ZohoOAuthError):
    """Zoho could not be reached, timed out, failed (5xx) or answered something that is not
    its JSON. Nothing was changed; retrying later is safe."""

    http_status = 503
    user_title = _("Zoho is not available")
    user_message = _(
        "Zoho could not be reached or gave an unexpected answer. Nothing was changed; please "
        "try again in a few minutes."
    )


class ZohoThrottledError(ZohoUnavailableError):
    """Zoho throttled us (too many access tokens for one refresh token, or an API's rate
    limit); wait and retry.

    ``retry_after`` is the number of seconds Zoho asked us to wait, when it said (a value
    that is not a finite, non-negative number is dropped: it must never turn a 503 into a
    500 where it is rounded); ``rate_limit`` holds the rate-limit headers Zoho sent (``X-Rate-Limit-*``), if any.
    """

    user_title = _("Zoho asks us to slow down")
    user_message = _(
        "Zoho is limiting how often this site may call it. Nothing was changed; please try "
        "again in a few minutes."
    )

    def __init__(
        self,
        message: str,
        *,
        error: str | None = None,
        retry_after: float | None = None,
        rate_limit: Mapping[str, str] | None = None,
        user_message: str | Promise | None = None,
    ) -> None:
        self.retry_after = (
            float(retry_after)
            if isinstance(retry_after, int | float) and 0 <= retry_after < math.inf
            else None
        )
        self.rate_limit = dict(rate_limit or {})
        super().__init__(message, error=error, user_message=user_message)


class UntrustedAccountsServerError(ZohoOAuthError, SuspiciousOperation):
    """An accounts server that is not a known Zoho data centre (nor ``ACCOUNTS_URL``)."""

    http_status = 400
    user_title = _("Unknown Zoho data centre")
    user_message = _(
        "The request named a server that is not one of Zoho's. Nothing was sent to it and "
        "nothing was saved."
    )


class UnknownDataCentreError(UntrustedAccountsServerError):
    """A data centre code (the callback's ``location``) that is not one of Zoho's."""

    user_title = _("Unknown Zoho data centre")
    user_message = _(
        "The request named a Zoho data centre this site does not know. Nothing was sent to "
        "Zoho and nothing was saved."
    )


class UntrustedAPIDomainError(ZohoOAuthError):
    """Zoho's token answer named an API domain that is not a Zoho API domain of the token's
    data centre (nor a configured ``API_DOMAIN`` / ``DATA_CENTER_OVERRIDES`` entry).

    Nothing was stored and no access token was sent there; a refresh token the answer
    carried was withdrawn at Zoho. A stored API domain that is no longer trusted (the
    settings changed) is refused the same way before anything is sent.
    """

    http_status = 502
    user_title = _("Zoho gave an unexpected address")
    user_message = _(
        "Zoho answered with an address this site does not trust, so nothing was saved and "
        "nothing was sent there. Any earlier connection is unchanged; please tell the "
        "site's administrator."
    )

    def __init__(self, message: str, *, user_message: str | Promise | None = None) -> None:
        super().__init__(message, error="untrusted_api_domain", user_message=user_message)
