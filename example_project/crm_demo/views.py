"""The example project's pages: the user's Zoho connection, and their CRM leads."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from zohocrmsdk.src.com.zoho.crm.api.exception.sdk_exception import SDKException

from example_project.crm_demo.leads import fetch_leads
from zoho_tokens.decorators import zoho_connection_required
from zoho_tokens.exceptions import ZohoAPIError
from zoho_tokens.models import ZohoToken
from zoho_tokens.sdk import acting_as

CRM_FAILED = _("Zoho CRM could not be read just now. Please try again in a moment.")


def home(request: HttpRequest) -> HttpResponse:
    """Who the visitor is, and the Zoho CRM accounts they connected (any status), the
    usable ones first, then the most recently changed."""
    tokens = (
        ZohoToken.objects.filter(user=request.user).order_by("-status_changed_at", "-pk")
        if request.user.is_authenticated
        else ZohoToken.objects.none()
    )
    ordered = sorted(tokens, key=lambda token: not token.is_usable)
    return render(request, "crm_demo/home.html", {"tokens": ordered})


@zoho_connection_required
def leads(request: HttpRequest) -> HttpResponse:
    """The user's Leads, read with the Zoho CRM SDK as that user.

    The decorator sends a user without a usable token to connect Zoho (and back here), and
    shows a 503 page when Zoho is down or throttling; a CRM refusal is shown on the page.
    """
    context: dict[str, object] = {}
    try:
        with acting_as(request.user) as token:
            context["leads"] = fetch_leads()
            context["zoho_email"] = token.email
    except (ZohoAPIError, SDKException) as err:
        context["error"] = CRM_FAILED
        context["error_detail"] = str(err)
    return render(request, "crm_demo/leads.html", context)
