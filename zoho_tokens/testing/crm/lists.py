"""The fake Zoho CRM's list calls (``GET /crm/v<n>/<module>``), as strict as the real Zoho.

Real Zoho (API v3 and later) refuses a list call without ``fields``, refuses more than 50
of them, answers only the fields asked for (and ``id``), pages by ``page``/``per_page``
up to 2000 records and by ``page_token`` beyond (v7 and later announce page tokens in
``info``), and says "nothing here" with HTTP 204 and an empty body. See the fidelity table
in docs/explain-fake.md ("How close the fake is to the real Zoho") for what is recorded and what is only documented.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from typing import Any

from zoho_tokens.testing.crm.errors import (
    FIELDS_LIMIT_EXCEEDED,
    FIELDS_PARAM_MISSING,
    INVALID_PAGE_TOKEN,
    PAGINATION_LIMIT_EXCEEDED,
)
from zoho_tokens.testing.server.http import HttpResponse

__all__ = [
    "DISCRETE_PAGINATION_LIMIT",
    "MAX_FIELDS",
    "list_records",
    "no_content",
    "records_page",
    "requested_fields",
]

#: At most this many API names in ``fields`` (more: ``LIMIT_EXCEEDED``).
MAX_FIELDS = 50
#: ``page``/``per_page`` reach only this many records; beyond, ``page_token`` is needed.
DISCRETE_PAGINATION_LIMIT = 2000
#: How long a page token stays valid (Zoho: a day).
PAGE_TOKEN_LIFETIME = 24 * 3600
#: The first API version that requires ``fields`` and the one that adds page tokens.
FIELDS_REQUIRED_SINCE = 3
PAGE_TOKENS_SINCE = 7


def requested_fields(value: str | None) -> list[str]:
    """The API names of a ``fields`` parameter (comma separated, blanks dropped)."""
    return [name.strip() for name in (value or "").split(",") if name.strip()]


def _page_token(page: int, per_page: int) -> str:
    # Opaque to clients, self-describing for the fake (each request builds a new CrmApi).
    return f"fakezoho{page:06d}x{per_page:03d}" + "0" * 8


def _parse_page_token(token: str) -> tuple[int, int] | None:
    match = re.fullmatch(r"fakezoho(\d{6})x(\d{3})0{8}", token)
    if match is None or int(match[1]) < 1 or int(match[2]) < 1:
        return None
    return int(match[1]), int(match[2])


def _zoho_time(epoch: float) -> str:
    """A time as Zoho writes it: ISO 8601 to the second, with the user's offset."""
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(epoch))


def records_page(
    records: Sequence[Mapping[str, Any]],
    page: int,
    per_page: int,
    *,
    fields: Sequence[str] | None = None,
    page_tokens: bool = True,
    now: float | None = None,
) -> dict[str, Any]:
    """One page of a module's records, with Zoho's ``info`` block.

    ``fields`` keeps only those keys (plus ``id``, which Zoho always sends); ``page_tokens``
    adds v7's ``next_page_token``, ``previous_page_token`` and ``page_token_expiry``.
    """
    start = (page - 1) * per_page
    wanted = None if fields is None else {"id", *fields}
    chunk = [
        {key: value for key, value in record.items() if wanted is None or key in wanted}
        for record in records[start : start + per_page]
    ]
    more = start + per_page < len(records)
    info: dict[str, Any] = {
        "per_page": per_page,
        "count": len(chunk),
        "page": page,
        "sort_by": "id",
        "sort_order": "desc",
        "more_records": more,
    }
    if page_tokens:
        expiry = (time.time() if now is None else now) + PAGE_TOKEN_LIFETIME
        info["next_page_token"] = _page_token(page + 1, per_page) if more else None
        info["previous_page_token"] = _page_token(page - 1, per_page) if page > 1 else None
        info["page_token_expiry"] = _zoho_time(expiry) if more else None
    return {"data": chunk, "info": info}


def list_records(
    records: Sequence[Mapping[str, Any]], query: Mapping[str, str], version: int
) -> HttpResponse:
    """``GET /crm/v<version>/<module>`` with Zoho's rules (see the section comment)."""
    fields = requested_fields(query.get("fields"))
    if version >= FIELDS_REQUIRED_SINCE and not fields:
        return HttpResponse.json(FIELDS_PARAM_MISSING, status=400)
    if len(fields) > MAX_FIELDS:
        return HttpResponse.json(FIELDS_LIMIT_EXCEEDED, status=400)
    token = query.get("page_token")
    if token:
        parsed = _parse_page_token(token)
        if parsed is None:
            return HttpResponse.json(INVALID_PAGE_TOKEN, status=400)
        page, per_page = parsed
    else:
        page = _positive_int(query.get("page"), 1)
        per_page = min(_positive_int(query.get("per_page"), 200), 200)
        if page * per_page > DISCRETE_PAGINATION_LIMIT:
            return HttpResponse.json(PAGINATION_LIMIT_EXCEEDED, status=400)
    payload = records_page(
        records,
        page,
        per_page,
        fields=fields or None,
        page_tokens=version >= PAGE_TOKENS_SINCE,
    )
    return HttpResponse.json(payload) if payload["data"] else no_content()


def no_content() -> HttpResponse:
    """Zoho's "nothing here" (an empty module, a page past the end): HTTP 204, no body."""
    return HttpResponse(status=204, content_type=None)


def _positive_int(value: str | None, default: int) -> int:
    try:
        number = int(value) if value is not None else default
    except ValueError:
        return default
    return number if number > 0 else default
