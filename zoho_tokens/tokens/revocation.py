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
import time
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Case, QuerySet, Value, When
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from zoho_tokens import signals
from zoho_tokens.accounts import client as oauth
from zoho_tokens.conf import zoho_settings
from zoho_tokens.exceptions import TokenDecryptionError, ZohoOAuthError, ZohoUnavailableError
from zoho_tokens.models import TokenStatus, ZohoToken

__all__ = [
    "BulkRevocationResult",
    "RevocationResult",
    "retry_pending_revocations",
    "revoke_token",
    "revoke_tokens",
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


@dataclass(frozen=True)
class BulkRevocationResult:
    """The outcome of :func:`revoke_tokens`: every token counted is unusable here."""

    #: Tokens made unusable here (or already unusable, their revocation at Zoho pending).
    revoked: int
    #: Of those, the ones Zoho confirmed revoked (or that held nothing Zoho would know).
    remote_done: int
    #: Of those, the ones whose revocation at Zoho is pending (``cleanup_zoho_tokens``
    #: retries them).
    pending: int
    #: Why revocations are pending, each reason once (no secret in them).
    reasons: tuple[str, ...] = ()


def revoke_tokens(
    tokens: QuerySet[ZohoToken], *, within: float | None = None
) -> BulkRevocationResult:
    """Revoke every token of ``tokens``: all unusable here at once, then at Zoho under one
    deadline of ``within`` seconds (default ``HTTP_TIMEOUT``) for the whole lot.

    The local revocation is one UPDATE, committed before Zoho is asked. Then each refresh
    token is revoked at its accounts server, each request given what is left of the
    deadline; once a server does not answer at all, its other tokens are not asked (as
    :func:`retry_pending_revocations` does), and once the deadline has passed none is.
    Those stay pending, for ``cleanup_zoho_tokens``. ``token_revoked`` is sent for each
    token, with ``remote`` telling whether Zoho confirmed.
    """
    deadline = time.monotonic() + (zoho_settings.HTTP_TIMEOUT if within is None else within)
    acted, newly_revoked = _revoke_locally(tokens)
    signals.emit_many("revoked_locally", newly_revoked, "ok")
    done, reasons, unreachable = 0, set(), set()
    remote: dict[_Remote, list[int]] = {}
    for start in range(0, len(acted), 500):
        for token in ZohoToken.objects.filter(pk__in=acted[start : start + 500]).order_by("pk"):
            outcome, reason = _Remote.DONE, ""
            if token.remote_revoke_pending:
                left = deadline - time.monotonic()
                if left <= 0 or token.accounts_server in unreachable:
                    outcome, reason = _Remote.UNREACHABLE, "Zoho did not answer in time"
                else:
                    outcome, reason = _finish_remote_revocation(token, timeout=left)
                remote.setdefault(outcome, []).append(token.pk)
            if outcome is _Remote.UNREACHABLE:
                unreachable.add(token.accounts_server)
            if outcome is _Remote.DONE:
                done += 1
            else:
                reasons.add(reason)
            signals.token_revoked.send(
                sender=ZohoToken, token=token, remote=outcome is _Remote.DONE
            )
    for outcome, pks in remote.items():
        signals.emit_many("revoked_at_zoho", pks, _remote_outcome(outcome))
    return BulkRevocationResult(len(acted), done, len(acted) - done, tuple(sorted(reasons)))


def _revoke_locally(tokens: QuerySet[ZohoToken]) -> tuple[list[Any], list[Any]]:
    """Make ``tokens`` unusable in one UPDATE (:meth:`ZohoToken.mark_revoked` for many);
    the keys of the rows a revocation had work to do on, and of those it made unusable
    (the others were revoked already, their revocation at Zoho pending), in key order."""
    selected = ZohoToken.objects.filter(pk__in=tokens.values("pk")).revocable()
    with transaction.atomic():
        acted = list(selected.select_for_update().order_by("pk").values_list("pk", flat=True))
        active = selected.exclude(status=TokenStatus.REVOKED)
        newly_revoked = list(active.order_by("pk").values_list("pk", flat=True))
        active.update(
            status=TokenStatus.REVOKED,
            status_changed_at=timezone.now(),
            # Only Zoho's answer may make a refresh token forgettable.
            remote_revoke_pending=Case(
                When(refresh_token_encrypted="", then=Value(False)), default=Value(True)
            ),
            access_token_encrypted="",
            access_token_digest=None,
            grant_token_encrypted="",
            grant_token_digest=None,
            client_secret_encrypted="",
            expires_at_ms=None,
        )
    return acted, newly_revoked


class _Remote(enum.Enum):
    """What asking Zoho to revoke a refresh token came to."""

    DONE = "done"  # Zoho confirmed, or no longer knew the token
    PENDING = "pending"  # Zoho failed or refused: try again later
    UNREACHABLE = "unreachable"  # Zoho did not answer at all: try again later
    UNREADABLE = "unreadable"  # no configured key decrypts it: kept until the key is back


@sensitive_variables("refresh_token")
def _finish_remote_revocation(
    token: ZohoToken, timeout: float | None = None
) -> tuple[_Remote, str]:
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
        oauth.revoke_refresh_token(
            refresh_token or "", accounts_server=token.accounts_server, timeout=timeout
        )
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
    ``pre_delete`` for each user once a receiver is connected). Every token is made
    unusable at once and revoked at Zoho under one deadline (:func:`revoke_tokens`). A
    token Zoho confirmed is deleted with its user; one whose revocation at Zoho is still
    pending stays, revoked and unlinked (the foreign key is ``SET_NULL``), so
    ``cleanup_zoho_tokens`` retries it.
    """
    if instance.pk is None:
        return
    result = revoke_tokens(ZohoToken.objects.filter(user_id=instance.pk))
    ZohoToken.objects.filter(user_id=instance.pk, remote_revoke_pending=False).delete()
    if result.pending:
        logger.warning(
            "%d Zoho token(s) outlive their deleted Django user %s, unlinked: revocation at "
            "Zoho is pending (%s); cleanup_zoho_tokens retries them.",
            result.pending,
            instance.pk,
            "; ".join(result.reasons),
        )


def _emit_remote(token_id: int, outcome: _Remote) -> None:
    """The ``revoked_at_zoho`` event: ``ok``, or why the revocation stays pending."""
    signals.emit("revoked_at_zoho", token_id, _remote_outcome(outcome))


def _remote_outcome(outcome: _Remote) -> str:
    """An event's ``outcome`` for a revocation at Zoho: ``ok``, or why it stays pending."""
    return "ok" if outcome is _Remote.DONE else outcome.value
