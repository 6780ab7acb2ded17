"""The admin's revoking: the action and the change page's button, each confirmed first.

The button goes through :func:`zoho_tokens.tokens.revocation.revoke_token`, the action
through :func:`~zoho_tokens.tokens.revocation.revoke_tokens` (every selected token unusable
at once, then Zoho asked under one deadline for the whole action), like the disconnect
view; both tell the admin how many were revoked at Zoho and how many are still pending.
"""

from __future__ import annotations

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

from zoho_tokens.accounts.numbers import MAX_ROW_ID, strict_int
from zoho_tokens.health.actors import acting
from zoho_tokens.models import ZohoToken
from zoho_tokens.tokens.revocation import (
    BulkRevocationResult,
    RevocationResult,
    revoke_token,
    revoke_tokens,
)

__all__ = ["RevokingAdminMixin"]

REVOKE_CONFIRMATION_TEMPLATE = "admin/zoho_tokens/zohotoken/revoke_confirmation.html"

if TYPE_CHECKING:
    _ModelAdmin = admin.ModelAdmin[ZohoToken]
else:
    # ModelAdmin is generic only in django-stubs, not at run time.
    _ModelAdmin = admin.ModelAdmin


def _report_revocations(
    request: HttpRequest, result: BulkRevocationResult | None, already: int = 0
) -> None:
    """Tell the admin how many tokens were revoked, how many of them Zoho confirmed, how
    many still wait for Zoho, and how many were revoked already (nothing was done to those)."""
    if already:
        messages.info(
            request,
            ngettext(
                "%(count)d Zoho token was already revoked, here and at Zoho; nothing was done "
                "to it.",
                "%(count)d Zoho tokens were already revoked, here and at Zoho; nothing was "
                "done to them.",
                already,
            )
            % {"count": already},
        )
    if result is None:
        return
    if result.remote_done:
        messages.success(
            request,
            ngettext(
                "%(count)d Zoho token was revoked, here and at Zoho.",
                "%(count)d Zoho tokens were revoked, here and at Zoho.",
                result.remote_done,
            )
            % {"count": result.remote_done},
        )
    if result.pending:
        messages.warning(
            request,
            ngettext(
                "%(count)d Zoho token can no longer be used here, but is not revoked at Zoho "
                "yet; cleanup_zoho_tokens will retry at Zoho. %(reasons)s",
                "%(count)d Zoho tokens can no longer be used here, but are not revoked at "
                "Zoho yet; cleanup_zoho_tokens will retry at Zoho. %(reasons)s",
                result.pending,
            )
            % {"count": result.pending, "reasons": "; ".join(result.reasons)},
        )


def _single(result: RevocationResult) -> BulkRevocationResult:
    done = int(result.remote_done)
    return BulkRevocationResult(1, done, 1 - done, (result.reason,) if result.reason else ())


class RevokingAdminMixin(_ModelAdmin):
    """The *Revoke selected tokens* action and the view behind the change page's button.

    The class using it routes ``<object_id>/revoke/`` to :meth:`revoke_view`.
    """

    def response_action(
        self, request: HttpRequest, queryset: QuerySet[ZohoToken], *args: Any, **kwargs: Any
    ) -> HttpResponse | None:
        """Run an action on the selected tokens, keeping only the selected ids that are ids
        (ASCII digits, within a ``bigint``): Django filters by them as posted, so ``"²"`` or
        a NUL made every action a 500. No valid id left: Django's "no items selected"."""
        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        valid = [v for v in selected if strict_int(v, minimum=1, maximum=MAX_ROW_ID) is not None]
        if valid != selected:
            posted = request.POST.copy()
            posted.setlist(helpers.ACTION_CHECKBOX_NAME, valid)
            request.POST = posted  # type: ignore[assignment]  # a mutable copy, as Django's
        # Django 6.1 passes more (``action_location``): handed on as given.
        return super().response_action(request, queryset, *args, **kwargs)

    @admin.action(description=_("Revoke selected tokens"), permissions=["change"])
    def revoke_selected(
        self, request: HttpRequest, queryset: QuerySet[ZohoToken]
    ) -> HttpResponse | None:
        """Ask for confirmation, then revoke the selected tokens: here at once, at Zoho
        under one deadline (see :func:`~zoho_tokens.tokens.revocation.revoke_tokens`)."""
        if request.POST.get("post") != "yes":
            return self._revoke_confirmation(request, list(queryset.order_by("pk")), action=True)
        selected = list(queryset.order_by("pk"))
        already = sum(1 for token in selected if not token.is_revocable)
        with acting("admin", request.user):
            result = revoke_tokens(queryset)
        for token in selected:
            if token.is_revocable:
                self.log_change(request, token, str(_("Revoked")))
        _report_revocations(request, result, already)
        return None

    def revoke_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The change page's Revoke button: a confirmation page, then (POST) the revocation."""
        token = self.get_object(request, unquote(object_id))
        if token is None:
            raise Http404
        if not self.has_change_permission(request, token):
            raise PermissionDenied
        if not token.is_revocable:
            _report_revocations(request, None, already=1)
            return HttpResponseRedirect(self._change_url(token.pk))
        if request.method != "POST" or request.POST.get("post") != "yes":
            return self._revoke_confirmation(request, [token], action=False)
        with acting("admin", request.user):
            result = revoke_token(token)
        _report_revocations(request, _single(result))
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
