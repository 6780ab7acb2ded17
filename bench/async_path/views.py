"""The views under test, and the ASGI and WSGI applications that serve them.

``/sync/<user id>/`` asks Zoho CRM who the user is with ``session_for``; ``/async/<user
id>/`` does the same with ``asession_for``; ``/sleep/<user id>/`` only waits as long as Zoho
takes, the most one ASGI worker can serve on this machine whatever the view does. Each
answers the user's email, which the load generator compares with the user it asked for.
The user comes from the URL (no session, no login), so that the figures are those of the
call path alone.
"""

from __future__ import annotations

import asyncio
import os

from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.urls import path

from bench.loadtest.fake import user_email
from zoho_tokens.api import asession_for, session_for

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.async_path.settings")

CURRENT_USER = {"type": "CurrentUser"}
#: Seconds the fake Zoho takes per API call (``ASYNC_BENCH_LATENCY``): the ceiling view's wait.
ZOHO_LATENCY = float(os.environ.get("ASYNC_BENCH_LATENCY", "0.2"))


def _user(user_id: int) -> object:
    # A user instance with its primary key is all session_for needs to find the token.
    return get_user_model()(pk=user_id)


def sync_call(request: HttpRequest, user_id: int) -> HttpResponse:
    """session_for, in one of the WSGI worker's threads."""
    with session_for(_user(user_id)) as crm:
        answer = crm.get("users", params=CURRENT_USER).json()
    return HttpResponse(answer["users"][0]["email"])


async def sleep_call(request: HttpRequest, user_id: int) -> HttpResponse:
    """The ceiling: an async view that only waits as long as Zoho takes, and answers the
    email the other views would (the fake's users are ``user_email(pk - 1)``)."""
    await asyncio.sleep(ZOHO_LATENCY)
    return HttpResponse(user_email(user_id - 1))


async def async_call(request: HttpRequest, user_id: int) -> HttpResponse:
    """asession_for, on the ASGI worker's event loop."""
    async with asession_for(_user(user_id)) as crm:
        answer = (await crm.get("users", params=CURRENT_USER)).json()
    return HttpResponse(answer["users"][0]["email"])


urlpatterns = [
    path("sync/<int:user_id>/", sync_call),
    path("async/<int:user_id>/", async_call),
    path("sleep/<int:user_id>/", sleep_call),
]
