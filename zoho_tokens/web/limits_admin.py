"""The admin of Zoho's limits (registered by :mod:`zoho_tokens.admin`): per organisation and
service, the calls in flight against the cap and Zoho's last figures, read only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from zoho_tokens.limits import status
from zoho_tokens.models import ZohoLimitFigures

__all__ = ["ZohoLimitFiguresAdmin"]


class ZohoLimitFiguresAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Zoho's limits per organisation and service, as every worker sees them (read only:
    Zoho's answers write them). Shown when the limits are kept in the database."""

    list_display = (
        "organization",
        "service",
        "in_flight",
        "daily_remaining",
        "daily_limit",
        "credits_remaining",
        "backoff_until",
        "throttled_count",
        "updated_at",
    )
    list_filter = ("service",)
    search_fields = ("organization",)

    @admin.display(description=_("calls in flight / cap"))
    def in_flight(self, obj: ZohoLimitFigures) -> str:
        now = status(obj.organization, obj.service)
        return f"{now.in_flight} / {now.cap}"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
