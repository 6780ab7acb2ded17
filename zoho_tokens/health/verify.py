"""Checking stored tokens at Zoho: which ones does Zoho still accept?

Zoho has no endpoint that tells whether a refresh token is alive without using it, and a
CRM call would spend the organisation's API credits; so each token is checked with one
refresh at Zoho Accounts, which costs no credit and one of the 10 access tokens Zoho mints
per refresh token in 10 minutes. The refresh goes through the package's single-flight
refresh (:func:`zoho_tokens.tokens.refresh.ensure_fresh`): the new access token is stored,
a worker refreshing the same token meanwhile makes this check free, and a token in a
back-off after a failure is not asked again. A dead token is marked as needing the user to
connect again, with Zoho's reason; its (encrypted) refresh token is kept, so that revoking
it later still works. Nothing is deleted.

A dry run asks Zoho the same way but changes nothing here (the access token Zoho mints is
dropped, and no signal is sent).
"""

from __future__ import annotations

import enum
import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.views.decorators.debug import sensitive_variables

from zoho_tokens import signals
from zoho_tokens.accounts import client as oauth
from zoho_tokens.exceptions import (
    NoUsableTokenError,
    ReauthorizationRequired,
    ZohoOAuthError,
    ZohoThrottledError,
    ZohoUnavailableError,
)
from zoho_tokens.models import ReconsentReason, TokenStatus, ZohoToken, ZohoTokenQuerySet
from zoho_tokens.tokens.refresh import ensure_fresh
from zoho_tokens.tokens.refresh_news import announce_reconsent

logger = logging.getLogger(__name__)

#: Zoho's answers that mean the OAuth client itself is gone.
CLIENT_GONE = ("invalid_client",)
#: After this many answers in a row of "unreachable" from one accounts server, its other
#: tokens are not tried in this run (each would wait out ``HTTP_TIMEOUT``).
UNREACHABLE_STREAK = 3
#: Rows read per query.
BATCH_SIZE = 200


class Verdict(str, enum.Enum):
    """What the check of one token came to."""

    ALIVE = "alive"  # Zoho refreshed it
    DEAD = "dead"  # Zoho no longer accepts it: the user must connect again
    THROTTLED = "throttled"  # Zoho asked us to slow down: not checked, not dead
    UNREACHABLE = "unreachable"  # Zoho did not answer (or answered nothing usable)
    ERROR = "error"  # Zoho refused for another reason (e.g. a wrong client secret)
    GONE = "gone"  # revoked or deleted here while the check ran
    SKIPPED = "skipped"  # no refresh token (an online-only grant): nothing to check with


@dataclass(frozen=True)
class TokenCheck:
    """The check of one token (never a secret)."""

    token_id: int
    zoho_user: str
    location: str
    verdict: Verdict
    #: For a dead token, a :class:`ReconsentReason`; otherwise Zoho's error code, if any.
    reason: str = ""


@dataclass(frozen=True)
class VerifyReport:
    """What a verification run found."""

    checks: tuple[TokenCheck, ...]
    dry_run: bool = False

    @property
    def counts(self) -> dict[str, int]:
        """How many tokens got each :class:`Verdict` (every verdict present, 0 included)."""
        counted = Counter(check.verdict for check in self.checks)
        return {verdict.value: counted[verdict] for verdict in Verdict}

    @property
    def dead(self) -> list[TokenCheck]:
        """The tokens Zoho no longer accepts."""
        return [check for check in self.checks if check.verdict is Verdict.DEAD]

    @property
    def exit_status(self) -> int:
        """0: every token checked is alive; 1: some need the user to connect again; 2: Zoho
        could not answer for some (the run is incomplete: run it again later)."""
        counts = self.counts
        if counts["unreachable"] or counts["error"]:
            return 2
        return 1 if counts["dead"] else 0


