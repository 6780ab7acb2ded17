"""The example project's pages: the user's Zoho connection, and their CRM leads."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from zohocrmsdk.src.com.zoho.crm.api.exception.sdk_exception import SDKException

from example_project.crm_demo.leads import CrmError, fetch_leads
from zoho_tokens.exceptions import NoUsableTokenError, ReauthorizationRequired, ZohoTokensError
from zoho_tokens.models import ZohoToken
from zoho_tokens.sdk import acting_as

NOT_CONNECTED = _("You have not connected Zoho CRM yet. Connect it to see your leads here.")
NOT_USABLE = _(
    "Your Zoho CRM connection can no longer be used: it was disconnected or revoked, or "
    "Zoho asks you to authorise this site again. Connect Zoho CRM again to see your leads."
)

CRM_FAILED = _("Zoho CRM could not be read just now. Please try again in a moment.")


def home(request: HttpRequest) -> HttpResponse:
    """Who the visitor is, and the Zoho CRM accounts they connected (any status)."""
    tokens = (
        ZohoToken.objects.filter(user=request.user).order_by("-updated_at")
        if request.user.is_authenticated
        else ZohoToken.objects.none()
    )
    return render(request, "crm_demo/home.html", {"tokens": tokens})


@login_required
def leads(request: HttpRequest) -> HttpResponse:
    """The user's Leads, read with the Zoho CRM SDK as that user."""
    context: dict[str, object] = {}
    try:
        with acting_as(request.user) as token:
            context["leads"] = fetch_leads()
            context["zoho_email"] = token.email
    except (NoUsableTokenError, ReauthorizationRequired):
        connected_before = (
            request.user.is_authenticated and ZohoToken.objects.filter(user=request.user).exists()
        )
        context["reconnect"] = NOT_USABLE if connected_before else NOT_CONNECTED
    except (CrmError, SDKException, ZohoTokensError) as err:
        context["error"] = CRM_FAILED
        context["error_detail"] = str(err)
    return render(request, "crm_demo/leads.html", context)
