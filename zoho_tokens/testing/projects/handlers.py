"""The fake Zoho Projects API (v3, ``/api/v3/...``): portals and projects.

Projects v3 puts the portal in the path: ``/api/v3/portal/{portal_id}/...`` (documented);
``GET /api/v3/portals`` lists the user's portals. Its shape here (a JSON list of
``{"id", "name", "is_default"}``) and the error body ``{"error": {"title", "details"}}``
follow Zoho's v3 documentation; neither was recorded.
"""

from __future__ import annotations

import re
import threading
from typing import Any, NamedTuple

from zoho_tokens.testing.accounts.tokens import AccessToken
from zoho_tokens.testing.server.http import HttpRequest, HttpResponse

__all__ = ["ProjectsCall", "ProjectsState"]

_PORTAL_PATH = re.compile(r"^/api/v3/portal/(?P<portal>[^/]+)/(?P<rest>.+)$")


class ProjectsCall(NamedTuple):
    """One Projects call: its path, the portal in it, and whose token."""

    path: str
    portal_id: str | None
    user_email: str | None


def _error(title: str, status: int) -> HttpResponse:
    return HttpResponse.json({"error": {"title": title, "details": []}}, status=status)


class ProjectsState:
    """Projects portals (every user belongs to all of them) and the calls (``fake.projects``)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        #: The portals, the second is every user's default (the first is not, on purpose).
        self.portals: list[dict[str, Any]] = [
            {"id": "750000001", "name": "side-portal", "is_default": False},
            {"id": "750000002", "name": "fake-portal", "is_default": True},
        ]
        self._calls: list[ProjectsCall] = []

    @property
    def calls(self) -> list[ProjectsCall]:
        """Every Projects call answered, oldest first."""
        with self.lock:
            return list(self._calls)

    @staticmethod
    def portal_of(path: str) -> str | None:
        """The portal id in a ``/api/v3/portal/{id}/...`` path."""
        match = _PORTAL_PATH.match(path)
        return match["portal"] if match else None

    def handle(self, request: HttpRequest, access: AccessToken | None) -> HttpResponse:
        """Answer one ``/api/v3/...`` request whose bearer token resolved to ``access``."""
        path = request.path.rstrip("/")
        match = _PORTAL_PATH.match(path)
        with self.lock:
            self._calls.append(
                ProjectsCall(
                    path, match["portal"] if match else None, access.user.email if access else None
                )
            )
        if access is None:
            return _error("INVALID_OAUTHTOKEN", 401)
        if path == "/api/v3/portals":
            return HttpResponse.json(self.portals)
        if match is None:
            return _error("URL_NOT_FOUND", 404)
        if match["portal"] not in {str(p["id"]) for p in self.portals}:
            return _error("PORTAL_NOT_FOUND", 404)
        if match["rest"] == "projects":
            return HttpResponse.json(
                {"projects": [{"id": "880000001", "name": "Apollo", "portal": match["portal"]}]}
            )
        return _error("URL_NOT_FOUND", 404)
