"""The banner every page shows when Zoho no longer accepts one of the user's connections."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from zoho_tokens.models import ZohoToken


def zoho_reconsent(request: HttpRequest) -> dict[str, Any]:
    """``zoho_reconsent``: the user's connections that need them to connect again (a lazy
    query: only a page that shows the banner runs it)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"zoho_reconsent": ZohoToken.objects.none()}
    return {"zoho_reconsent": ZohoToken.objects.needing_reauth().filter(user=user)}
