"""The example project's Zoho Books page: the user's estimates, listed and created as them.

Every call goes through ``session_for(request.user, "books")``: the user's own token, their
default Books organization, and this package's errors for everything Zoho refuses.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from zoho_tokens.api import session_for
from zoho_tokens.exceptions import NoUsableTokenError, ZohoTokensError


class EstimateForm(forms.Form):
    """One line estimate for a customer picked from the organization's customers."""

    customer_id = forms.ChoiceField(label=_("Customer"))
    item = forms.CharField(label=_("Item"), max_length=100)
    rate = forms.DecimalField(label=_("Price"), min_value=0, max_digits=12, decimal_places=2)

    def __init__(self, data: Any, customers: list[dict[str, Any]]) -> None:
        super().__init__(data)
        self.fields["customer_id"].choices = [
            ("", _("Choose a customer")),
            *((c["contact_id"], c["contact_name"]) for c in customers),
        ]

    def estimate(self) -> dict[str, Any]:
        """The body of ``POST /books/v3/estimates``."""
        line = {"name": self.cleaned_data["item"], "rate": float(self.cleaned_data["rate"])}
        return {"customer_id": self.cleaned_data["customer_id"], "line_items": [line]}


@login_required
def estimates(request: HttpRequest) -> HttpResponse:
    """List the user's Zoho Books estimates; a POST creates one, as the user."""
    context: dict[str, Any] = {}
    try:
        with session_for(request.user, "books") as books:
            customers = books.get("contacts", params={"contact_type": "customer"}).json()
            form = context["form"] = EstimateForm(request.POST or None, customers["contacts"])
            if request.method == "POST" and form.is_valid():
                books.post("estimates", json=form.estimate())
                messages.success(request, _("Estimate created in Zoho Books, as you."))
                return redirect("estimates")
            context["estimates"] = books.get("estimates").json()["estimates"]
            context["organization_id"] = books.organization_id
    except NoUsableTokenError as err:
        context["reconnect"] = err.user_message
    except ZohoTokensError as err:
        context["error"] = err.user_message
        context["error_detail"] = str(err)
    return render(request, "crm_demo/estimates.html", context)
