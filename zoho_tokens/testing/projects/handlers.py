"""The fake Zoho Projects API (v3, ``/api/v3/...``): portals and projects.

Projects v3 puts the portal in the path: ``/api/v3/portal/{portal_id}/...`` (documented);
``GET /api/v3/portals`` lists the user's portals. Its shape here (a JSON list of
``{"id", "name", "is_default"}``) and the error body ``{"error": {"title", "details"}}``
follow Zoho's v3 documentation; neither was recorded.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from zoho_tokens.testing.server.http import HttpRequest
from zoho_tokens.testing.server.scoped import Located, ScopedApi, ScopedError

__all__ = ["ProjectsCall", "ProjectsState"]

_PORTAL_PATH = re.compile(r"^/api/v3/portal/(?P<portal>[^/]+)/(?P<rest>.+)$")


class ProjectsCall(NamedTuple):
    """One Projects call: its path, the portal in it, and whose token."""

    path: str
    portal_id: str | None
    user_email: str | None


class ProjectsState(ScopedApi[ProjectsCall]):
    """Projects portals (every user belongs to all of them) and the calls (``fake.projects``)."""

    call_type = ProjectsCall
    list_path = "/api/v3/portals"
    list_key = None
    records_resource = "projects"
    records_key = "projects"
    record = {"id": "880000001", "name": "Apollo"}
    organization_field = "portal"
    dead_token = ScopedError("INVALID_OAUTHTOKEN", "", 401)
    # A path without a portal is a path Projects does not know.
    no_organization = ScopedError("URL_NOT_FOUND", "", 404)
    unknown_organization = ScopedError("PORTAL_NOT_FOUND", "", 404)
    not_found = ScopedError("URL_NOT_FOUND", "", 404)

    def __init__(self) -> None:
        super().__init__(
            [
                {"id": "750000001", "name": "side-portal", "is_default": False},
                {"id": "750000002", "name": "fake-portal", "is_default": True},
            ]
        )

    @property
    def portals(self) -> list[dict[str, Any]]:
        """The portals, the second is every user's default (the first is not, on purpose)."""
        return self._organizations

    @staticmethod
    def portal_of(path: str) -> str | None:
        """The portal id in a ``/api/v3/portal/{id}/...`` path."""
        match = _PORTAL_PATH.match(path)
        return match["portal"] if match else None

    def locate(self, request: HttpRequest) -> Located:
        """The path (without a trailing slash), the portal in it, and what follows it."""
        path = request.path.rstrip("/")
        match = _PORTAL_PATH.match(path)
        return Located(path, match["portal"] if match else None, match["rest"] if match else "")

    def error_body(self, error: ScopedError, path: str) -> Any:
        """Projects' error: ``{"error": {"title", "details"}}``."""
        return {"error": {"title": error.code, "details": []}}
