"""The worker processes of the limits load test: web workers render a page per call,
task workers call ``session_for`` in a loop. Module-level, for "spawn"."""

from __future__ import annotations

import os
import time
from collections import Counter
from typing import Any


def _setup() -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.loadtest.limits_settings"
    import django

    django.setup()


def _leads_page(request: Any) -> Any:
    from django.http import HttpResponse

    from zoho_tokens.api.session import session_for

    leads = session_for(request.user).get("Leads", params={"fields": "Last_Name"}).json()
    return HttpResponse(f"{len(leads.get('data', []))} leads")


def web_worker(user_ids: list[int], seconds: float, start: Any) -> dict[str, Any]:
    """A web worker: pages for ``user_ids`` in turn for ``seconds`` after ``start``;
    counts of pages by status, and whether every 503 named a delay."""
    _setup()
    from django.contrib.auth import get_user_model
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.signed_cookies import SessionStore
    from django.test import RequestFactory

    from zoho_tokens.decorators import zoho_connection_required

    page = zoho_connection_required(_leads_page)
    users = list(get_user_model().objects.filter(pk__in=user_ids))
    factory = RequestFactory()
    counts: Counter[str] = Counter()
    start.wait()
    until = time.time() + seconds
    index = 0
    while time.time() < until:
        request = factory.get("/leads/")
        request.user = users[index % len(users)]
        request.session = SessionStore()
        request._messages = FallbackStorage(request)  # type: ignore[attr-defined]
        index += 1
        response = page(request)
        if response.status_code == 503:
            counts[
                "503 with Retry-After" if response.has_header("Retry-After") else "503 bare"
            ] += 1
        else:
            counts[str(response.status_code)] += 1
    return dict(counts)


def task_worker(token_ids: list[int], seconds: float, start: Any) -> dict[str, Any]:
    """A task worker: ``session_for`` calls for ``token_ids`` in turn for ``seconds``;
    counts of calls served, throttled (a task would retry) and failed otherwise."""
    _setup()
    from zoho_tokens.api.session import session_for
    from zoho_tokens.exceptions import ZohoThrottledError
    from zoho_tokens.models import ZohoToken

    counts: Counter[str] = Counter()
    start.wait()
    until = time.time() + seconds
    index = 0
    while time.time() < until:
        token = ZohoToken(pk=token_ids[index % len(token_ids)])
        index += 1
        try:
            session_for(token).get("Leads", params={"fields": "Last_Name"})
            counts["200"] += 1
        except ZohoThrottledError:
            counts["throttled"] += 1
        except Exception as err:  # reported, and fails the run
            counts[f"error {type(err).__name__}"] += 1
    return dict(counts)
