"""What the fake Zoho saw: every request, every CRM call and every authorization request.

:class:`RequestLog` is written by the HTTP handler threads and read by the test thread, so
it keeps everything behind one lock and hands out copies.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, fields
from typing import NamedTuple

from zoho_tokens.testing.server.http import HttpRequest

__all__ = ["CrmCall", "RecordedRequest", "RequestLog"]


@dataclass
class RecordedRequest(HttpRequest):
    """One request the fake received, and when. ``status`` is None if it was never answered."""

    timestamp: float = 0.0
    status: int | None = None


class CrmCall(NamedTuple):
    """A CRM API call: which access token it carried and whose it turned out to be."""

    path: str
    access_token: str | None
    user_email: str | None


class RequestLog:
    """The fake's records, oldest first; see :meth:`FakeZoho.count` for the queries."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._crm_calls: list[CrmCall] = []
        self._auth_requests: list[dict[str, str]] = []

    def record_request(self, request: HttpRequest) -> RecordedRequest:
        """Log a request on arrival; the caller sets its ``status`` once it is answered."""
        seen = {field.name: getattr(request, field.name) for field in fields(HttpRequest)}
        recorded = RecordedRequest(**seen, timestamp=time.time())
        with self._lock:
            self._requests.append(recorded)
        return recorded

    def record_crm_call(self, call: CrmCall) -> None:
        """Log a CRM API call and whose token it carried."""
        with self._lock:
            self._crm_calls.append(call)

    def record_authorization(self, params: dict[str, str]) -> None:
        """Log the parameters of a valid authorization request."""
        with self._lock:
            self._auth_requests.append(dict(params))

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received, oldest first."""
        with self._lock:
            return list(self._requests)

    @property
    def crm_calls(self) -> list[CrmCall]:
        """Every CRM API call, oldest first."""
        with self._lock:
            return list(self._crm_calls)

    @property
    def auth_requests(self) -> list[dict[str, str]]:
        """Copies of the parameters of every valid authorization request."""
        with self._lock:
            return [dict(params) for params in self._auth_requests]

    def count(self, path: str | None, method: str | None, params: dict[str, str]) -> int:
        """How many requests matched ``path``, ``method`` and every ``name=value`` given."""
        return sum(
            1
            for recorded in self.requests
            if (path is None or recorded.path == path)
            and (method is None or recorded.method == method.upper())
            and all(recorded.params.get(name) == str(value) for name, value in params.items())
        )

    def clear(self) -> None:
        """Forget everything recorded so far."""
        with self._lock:
            self._requests.clear()
            self._crm_calls.clear()
            self._auth_requests.clear()
