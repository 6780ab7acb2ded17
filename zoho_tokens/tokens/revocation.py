"""Revoking tokens: locally at once, at Zoho as soon as Zoho answers.

Used by the admin (action, button and delete), the disconnect view, the cleanup command and
the deletion of a Django user, so that all of them behave the same way.

A refresh token is forgotten only once Zoho confirmed it is dead. Until then its ciphertext
stays on the row with ``remote_revoke_pending`` set, whatever went wrong: Zoho unreachable,
an answer that is not Zoho's, or an encryption key removed too early (put the key back and
``cleanup_zoho_tokens`` revokes it). So no refresh token is ever left alive at Zoho with no
row holding it.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.views.decorators.debug import sensitive_variables

from zoho_tokens import signals
from zoho_tokens.accounts import client as oauth
from zoho_tokens.exceptions import TokenDecryptionError, ZohoOAuthError, ZohoUnavailableError
from zoho_tokens.models import TokenStatus, ZohoToken

__all__ = [
    "RevocationResult",
    "retry_pending_revocations",
    "revoke_token",
    "revoke_tokens_of_deleted_user",
]

logger = logging.getLogger(__name__)

#: ``ZohoUnavailableError.error`` values meaning the accounts server did not answer at all:
#: a retry run stops asking that server, rather than waiting out one timeout per token.
UNREACHABLE_ERRORS = frozenset({"timeout", "unreachable"})

#: Why a revocation waits when its refresh token cannot be decrypted (no secret in it).
UNREADABLE_REASON = (
    "the refresh token cannot be decrypted with the configured encryption keys; put the "
    "removed key back and cleanup_zoho_tokens revokes it at Zoho"
)


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
    leaves a usable token behind. Until Zoho confirms, the (encrypted) refresh token is kept
    and ``remote_revoke_pending`` is set; :func:`retry_pending_revocations` finishes it. That
    includes a refresh token no configured key decrypts: its ciphertext is kept for when the
    key is put back.

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
            # Readable or not: only Zoho's answer may make a refresh token forgettable.
            already_revoked, has_refresh_token = False, bool(locked.refresh_token_encrypted)
            locked.mark_revoked(remote_pending=has_refresh_token)
            locked.save()
    token.refresh_from_db()
    if already_revoked and not has_refresh_token:
        return RevocationResult(token, remote_done=True)
    if not already_revoked:
        signals.emit("revoked_locally", token.pk, "ok")
    if not has_refresh_token:
        # Nothing that Zoho would know to revoke.
        signals.token_revoked.send(sender=ZohoToken, token=token, remote=True)
        return RevocationResult(token, remote_done=True)
    outcome, reason = _finish_remote_revocation(token)
    remote_done = outcome is _Remote.DONE
    _emit_remote(token.pk, outcome)
    signals.token_revoked.send(sender=ZohoToken, token=token, remote=remote_done)
    return RevocationResult(token, remote_done=remote_done, reason=reason)


class _Remote(enum.Enum):
    """What asking Zoho to revoke a refresh token came to."""

    DONE = "done"  # Zoho confirmed, or no longer knew the token
    PENDING = "pending"  # Zoho failed or refused: try again later
    UNREACHABLE = "unreachable"  # Zoho did not answer at all: try again later
    UNREADABLE = "unreadable"  # no configured key decrypts it: kept until the key is back


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
            "Zoho token %s: revocation at Zoho is pending: %s.", token.pk, UNREADABLE_REASON
        )
        return _Remote.UNREADABLE, UNREADABLE_REASON
    try:
        oauth.revoke_refresh_token(refresh_token or "", accounts_server=token.accounts_server)
    except ZohoOAuthError as err:
        logger.warning("Zoho token %s: revocation at Zoho is pending: %s", token.pk, err)
        unreachable = isinstance(err, ZohoUnavailableError) and err.error in UNREACHABLE_ERRORS
        return (_Remote.UNREACHABLE if unreachable else _Remote.PENDING), str(err)
    ZohoToken.objects.filter(
        pk=token.pk, remote_revoke_pending=True, refresh_token_encrypted=ciphertext
    ).update(refresh_token_encrypted="", remote_revoke_pending=False)
    token.refresh_from_db()
    logger.info("Zoho token %s revoked at Zoho.", token.pk)
    return _Remote.DONE, ""


def retry_pending_revocations(*, batch_size: int = 100) -> tuple[int, int]:
    """Try again every revocation Zoho has not confirmed yet.

    Returns ``(done, still_pending)``. ``done`` counts the rows Zoho confirmed
    (``token_revoked`` is then sent again, with ``remote=True``). A refresh token no
    configured key decrypts stays pending (logged), so that restoring the key lets a later
    run revoke it. Once an accounts server does not answer at all, its other tokens wait for
    the next run instead of each waiting out ``HTTP_TIMEOUT``.
    """
    done = still_pending = 0
    unreachable: set[str] = set()
    pending = ZohoToken.objects.pending_remote_revocation()
    for pks in pending.primary_key_batches(batch_size):
        for token in pending.filter(pk__in=pks).order_by("pk"):
            if token.accounts_server in unreachable:
                still_pending += 1
                continue
            outcome, _reason = _finish_remote_revocation(token)
            _emit_remote(token.pk, outcome)
            if outcome is _Remote.DONE:
                signals.token_revoked.send(sender=ZohoToken, token=token, remote=True)
                done += 1
                continue
            still_pending += 1
            if outcome is _Remote.UNREACHABLE:
                unreachable.add(token.accounts_server)
    return done, still_pending


def revoke_tokens_of_deleted_user(sender: Any, instance: Any, **kwargs: Any) -> None:
    """``pre_delete`` receiver for the user model: revoke the user's tokens first.

    Covers ``user.delete()``, the admin's delete and queryset deletes (Django sends
    ``pre_delete`` for each user once a receiver is connected). A token Zoho confirmed is
    deleted with its user; one whose revocation at Zoho is still pending stays, revoked and
    unlinked (the foreign key is ``SET_NULL``), so ``cleanup_zoho_tokens`` retries it.
    """
    if instance.pk is None:
        return
    for token in ZohoToken.objects.filter(user_id=instance.pk).order_by("pk"):
        result = revoke_token(token)
        if result.remote_done:
            ZohoToken.objects.filter(pk=token.pk, remote_revoke_pending=False).delete()
        else:
            logger.warning(
                "Zoho token %s outlives its deleted Django user %s, unlinked: revocation at "
                "Zoho is pending (%s); cleanup_zoho_tokens retries it.",
                token.pk,
                instance.pk,
                result.reason,
            )


def _emit_remote(token_id: int, outcome: _Remote) -> None:
    """The ``revoked_at_zoho`` event: ``ok``, or why the revocation stays pending."""
    signals.emit("revoked_at_zoho", token_id, "ok" if outcome is _Remote.DONE else outcome.value)
