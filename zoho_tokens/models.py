"""The token table: one row per Zoho user and OAuth client, secrets encrypted."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zoho_tokens.crypto import keyring
from zoho_tokens.fields import EncryptedSecret, plain_digest

#: Column names of the encrypted secrets, and of those that also carry a lookup digest.
SECRET_NAMES = ("client_secret", "refresh_token", "access_token", "grant_token")
DIGESTED_SECRET_NAMES = ("refresh_token", "access_token", "grant_token")


def now_ms() -> int:
    """The current time in epoch milliseconds, the unit the SDK uses for expiry."""
    return int(time.time() * 1000)


class TokenStatus(models.TextChoices):
    """What a token can still be used for."""

    ACTIVE = "active", _("Active")
    REVOKED = "revoked", _("Revoked")
    NEEDS_REAUTH = "needs_reauth", _("Needs re-authorisation")


class DisplayStatus(models.TextChoices):
    """The status shown to people: ``ACTIVE`` split by whether the access token expired."""

    ACTIVE = "active", _("Active")
    EXPIRED = "expired", _("Access expired, refreshable")
    REVOKED = "revoked", _("Revoked")
    NEEDS_REAUTH = "needs_reauth", _("Needs re-authorisation")


class ZohoTokenQuerySet(models.QuerySet["ZohoToken"]):
    """Queries by token state and by secret value (through digests, never plaintext)."""

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
        at_ms = now_ms() if at_ms is None else at_ms
        return self.filter(
            models.Q(expires_at_ms__isnull=True) | models.Q(expires_at_ms__lte=at_ms)
        )

    def pending_remote_revocation(self) -> ZohoTokenQuerySet:
        """Tokens made unusable here whose revocation at Zoho has not gone through yet."""
        return self.filter(remote_revoke_pending=True)

    def with_secret(self, name: str, value: str) -> ZohoTokenQuerySet:
        """Rows whose secret ``name`` equals ``value``, matched by keyed digest under every
        configured key (so rows not yet re-encrypted by a key rotation still match)."""
        return self.filter(**{f"{name}_digest__in": keyring().digests(value)})

    def with_user_name(self, user_name: str) -> ZohoTokenQuerySet:
        """Rows of the Zoho user ``user_name`` (``"<email>:<org zgid>"``)."""
        return self.filter(user_name_digest=plain_digest(user_name))


class ZohoToken(models.Model):
    """A Zoho OAuth token as the SDK knows it, plus what a deployment needs around it.

    Secrets (client secret, refresh, access and grant tokens) are never stored in plaintext:
    read and assign them through the attributes of the same name.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="zoho_tokens",
        verbose_name=_("Django user"),
    )
    user_name = models.TextField(
        _("Zoho user"),
        null=True,
        blank=True,
        help_text=_("The Zoho user as the SDK names it: their email, a colon, and the org id."),
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
    # A failed refresh, shared with every worker until the back-off ends (see
    # zoho_tokens.refresh): "<kind>:<Zoho's error code>", empty when the last one succeeded.
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
    def expires_at(self) -> datetime | None:
        """The access token's expiry as an aware datetime."""
        if self.expires_at_ms is None:
            return None
        return datetime.fromtimestamp(self.expires_at_ms / 1000, tz=dt_timezone.utc)

    def access_expires_within(self, seconds: float) -> bool:
        """Whether the access token is missing or expires within ``seconds`` from now."""
        if not self.access_token_encrypted or self.expires_at_ms is None:
            return True
        return self.expires_at_ms - now_ms() <= seconds * 1000

    @property
    def display_status(self) -> DisplayStatus:
        """The status shown in the admin and the example project."""
        if self.status == TokenStatus.REVOKED:
            return DisplayStatus.REVOKED
        if self.status == TokenStatus.NEEDS_REAUTH:
            return DisplayStatus.NEEDS_REAUTH
        if self.access_expires_within(0):
            return DisplayStatus.EXPIRED
        return DisplayStatus.ACTIVE

    @property
    def is_usable(self) -> bool:
        """Whether the SDK may use this token (it may still need a refresh)."""
        return self.status == TokenStatus.ACTIVE

    def masked(self, name: str) -> str:
        """A secret shown to people: its last four characters at most, or an em dash."""
        if name not in SECRET_NAMES:
            raise ValueError(f"{name!r} is not a secret of ZohoToken")
        if not getattr(self, f"{name}_encrypted"):
            return "\u2014"
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

    def mark_needs_reauth(self) -> None:
        """Zoho refused the refresh token: the user has to connect again."""
        self.set_status(TokenStatus.NEEDS_REAUTH)
        self.access_token = None
        self.expires_at_ms = None

    def age_of_status(self) -> timedelta:
        """How long the token has been in its current status."""
        return timezone.now() - self.status_changed_at
