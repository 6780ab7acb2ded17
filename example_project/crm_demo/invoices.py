"""An async page: the user's Zoho Books invoices, read with ``asession_for``.

Under an ASGI server (``uvicorn example_project.asgi:application``) the call to Zoho Books
waits without holding a thread: hundreds of these pages can wait on Zoho at once.
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from zoho_tokens.api import asession_for
from zoho_tokens.decorators import zoho_connection_required
from zoho_tokens.exceptions import ZohoAPIError


@zoho_connection_required(service="Zoho Books")
async def invoices(request: HttpRequest) -> HttpResponse:
    """List the user's Zoho Books invoices, as the user."""
    context: dict[str, Any] = {}
    try:
        async with asession_for(request.user, "books") as books:
            context["invoices"] = (await books.get("invoices")).json()["invoices"]
            context["organization_id"] = books.organization_id
    except ZohoAPIError as err:
        context["error"] = err.user_message
        context["error_detail"] = str(err)
    # Rendering reads the session (messages) and the user: Django's sync side does it.
    return await sync_to_async(render)(request, "crm_demo/invoices.html", context)
