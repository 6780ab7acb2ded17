"""The admin's health pages: the dashboard of every connection, and a token's timeline.

Used by :class:`zoho_tokens.admin.ZohoTokenAdmin` (a mixin, like the revoking one). The
dashboard's figures come from :func:`zoho_tokens.health.dashboard_figures` in three queries
whatever the number of tokens, and the limits per organisation from
:func:`zoho_tokens.limits.statuses` in two more (one when Zoho reported none); the chart is
SVG drawn here, on the server.
"""

from __future__ import annotations

import logging

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from zoho_tokens.health.chart import activity_chart
from zoho_tokens.health.dashboard import dashboard_figures
from zoho_tokens.limits import LimitStatus, statuses
from zoho_tokens.models import TokenEvent, ZohoToken

#: How many events the token's page shows, newest first.
TIMELINE_LENGTH = 50

logger = logging.getLogger(__name__)

STATE_LABELS = {
    "active": _("Active"),
    "needs_reconsent": _("The user must connect again"),
    "revoked": _("Revoked"),
    "revocation_pending": _("Revocation at Zoho pending"),
}

#: The column headers of the pages' tables (rendered by zohotoken/thead.html).
TIMELINE_COLUMNS = (_("When"), _("What"), _("Who"), _("Outcome"), _("Zoho took"))
ATTENTION_COLUMNS = (_("Token"), _("Django user"), _("Zoho user"), _("What"), _("Since"))
LIMITS_COLUMNS = (
    _("Organisation"),
    _("Service"),
    _("Calls in flight / cap"),
    _("Daily calls left"),
    _("Credits left"),
    _("Waiting until"),
    _("Times throttled"),
)


class HealthAdminMixin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Adds ``dashboard/`` (routed by the class using it) and the change page's timeline."""

    def dashboard_view(self, request: HttpRequest) -> HttpResponse:
        """Connections by state, refreshes and refusals per day, tokens needing attention."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        figures = dashboard_figures()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Health of the Zoho connections"),
            "states": [(key, STATE_LABELS[key], n) for key, n in figures.states.items()],
            "chart": activity_chart(figures.activity.days, figures.activity.counts),
            "activity": figures.activity,
            "attention": figures.attention,
            "attention_columns": ATTENTION_COLUMNS,
            # The per-organisation limits; empty (none reported, or unreadable) hides them.
            "limits": _limit_statuses(),
            "limits_columns": LIMITS_COLUMNS,
        }
        return TemplateResponse(request, "admin/zoho_tokens/zohotoken/dashboard.html", context)

    def timeline(self, token: ZohoToken) -> list[TokenEvent]:
        """The token's latest events, newest first (one query)."""
        return list(
            TokenEvent.objects.filter(token_id=token.pk)
            .select_related("actor_user")
            .order_by("-at", "-pk")[:TIMELINE_LENGTH]
        )


def _limit_statuses() -> list[LimitStatus]:
    """Every organisation's limits, or none when their store cannot be read (the page about
    the connections still shows)."""
    try:
        return statuses()
    except Exception:  # the limits' store (a cache, the limiter's connection) is down
        logger.warning("Zoho limits: the dashboard could not read them.", exc_info=True)
        return []
