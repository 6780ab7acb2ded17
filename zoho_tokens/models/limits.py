"""What every worker must know about Zoho's limits: calls in flight, and the last figures.

Two tables, used by :mod:`zoho_tokens.limits` when the limits are kept in the database (its
default: the one store every worker of every machine already shares):

* :class:`ZohoCallSlot`: one row per call in flight to one Zoho organisation's service. The
  unique ``(slot_key, number)`` pair is the concurrency cap: a call takes a free number
  below the cap by inserting its row; once Zoho has answered, the row is deleted (by the
  process's releaser thread, many rows at once: :mod:`zoho_tokens.limits.releaser`). A row past
  ``expires_at_ms`` belongs to a worker that died mid-call; the next caller takes it over.
* :class:`ZohoLimitFigures`: per organisation and service, what Zoho last said about its
  limits (Books' daily quota, the CRM's credits, the delay of its last 429) and until when
  every worker leaves it alone.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["ZohoCallSlot", "ZohoLimitFigures"]

#: 191 characters: the longest string MariaDB/MySQL index whole in utf8mb4 on older formats.
KEY_LENGTH = 191


class ZohoCallSlot(models.Model):
    """One call in flight (or a back-off holding every slot) for ``slot_key``
    (``"<service>:<organisation>"``)."""

    slot_key = models.CharField(max_length=KEY_LENGTH)
    number = models.PositiveSmallIntegerField()
    #: Who holds it: a random id per call, or ``"backoff"`` while Zoho asked us to wait.
    holder = models.CharField(max_length=64)
    expires_at_ms = models.BigIntegerField()

    objects: ClassVar[models.Manager[ZohoCallSlot]] = models.Manager()

    class Meta:
        verbose_name = _("Zoho call in flight")
        verbose_name_plural = _("Zoho calls in flight")
        constraints = [
            models.UniqueConstraint(
                fields=["slot_key", "number"], name="zoho_tokens_one_call_per_slot"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.slot_key} #{self.number}"


class ZohoLimitFigures(models.Model):
    """What Zoho last reported about the limits of one organisation's service."""

    organization = models.CharField(_("organisation"), max_length=KEY_LENGTH)
    service = models.CharField(_("service"), max_length=16)
    daily_limit = models.BigIntegerField(_("daily limit"), null=True, blank=True)
    daily_remaining = models.BigIntegerField(_("calls left today"), null=True, blank=True)
    resets_at = models.DateTimeField(_("quota resets"), null=True, blank=True)
    credits_remaining = models.BigIntegerField(_("API credits left"), null=True, blank=True)
    backoff_until = models.DateTimeField(_("no calls before"), null=True, blank=True)
    last_throttled_at = models.DateTimeField(_("last throttled"), null=True, blank=True)
    throttled_count = models.PositiveIntegerField(_("times throttled"), default=0)
    updated_at = models.DateTimeField(_("updated"))

    objects: ClassVar[models.Manager[ZohoLimitFigures]] = models.Manager()

    class Meta:
        verbose_name = _("Zoho limit")
        verbose_name_plural = _("Zoho limits")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "service"], name="zoho_tokens_one_figure_per_org"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service}:{self.organization}"