def verify_tokens(
    tokens: ZohoTokenQuerySet,
    *,
    dry_run: bool = False,
    progress: Callable[[TokenCheck], None] | None = None,
) -> VerifyReport:
    """Check each active token of ``tokens`` at Zoho, once (see the module docstring)."""
    checks: list[TokenCheck] = []
    streaks: Counter[str] = Counter()
    for row in _active_rows(tokens):
        if streaks[row.accounts_server] >= UNREACHABLE_STREAK:
            check = _check_of(row, Verdict.UNREACHABLE, "not_tried")
        else:
            check = _probe(row) if dry_run else _verify(row)
            if check.verdict is Verdict.UNREACHABLE:
                streaks[row.accounts_server] += 1
            else:
                streaks[row.accounts_server] = 0
        checks.append(check)
        if progress is not None:
            progress(check)
    return VerifyReport(tuple(checks), dry_run=dry_run)


def _active_rows(tokens: ZohoTokenQuerySet) -> Iterable[ZohoToken]:
    active = tokens.filter(status=TokenStatus.ACTIVE)
    for pks in active.primary_key_batches(BATCH_SIZE):
        yield from active.filter(pk__in=pks).order_by("pk")


def _check_of(row: ZohoToken, verdict: Verdict, reason: str | None = "") -> TokenCheck:
    return TokenCheck(row.pk, row.user_name or "", row.location, verdict, reason or "")


@sensitive_variables()
def _verify(row: ZohoToken) -> TokenCheck:
    """One refresh through the single-flight path; mark the token if Zoho refused it."""
    if not row.refresh_token_encrypted:
        return _check_of(row, Verdict.SKIPPED, "no_refresh_token")
    try:
        # Forced: the row's access token counts as rejected, so it is refreshed unless
        # another worker refreshed it while this one waited for the lock.
        ensure_fresh(row, rejected_access_token=row.access_token or None)
    except ReauthorizationRequired:
        check = _check_of(row, Verdict.DEAD, ReconsentReason.REVOKED.value)
    except NoUsableTokenError:
        return _check_of(row, Verdict.GONE)
    except ZohoOAuthError as err:
        check = _failure(row, err)
        if check.verdict is Verdict.DEAD:
            _mark_client_deleted(row, err.error)
    else:
        check = _check_of(row, Verdict.ALIVE)
    signals.emit("verified", row.pk, check.verdict.value, detail=check.reason)
    return check


def _failure(row: ZohoToken, err: ZohoOAuthError) -> TokenCheck:
    if isinstance(err, ZohoThrottledError):
        return _check_of(row, Verdict.THROTTLED, err.error)
    if isinstance(err, ZohoUnavailableError):
        return _check_of(row, Verdict.UNREACHABLE, err.error)
    if err.error in CLIENT_GONE:
        return _check_of(row, Verdict.DEAD, ReconsentReason.CLIENT_DELETED.value)
    return _check_of(row, Verdict.ERROR, err.error)


def _mark_client_deleted(row: ZohoToken, error: str | None) -> None:
    """Mark ``row`` as needing a new consent because its client is gone (once: only the
    run that changes the row from active says so)."""
    row.mark_needs_reauth(ReconsentReason.CLIENT_DELETED, error)
    changed = ZohoToken.objects.filter(pk=row.pk, status=TokenStatus.ACTIVE).update(
        status=row.status,
        status_changed_at=row.status_changed_at,
        access_token_encrypted="",
        access_token_digest=None,
        expires_at_ms=None,
        refresh_failure=row.refresh_failure,
        refresh_backoff_until=None,
    )
    if changed:
        announce_reconsent(row, ReconsentReason.CLIENT_DELETED, error)


@sensitive_variables("grant")
def _probe(row: ZohoToken) -> TokenCheck:
    """A dry run's check: ask Zoho, store nothing, signal nothing."""
    if not row.refresh_token_encrypted:
        return _check_of(row, Verdict.SKIPPED, "no_refresh_token")
    try:
        oauth.refresh_access_token(
            row.refresh_token or "",
            accounts_server=row.accounts_server,
            client_id=row.client_id,
            client_secret=row.client_secret,
        )
    except ZohoOAuthError as err:
        if err.error == "invalid_code":
            return _check_of(row, Verdict.DEAD, ReconsentReason.REVOKED.value)
        return _failure(row, err)
    return _check_of(row, Verdict.ALIVE)
