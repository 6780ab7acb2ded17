"""What the fake Zoho Books reads from a request: its JSON body, and whether the token's
scopes allow the call (:mod:`.handlers` answers it).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from zoho_tokens.testing.server.http import HttpRequest

__all__ = ["json_body", "scope_allows"]


def scope_allows(scopes: Iterable[str], module: str, operation: str) -> bool:
    """``ZohoBooks.fullaccess.all`` or ``ZohoBooks.<module>.<ALL|READ|CREATE...>``."""
    for scope in scopes:
        parts = scope.lower().split(".")
        if len(parts) != 3 or parts[0] != "zohobooks":
            continue
        if parts[1] == "fullaccess" or (parts[1] == module and parts[2] in ("all", operation)):
            return True
    return False


def json_body(request: HttpRequest) -> dict[str, Any]:
    """A JSON body, or Books' older form field ``JSONString``."""
    text = request.form.get("JSONString") or request.body.decode("utf-8", "replace")
    try:
        body = json.loads(text) if text else {}
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
