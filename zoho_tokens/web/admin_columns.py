"""The columns and filters of the tokens' admin (:mod:`zoho_tokens.admin`): the status
filter, dates in one short format, and secrets masked.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import formats
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from zoho_tokens.exceptions import TokenDecryptionError
from zoho_tokens.models import DisplayStatus, ZohoToken, ZohoTokenQuerySet
from zoho_tokens.models.state import EMPTY_MARK

__all__ = ["DisplayStatusFilter", "date_column", "masked_column"]


class DisplayStatusFilter(admin.SimpleListFilter):
    """Filter by the status people see, which splits "active" by access-token expiry."""

    title = _("status")
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return list(DisplayStatus.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet[ZohoToken]) -> QuerySet[ZohoToken]:
        value = self.value()
        if value not in DisplayStatus.values:
            return queryset
        return cast(ZohoTokenQuerySet, queryset).with_display_status(value)


def _short_datetime(value: datetime | None) -> str:
    # Short, so that the list fits a laptop's window; formatted here (and the empty mark
    # given here) because the change page shows a method's value as plain text.
    if value is None:
        return EMPTY_MARK
    return formats.date_format(localtime(value), "SHORT_DATETIME_FORMAT")


def _masked(token: ZohoToken, name: str) -> str:
    try:
        return token.masked(name)
    except TokenDecryptionError:
        return str(_("(cannot be decrypted with the configured keys)"))


def masked_column(name: str, description: Any) -> Callable[[Any, ZohoToken], str]:
    """A read-only field of the admin showing the secret ``name`` masked."""

    @admin.display(description=description)
    def column(model_admin: Any, token: ZohoToken) -> str:
        return _masked(token, name)

    return column


def date_column(attribute: str, description: Any, ordering: str) -> Callable[[Any, ZohoToken], str]:
    """A column of the admin showing the date ``attribute`` of a token, short."""

    @admin.display(description=description, ordering=ordering)
    def column(model_admin: Any, token: ZohoToken) -> str:
        return _short_datetime(getattr(token, attribute))

    return column
