"""The fake Zoho Books API (``/books/v3/...``), in Books' own shapes.

What is modelled: ``GET /organizations``, ``GET /contacts`` (the organization's customers),
``GET``/``POST /estimates``, ``GET /invoices``,
with per-user permissions as Zoho's "integration users" have them (a user may create
estimates and only read invoices), and every record naming who created it, so tests can
prove each user acted as themselves.

Books' shapes, as recorded (``zoho-facts.md``): success bodies carry ``"code": 0`` and
``"message"``; lists carry ``page_context``; errors are flat ``{"code": <int>, "message"}``:
57 with HTTP 401 (a dead token, a missing scope, or no permission), 14 with HTTP 401 (no
or a malformed Authorization header), 6041 (an organization the user does not belong to);
every answer carries ``x-rate-limit-limit``, ``x-rate-limit-remaining`` and
``x-rate-limit-reset`` (seconds until the organization's midnight, the daily quota), and
more than ``per_minute_limit`` calls per organization in a minute get HTTP 429. The HTTP
status of 6041, the code of a missing ``organization_id`` and the body of a 429 were not
recorded; the values here are this fake's.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from zoho_tokens.testing.accounts.tokens import AccessToken
from zoho_tokens.testing.accounts.users import FakeZohoUser
from zoho_tokens.testing.books.payloads import (
    BAD_AUTHORIZATION,
    NOT_AUTHORIZED,
    NOT_FOUND,
    ORG_MISSING,
    TOO_MANY,
    not_member,
    ok,
    organization_payload,
    page_context,
)
from zoho_tokens.testing.books.reading import json_body, scope_allows
from zoho_tokens.testing.server.http import HttpRequest, HttpResponse

__all__ = [
    "ADMIN",
    "INTEGRATION_USER",
    "BooksCall",
    "BooksOrganization",
    "BooksState",
]

#: What a role may do: ``"<module>.<read|create>"``.
ADMIN = frozenset(
    {"contacts.read", "estimates.read", "estimates.create", "invoices.read", "invoices.create"}
)
#: Zoho's CRM-Books integration user: estimates read/write, invoices read only.
INTEGRATION_USER = frozenset(
    {"contacts.read", "estimates.read", "estimates.create", "invoices.read"}
)

#: The customers every organization starts with (``GET /contacts``).
DEFAULT_CUSTOMERS = (
    ("460000000000101", "Acme Corporation"),
    ("460000000000102", "Globex Trading Ltd"),
    ("460000000000103", "Initech Consulting GmbH"),
)

_PATH = re.compile(r"^/books/v3/(?P<module>[a-z_]+)/?$")


class BooksCall(NamedTuple):
    """One Books call: what it asked, with whose token, and what it was answered."""

    method: str
    path: str
    organization_id: str | None
    access_token: str | None
    user_email: str | None
    status: int


@dataclass
class BooksOrganization:
    """A Books organization: its members (email -> permissions) and its records."""

    organization_id: str
    name: str
    members: dict[str, frozenset[str]] = field(default_factory=dict)
    estimates: list[dict[str, Any]] = field(default_factory=list)
    invoices: list[dict[str, Any]] = field(default_factory=list)
    contacts: list[dict[str, Any]] = field(
        default_factory=lambda: [
            {"contact_id": cid, "contact_name": name, "contact_type": "customer"}
            for cid, name in DEFAULT_CUSTOMERS
        ]
    )
    #: When each call of the current minute arrived, for the per-minute limit.
    recent_calls: list[float] = field(default_factory=list)
    calls_today: int = 0


class BooksState:
    """Books organizations, records and call log, behind one lock (``fake.books``)."""

    def __init__(self, users: Iterable[FakeZohoUser], now: Callable[[], float]) -> None:
        self.lock = threading.RLock()
        self._now = now
        self._ids = itertools.count(460000000010001)
        self.organizations: dict[str, BooksOrganization] = {}
        self._calls: list[BooksCall] = []
        #: Calls per organization and minute before HTTP 429 (Zoho: 100).
        self.per_minute_limit = 100
        #: Calls per organization and day, reported in ``x-rate-limit-limit``.
        self.daily_limit = 1000
        self.add_organization(
            "60000000001", "Fake Zoho Books", {user.email: ADMIN for user in users}
        )

    # -- set up ----------------------------------------------------------------------------

    def add_organization(
        self, organization_id: str, name: str, members: Mapping[str, Iterable[str]] = {}
    ) -> BooksOrganization:
        """Add (or replace) an organization with ``members``: email -> permissions."""
        org = BooksOrganization(
            organization_id, name, {e.lower(): frozenset(p) for e, p in members.items()}
        )
        with self.lock:
            self.organizations[organization_id] = org
        return org

    def grant(self, email: str, organization_id: str, permissions: Iterable[str]) -> None:
        """Give ``email`` these permissions in an organization (empty: membership only)."""
        with self.lock:
            self.organizations[organization_id].members[email.lower()] = frozenset(permissions)

    def add_invoice(
        self, organization_id: str, creator: FakeZohoUser, total: float
    ) -> dict[str, Any]:
        """An invoice in an organization, created by ``creator``."""
        with self.lock:
            invoice = self._record("invoice", creator, {"total": total, "status": "sent"})
            self.organizations[organization_id].invoices.append(invoice)
            return dict(invoice)

    @property
    def calls(self) -> list[BooksCall]:
        """Every Books call answered so far, oldest first."""
        with self.lock:
            return list(self._calls)

    def estimates(self, organization_id: str) -> list[dict[str, Any]]:
        """Copies of an organization's estimates."""
        with self.lock:
            return [dict(e) for e in self.organizations[organization_id].estimates]

    # -- HTTP ------------------------------------------------------------------------------

    def handle(
        self, request: HttpRequest, token: str | None, access: AccessToken | None
    ) -> HttpResponse:
        """Answer one ``/books/v3/...`` request whose bearer token resolved to ``access``."""
        with self.lock:
            org_id = request.query.get("organization_id")
            response = self._answer(request, token, access, org_id)
            self._calls.append(
                BooksCall(
                    request.method,
                    request.path,
                    org_id,
                    token,
                    access.user.email if access is not None else None,
                    response.status,
                )
            )
            return response

    def _answer(
        self,
        request: HttpRequest,
        token: str | None,
        access: AccessToken | None,
        org_id: str | None,
    ) -> HttpResponse:
        if token is None:
            return HttpResponse.json(BAD_AUTHORIZATION, status=401)
        match = _PATH.match(request.path)
        if access is None or match is None:
            return HttpResponse.json(
                NOT_AUTHORIZED if access is None else NOT_FOUND, 401 if access is None else 404
            )
        module = match["module"]
        operation = "create" if request.method == "POST" else "read"
        scope_module = "settings" if module == "organizations" else module
        mine = [o for o in self.organizations.values() if access.user.email.lower() in o.members]
        if not mine or not scope_allows(access.scopes, scope_module, operation):
            return HttpResponse.json(NOT_AUTHORIZED, status=401)
        if module == "organizations":
            return ok(
                {
                    "organizations": [
                        organization_payload(o.organization_id, o.name, o is mine[0]) for o in mine
                    ]
                }
            )
        if not org_id:
            return HttpResponse.json(ORG_MISSING, status=400)
        org = self.organizations.get(org_id)
        if org is None or access.user.email.lower() not in org.members:
            return HttpResponse.json(not_member(org_id), status=400)
        throttled = self._count_call(org)
        if throttled is not None:
            return throttled
        if module not in ("estimates", "invoices", "contacts"):
            return self._limited(org, HttpResponse.json(NOT_FOUND, status=404))
        if f"{module}.{operation}" not in org.members[access.user.email.lower()]:
            return self._limited(org, HttpResponse.json(NOT_AUTHORIZED, status=401))
        if operation == "create":
            return self._limited(org, self._create_estimate(request, org, access.user))
        records = {"estimates": org.estimates, "invoices": org.invoices, "contacts": org.contacts}[
            module
        ]
        return self._limited(org, ok({module: [dict(r) for r in records], **page_context(module)}))

    def _count_call(self, org: BooksOrganization) -> HttpResponse | None:
        now = self._now()
        org.recent_calls = [t for t in org.recent_calls if t > now - 60]
        if len(org.recent_calls) >= self.per_minute_limit:
            limited = HttpResponse.json(TOO_MANY, status=429)
            # Seconds until the oldest call of the minute leaves it (this fake's; unrecorded).
            limited.headers["Retry-After"] = str(max(1, int(org.recent_calls[0] + 61 - now)))
            return self._limited(org, limited)
        org.recent_calls.append(now)
        org.calls_today += 1
        return None

    def _limited(self, org: BooksOrganization, response: HttpResponse) -> HttpResponse:
        now = self._now()
        response.headers.update(
            {
                "x-rate-limit-limit": str(self.daily_limit),
                "x-rate-limit-remaining": str(max(self.daily_limit - org.calls_today, 0)),
                "x-rate-limit-reset": str(int(86400 - now % 86400)),
            }
        )
        return response

    def _create_estimate(
        self, request: HttpRequest, org: BooksOrganization, creator: FakeZohoUser
    ) -> HttpResponse:
        body = json_body(request)
        customer_id = str(body.get("customer_id") or "")
        line_items = body.get("line_items")
        if not customer_id or not isinstance(line_items, list) or not line_items:
            return HttpResponse.json(
                {"code": 4, "message": "Invalid value passed for customer_id or line_items"}, 400
            )
        total = sum(float(i.get("rate", 0)) * float(i.get("quantity", 1)) for i in line_items)
        known = {c["contact_id"]: c["contact_name"] for c in org.contacts}
        estimate = self._record(
            "estimate",
            creator,
            {
                "estimate_number": f"EST-{len(org.estimates) + 1:05d}",
                "customer_id": customer_id,
                "customer_name": str(
                    body.get("customer_name") or known.get(customer_id, f"Customer {customer_id}")
                ),
                "status": "draft",
                "line_items": line_items,
                "total": round(total, 2),
            },
        )
        org.estimates.append(estimate)
        return HttpResponse.json(
            {"code": 0, "message": "The estimate has been created.", "estimate": dict(estimate)},
            status=201,
        )

    def _record(self, kind: str, creator: FakeZohoUser, values: dict[str, Any]) -> dict[str, Any]:
        return {
            f"{kind}_id": str(next(self._ids)),
            **values,
            "created_by_id": creator.user_id,
            "created_by_name": creator.full_name,
            "created_by_email": creator.email,
        }
