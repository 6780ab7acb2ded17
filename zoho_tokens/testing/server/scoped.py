"""The fake of an API whose calls name an organisation: Zoho Desk and Zoho Projects.

Both answer the same way, told apart by data: one path lists the organisations (Desk's
organisations, Projects' portals; every user belongs to all of them), every other call must
name a known one (Desk in an ``orgId`` header, Projects in the path), one resource answers
a one-record list, and each has its own error body. :class:`ScopedApi` holds that flow
once; ``testing.desk.handlers`` and ``testing.projects.handlers`` fill in the data, where a
request names its organisation, and the error body.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from typing import Any, ClassVar, Generic, NamedTuple, TypeVar

from zoho_tokens.testing.accounts.tokens import AccessToken
from zoho_tokens.testing.server.http import HttpRequest, HttpResponse

__all__ = ["Located", "ScopedApi", "ScopedError"]

CallT = TypeVar("CallT")


class ScopedError(NamedTuple):
    """One error answer: its code, its message (``{path}`` is filled in), its HTTP status."""

    code: str
    message: str
    status: int


class Located(NamedTuple):
    """Where a request goes: the path recorded, the organisation it names (None: none), and
    the resource, what the path asks for after the organisation."""

    path: str
    organization: str | None
    resource: str


class ScopedApi(ABC, Generic[CallT]):
    """The organisations, the calls answered, and the answering flow of one such API."""

    #: Makes the record of one call from ``(path, organization, user_email)``.
    call_type: ClassVar[Any]
    #: The path (without a trailing slash) that lists the organisations, and the key the
    #: list stands under in the answer (None: the answer is the list).
    list_path: ClassVar[str]
    list_key: ClassVar[str | None]
    #: The resource that answers ``{records_key: [record + {organization_field: org}]}``.
    records_resource: ClassVar[str]
    records_key: ClassVar[str]
    record: ClassVar[dict[str, Any]]
    organization_field: ClassVar[str]
    #: The answers to a dead token, to a call naming no organisation, to an unknown
    #: organisation, and to any other path.
    dead_token: ClassVar[ScopedError]
    no_organization: ClassVar[ScopedError]
    unknown_organization: ClassVar[ScopedError]
    not_found: ClassVar[ScopedError]

    def __init__(self, organizations: list[dict[str, Any]]) -> None:
        self.lock = threading.Lock()
        self._organizations = organizations
        self._calls: list[CallT] = []

    @property
    def calls(self) -> list[CallT]:
        """Every call answered, oldest first."""
        with self.lock:
            return list(self._calls)

    @abstractmethod
    def locate(self, request: HttpRequest) -> Located:
        """Where ``request`` goes (each API's own)."""

    @abstractmethod
    def error_body(self, error: ScopedError, path: str) -> Any:
        """The body of ``error`` answered to ``path`` (each API's own)."""

    def handle(self, request: HttpRequest, access: AccessToken | None) -> HttpResponse:
        """Answer one request whose bearer token resolved to ``access``."""
        located = self.locate(request)
        with self.lock:
            self._calls.append(
                self.call_type(
                    located.path, located.organization, access.user.email if access else None
                )
            )
        path = request.path.rstrip("/")
        if access is None:
            return self._error(self.dead_token, path)
        if path == self.list_path:
            listed = self._organizations
            return HttpResponse.json({self.list_key: listed} if self.list_key else listed)
        organization = located.organization
        if organization is None:
            return self._error(self.no_organization, path)
        if organization not in {str(each["id"]) for each in self._organizations}:
            return self._error(self.unknown_organization, path)
        if located.resource == self.records_resource:
            record = {**self.record, self.organization_field: organization}
            return HttpResponse.json({self.records_key: [record]})
        return self._error(self.not_found, path)

    def _error(self, error: ScopedError, path: str) -> HttpResponse:
        return HttpResponse.json(self.error_body(error, path), status=error.status)
