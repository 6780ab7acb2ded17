"""Withdrawing the refresh tokens a connection does not keep (:mod:`zoho_tokens.tokens.connect`):
the one a reconnect replaces, and one Zoho issued for a connection that then failed.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import DatabaseError, transaction
from django.views.decorators.debug import sensitive_variables

from zoho_tokens.accounts import client as oauth
from zoho_tokens.exceptions import TokenDecryptionError, ZohoOAuthError
from zoho_tokens.models import ZohoToken

__all__ = ["discard_refresh_token", "revoke_quietly", "superseded_refresh_token"]

logger = logging.getLogger(__name__)


def superseded_refresh_token(row: ZohoToken, default_server: str) -> tuple[str, str] | None:
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


@sensitive_variables("refresh_token")
def revoke_quietly(refresh_token: str | None, accounts_server: str) -> bool:
    """Revoke a refresh token we will not keep; True when Zoho confirmed. Never raises."""
    if not refresh_token:
        return False
    try:
        oauth.revoke_refresh_token(refresh_token, accounts_server=accounts_server)
    except ZohoOAuthError as err:
        logger.warning("Could not revoke a superseded Zoho refresh token: %s", err)
        return False
    return True


@sensitive_variables("refresh_token")
def discard_refresh_token(refresh_token: str | None, values: dict[str, Any]) -> None:
    """Withdraw a refresh token that will not be stored.

    When Zoho cannot be reached, a revoked row with the remote revocation pending keeps it
    (encrypted, linked to nobody) so that ``cleanup_zoho_tokens`` revokes it later. When
    even that write fails, the loss is logged as an error for the operator.
    """
    if not refresh_token or revoke_quietly(refresh_token, values["accounts_server"]):
        return
    pending = ZohoToken(**values)
    pending.refresh_token = refresh_token
    pending.mark_revoked(remote_pending=True)
    try:
        with transaction.atomic():
            pending.save()
    except DatabaseError:
        logger.error(
            "A refresh token Zoho just issued could neither be revoked at %s nor recorded "
            "for a later revocation; revoke the app's access in Zoho's console.",
            values["accounts_server"],
        )
