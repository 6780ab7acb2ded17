"""The admin's revoking: the action and the change page's button, each confirmed first.

Both go through :func:`zoho_tokens.tokens.revocation.revoke_token`, like the disconnect view and
the cleanup command, and tell the admin what is still pending at Zoho.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from zoho_tokens.health.actors import acting
from zoho_tokens.models import ZohoToken
from zoho_tokens.tokens.revocation import RevocationResult, revoke_token

__all__ = ["RevokingAdminMixin"]

REVOKE_CONFIRMATION_TEMPLATE = "admin/zoho_tokens/zohotoken/revoke_confirmation.html"

if TYPE_CHECKING:
    _ModelAdmin = admin.ModelAdmin[ZohoToken]
else:
    # ModelAdmin is generic only in django-stubs, not at run time.
    _ModelAdmin = admin.ModelAdmin


def _report_revocations(request: HttpRequest, results: Iterable[RevocationResult]) -> None:
    """Tell the admin how many tokens were revoked, and how many still wait for Zoho."""
    results = list(results)
    revoked = len(results)
    pending = [result for result in results if not result.remote_done]
    if revoked:
        messages.success(
            request,
            ngettext(
                "%(count)d Zoho token was revoked.",
                "%(count)d Zoho tokens were revoked.",
                revoked,
            )
            % {"count": revoked},
        )
    if pending:
        reasons = "; ".join(sorted({result.reason for result in pending if result.reason}))
        messages.warning(
            request,
            ngettext(
                "%(count)d of them is not revoked at Zoho yet: it can no longer be used "
                "here, and cleanup_zoho_tokens will retry at Zoho. %(reasons)s",
                "%(count)d of them are not revoked at Zoho yet: they can no longer be used "
                "here, and cleanup_zoho_tokens will retry at Zoho. %(reasons)s",
                len(pending),
            )
            % {"count": len(pending), "reasons": reasons},
        )


class RevokingAdminMixin(_ModelAdmin):
    """The *Revoke selected tokens* action and the view behind the change page's button.

    The class using it routes ``<object_id>/revoke/`` to :meth:`revoke_view`.
    """

    @admin.action(description=_("Revoke selected tokens"), permissions=["change"])
    def revoke_selected(
        self, request: HttpRequest, queryset: QuerySet[ZohoToken]
    ) -> HttpResponse | None:
        """Ask for confirmation, then revoke each selected token, here at once and at its
        own accounts server."""
        if request.POST.get("post") != "yes":
            return self._revoke_confirmation(request, list(queryset.order_by("pk")), action=True)
        results = []
        for token in queryset:
            with acting("admin", request.user):
                results.append(revoke_token(token))
            self.log_change(request, token, str(_("Revoked")))
        _report_revocations(request, results)
        return None

    def revoke_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The change page's Revoke button: a confirmation page, then (POST) the revocation."""
        token = self.get_object(request, unquote(object_id))
        if token is None:
            raise Http404
        if not self.has_change_permission(request, token):
            raise PermissionDenied
        if request.method != "POST" or request.POST.get("post") != "yes":
            return self._revoke_confirmation(request, [token], action=False)
        with acting("admin", request.user):
            result = revoke_token(token)
        _report_revocations(request, [result])
        self.log_change(request, token, str(_("Revoked")))
        return HttpResponseRedirect(self._change_url(token.pk))

    def _revoke_confirmation(
        self, request: HttpRequest, tokens: list[ZohoToken], *, action: bool
    ) -> HttpResponse:
        """The page asking whether to revoke ``tokens``, for the action or the button."""
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Revoke Zoho tokens?"),
            "subtitle": None,
            "tokens": tokens,
            "action": action,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "cancel_url": self._change_url(tokens[0].pk) if not action and tokens else "",
        }
        return TemplateResponse(request, REVOKE_CONFIRMATION_TEMPLATE, context)

    def _change_url(self, pk: Any) -> str:
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
            args=[pk],
            current_app=self.admin_site.name,
        )
