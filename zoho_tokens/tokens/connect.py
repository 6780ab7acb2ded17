"""Turning a grant code into a stored token: the OAuth callback, log in with Zoho and the
admin's Self Client form all end here.

Nothing is written unless every step succeeded (exchange, identification, choosing the
Django user), and an earlier token of the same Zoho user is updated in place, never
duplicated. Once Zoho has issued a refresh token, any later failure withdraws it at Zoho
before the error reaches the caller: no live refresh token is ever left that no row holds.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.db import DatabaseError, IntegrityError, transaction
from django.views.decorators.debug import sensitive_variables

from zoho_tokens import signals
from zoho_tokens.accounts import client as oauth
from zoho_tokens.accounts.destinations import default_api_domain, trusted_api_domain
from zoho_tokens.accounts.identity import ZohoIdentity, check_identity, identify
from zoho_tokens.accounts.scopes import scopes_text
from zoho_tokens.accounts.wire import trusted_accounts_server
from zoho_tokens.conf import zoho_settings
from zoho_tokens.conf.datacenters import known_location
from zoho_tokens.exceptions import (
    ConnectionNotSavedError,
    UnknownDataCentreError,
    ZohoOAuthError,
)
from zoho_tokens.models import TokenStatus, ZohoToken
from zoho_tokens.tokens.transfers import announce_transfer, previous_owner
from zoho_tokens.tokens.withdraw import (
    discard_refresh_token,
    revoke_quietly,
    superseded_refresh_token,
)

__all__ = ["ConnectResult", "connect_with_code"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConnectResult:
    """What :func:`connect_with_code` did."""

    #: The stored row (new or updated).
    token: ZohoToken
    #: Who the token belongs to at Zoho.
    identity: ZohoIdentity
    #: True when the row is new, False when an earlier row of this Zoho user was updated.
    created: bool
    #: True when the refresh token this connection replaced was revoked at Zoho.
    superseded_revoked: bool = False
    #: The Django user the row was moved away from (``ALLOW_ACCOUNT_TRANSFER``), if any.
    transferred_from: Any = None


@dataclass(frozen=True)
class _Stored:
    token: ZohoToken
    created: bool
    superseded: tuple[str, str] | None
    previous_user: Any


@sensitive_variables("code", "client_secret", "grant", "keep")
def connect_with_code(
    code: str,
    *,
    accounts_server: str,
    redirect_uri: str | None,
    user: Any = None,
    location: str | None = None,
    client_id: str | None = None,
    client_secret: str | None = None,
    user_for: Callable[[ZohoIdentity], Any] | None = None,
    requested_scopes: Sequence[str] | None = None,
) -> ConnectResult:
    """Exchange ``code`` at ``accounts_server``, find out whose token it is, and store it.

    ``user`` is the Django user to link (None for an org-level Self Client token; an
    existing link is then kept). ``user_for``, instead, chooses the user from the Zoho
    identity (log in with Zoho) and may raise to refuse. The accounts server is checked
    against the allow-list and ``location`` against Zoho's data centre codes before
    anything is sent. When the Zoho user already had a token for this client, that row is
    updated and its superseded refresh token revoked at Zoho, because Zoho keeps at most 20
    refresh tokens per user and silently drops the oldest. A row held by another Django
    user is only moved when ``ZOHO_TOKENS["ALLOW_ACCOUNT_TRANSFER"]`` is on.
    ``client_id`` and ``client_secret`` default to the configured ones (the secret of the
    token's own data centre, ``CLIENT_SECRETS``); a Self Client has its own. The scopes
    Zoho reports as granted are stored; when it reports none, ``requested_scopes``
    (default ``SCOPES``).

    Raises a :class:`~zoho_tokens.exceptions.ZohoTokensError` (for example
    :class:`ZohoOAuthError`, :class:`ZohoAccountTakenError`,
    :class:`ConnectionNotSavedError`); nothing is stored then, an earlier token is left as
    it was, and a refresh token Zoho had just issued is revoked.
    """
    host = trusted_accounts_server(accounts_server)
    data_center = zoho_settings.data_center_of_accounts_server(host)
    if location is not None and known_location(location) is None:
        raise UnknownDataCentreError(
            "The callback named a data centre that is not one of Zoho's; nothing was sent.",
            error="unknown_location",
        )
    location = data_center.location if data_center else known_location(location or "")
    client_id = client_id or zoho_settings.CLIENT_ID
    client_secret = client_secret or zoho_settings.client_secret_for(location)
    grant = oauth.exchange_code(
        code,
        accounts_server=host,
        redirect_uri=redirect_uri,
        client_id=client_id,
        client_secret=client_secret,
    )
    values = _row_values(host, location, client_id, redirect_uri)
    values["granted_scopes"] = scopes_text(grant.scopes or requested_scopes or zoho_settings.SCOPES)
    keep = partial(_keep, grant, values, client_secret, user, user_for)
    identity, stored = _withdrawn_on_failure(grant.refresh_token, values, keep)
    # Stored: from here on a failure (a signal receiver, say) must not revoke the token.
    return _announce(identity, stored, grant.refresh_token)


def _row_values(
    host: str,
    location: str | None,
    client_id: str | None,
    redirect_uri: str | None,
) -> dict[str, Any]:
    """The row's columns that say where the token lives: the accounts server it came
    from and its data centre (the API domain is added by :func:`_keep`, once checked)."""
    return {
        "client_id": client_id,
        "accounts_server": host,
        "location": location or zoho_settings.DATA_CENTER,
        "redirect_url": redirect_uri,
    }


@sensitive_variables("refresh_token", "keep")
def _withdrawn_on_failure(
    refresh_token: str | None,
    values: dict[str, Any],
    keep: Callable[[], tuple[ZohoIdentity, _Stored]],
) -> tuple[ZohoIdentity, _Stored]:
    """``keep()``; when it fails, ``refresh_token`` (just issued by Zoho) is withdrawn."""
    try:
        return keep()
    except Exception as err:
        # Whatever went wrong, Zoho must not keep a live refresh token that no row holds.
        discard_refresh_token(refresh_token, values)
        if isinstance(err, DatabaseError):
            raise ConnectionNotSavedError(
                f"The database refused to store the new Zoho token ({type(err).__name__}); "
                "it was withdrawn at Zoho."
            ) from err
        raise


@sensitive_variables("grant", "client_secret")
def _keep(
    grant: oauth.TokenGrant,
    values: dict[str, Any],
    client_secret: str | None,
    user: Any,
    user_for: Callable[[ZohoIdentity], Any] | None,
) -> tuple[ZohoIdentity, _Stored]:
    """Check the API domain, identify the token's owner, choose the Django user, store."""
    # Identifying sends the access token to the API domain Zoho named (else its data
    # centre's): it must be Zoho's first.
    location = values["location"]
    given = grant.api_domain or default_api_domain(location)
    values["api_domain"] = trusted_api_domain(given, location)
    identity = identify(grant.access_token, api_domain=values["api_domain"])
    check_identity(identity)
    if not grant.refresh_token:
        raise ZohoOAuthError(
            "Zoho returned no refresh token (was access_type=offline asked for?); "
            "the connection would stop working within the hour.",
            error="no_refresh_token",
        )
    if user_for is not None:
        user = user_for(identity)
    try:
        return identity, _store(identity.user_name, grant, values, client_secret, user)
    except IntegrityError:
        # Another request stored this Zoho user in the meantime: update that row instead.
        return identity, _store(identity.user_name, grant, values, client_secret, user)


@sensitive_variables("new_refresh_token")
def _announce(
    identity: ZohoIdentity, stored: _Stored, new_refresh_token: str | None
) -> ConnectResult:
    """Revoke the superseded refresh token, send the signals, say what was done."""
    superseded_revoked = False
    if stored.superseded is not None and stored.superseded[0] != new_refresh_token:
        superseded_revoked = revoke_quietly(*stored.superseded)
    signals.token_saved.send(sender=ZohoToken, token=stored.token, created=stored.created)
    if stored.previous_user is not None:
        announce_transfer(stored.token, stored.previous_user, stored.token.user)
    signals.emit(
        "connected",
        stored.token.pk,
        "created" if stored.created else "renewed",
        logger=logger,
        level=logging.INFO,
        message=f"Zoho token {stored.token.pk} stored for {identity.user_name}.",
    )
    return ConnectResult(
        token=stored.token,
        identity=identity,
        created=stored.created,
        superseded_revoked=superseded_revoked,
        transferred_from=stored.previous_user,
    )


@sensitive_variables("grant", "client_secret")
def _store(
    user_name: str,
    grant: oauth.TokenGrant,
    values: dict[str, Any],
    client_secret: str | None,
    user: Any,
) -> _Stored:
    """Write the new token onto the Zoho user's row (or a new one), in one transaction."""
    with transaction.atomic():
        row = (
            ZohoToken.objects.select_for_update()
            .with_user_name(user_name)
            .filter(client_id=values["client_id"])
            .first()
        )
        previous_user = previous_owner(row, user)
        created = row is None
        row = row or ZohoToken()
        superseded = None if created else superseded_refresh_token(row, values["accounts_server"])
        for field, value in values.items():
            setattr(row, field, value)
        row.set_user_name(user_name)
        row.client_secret = client_secret
        row.refresh_token = grant.refresh_token
        row.access_token = grant.access_token
        row.expires_at_ms = grant.expires_at_ms
        row.grant_token = None
        row.set_status(TokenStatus.ACTIVE)
        row.remote_revoke_pending = False
        if user is not None:
            row.user = user
        row.save()
    return _Stored(row, created, superseded, previous_user)
