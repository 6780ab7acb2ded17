"""The token table: one row per Zoho user and OAuth client, secrets encrypted."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from datetime import timezone as dt_timezone
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zoho_tokens.accounts.scopes import missing_scopes, parse_scopes, scopes_text
from zoho_tokens.models.crypto import keyring
from zoho_tokens.models.events import Actor, EventKind, TokenEvent
from zoho_tokens.models.fields import EncryptedSecret, plain_digest
from zoho_tokens.models.limits import ZohoCallSlot, ZohoLimitFigures

# The token state is defined in token_state; its public classes are imported from here.
from zoho_tokens.models.state import (
    EMPTY_MARK,
    SECRET_NAMES,
    DisplayStatus,
    ReconsentReason,
    TokenStatus,
    ZohoTokenQuerySet,
    now_ms,
)

__all__ = [
    "Actor",
    "DisplayStatus",
    "EventKind",
    "ReconsentReason",
    "TokenEvent",
    "TokenStatus",
    "ZohoCallSlot",
    "ZohoLimitFigures",
    "ZohoToken",
    "ZohoTokenQuerySet",
    "now_ms",
]


class ZohoToken(models.Model):
    """A Zoho OAuth token as the SDK knows it, plus what a deployment needs around it.

    Secrets (client secret, refresh, access and grant tokens) are never stored in plaintext:
    read and assign them through the attributes of the same name.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        # Deleting a user revokes their tokens first (revocation.revoke_tokens_of_user);
        # a token whose revocation at Zoho is still pending survives the user, unlinked.
        on_delete=models.SET_NULL,
        related_name="zoho_tokens",
        verbose_name=_("Django user"),
    )
    user_name = models.TextField(
        _("Zoho user"),
        null=True,
        blank=True,
        # Escaped: help texts are rendered as HTML in the admin and in forms.
        help_text=_("The Zoho user as the SDK names it: &lt;email&gt;:&lt;org zgid&gt;."),
    )
    user_name_digest = models.CharField(max_length=64, null=True, blank=True, editable=False)
    client_id = models.CharField(_("client id"), max_length=255, null=True, blank=True)
    client_secret_encrypted = models.TextField(blank=True, default="", editable=False)
    refresh_token_encrypted = models.TextField(blank=True, default="", editable=False)
    refresh_token_digest = models.CharField(
        max_length=64, null=True, blank=True, db_index=True, editable=False
    )
    access_token_encrypted = models.TextField(blank=True, default="", editable=False)
    access_token_digest = models.CharField(
        max_length=64, null=True, blank=True, db_index=True, editable=False
    )
    grant_token_encrypted = models.TextField(blank=True, default="", editable=False)
    grant_token_digest = models.CharField(
        max_length=64, null=True, blank=True, db_index=True, editable=False
    )
    expires_at_ms = models.BigIntegerField(
        _("access token expiry (epoch ms)"), null=True, blank=True
    )
    redirect_url = models.TextField(_("redirect URL"), null=True, blank=True)
    api_domain = models.CharField(_("API domain"), max_length=255, null=True, blank=True)
    accounts_server = models.CharField(_("accounts server"), max_length=255, blank=True, default="")
    location = models.CharField(_("data centre"), max_length=16, blank=True, default="")
    status = models.CharField(
        _("status"), max_length=16, choices=TokenStatus.choices, default=TokenStatus.ACTIVE
    )
    status_changed_at = models.DateTimeField(_("status changed"), default=timezone.now)
    remote_revoke_pending = models.BooleanField(
        _("revocation at Zoho pending"), default=False, db_index=True
    )
    last_refreshed_at = models.DateTimeField(_("last refresh"), null=True, blank=True)
    granted_scopes = models.TextField(
        _("granted scopes"),
        blank=True,
        default="",
        help_text=_("The scopes Zoho granted this token, comma-separated."),
    )
    # A failed refresh, shared with every worker until the back-off ends (see
    # zoho_tokens.tokens.refresh): "<kind>:<Zoho's error code>", empty when the last one succeeded.
    refresh_failure = models.CharField(
        _("last refresh failure"), max_length=64, blank=True, default="", editable=False
    )
    refresh_backoff_until = models.DateTimeField(
        _("no refresh before"), null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    client_secret = EncryptedSecret()
    refresh_token = EncryptedSecret(digest=True)
    access_token = EncryptedSecret(digest=True)
    grant_token = EncryptedSecret(digest=True)

    objects: ClassVar[ZohoTokenQuerySet] = ZohoTokenQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("Zoho token")
        verbose_name_plural = _("Zoho tokens")
        constraints = [
            models.UniqueConstraint(
                fields=["client_id", "user_name_digest"],
                name="zoho_tokens_one_row_per_zoho_user_and_client",
            ),
        ]
        indexes = [
            models.Index(fields=["user_name_digest"], name="zoho_tokens_user_name_idx"),
            # The date leads on purpose: SQLite keeps no statistics unless ANALYZE runs, and
            # an index led by status would win over the digest indexes for every lookup of
            # an active token, which would then walk every active row.
            models.Index(fields=["status_changed_at", "status"], name="zoho_tokens_status_idx"),
        ]

    def __str__(self) -> str:
        return self.user_name or f"Zoho token {self.pk}"

    def __repr__(self) -> str:
        # Only identifiers: never a secret, whatever ends up printing this object.
        return f"<ZohoToken id={self.pk} user_name={self.user_name!r} status={self.status}>"

    def set_user_name(self, user_name: str | None) -> None:
        """Set the Zoho user name and its lookup digest together."""
        self.user_name = user_name or None
        self.user_name_digest = plain_digest(user_name) if user_name else None

    @property
    def email(self) -> str | None:
        """The Zoho user's email: the part of the user name before ``":<org zgid>"``."""
        if not self.user_name:
            return None
        return self.user_name.rpartition(":")[0] or self.user_name

    @property
    def scopes(self) -> list[str]:
        """The scopes Zoho granted this token (from the token response's ``scope``, or
        the scopes asked for when Zoho did not say)."""
        return parse_scopes(self.granted_scopes)

    @scopes.setter
    def scopes(self, value: Iterable[str]) -> None:
        self.granted_scopes = scopes_text(value)

    def missing_scopes(self, *needed: str) -> list[str]:
        """The scopes of ``needed`` this token's scopes do not cover (see
        :mod:`zoho_tokens.accounts.scopes` for Zoho's covering rules)."""
        return missing_scopes(self.scopes, needed)

    def has_scopes(self, *needed: str) -> bool:
        """Whether this token's scopes cover every scope of ``needed``."""
        return not self.missing_scopes(*needed)

    @property
    def expires_at(self) -> datetime | None:
        """The access token's expiry as an aware datetime."""
        if self.expires_at_ms is None:
            return None
        return datetime.fromtimestamp(self.expires_at_ms / 1000, tz=dt_timezone.utc)

    def access_expired_at(self, at_ms: int) -> bool:
        """Whether the access token is missing or expired at ``at_ms``: the definition of
        :func:`access_expired_q` (and so of :meth:`ZohoTokenQuerySet.access_expired`)."""
        if not self.access_token_encrypted or self.expires_at_ms is None:
            return True
        return self.expires_at_ms <= at_ms

    def access_expires_within(self, seconds: float) -> bool:
        """Whether the access token is missing or expires within ``seconds`` from now."""
        return self.access_expired_at(now_ms() + int(seconds * 1000))

    @property
    def display_status(self) -> DisplayStatus:
        """The status shown in the admin and the example project."""
        if self.status == TokenStatus.REVOKED:
            return DisplayStatus.REVOKED
        if self.status == TokenStatus.NEEDS_REAUTH:
            return DisplayStatus.NEEDS_REAUTH
        if self.access_expired_at(now_ms()):
            return DisplayStatus.EXPIRED
        return DisplayStatus.ACTIVE

    @property
    def is_revocable(self) -> bool:
        """Whether revoking still has work to do (see :meth:`ZohoTokenQuerySet.revocable`)."""
        return self.status != TokenStatus.REVOKED or self.remote_revoke_pending

    @property
    def is_usable(self) -> bool:
        """Whether the SDK may use this token (it may still need a refresh)."""
        return self.status == TokenStatus.ACTIVE

    def masked(self, name: str) -> str:
        """A secret shown to people: its last four characters at most, or :data:`EMPTY_MARK`."""
        if name not in SECRET_NAMES:
            raise ValueError(f"{name!r} is not a secret of ZohoToken")
        if not getattr(self, f"{name}_encrypted"):
            return EMPTY_MARK
        value = getattr(self, name) or ""
        return "\u2022" * 8 + value[-4:] if len(value) > 8 else "\u2022" * 8

    def with_refresh_digest(self, refresh_token: str) -> bool:
        """Whether this row holds (or, if revoked, last held) ``refresh_token``."""
        return bool(self.refresh_token_digest) and (
            self.refresh_token_digest in keyring().digests(refresh_token)
        )

    def set_status(self, status: TokenStatus) -> None:
        """Change the status and remember when (cleanup ages rows by that time)."""
        self.status = status
        self.status_changed_at = timezone.now()

    def wipe_secrets(self, *, keep_refresh_token: bool = False) -> None:
        """Forget the secrets; the refresh token may be kept for a pending remote revoke.

        The refresh token's digest always stays: it is not a secret, and it lets a later
        save of this very refresh token be recognised (and kept from reactivating the row).
        """
        self.access_token = None
        self.grant_token = None
        self.client_secret = None
        self.expires_at_ms = None
        if not keep_refresh_token:
            self.refresh_token_encrypted = ""

    def mark_revoked(self, *, remote_pending: bool) -> None:
        """Make the token unusable here at once.

        When Zoho has not confirmed the revocation yet, the (encrypted) refresh token is kept
        so that it can be revoked later; it is never handed to the SDK again.
        """
        self.set_status(TokenStatus.REVOKED)
        self.remote_revoke_pending = remote_pending
        self.wipe_secrets(keep_refresh_token=remote_pending)

    def mark_needs_reauth(
        self, reason: str = "revoked", error: str | None = "invalid_code"
    ) -> None:
        """Zoho refused the refresh token: the user has to connect again.

        The refresh token stays (encrypted): revoking the connection later still sends it
        to Zoho, which is harmless when Zoho no longer knows it. ``reason`` (a
        :class:`ReconsentReason`) and Zoho's ``error`` are kept in ``refresh_failure``.
        """
        self.set_status(TokenStatus.NEEDS_REAUTH)
        self.access_token = None
        self.expires_at_ms = None
        self.refresh_failure = f"{reason}:{error or ''}"[:64]
        self.refresh_backoff_until = None

    @property
    def reconsent_reason(self) -> str:
        """Why the user must connect again (a :class:`ReconsentReason`), or ``""``."""
        if self.status != TokenStatus.NEEDS_REAUTH:
            return ""
        reason = self.refresh_failure.partition(":")[0]
        return reason if reason in ReconsentReason.values else ReconsentReason.REVOKED
