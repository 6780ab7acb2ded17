"""The admin for Zoho tokens: see every connection, cut one off, add a Self Client token.

Secrets are never rendered: the change page shows them masked (last four characters at
most) through read-only display methods, and no form field is built on a secret column.
Tokens are added only through OAuth or the Self Client page, never through a plain add
form; revoking (and deleting) goes through :func:`zoho_tokens.tokens.revocation.revoke_token`,
like the disconnect view and the cleanup command.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters

from zoho_tokens.forms import SelfClientGrantForm
from zoho_tokens.models import (
    TokenStatus,
    ZohoLimitFigures,
    ZohoToken,
)
from zoho_tokens.models.state import EMPTY_MARK, SECRET_COLUMNS
from zoho_tokens.tokens.revocation import revoke_token
from zoho_tokens.web.admin_columns import DisplayStatusFilter, date_column, masked_column
from zoho_tokens.web.admin_health import TIMELINE_COLUMNS, HealthAdminMixin
from zoho_tokens.web.admin_revoking import RevokingAdminMixin
from zoho_tokens.web.limits_admin import ZohoLimitFiguresAdmin

#: Secrets and lookup digests: never a form field (they are not editable anyway).
NEVER_IN_FORMS = (*SECRET_COLUMNS, "user_name_digest")


@admin.register(ZohoToken)
class ZohoTokenAdmin(HealthAdminMixin, RevokingAdminMixin):
    """Lists and shows tokens (secrets masked), revokes them, adds Self Client tokens."""

    list_display = (
        "user",
        "user_name",
        "location",
        "status_label",
        "access_expiry",
        "last_refresh",
    )
    list_display_links = ("user", "user_name")
    empty_value_display = EMPTY_MARK
    list_filter = (DisplayStatusFilter, "location")
    # Never token values: they are encrypted, and searching by them would be an oracle.
    search_fields = ("user__username", "user__email", "user_name")
    list_select_related = ("user",)
    ordering = ("-updated_at",)
    actions = ("revoke_selected",)
    raw_id_fields = ("user",)
    exclude = NEVER_IN_FORMS
    fieldsets = (
        (None, {"fields": ("user", "user_name", "client_id", "scopes_granted")}),
        (
            _("Data centre"),
            {"fields": ("location", "accounts_server", "api_domain", "redirect_url")},
        ),
        (
            _("Status"),
            {
                "fields": (
                    "status_label",
                    "status_since",
                    "remote_revocation",
                    "access_expiry",
                    "last_refresh",
                    "created",
                    "updated",
                )
            },
        ),
        (
            _("Secrets (masked)"),
            {
                "fields": (
                    "masked_client_secret",
                    "masked_refresh_token",
                    "masked_access_token",
                    "masked_grant_token",
                )
            },
        ),
    )
    # Everything shown is read-only but the link to the Django user: tokens come from OAuth.
    readonly_fields = tuple(
        str(name) for _title, options in fieldsets for name in options["fields"] if name != "user"
    )

    # -- columns and read-only fields --------------------------------------------------

    @admin.display(description=_("status"), ordering="status")
    def status_label(self, token: ZohoToken) -> str:
        label = str(token.display_status.label)
        if token.remote_revoke_pending:
            return str(_("%(status)s (revocation at Zoho pending)") % {"status": label})
        return label

    @admin.display(description=_("revocation at Zoho"))
    def remote_revocation(self, token: ZohoToken) -> str:
        # Words, not the boolean icon: a red "no" next to a healthy token reads as an error.
        if token.remote_revoke_pending:
            return str(_("Revocation at Zoho pending: cleanup_zoho_tokens retries it"))
        if token.status == TokenStatus.REVOKED:
            return str(_("Revoked at Zoho"))
        return EMPTY_MARK

    access_expiry = date_column("expires_at", _("access token expires"), "expires_at_ms")
    last_refresh = date_column("last_refreshed_at", _("last refresh"), "last_refreshed_at")
    # The change page's dates in the changelist's one format (Django's default would show
    # these three in DATETIME_FORMAT and the two above in the short one).
    status_since = date_column("status_changed_at", _("status since"), "status_changed_at")
    created = date_column("created_at", _("created"), "created_at")
    updated = date_column("updated_at", _("updated"), "updated_at")

    @admin.display(description=_("granted scopes"))
    def scopes_granted(self, token: ZohoToken) -> str:
        # ", " rather than Zoho's bare commas: the line wraps instead of running off the page.
        return ", ".join(token.scopes) or EMPTY_MARK

    masked_client_secret = masked_column("client_secret", _("client secret"))
    masked_refresh_token = masked_column("refresh_token", _("refresh token"))
    masked_access_token = masked_column("access_token", _("access token"))
    masked_grant_token = masked_column("grant_token", _("grant token"))

    # -- permissions ---------------------------------------------------------------------

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Tokens come from OAuth or the Self Client page, never from a blank form.
        return False

    def has_self_client_permission(self, request: HttpRequest) -> bool:
        """Whether ``request.user`` may add a token from a Self Client grant code."""
        return request.user.has_perm(f"{self.opts.app_label}.add_{self.opts.model_name}")

    def get_actions(self, request: HttpRequest, action_location: Any = None) -> dict[str, Any]:
        # Django 6.1 says where the actions are shown; older versions take no such argument.
        where = {} if action_location is None else {"action_location": action_location}
        actions = super().get_actions(request, **where)
        # Deleting many rows at once would skip revocation at Zoho: revoke them instead,
        # and cleanup_zoho_tokens deletes revoked rows after a while.
        actions.pop("delete_selected", None)
        return actions

    # -- saving and deleting -----------------------------------------------------------

    def save_model(self, request: HttpRequest, obj: ZohoToken, form: Any, change: bool) -> None:
        # Only the fields the admin changed are written: a full save would put back the
        # secrets and status read when the page loaded, undoing a refresh or a revocation
        # that happened in between.
        if not change:
            raise PermissionDenied
        if form.changed_data:
            obj.save(update_fields=[*form.changed_data, "updated_at"])

    def delete_model(self, request: HttpRequest, obj: ZohoToken) -> None:
        """Revoke first; delete the row only once Zoho confirmed, so that a pending
        revocation keeps the refresh token it still has to send."""
        if revoke_token(obj).remote_done:
            obj.delete()

    def response_delete(self, request: HttpRequest, obj_display: str, obj_id: Any) -> HttpResponse:
        if ZohoToken.objects.filter(pk=obj_id).exists():
            # Kept because Zoho has not confirmed the revocation (see delete_model).
            messages.warning(
                request,
                _(
                    "“%(token)s” was revoked but not deleted: it keeps what is needed to "
                    "retry the revocation at Zoho. cleanup_zoho_tokens retries it, and deletes "
                    "the row once it is old enough."
                )
                % {"token": obj_display},
            )
            return HttpResponseRedirect(self._change_url(obj_id))
        return super().response_delete(request, obj_display, obj_id)

    # -- adding from a Self Client grant code -------------------------------------------

    @method_decorator(sensitive_post_parameters("code", "client_secret"))
    def self_client_view(self, request: HttpRequest) -> HttpResponse:
        """Exchange a Self Client grant code at once and store the token."""
        if not self.has_self_client_permission(request):
            raise PermissionDenied
        form = SelfClientGrantForm(request.POST if request.method == "POST" else None)
        if form.is_bound and form.is_valid():
            token = form.connect()
            if token is not None:
                self.log_addition(request, token, str(_("Added from a Self Client grant code")))
                messages.success(
                    request,
                    _("The Zoho token of %(user)s was stored.") % {"user": token.user_name},
                )
                return HttpResponseRedirect(self._change_url(token.pk))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Add a Zoho token from a Self Client grant code"),
            "form": form,
        }
        return TemplateResponse(request, "admin/zoho_tokens/zohotoken/self_client.html", context)

    # -- plumbing -----------------------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path(
                "self-client/",
                self.admin_site.admin_view(self.self_client_view),
                name=f"{prefix}_self_client",
            ),
            path(
                "dashboard/",
                self.admin_site.admin_view(self.dashboard_view),
                name=f"{prefix}_dashboard",
            ),
            path(
                "<path:object_id>/revoke/",
                self.admin_site.admin_view(self.revoke_view),
                name=f"{prefix}_revoke",
            ),
            *super().get_urls(),
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra_context = {
            **(extra_context or {}),
            "can_add_from_self_client": self.has_self_client_permission(request),
        }
        return super().changelist_view(request, extra_context)

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: ZohoToken | None = None,
    ) -> HttpResponse:
        context["can_revoke"] = (
            obj is not None and obj.is_revocable and self.has_change_permission(request, obj)
        )
        context["timeline"] = self.timeline(obj) if obj is not None else []
        context["timeline_columns"] = TIMELINE_COLUMNS
        return super().render_change_form(request, context, add, change, form_url, obj)


# Zoho's limits per organisation and service (zoho_tokens.web.limits_admin).
admin.site.register(ZohoLimitFigures, ZohoLimitFiguresAdmin)
