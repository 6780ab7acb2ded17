"""Zoho Desk's ``orgId`` header and the Zoho Projects portal in the path, found once (the
user's default) and remembered, or given explicitly; by ``session_for`` and
``asession_for`` alike."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync

from tests.api.conftest import connect
from tests.limits.conftest import use_limits
from zoho_tokens.api import asession_for
from zoho_tokens.api.session import session_for
from zoho_tokens.exceptions import ZohoThrottledError
from zoho_tokens.limits import call_slot
from zoho_tokens.testing import FakeZoho

pytestmark = pytest.mark.django_db


def test_desk_calls_carry_the_users_default_org_id(fake_zoho: FakeZoho) -> None:
    alice = connect(fake_zoho, "alice")
    session = session_for(alice.user, "desk")

    tickets = session.get("tickets").json()["data"]
    session.get("tickets")

    assert tickets[0]["orgId"] == "650000001"
    assert [(c.path, c.org_id) for c in fake_zoho.desk.calls] == [
        ("/api/v1/organizations", None),
        ("/api/v1/tickets", "650000001"),
        ("/api/v1/tickets", "650000001"),
    ]


def test_desk_org_id_given_explicitly_is_used_without_a_lookup(fake_zoho: FakeZoho) -> None:
    alice = connect(fake_zoho, "alice")

    session_for(alice.user, "desk", organization_id="650000002").get("tickets")

    assert [(c.path, c.org_id) for c in fake_zoho.desk.calls] == [("/api/v1/tickets", "650000002")]


def test_desk_organizations_are_listed(fake_zoho: FakeZoho) -> None:
    alice = connect(fake_zoho, "alice")

    listed = session_for(alice.user, "desk").organizations()

    assert [org["id"] for org in listed] == ["650000001", "650000002"]


def test_projects_calls_put_the_users_default_portal_in_the_path(fake_zoho: FakeZoho) -> None:
    alice = connect(fake_zoho, "alice")
    session = session_for(alice.user, "projects")

    projects = session.get("projects").json()["projects"]

    assert projects[0]["portal"] == "750000002"
    assert [c.path for c in fake_zoho.projects.calls] == [
        "/api/v3/portals",
        "/api/v3/portal/750000002/projects",
    ]


def test_projects_portal_given_explicitly(fake_zoho: FakeZoho) -> None:
    alice = connect(fake_zoho, "alice")

    session_for(alice.user, "projects", organization_id="750000001").get("projects")

    assert [c.path for c in fake_zoho.projects.calls] == ["/api/v3/portal/750000001/projects"]


def test_a_projects_path_naming_its_portal_is_left_alone(fake_zoho: FakeZoho) -> None:
    alice = connect(fake_zoho, "alice")

    session_for(alice.user, "projects").get("portal/750000001/projects")

    assert [c.path for c in fake_zoho.projects.calls] == ["/api/v3/portal/750000001/projects"]


# The async session adds the same context, found and remembered the same way.


def run(coroutine_function: Any, *args: Any) -> Any:
    return async_to_sync(coroutine_function)(*args)


def test_async_desk_calls_carry_the_users_default_org_id(fake_zoho: FakeZoho) -> None:
    alice = connect(fake_zoho, "alice")

    async def calls() -> list[dict[str, Any]]:
        async with asession_for(alice.user, "desk") as zoho:
            tickets = (await zoho.get("tickets")).json()["data"]
            await zoho.get("tickets")
            return list(tickets)

    tickets = run(calls)

    assert tickets[0]["orgId"] == "650000001"
    assert [(c.path, c.org_id) for c in fake_zoho.desk.calls] == [
        ("/api/v1/organizations", None),
        ("/api/v1/tickets", "650000001"),
        ("/api/v1/tickets", "650000001"),
    ]


def test_async_desk_org_id_given_explicitly_is_used_without_a_lookup(fake_zoho: FakeZoho) -> None:
    alice = connect(fake_zoho, "alice")

    async def call() -> None:
        async with asession_for(alice.user, "desk", organization_id="650000002") as zoho:
            await zoho.get("tickets", headers={"X-Note": "kept"})

    run(call)

    assert [(c.path, c.org_id) for c in fake_zoho.desk.calls] == [("/api/v1/tickets", "650000002")]


def test_async_desk_organizations_are_listed(fake_zoho: FakeZoho) -> None:
    alice = connect(fake_zoho, "alice")

    async def listed() -> list[dict[str, Any]]:
        async with asession_for(alice.user, "desk") as zoho:
            return await zoho.organizations()

    assert [org["id"] for org in run(listed)] == ["650000001", "650000002"]


def test_async_projects_calls_put_the_users_default_portal_in_the_path(
    fake_zoho: FakeZoho,
) -> None:
    alice = connect(fake_zoho, "alice")

    async def calls() -> tuple[list[dict[str, Any]], str]:
        async with asession_for(alice.user, "projects") as zoho:
            projects = (await zoho.get("projects")).json()["projects"]
            await zoho.get("projects")
            return list(projects), await zoho.default_organization_id()

    projects, portal = run(calls)

    assert projects[0]["portal"] == portal == "750000002"
    assert [c.path for c in fake_zoho.projects.calls] == [
        "/api/v3/portals",
        "/api/v3/portal/750000002/projects",
        "/api/v3/portal/750000002/projects",
    ]


def test_async_projects_portal_given_explicitly(fake_zoho: FakeZoho) -> None:
    alice = connect(fake_zoho, "alice")

    async def call() -> None:
        async with asession_for(alice.user, "projects", organization_id="750000001") as zoho:
            await zoho.get("projects")
            await zoho.get("portal/750000002/projects")

    run(call)

    assert [c.path for c in fake_zoho.projects.calls] == [
        "/api/v3/portal/750000001/projects",
        "/api/v3/portal/750000002/projects",
    ]


def test_async_calls_spend_the_limits_of_the_org_they_go_to(
    fake_zoho: FakeZoho, settings: Any
) -> None:
    alice = connect(fake_zoho, "alice")
    use_limits(settings, CONCURRENCY=1, WAIT=0)

    async def call() -> None:
        async with asession_for(alice.user, "desk", organization_id="650000002") as zoho:
            await zoho.get("tickets")

    # The only Desk slot of that org is held: the call must wait for it (here: fail).
    with call_slot("desk", "650000002"), pytest.raises(ZohoThrottledError):
        run(call)
    with call_slot("desk", "650000001"):  # another org's slot: no matter
        run(call)
    assert [(c.path, c.org_id) for c in fake_zoho.desk.calls] == [("/api/v1/tickets", "650000002")]


HOSTILE_PORTALS = ["1/../../../oauth/v2/token", "1?x=", "1#x", "..", ".", "", "1\r\nX: y"]
HOSTILE_ORG_IDS = ["1\r\nX-Injected: yes", "1\nX: y", "1\x00"]
#: (service, a path of it, what the error names, the caller's hostile organization_id)
HOSTILE_CONTEXTS = [("projects", "projects", "portal", portal) for portal in HOSTILE_PORTALS] + [
    ("desk", "tickets", "orgId", org_id) for org_id in HOSTILE_ORG_IDS
]


@pytest.mark.parametrize(("service", "path", "named", "organization_id"), HOSTILE_CONTEXTS)
def test_a_portal_id_or_org_id_cannot_lead_a_call_elsewhere(
    fake_zoho: FakeZoho, service: str, path: str, named: str, organization_id: str
) -> None:
    """A Projects portal id is one segment of the path: one that would leave it (``/``,
    ``..``, ``?``, ``#``) is refused; a Desk ``orgId`` cannot add a header. Nothing is sent,
    by the sync session or the async one."""
    alice = connect(fake_zoho, "alice")

    with pytest.raises(ValueError, match=named):
        session_for(alice.user, service, organization_id=organization_id).get(path)

    async def call() -> None:
        async with asession_for(alice.user, service, organization_id=organization_id) as zoho:
            await zoho.get(path)

    with pytest.raises(ValueError, match=named):
        run(call)
    assert getattr(fake_zoho, service).calls == []
