"""Revoking tokens: locally at once, at Zoho as soon as Zoho answers.

Used by the admin (action, button and delete), the disconnect view and the cleanup command,
so that all of them behave the same way.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass

from django.db import transaction
from django.views.decorators.debug import sensitive_variables

from zoho_tokens import oauth, signals
from zoho_tokens.exceptions import TokenDecryptionError, ZohoOAuthError, ZohoUnavailableError
from zoho_tokens.models import TokenStatus, ZohoToken

logger = logging.getLogger(__name__)

#: ``ZohoUnavailableError.error`` values meaning the accounts server did not answer at all:
#: a retry run stops asking that server, rather than waiting out one timeout per token.
UNREACHABLE_ERRORS = frozenset({"timeout", "unreachable"})


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

    Revoking a token that is already revoked changes nothing (its age, which cleanup goes
    by, is kept); if its revocation at Zoho is still pending, that is tried again.
    ``token_revoked`` is sent once the token is unusable (``remote`` tells whether Zoho
    confirmed).
    """
    with transaction.atomic():
        locked = ZohoToken.objects.select_for_update().filter(pk=token.pk).first()
        if locked is None:
            return RevocationResult(token, remote_done=True)
        if locked.status == TokenStatus.REVOKED:
            already_revoked, has_refresh_token = True, locked.remote_revoke_pending
        else:
            already_revoked, has_refresh_token = False, _has_readable_refresh_token(locked)
            locked.mark_revoked(remote_pending=has_refresh_token)
            locked.save()
    token.refresh_from_db()
    if already_revoked and not has_refresh_token:
        return RevocationResult(token, remote_done=True)
    if not has_refresh_token:
        # Nothing that Zoho would know to revoke (no refresh token, or an unreadable one).
        signals.token_revoked.send(sender=ZohoToken, token=token, remote=True)
        return RevocationResult(token, remote_done=True)
    outcome, reason = _finish_remote_revocation(token)
    remote_done = outcome is _Remote.DONE
    signals.token_revoked.send(sender=ZohoToken, token=token, remote=remote_done)
    return RevocationResult(token, remote_done=remote_done, reason=reason)


def _has_readable_refresh_token(token: ZohoToken) -> bool:
    try:
        return bool(token.refresh_token)
    except TokenDecryptionError:
        # It cannot be sent to Zoho anyway: revoke locally, and say why.
        logger.warning("Zoho token %s: refresh token unreadable, revoked locally only.", token.pk)
        return False


class _Remote(enum.Enum):
    """What asking Zoho to revoke a refresh token came to."""

    DONE = "done"  # Zoho confirmed, or no longer knew the token
    PENDING = "pending"  # Zoho failed or refused: try again later
    UNREACHABLE = "unreachable"  # Zoho did not answer at all: try again later
    GIVEN_UP = "given_up"  # the refresh token can no longer be decrypted: never sendable


@sensitive_variables("refresh_token")
def _finish_remote_revocation(token: ZohoToken) -> tuple[_Remote, str]:
    """Ask Zoho to revoke the refresh token a locally revoked ``token`` still holds.

    Returns the outcome and, unless done, why (for messages; no secret in it). On success
    the refresh token is forgotten and the pending mark cleared, but only if the row still
    holds that very refresh token: a user who connected again in the meantime has a new one
    on the same row, which must not be wiped.
    """
    ciphertext = token.refresh_token_encrypted
    try:
        refresh_token = token.refresh_token
    except TokenDecryptionError:
        logger.warning(
            "Zoho token %s: its refresh token can no longer be decrypted, so it cannot be "
            "revoked at Zoho; revoke the app's access in Zoho's console if it is still live.",
            token.pk,
        )
        _forget_revoked_refresh_token(token, ciphertext)
        return _Remote.GIVEN_UP, "the refresh token can no longer be decrypted"
    try:
        oauth.revoke_refresh_token(refresh_token or "", accounts_server=token.accounts_server)
    except ZohoOAuthError as err:
        logger.warning("Zoho token %s: revocation at Zoho is pending: %s", token.pk, err)
        unreachable = isinstance(err, ZohoUnavailableError) and err.error in UNREACHABLE_ERRORS
        return (_Remote.UNREACHABLE if unreachable else _Remote.PENDING), str(err)
    _forget_revoked_refresh_token(token, ciphertext)
    logger.info("Zoho token %s revoked at Zoho.", token.pk)
    return _Remote.DONE, ""


def _forget_revoked_refresh_token(token: ZohoToken, ciphertext: str) -> None:
    ZohoToken.objects.filter(
        pk=token.pk, remote_revoke_pending=True, refresh_token_encrypted=ciphertext
    ).update(refresh_token_encrypted="", remote_revoke_pending=False)
    token.refresh_from_db()


def retry_pending_revocations(*, batch_size: int = 100) -> tuple[int, int]:
    """Try again every revocation Zoho has not confirmed yet.

    Returns ``(done, still_pending)``. ``done`` counts the rows no longer pending: Zoho
    confirmed (``token_revoked`` is then sent again, with ``remote=True``), or the refresh
    token can no longer be decrypted (logged; it can never be sent). Once an accounts server
    does not answer at all, its other tokens wait for the next run instead of each waiting
    out ``HTTP_TIMEOUT``.
    """
    done = still_pending = 0
    unreachable: set[str] = set()
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
            if token.accounts_server in unreachable:
                still_pending += 1
                continue
            outcome, _reason = _finish_remote_revocation(token)
            if outcome is _Remote.DONE:
                signals.token_revoked.send(sender=ZohoToken, token=token, remote=True)
            if outcome in (_Remote.DONE, _Remote.GIVEN_UP):
                done += 1
                continue
            still_pending += 1
            if outcome is _Remote.UNREACHABLE:
                unreachable.add(token.accounts_server)
        last_pk = batch[-1].pk
