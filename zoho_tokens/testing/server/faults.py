"""Fault injection: make one endpoint of the fake misbehave, once, N times, or until healed."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Literal, get_args

__all__ = ["ENDPOINTS", "FAULT_KINDS", "Endpoint", "Fault", "FaultBook", "FaultKind"]

#: Where a fault applies. ``"token"`` is both grants of ``/oauth/v2/token``;
#: ``"exchange"`` (``authorization_code``) and ``"refresh"`` (``refresh_token``) are one each;
#: ``"auth"`` is the authorization page and its consent form; ``"crm"`` is every CRM call.
Endpoint = Literal["auth", "token", "refresh", "exchange", "revoke", "crm"]

#: What goes wrong:
#:
#: ``"http_500"``      HTTP 500 (an HTML page on Accounts, Zoho's ``INTERNAL_ERROR`` on CRM).
#: ``"html"``          HTTP 200 with an HTML body, like a proxy's error page.
#: ``"html_400"``      HTTP 400 with an HTML body: a proxy refusing the request, not Zoho.
#: ``"malformed"``     HTTP 200, ``Content-Type: application/json``, truncated JSON.
#: ``"slow"``          wait :attr:`FakeZoho.slow_seconds`, then answer normally (a Zoho that
#:                     stays silent, when ``slow_seconds`` outlasts the client's timeout).
#: ``"trickle"``       answer normally, but send the body one byte every
#:                     :attr:`FakeZoho.trickle_seconds` (headers at once).
#: ``"invalid_code"``  Zoho's ``{"error": "invalid_code"}`` (on CRM: 401 ``INVALID_TOKEN``;
#:                     on revoke: 400 failure), whatever the request carried.
#: ``"auth_failure"``  CRM only: 401 ``AUTHENTICATION_FAILURE``, which other Zoho clients
#:                     report answered instead of ``INVALID_TOKEN`` for a dead token.
#: ``"throttle"``      Zoho's ``{"error": "Access Denied"}`` throttle answer (on CRM: 429).
#: ``"down"``          close the connection without answering; nothing is processed.
#: ``"lost"``          process the request normally (codes spent, tokens issued), then close
#:                     the connection without answering: the reply is lost on the way.
FaultKind = Literal[
    "http_500",
    "html",
    "html_400",
    "malformed",
    "slow",
    "trickle",
    "invalid_code",
    "auth_failure",
    "throttle",
    "down",
    "lost",
]

ENDPOINTS: tuple[str, ...] = get_args(Endpoint)
FAULT_KINDS: tuple[str, ...] = get_args(FaultKind)

# Zoho's authorization page has no JSON error vocabulary to imitate.
_UNSUPPORTED = {("auth", "invalid_code"), ("auth", "throttle")} | {
    (endpoint, "auth_failure") for endpoint in ("auth", "token", "refresh", "exchange", "revoke")
}


@dataclass
class Fault:
    """One armed fault. ``remaining`` is None for "until healed"; ``hits`` counts uses."""

    endpoint: Endpoint
    kind: FaultKind
    remaining: int | None = None
    hits: int = 0

    @property
    def armed(self) -> bool:
        """Whether it will still fire."""
        return self.remaining is None or self.remaining > 0


class FaultBook:
    """The armed faults, first armed first served, safe to use from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, endpoint: str, kind: str, times: int | None = None) -> Fault:
        """Arm a fault; see :meth:`FakeZoho.fail`."""
        if endpoint not in ENDPOINTS:
            raise ValueError(f"unknown endpoint {endpoint!r}; expected one of {ENDPOINTS}")
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {FAULT_KINDS}")
        if (endpoint, kind) in _UNSUPPORTED:
            raise ValueError(f"fault {kind!r} has no meaning on endpoint {endpoint!r}")
        if times is not None and times < 1:
            raise ValueError("times must be at least 1, or None for 'until heal()'")
        fault = Fault(endpoint, kind, times)  # type: ignore[arg-type]
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, endpoints: set[str]) -> Fault | None:
        """The first armed fault for any of ``endpoints``, consuming one use of it."""
        with self._lock:
            for fault in self._faults:
                if fault.endpoint in endpoints and fault.armed:
                    fault.hits += 1
                    if fault.remaining is not None:
                        fault.remaining -= 1
                        if fault.remaining == 0:
                            self._faults.remove(fault)
                    return fault
        return None

    def clear(self, endpoint: str | None = None) -> None:
        """Disarm every fault, or only those of one endpoint."""
        with self._lock:
            self._faults = [
                f for f in self._faults if endpoint is not None and f.endpoint != endpoint
            ]

    @property
    def armed(self) -> list[Fault]:
        """The faults that will still fire, in order."""
        with self._lock:
            return list(self._faults)
