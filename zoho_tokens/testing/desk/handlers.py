"""The fake Zoho Desk API (``/api/v1/...``): organisations and tickets.

Desk wants an ``orgId`` header on every call but ``GET /api/v1/organizations`` (documented).
``/organizations`` answers ``{"data": [{"id", "companyName", "isDefault", ...}]}``
(documented shape); a missing ``orgId`` and a dead token get Desk's flat
``{"errorCode": ..., "message": ...}`` (codes inferred: not recorded).
"""

from __future__ import annotations

import threading
from typing import Any, NamedTuple

from zoho_tokens.testing.accounts.tokens import AccessToken
from zoho_tokens.testing.server.http import HttpRequest, HttpResponse

__all__ = ["DeskCall", "DeskState"]


class DeskCall(NamedTuple):
    """One Desk call: its path, the ``orgId`` it carried, and whose token."""

    path: str
    org_id: str | None
    user_email: str | None


def _error(code: str, message: str, status: int) -> HttpResponse:
    return HttpResponse.json({"errorCode": code, "message": message}, status=status)


class DeskState:
    """Desk organisations (every user belongs to all of them) and the calls (``fake.desk``)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        #: The organisations, the first is every user's default.
        self.organizations: list[dict[str, Any]] = [
            {"id": "650000001", "companyName": "Fake Desk", "isDefault": True},
            {"id": "650000002", "companyName": "Fake Desk Two", "isDefault": False},
        ]
        self._calls: list[DeskCall] = []

    @property
    def calls(self) -> list[DeskCall]:
        """Every Desk call answered, oldest first."""
        with self.lock:
            return list(self._calls)

    def handle(self, request: HttpRequest, access: AccessToken | None) -> HttpResponse:
        """Answer one ``/api/v1/...`` request whose bearer token resolved to ``access``."""
        org_id = next((v for k, v in request.headers.items() if k.lower() == "orgid"), None)
        with self.lock:
            self._calls.append(
                DeskCall(request.path, org_id, access.user.email if access else None)
            )
        if access is None:
            return _error("INVALID_OAUTH", "The OAuth Token you provided is invalid.", 401)
        path = request.path.rstrip("/")
        if path == "/api/v1/organizations":
            return HttpResponse.json({"data": self.organizations})
        known = {str(org["id"]) for org in self.organizations}
        if org_id is None:
            return _error("UNPROCESSABLE_ENTITY", "orgId is missing in the headers.", 422)
        if org_id not in known:
            return _error("FORBIDDEN", "You are not a member of this organization.", 403)
        if path == "/api/v1/tickets":
            return HttpResponse.json(
                {"data": [{"id": "1000000001", "subject": "Printer on fire", "orgId": org_id}]}
            )
        return _error("URL_NOT_FOUND", f"No such URL {path}.", 404)
