"""Token state, defined once: the statuses, what "access expired" means, and the queries.

:class:`ZohoTokenQuerySet` is the one definition of each state (usable, access expired,
display status, revocable, disconnectable by a user); the model's properties of the same
meaning (:attr:`ZohoToken.display_status`, :meth:`ZohoToken.access_expired_at`,
:attr:`ZohoToken.is_revocable`) agree with it, and a test checks that they do.
Internal: import the public classes (:class:`TokenStatus`, :class:`DisplayStatus`,
:class:`ZohoTokenQuerySet`) from :mod:`zoho_tokens.models`, which re-exports them.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from zoho_tokens.models.fields import plain_digest

if TYPE_CHECKING:
    from zoho_tokens.models import ZohoToken  # noqa: F401  (the rows, in the base class)

#: Column names of the encrypted secrets, and of those that also carry a lookup digest.
SECRET_NAMES = ("client_secret", "refresh_token", "access_token", "grant_token")
DIGESTED_SECRET_NAMES = ("refresh_token", "access_token", "grant_token")
#: Every column carrying a secret or a keyed digest of one: never a form field, never shown,
#: rewritten by key rotation.
SECRET_COLUMNS = tuple(f"{name}_encrypted" for name in SECRET_NAMES) + tuple(
    f"{name}_digest" for name in DIGESTED_SECRET_NAMES
)


#: What people see for a missing value, in the admin and for an empty secret.
EMPTY_MARK = "\u2014"


def now_ms() -> int:
    """The current time in epoch milliseconds, the unit the SDK uses for expiry."""
    return int(time.time() * 1000)


class TokenStatus(models.TextChoices):
    """What a token can still be used for."""

    ACTIVE = "active", _("Active")
    REVOKED = "revoked", _("Revoked")
    NEEDS_REAUTH = "needs_reauth", _("Needs re-authorisation")


class ReconsentReason(models.TextChoices):
    """Why Zoho no longer accepts a token, as far as Zoho's answer tells."""

    #: ``invalid_code``: removed under Connected Apps, a password change, or pushed out by
    #: a newer consent (Zoho keeps 20 per user and client); Zoho gives one answer for all.
    REVOKED = "revoked", _("Disconnected at Zoho")
    #: ``invalid_client``: the OAuth client was deleted in Zoho's API console.
    CLIENT_DELETED = "client_deleted", _("The app's Zoho client was deleted")


class DisplayStatus(models.TextChoices):
    """The status shown to people: ``ACTIVE`` split by whether the access token expired."""

    ACTIVE = "active", _("Active")
    EXPIRED = "expired", _("Access expired, refreshable")
    REVOKED = "revoked", _("Revoked")
    NEEDS_REAUTH = "needs_reauth", _("Needs re-authorisation")


def access_expired_q(at_ms: int) -> models.Q:
    """The one definition of "access expired" (:meth:`ZohoToken.access_expired_at` in Python):
    no access token, no known expiry, or an expiry at or before ``at_ms``."""
    return (
        models.Q(access_token_encrypted="")
        | models.Q(expires_at_ms__isnull=True)
        | models.Q(expires_at_ms__lte=at_ms)
    )


class ZohoTokenQuerySet(models.QuerySet["ZohoToken"]):
    """Queries by token state and by secret value (through digests, never plaintext).

    Each state is defined here once; the model's properties of the same meaning
    (:attr:`ZohoToken.display_status`, :attr:`ZohoToken.is_revocable`, ...) agree with it.
    """

    def usable(self) -> ZohoTokenQuerySet:
        """Tokens the SDK may use: active ones."""
        return self.filter(status=TokenStatus.ACTIVE)

    def revoked(self) -> ZohoTokenQuerySet:
        """Tokens revoked locally (their remote revocation may still be pending)."""
        return self.filter(status=TokenStatus.REVOKED)

    def needing_reauth(self) -> ZohoTokenQuerySet:
        """Tokens Zoho refused to refresh."""
        return self.filter(status=TokenStatus.NEEDS_REAUTH)

    def access_expired(self, at_ms: int | None = None) -> ZohoTokenQuerySet:
        """Tokens whose access token is missing or expired at ``at_ms`` (default now)."""
        return self.filter(access_expired_q(now_ms() if at_ms is None else at_ms))

    def with_display_status(self, status: str, at_ms: int | None = None) -> ZohoTokenQuerySet:
        """Tokens whose :attr:`ZohoToken.display_status` is ``status`` at ``at_ms``."""
        if status not in (DisplayStatus.ACTIVE, DisplayStatus.EXPIRED):
            return self.filter(status=status)
        expired = access_expired_q(now_ms() if at_ms is None else at_ms)
        if status == DisplayStatus.EXPIRED:
            return self.filter(models.Q(status=TokenStatus.ACTIVE) & expired)
        return self.filter(models.Q(status=TokenStatus.ACTIVE) & ~expired)

    def revocable(self) -> ZohoTokenQuerySet:
        """Tokens a revocation still has work to do on: not revoked, or revoked with the
        revocation at Zoho still pending."""
        return self.exclude(status=TokenStatus.REVOKED, remote_revoke_pending=False)

    def disconnectable_by(self, user: Any) -> ZohoTokenQuerySet:
        """The tokens ``user`` may disconnect: their own revocable ones (none if anonymous)."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.revocable().filter(user=user)

    def primary_key_batches(self, batch_size: int) -> Iterator[list[Any]]:
        """Walk these rows' primary keys in key order, ``batch_size`` at a time.

        Keyset pagination: each batch is one query for the keys after the last one seen, so
        a whole table goes through in one pass over the index with bounded memory, and rows
        the caller changes or deletes in between never shift the next batch.
        """
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        return _walk_keys(self.order_by("pk").values_list("pk", flat=True), batch_size)

    def pending_remote_revocation(self) -> ZohoTokenQuerySet:
        """Tokens made unusable here whose revocation at Zoho has not gone through yet."""
        return self.filter(remote_revoke_pending=True)

    def with_user_name(self, user_name: str) -> ZohoTokenQuerySet:
        """Rows of the Zoho user ``user_name`` (``"<email>:<org zgid>"``)."""
        return self.filter(user_name_digest=plain_digest(user_name))


def _walk_keys(keys: models.QuerySet[Any, Any], batch_size: int) -> Iterator[list[Any]]:
    batch = list(keys[:batch_size])
    while batch:
        yield batch
        batch = list(keys.filter(pk__gt=batch[-1])[:batch_size])
