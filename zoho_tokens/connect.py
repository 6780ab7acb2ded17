"""Turning a grant code into a stored token: the OAuth callback and the admin's Self Client
form both end here.

Nothing is written unless every step succeeded (exchange, identification), and an earlier
token of the same Zoho user is updated in place, never duplicated.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction

from zoho_tokens import oauth, signals
from zoho_tokens.conf import zoho_settings
from zoho_tokens.exceptions import TokenDecryptionError, ZohoOAuthError
from zoho_tokens.models import TokenStatus, ZohoToken
from zoho_tokens.scopes import scopes_text

logger = logging.getLogger(__name__)


def connect_with_code(
    code: str,
    *,
    accounts_server: str,
    redirect_uri: str | None,
    user: Any = None,
    location: str | None = None,
    client_id: str | None = None,
    client_secret: str | None = None,
    requested_scopes: Sequence[str] | None = None,
) -> ZohoToken:
    """Exchange ``code`` at ``accounts_server``, find out whose token it is, and store it.

    ``user`` is the Django user to link (None for an org-level Self Client token; an
    existing link is then kept). The accounts server is checked against the allow-list
    before anything is sent. When the Zoho user already had a token for this client, that
    row is updated and its superseded refresh token revoked at Zoho, because Zoho keeps at
    most 20 refresh tokens per user and silently drops the oldest. ``client_id`` and
    ``client_secret`` default to the configured ones (the secret of the token's own data
    centre, ``CLIENT_SECRETS``); a Self Client has its own. The scopes Zoho reports as
    granted are stored; when it reports none, ``requested_scopes`` (default ``SCOPES``).

    Raises :class:`~zoho_tokens.exceptions.ZohoOAuthError` (or a subclass); nothing is stored
    then.
    """
    host = oauth.trusted_accounts_server(accounts_server)
    data_center = zoho_settings.data_center_of_accounts_server(host)
    client_id = client_id or zoho_settings.CLIENT_ID
    client_secret = client_secret or zoho_settings.client_secret_for(
        data_center.location if data_center else location
    )
    grant = oauth.exchange_code(
        code,
        accounts_server=host,
        redirect_uri=redirect_uri,
        client_id=client_id,
        client_secret=client_secret,
    )
    api_domain = (
        grant.api_domain
        or (data_center.api_domain if data_center else None)
        or zoho_settings.data_center.api_domain
    )
    try:
        identity = oauth.identify(grant.access_token, api_domain=api_domain)
    except ZohoOAuthError:
        _revoke_quietly(grant.refresh_token, host)
        raise
    if not grant.refresh_token:
        raise ZohoOAuthError(
            "Zoho returned no refresh token (was access_type=offline asked for?); "
            "the connection would stop working within the hour.",
            error="no_refresh_token",
        )

    values = {
        "client_id": client_id,
        "accounts_server": host,
        "location": (data_center.location if data_center else None)
        or location
        or zoho_settings.DATA_CENTER,
        "api_domain": api_domain,
        "redirect_url": redirect_uri,
        "granted_scopes": scopes_text(grant.scopes or requested_scopes or zoho_settings.SCOPES),
    }
    try:
        row, created, superseded = _store(identity.user_name, grant, values, client_secret, user)
    except IntegrityError:
        # Another request stored this Zoho user in the meantime: update that row instead.
        row, created, superseded = _store(identity.user_name, grant, values, client_secret, user)
    if superseded is not None and superseded[0] != grant.refresh_token:
        _revoke_quietly(*superseded)
    signals.token_saved.send(sender=ZohoToken, token=row, created=created)
    logger.info("Zoho token %s stored for %s.", row.pk, identity.user_name)
    return row


def _store(
    user_name: str,
    grant: oauth.TokenGrant,
    values: dict[str, Any],
    client_secret: str | None,
    user: Any,
) -> tuple[ZohoToken, bool, tuple[str, str] | None]:
    """Write the new token onto the Zoho user's row (or a new one).

    Returns the row, whether it is new, and the superseded ``(refresh token, accounts
    server)`` to revoke, if any.
    """
    with transaction.atomic():
        row = (
            ZohoToken.objects.select_for_update()
            .with_user_name(user_name)
            .filter(client_id=values["client_id"])
            .first()
        )
        created = row is None
        row = row or ZohoToken()
        superseded = None if created else _superseded(row, values["accounts_server"])
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
    return row, created, superseded


def _superseded(row: ZohoToken, default_server: str) -> tuple[str, str] | None:
    """The refresh token a reconnect replaces, with the accounts server it lives at.

    A refresh token that no key decrypts any more cannot be revoked; the reconnect must
    still go through (it is how the user recovers), so it is only logged.
    """
    try:
        refresh_token = row.refresh_token
    except TokenDecryptionError:
        logger.warning(
            "Zoho token %s: the refresh token being replaced cannot be decrypted, so it "
            "cannot be revoked at Zoho.",
            row.pk,
        )
        return None
    if not refresh_token:
        return None
    return refresh_token, row.accounts_server or default_server


def _revoke_quietly(refresh_token: str | None, accounts_server: str) -> None:
    """Revoke a refresh token we will not keep; a failure is logged, never raised."""
    if not refresh_token:
        return
    try:
        oauth.revoke_refresh_token(refresh_token, accounts_server=accounts_server)
    except ZohoOAuthError as err:
        logger.warning("Could not revoke a superseded Zoho refresh token: %s", err)
