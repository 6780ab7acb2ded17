"""Keeping the token table clean: which rows can go, and deleting them in small batches.

Run from cron through ``python manage.py cleanup_zoho_tokens``, or call :func:`run_cleanup`.

Deleting happens one batch of primary keys at a time, each batch in its own short
transaction, so that a million rows go through with bounded memory and without one long
lock on the table: the primary keys are read in key order (never model instances), and
each ``DELETE`` names its batch and repeats the category's condition, so a row that changed
in between (a user who connected again) is left alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from zoho_tokens.models import TokenStatus, ZohoToken, ZohoTokenQuerySet
from zoho_tokens.models.state import access_expired_q
from zoho_tokens.tokens.revocation import retry_pending_revocations

__all__ = ["CATEGORIES", "Category", "Writer", "run_cleanup"]

#: Days a revoked token, or one needing re-authorisation, is kept (for people to see why).
DEFAULT_OLDER_THAN_DAYS = 30
#: Primary keys per ``DELETE``.
DEFAULT_BATCH_SIZE = 1000
#: A grant token not exchanged within this long never will be (Zoho's codes live minutes).
GRANT_TOKEN_MAX_AGE = timedelta(minutes=10)

#: Keys of :func:`run_cleanup`'s result that are not deletions.
REVOCATIONS_CONFIRMED = "revocations_confirmed"
REVOCATIONS_PENDING = "revocations_pending"


class Writer(Protocol):
    """Where progress goes: a text stream, or a management command's ``stdout``."""

    def write(self, text: str, /) -> object: ...


@dataclass(frozen=True)
class Category:
    """One kind of row that cleanup deletes."""

    name: str
    label: Promise
    #: The condition, given the cutoff for old statuses and the time the run started.
    condition: Callable[[datetime, datetime], Q]

    def describe(self, older_than_days: int) -> str:
        """The label, for people, with the number of days filled in."""
        return str(self.label) % {"days": older_than_days}


def _revoked(cutoff: datetime, now: datetime) -> Q:
    # A revocation still pending at Zoho keeps its row: it holds the refresh token that
    # still has to be revoked there.
    return Q(status=TokenStatus.REVOKED, status_changed_at__lt=cutoff, remote_revoke_pending=False)


def _unrecoverable(cutoff: datetime, now: datetime) -> Q:
    # Nothing left to refresh with, and nothing to exchange (a grant token waiting to be
    # exchanged belongs to the next category).
    expired = access_expired_q(int(now.timestamp() * 1000))
    return (
        Q(status=TokenStatus.ACTIVE, refresh_token_encrypted="", grant_token_encrypted="") & expired
    )


def _unexchanged_grant(cutoff: datetime, now: datetime) -> Q:
    return Q(
        status=TokenStatus.ACTIVE,
        refresh_token_encrypted="",
        access_token_encrypted="",
        created_at__lt=now - GRANT_TOKEN_MAX_AGE,
    ) & ~Q(grant_token_encrypted="")


def _needs_reauth(cutoff: datetime, now: datetime) -> Q:
    return Q(status=TokenStatus.NEEDS_REAUTH, status_changed_at__lt=cutoff)


#: What cleanup deletes, in the order it deletes it. The conditions never overlap.
CATEGORIES: tuple[Category, ...] = (
    Category("revoked", _("Revoked more than %(days)d days ago"), _revoked),
    Category(
        "unrecoverable",
        _("Can never work again (no refresh token, access token expired)"),
        _unrecoverable,
    ),
    Category(
        "unexchanged_grant", _("Grant tokens not exchanged within 10 minutes"), _unexchanged_grant
    ),
    Category(
        "needs_reauth", _("Needing re-authorisation for more than %(days)d days"), _needs_reauth
    ),
)


def _candidates(
    category: Category, *, older_than_days: int = DEFAULT_OLDER_THAN_DAYS
) -> ZohoTokenQuerySet:
    """The rows ``category`` would delete now."""
    now = timezone.now()
    cutoff = now - timedelta(days=older_than_days)
    return ZohoToken.objects.filter(category.condition(cutoff, now))


def _delete_in_batches(
    rows: ZohoTokenQuerySet,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Delete ``rows`` ``batch_size`` primary keys at a time; return how many went.

    Each batch is read as primary keys only (keyset pagination, so the whole scan is one
    pass over the index) and deleted by ``pk IN (...)`` together with ``rows``' own
    condition, in its own transaction. ``ZohoToken`` has no reverse relations, so Django
    deletes such a batch with one ``DELETE`` and loads no instances (unless a project
    connects ``pre_delete``/``post_delete`` receivers to it, which then get at most one
    batch of instances at a time). ``progress`` is called with the running total after
    each batch.
    """
    deleted = 0
    for batch in rows.primary_key_batches(batch_size):
        with transaction.atomic(using=rows.db):
            count, _per_model = rows.filter(pk__in=batch).delete()
        deleted += count
        if progress is not None:
            progress(deleted)
    return deleted


def run_cleanup(
    older_than_days: int = DEFAULT_OLDER_THAN_DAYS,
    batch_size: int = DEFAULT_BATCH_SIZE,
    dry_run: bool = False,
    stdout: Writer | None = None,
) -> dict[str, int]:
    """Retry pending revocations at Zoho, then delete what can go; return the counts.

    The result maps each category's name (see :data:`CATEGORIES`) to the rows deleted,
    or, with ``dry_run``, to the rows that would be; plus ``"revocations_confirmed"`` and
    ``"revocations_pending"`` (after the retry). A dry run changes nothing and contacts no
    one: every pending revocation counts as still pending. ``stdout``, when given, receives
    a line per deleted batch (for long runs).
    """
    if older_than_days < 0:
        raise ValueError("older_than_days must not be negative")
    counts: dict[str, int] = {}
    if dry_run:
        confirmed, pending = 0, ZohoToken.objects.pending_remote_revocation().count()
    else:
        confirmed, pending = retry_pending_revocations()
    counts[REVOCATIONS_CONFIRMED] = confirmed
    counts[REVOCATIONS_PENDING] = pending
    for category in CATEGORIES:
        rows = _candidates(category, older_than_days=older_than_days)
        if dry_run:
            counts[category.name] = rows.count()
            continue
        counts[category.name] = _delete_in_batches(
            rows,
            batch_size=batch_size,
            progress=_progress_printer(category.describe(older_than_days), stdout),
        )
    return counts


def _progress_printer(label: str, stdout: Writer | None) -> Callable[[int], None] | None:
    if stdout is None:
        return None

    def report(total: int) -> None:
        stdout.write(
            _("%(category)s: %(count)d deleted so far") % {"category": label, "count": total} + "\n"
        )

    return report
