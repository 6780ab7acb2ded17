"""Log in with Zoho: exchange the code, identify the Zoho user, choose the Django user whose
address is exactly theirs, store the token for that user, and open the session.

Kept out of the views (as django-allauth keeps its flows), so that the callback view only
parses the request and renders what this returns or raises.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import login
from django.http import HttpRequest
from django.views.decorators.debug import sensitive_variables

from zoho_tokens.accounts.identity import ZohoIdentity
from zoho_tokens.backends import REFUSAL_DISABLED, match_user
from zoho_tokens.conf import zoho_settings
from zoho_tokens.exceptions import LoginRefusedError
from zoho_tokens.tokens.connect import ConnectResult, connect_with_code

__all__ = ["BACKEND", "log_in_with_zoho"]

#: The authentication backend the session is opened with.
BACKEND = "zoho_tokens.backends.ZohoAccountBackend"


def _account_for(identity: ZohoIdentity) -> Any:
    """The Django user to sign in as ``identity``; raises :class:`LoginRefusedError`."""
    if not zoho_settings.LOGIN or BACKEND not in settings.AUTHENTICATION_BACKENDS:
        raise LoginRefusedError(REFUSAL_DISABLED, identity.email)
    match = match_user(identity.email)
    if match.user is None:
        raise LoginRefusedError(match.refusal or "no_account", identity.email)
    return match.user


@sensitive_variables("code")
def log_in_with_zoho(
    request: HttpRequest,
    code: str,
    *,
    accounts_server: str,
    redirect_uri: str | None,
    location: str | None,
) -> ConnectResult:
    """Sign ``request``'s visitor in as the Django user of the Zoho user who consented.

    The token is stored (linked to that user) only once a user was chosen; when none is,
    the refresh token Zoho just issued is revoked and :class:`LoginRefusedError` raised.
    Any :class:`~zoho_tokens.exceptions.ZohoTokensError` of
    :func:`~zoho_tokens.tokens.connect.connect_with_code` is raised as it is.
    """
    result = connect_with_code(
        code,
        accounts_server=accounts_server,
        redirect_uri=redirect_uri,
        location=location,
        user_for=_account_for,
    )
    login(request, result.token.user, backend=BACKEND)
    return result
