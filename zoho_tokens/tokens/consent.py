"""Which consent to ask a user for: more scopes later, or another data centre.

A project asks every user for ``ZOHO_TOKENS["SCOPES"]`` at first. When a feature needs more
(Zoho Books next to the CRM, say), it sends one user to :func:`connect_url` with those
scopes; only scopes listed in ``SCOPES`` or ``EXTRA_SCOPES`` may be asked for this way,
because the URL is something a browser can change.

Two ways to get them, chosen by ``ZOHO_TOKENS["INCREMENTAL_CONSENT"]``:

* ``"full"`` (the default): a new consent for every scope the token needs (what it has plus
  what is asked). The callback stores the new refresh token on the same row and revokes the
  one it replaces, so the user keeps one row and one live refresh token.
* ``"enhance"``: Zoho's incremental authorisation. :func:`start_enhancement` gets an
  enhance token for the user's refresh token, the browser grants the new scopes at Zoho,
  and :func:`finish_enhancement` refreshes once to learn the scopes the same refresh token
  now has. When Zoho refuses to start one, the connect view falls back to a full consent.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from zoho_tokens.accounts import client as oauth
from zoho_tokens.accounts.scopes import MAX_SCOPES, MAX_SCOPES_TEXT, parse_scopes
from zoho_tokens.accounts.state import issue_state
from zoho_tokens.conf import zoho_settings
from zoho_tokens.exceptions import (
    NoUsableTokenError,
    UnknownDataCentreError,
    ZohoOAuthError,
    ZohoTokensError,
    ZohoUnavailableError,
)
from zoho_tokens.exceptions.base import quoted
from zoho_tokens.models import ZohoToken
from zoho_tokens.tokens.refresh import ensure_fresh

logger = logging.getLogger(__name__)

__all__ = [
    "ScopeNotAllowedError",
    "connect_url",
    "connect_url_for",
    "consent_redirect",
    "consent_scopes",
    "finish_enhancement",
    "requested_scopes",
    "start_enhancement",
]


class ScopeNotAllowedError(ZohoTokensError, ValueError):
    """A URL asked for a scope that neither ``SCOPES`` nor ``EXTRA_SCOPES`` lists."""

    http_status = 400
    user_title = _("This access cannot be asked for")
    user_message = _(
        "The link asked Zoho for access that this site does not allow. Nothing was sent; "
        "please tell the site's administrator."
    )


def connect_url(
    request: HttpRequest | None = None,
    *,
    scopes: Sequence[str] = (),
    next: str | None = None,
    location: str | None = None,
) -> str:
    """The URL of ``zoho_tokens:connect`` asking for ``scopes`` (beyond ``SCOPES``) at
    data centre ``location``, coming back to ``next`` (default: the current page of
    ``request``). Put it in a link, or redirect to it::

        return redirect(connect_url(request, scopes=["ZohoBooks.estimates.ALL"]))
    """
    if next is None and request is not None:
        next = request.get_full_path()
    query = {
        "scope": ",".join(parse_scopes(list(scopes))),
        "next": next or "",
        "location": (location or "").lower(),
    }
    url = reverse("zoho_tokens:connect")
    filled = {key: value for key, value in query.items() if value}
    return f"{url}?{urlencode(filled)}" if filled else url


def connect_url_for(scopes: Sequence[str], *, location: str | None = None) -> str | None:
    """A connect URL asking for those of ``scopes`` a link may ask for (the others must
    first be added to ``SCOPES`` or ``EXTRA_SCOPES``); None when the project does not
    include ``zoho_tokens.urls``. Errors that mean "connect again" carry it."""
    allowed = {scope.lower() for scope in [*zoho_settings.SCOPES, *zoho_settings.EXTRA_SCOPES]}
    try:
        return connect_url(
            scopes=[scope for scope in scopes if scope.lower() in allowed], location=location
        )
    except NoReverseMatch:
        return None


#: How many refused scopes the error (and so the log) quotes.
QUOTED_REFUSALS = 5


def requested_scopes(raw: str | None) -> list[str]:
    """The scopes a URL asks for, each of them one ``SCOPES`` or ``EXTRA_SCOPES`` lists.

    Raises :class:`ScopeNotAllowedError` for any other scope: a link is something anybody
    can edit, and the site's settings decide what it may ask Zoho for. A list longer than
    :data:`~zoho_tokens.accounts.scopes.MAX_SCOPES_TEXT` characters or
    :data:`~zoho_tokens.accounts.scopes.MAX_SCOPES` scopes is refused before it is parsed,
    and the error quotes at most :data:`QUOTED_REFUSALS` refused scopes, each cut short.
    """
    if raw is not None and len(raw) > MAX_SCOPES_TEXT:
        raise ScopeNotAllowedError(
            f"The link's scope list has {len(raw)} characters; at most {MAX_SCOPES_TEXT} are read."
        )
    asked = parse_scopes(raw)
    if len(asked) > MAX_SCOPES:
        raise ScopeNotAllowedError(
            f"The link asks for {len(asked)} scopes; at most {MAX_SCOPES} are accepted."
        )
    allowed = {
        scope.lower(): scope for scope in [*zoho_settings.SCOPES, *zoho_settings.EXTRA_SCOPES]
    }
    refused = [scope for scope in asked if scope.lower() not in allowed]
    if refused:
        quotes = ", ".join(quoted(scope) for scope in refused[:QUOTED_REFUSALS])
        more = len(refused) - QUOTED_REFUSALS
        raise ScopeNotAllowedError(
            "Scopes not in ZOHO_TOKENS['SCOPES'] or ['EXTRA_SCOPES']: "
            + quotes
            + (f" and {more} more" if more > 0 else "")
        )
    return [allowed[scope.lower()] for scope in asked]


def consent_redirect(
    request: HttpRequest,
    *,
    location: str | None,
    scope: str | None,
    next_url: str | None,
    redirect_uri: str,
) -> str:
    """Where the connect view sends the browser: Zoho's consent page at data centre
    ``location`` (default ``DATA_CENTER``) for every scope the user's token needs plus
    ``scope``, or, with ``INCREMENTAL_CONSENT = "enhance"`` and a token to enhance, Zoho's
    page that adds ``scope`` to that token. Remembers the flow in the session.

    Raises :class:`UnknownDataCentreError`, :class:`ScopeNotAllowedError`, or a
    :class:`ZohoUnavailableError` when Zoho cannot start an enhancement right now.
    """
    data_center = zoho_settings.data_center_for(location) if location else zoho_settings.data_center
    if data_center is None:
        raise UnknownDataCentreError(
            "The connect link named a data centre that is not one of Zoho's; nothing was sent.",
            error="unknown_location",
        )
    extra = requested_scopes(scope)
    token = _token_to_enhance(request) if extra else None

    def state_for(scopes: list[str], enhanced_token_id: int | None = None) -> str:
        return issue_state(
            request.session,
            next_url=next_url,
            login=not request.user.is_authenticated,
            redirect_uri=redirect_uri,
            accounts_server=data_center.accounts_server,
            scopes=scopes,
            enhanced_token_id=enhanced_token_id,
        )

    if token is not None and zoho_settings.INCREMENTAL_CONSENT == "enhance":
        try:
            enhance_token = start_enhancement(token)
        except ZohoUnavailableError:
            raise
        except (ZohoOAuthError, NoUsableTokenError) as err:
            # Zoho would not start one (a refresh token it no longer knows, say): a full
            # consent for every scope still gets the user there.
            logger.warning("Zoho refused an incremental authorisation (%s); asking again.", err)
        else:
            return oauth.add_extra_scope_url(
                accounts_server=token.accounts_server,
                redirect_uri=redirect_uri,
                scopes=extra,
                enhance_token=enhance_token,
                state=state_for(extra, enhanced_token_id=token.pk),
            )
    scopes = consent_scopes(token, extra)
    return oauth.authorize_url(
        state=state_for(scopes),
        redirect_uri=redirect_uri,
        accounts_server=data_center.accounts_server,
        scopes=scopes,
    )


def _token_to_enhance(request: HttpRequest) -> ZohoToken | None:
    """The logged-in user's token that more scopes would be added to."""
    if not request.user.is_authenticated:
        return None
    return (
        ZohoToken.objects.filter(user=request.user).usable().order_by("-updated_at", "-pk").first()
    )


