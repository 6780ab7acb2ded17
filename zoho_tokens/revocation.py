"""Revoking tokens: locally at once, at Zoho as soon as Zoho answers.

Used by the admin (action and button), the disconnect view and the cleanup command, so that
all of them behave the same way.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction

from zoho_tokens import oauth, signals
from zoho_tokens.exceptions import TokenDecryptionError, ZohoOAuthError
from zoho_tokens.models import ZohoToken

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RevocationResult:
    """The outcome of revoking one token."""

    token: ZohoToken
    #: True when Zoho confirmed (or had nothing to revoke); False when it is still pending.
    remote_done: bool
    #: Why the remote revocation is pending, for messages (no secret in it).
    reason: str = ""


def revoke_token(token: ZohoToken) -> RevocationResult:
    """Make ``token`` unusable here, then revoke its refresh token at its own accounts server.

    The local revocation is committed before Zoho is asked, so a slow or failing Zoho never
    leaves a usable token behind. When Zoho cannot be reached the (encrypted) refresh token is
    kept and ``remote_revoke_pending`` is set; :func:`retry_pending_revocations` finishes it.
    """
    with transaction.atomic():
        locked = ZohoToken.objects.select_for_update().filter(pk=token.pk).first()
        if locked is None:
            return RevocationResult(token, remote_done=True)
        try:
            has_refresh_token = bool(locked.refresh_token)
        except TokenDecryptionError:
            # It cannot be sent to Zoho anyway: revoke locally, and say why.
            logger.warning(
                "Zoho token %s: refresh token unreadable, revoked locally only.", locked.pk
            )
            has_refresh_token = False
        locked.mark_revoked(remote_pending=has_refresh_token)
        locked.save()
    token.refresh_from_db()
    if not has_refresh_token:
        signals.token_revoked.send(sender=ZohoToken, token=token, remote=True)
        return RevocationResult(token, remote_done=True)
    return _finish_remote_revocation(token)


def _finish_remote_revocation(token: ZohoToken) -> RevocationResult:
    refresh_token = token.refresh_token
    try:
        oauth.revoke_refresh_token(refresh_token or "", accounts_server=token.accounts_server)
    except ZohoOAuthError as err:
        logger.warning("Zoho token %s: revocation at Zoho is pending: %s", token.pk, err)
        signals.token_revoked.send(sender=ZohoToken, token=token, remote=False)
        return RevocationResult(token, remote_done=False, reason=str(err))
    ZohoToken.objects.filter(pk=token.pk).update(
        refresh_token_encrypted="", remote_revoke_pending=False
    )
    token.refresh_from_db()
    logger.info("Zoho token %s revoked at Zoho.", token.pk)
    signals.token_revoked.send(sender=ZohoToken, token=token, remote=True)
    return RevocationResult(token, remote_done=True)


def retry_pending_revocations(*, batch_size: int = 100) -> tuple[int, int]:
    """Try again every revocation Zoho has not confirmed yet.

    Returns ``(done, still_pending)``.
    """
    done = still_pending = 0
    last_pk = 0
    while True:
        batch = list(
            ZohoToken.objects.pending_remote_revocation()
            .filter(pk__gt=last_pk)
            .order_by("pk")[:batch_size]
        )
        if not batch:
            return done, still_pending
        for token in batch:
            if _finish_remote_revocation(token).remote_done:
                done += 1
            else:
                still_pending += 1
        last_pk = batch[-1].pk
