"""A token's history: one row per event that changed it, never a secret.

Written by :mod:`zoho_tokens.health.history` (one insert per event, nothing read), shown as
a timeline on the token's admin page, pruned by ``cleanup_zoho_tokens`` after
``ZOHO_TOKENS["HISTORY_DAYS"]``. Internal: import :class:`TokenEvent` from
:mod:`zoho_tokens.models`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class EventKind(models.TextChoices):
    """What happened to the token."""

    CONNECTED = "connected", _("Connected")
    REFRESHED = "refreshed", _("Refreshed")
    REFRESH_REFUSED = "refresh_refused", _("Refresh refused by Zoho")
    THROTTLED = "throttled", _("Slowed down by Zoho")
    REFRESH_FAILED = "refresh_failed", _("Refresh failed (Zoho unreachable)")
    REVOKED_LOCALLY = "revoked_locally", _("Disconnected here")
    REVOKED_AT_ZOHO = "revoked_at_zoho", _("Revoked at Zoho")
    MOVED = "moved", _("Moved to another user")
    VERIFIED = "verified", _("Checked at Zoho")
    REENCRYPTED = "reencrypted", _("Re-encrypted")


class Actor(models.TextChoices):
    """Who or what made it happen."""

    USER = "user", _("The user")
    ADMIN = "admin", _("An administrator")
    COMMAND = "command", _("A management command")
    WORKER = "worker", _("The application")


class TokenEvent(models.Model):
    """One event in a token's history: when, what, who, and how it went."""

    token = models.ForeignKey(
        "zoho_tokens.ZohoToken",
        # The history outlives a deleted token until HISTORY_DAYS prunes it ("what happened
        # to my connection?" has an answer after cleanup), and deleting tokens stays one
        # statement per batch. No constraint: writing an event reads nothing.
        on_delete=models.DO_NOTHING,
        related_name="events",
        verbose_name=_("Zoho token"),
        db_constraint=False,
    )
    at = models.DateTimeField(_("when"), default=timezone.now)
    kind = models.CharField(_("what"), max_length=24, choices=EventKind.choices)
    actor = models.CharField(_("who"), max_length=16, choices=Actor.choices)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
        verbose_name=_("by user"),
    )
    outcome = models.CharField(_("outcome"), max_length=16)
    #: Zoho's error code or the reason (``invalid_code``, ``client_deleted``...): never a secret.
    detail = models.CharField(_("detail"), max_length=64, blank=True, default="")
    duration_ms = models.PositiveIntegerField(_("Zoho took (ms)"), null=True, blank=True)

    class Meta:
        verbose_name = _("token event")
        verbose_name_plural = _("token events")
        indexes = [
            # The timeline of one token, newest first.
            models.Index(fields=["token", "-at"], name="zoho_tokens_event_token_idx"),
            # The dashboard's days and the cleanup's cut-off.
            models.Index(fields=["at", "kind"], name="zoho_tokens_event_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.outcome})"

    def __repr__(self) -> str:
        return f"<TokenEvent token_id={self.token_id} kind={self.kind} outcome={self.outcome}>"