def consent_scopes(token: ZohoToken | None, extra: Sequence[str]) -> list[str]:
    """Every scope a full consent must ask for: ``SCOPES``, what ``token`` already has
    (a consent replaces the token, so nothing may be lost), and ``extra``."""
    current = token.scopes if token is not None else []
    return parse_scopes([*zoho_settings.SCOPES, *current, *extra])


@sensitive_variables("refresh_token")
def start_enhancement(token: ZohoToken) -> str:
    """Ask Zoho for an enhance token for ``token``'s refresh token (step one)."""
    refresh_token = token.refresh_token
    if not refresh_token or not token.is_usable:
        raise NoUsableTokenError(f"Zoho token {token.pk} has no usable refresh token.")
    return oauth.request_scope_enhancement(
        refresh_token,
        accounts_server=token.accounts_server,
        client_id=token.client_id,
        client_secret=token.client_secret,
    )


def finish_enhancement(token_id: int, scopes: Sequence[str], user: Any) -> ZohoToken:
    """After the browser came back from granting ``scopes`` at Zoho: refresh ``token_id``
    once, and so record the scopes its refresh token now has.

    Only Zoho's token answer says what was granted (its ``scope``, recorded by the
    refresh): the browser coming back proves nothing, since anybody can call the callback
    without visiting Zoho's grant page. When Zoho's answer lists the same scopes as
    before, or does not say (an older answer shape), nothing new is recorded; the caller
    sees ``scopes`` still missing, and consent is offered again when a call needs them.
    """
    token = ZohoToken.objects.filter(pk=token_id, user=user).usable().first()
    if token is None:
        raise NoUsableTokenError(f"Zoho token {token_id} is no longer usable.")
    missing = token.missing_scopes(*scopes)
    token = ensure_fresh(token, rejected_access_token=token.access_token or "-")
    still_missing = token.missing_scopes(*scopes)
    if still_missing:
        logger.info(
            "Zoho token %s: Zoho's answer does not grant %d of the %d scopes asked for.",
            token.pk,
            len(still_missing),
            len(missing),
        )
    return token
