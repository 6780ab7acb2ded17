"""``acting_as`` from async views: the SDK is sync, so the view runs it through
``sync_to_async``, thread-sensitive (Django's one sync thread) or not (a pool of
threads); many concurrent requests of two users never call as each other."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.db import connections
from django.http import HttpRequest, HttpResponse
from django.test import AsyncClient
from django.urls import path

from tests.sdk.helpers import connect, current_zoho_email, make_user
from zoho_tokens.decorators import zoho_connection_required
from zoho_tokens.models import ZohoToken, now_ms
from zoho_tokens.sdk import acting_as
from zoho_tokens.testing import TOKEN_PATH, FakeZoho

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls(__name__),
    pytest.mark.usefixtures("sdk_resource_path"),
]

REQUESTS_PER_USER = 12


def who_am_i_at_zoho(request: HttpRequest) -> str:
    with acting_as(request.user):
        return current_zoho_email()


@zoho_connection_required
async def thread_sensitive(request: HttpRequest) -> HttpResponse:
    return HttpResponse(await sync_to_async(who_am_i_at_zoho)(request))


def who_am_i_in_a_pool_thread(request: HttpRequest) -> str:
    try:
        return who_am_i_at_zoho(request)
    finally:
        connections.close_all()  # no request cycle closes a pool thread's connections


@zoho_connection_required
async def thread_pool(request: HttpRequest) -> HttpResponse:
    answer = await sync_to_async(who_am_i_in_a_pool_thread, thread_sensitive=False)(request)
    return HttpResponse(answer)


urlpatterns = [
    path("sensitive/", thread_sensitive),
    path("pool/", thread_pool),
]


def browser_of(user: Any) -> AsyncClient:
    client = AsyncClient()
    client.force_login(user)
    return client


@pytest.mark.parametrize("url", ["/sensitive/", "/pool/"])
def test_concurrent_async_requests_of_two_users_call_as_their_own_user(
    url: str, fake_zoho: FakeZoho
) -> None:
    alice, bob = make_user("alice"), make_user("bob")
    rows = [
        connect(fake_zoho, alice, "alice@zoho.example"),
        connect(fake_zoho, bob, "bob@zoho.example"),
    ]
    # Both tokens expired: the first requests of each user meet a refresh.
    ZohoToken.objects.filter(pk__in=[r.pk for r in rows]).update(expires_at_ms=now_ms() - 1000)
    fake_zoho.reset_counts()
    browsers = {"alice@zoho.example": browser_of(alice), "bob@zoho.example": browser_of(bob)}

    async def everyone() -> list[tuple[str, int, str]]:
        async def one(email: str) -> tuple[str, int, str]:
            response = await browsers[email].get(url)
            return email, response.status_code, response.content.decode()

        calls = [one(email) for email in browsers for _ in range(REQUESTS_PER_USER)]
        return list(await asyncio.gather(*calls))

    answers = async_to_sync(everyone)()

    assert [(who, status) for who, status, answer in answers if answer != who] == []
    assert {status for _who, status, _answer in answers} == {200}
    owner = {token.token: token.user.email for token in fake_zoho.access_tokens}
    assert None not in {owner.get(call.access_token or "") for call in fake_zoho.crm_calls}
    assert fake_zoho.count(TOKEN_PATH, grant_type="refresh_token") == 2
