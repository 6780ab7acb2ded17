"""The fake Zoho Desk API (``/api/v1/...``): organisations and tickets.

Desk wants an ``orgId`` header on every call but ``GET /api/v1/organizations`` (documented).
``/organizations`` answers ``{"data": [{"id", "companyName", "isDefault", ...}]}``
(documented shape); a missing ``orgId`` and a dead token get Desk's flat
``{"errorCode": ..., "message": ...}`` (codes inferred: not recorded).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from zoho_tokens.testing.server.http import HttpRequest
from zoho_tokens.testing.server.scoped import Located, ScopedApi, ScopedError

__all__ = ["DeskCall", "DeskState"]

_PREFIX = "/api/v1/"


class DeskCall(NamedTuple):
    """One Desk call: its path, the ``orgId`` it carried, and whose token."""

    path: str
    org_id: str | None
    user_email: str | None


class DeskState(ScopedApi[DeskCall]):
    """Desk organisations (every user belongs to all of them) and the calls (``fake.desk``)."""

    call_type = DeskCall
    list_path = "/api/v1/organizations"
    list_key = "data"
    records_resource = "tickets"
    records_key = "data"
    record = {"id": "1000000001", "subject": "Printer on fire"}
    organization_field = "orgId"
    dead_token = ScopedError("INVALID_OAUTH", "The OAuth Token you provided is invalid.", 401)
    no_organization = ScopedError("UNPROCESSABLE_ENTITY", "orgId is missing in the headers.", 422)
    unknown_organization = ScopedError(
        "FORBIDDEN", "You are not a member of this organization.", 403
    )
    not_found = ScopedError("URL_NOT_FOUND", "No such URL {path}.", 404)

    def __init__(self) -> None:
        #: The organisations, the first is every user's default.
        super().__init__(
            [
                {"id": "650000001", "companyName": "Fake Desk", "isDefault": True},
                {"id": "650000002", "companyName": "Fake Desk Two", "isDefault": False},
            ]
        )

    @property
    def organizations(self) -> list[dict[str, Any]]:
        """The organisations, the first is every user's default."""
        return self._organizations

    def locate(self, request: HttpRequest) -> Located:
        """The request's own path, its ``orgId`` header, and what follows ``/api/v1/``."""
        path = request.path.rstrip("/")
        return Located(request.path, request.header("orgId"), path.removeprefix(_PREFIX))

    def error_body(self, error: ScopedError, path: str) -> Any:
        """Desk's flat error: ``{"errorCode", "message"}``."""
        return {"errorCode": error.code, "message": error.message.format(path=path)}
