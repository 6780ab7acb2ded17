"""Zoho Desk's ``orgId`` header and the Zoho Projects portal in the path, found once (the
user's default) and remembered, or given explicitly."""

from __future__ import annotations

import pytest

from tests.api.conftest import connect
from zoho_tokens.api.session import session_for
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
