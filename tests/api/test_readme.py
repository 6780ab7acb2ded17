"""The how-to for other Zoho APIs (docs/howto-other-apis.md, blocks ``"other-apis"``): its
examples run against the fake Zoho, and its service table is
:data:`zoho_tokens.api.services.SERVICES`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests import readme
from tests.api.conftest import ORG, connect
from zoho_tokens.api.services import SERVICES
from zoho_tokens.exceptions import ZohoAPIError
from zoho_tokens.models import ZohoToken
from zoho_tokens.testing import FakeZoho

pytestmark = pytest.mark.usefixtures("crm_and_books_services")

PAGE = Path(__file__).resolve().parents[2] / "docs" / "howto-other-apis.md"


def section() -> str:
    return PAGE.read_text(encoding="utf-8")


@pytest.fixture
def examples() -> dict[str, Any]:
    namespace: dict[str, Any] = {}
    blocks = [block for block in readme.blocks(PAGE) if block.label == "other-apis"]
    assert len(blocks) == 3
    for block in blocks:
        exec(compile(block.code, block.where, "exec"), namespace)
    return namespace


@pytest.mark.django_db
def test_the_books_example_creates_an_estimate_as_the_user(fake_zoho: FakeZoho, examples) -> None:
    user = connect(fake_zoho, "alice").user

    examples["create_estimate"](user, "460000000000101", 250)

    assert [e["created_by_email"] for e in examples["my_estimates"](user)] == ["alice@zoho.example"]
    assert fake_zoho.books.estimates(ORG)[0]["total"] == 250


@pytest.mark.django_db
def test_the_crm_example_reads_leads(fake_zoho: FakeZoho, examples) -> None:
    user = connect(fake_zoho, "alice").user

    assert examples["lead_names"](user) == [lead["Last_Name"] for lead in fake_zoho.leads[:5]]


def run_against_a_service_the_fake_lacks(
    fake_zoho: FakeZoho, example: Any, *args: str
) -> tuple[ZohoToken, Any]:
    """Run ``example`` as a connected user; the fake answers with an error (it serves no
    such service). The user's row and the request the example sent."""
    row = connect(fake_zoho, "alice")
    with pytest.raises(ZohoAPIError):
        example(row.user, *args)
    return row, fake_zoho.requests[-1]


@pytest.mark.django_db
def test_the_desk_example_sends_the_users_token_to_desks_path(
    fake_zoho: FakeZoho, examples
) -> None:
    row, sent = run_against_a_service_the_fake_lacks(fake_zoho, examples["open_tickets"], "7000")

    assert (sent.path, sent.query, sent.headers["orgId"], sent.headers["Authorization"]) == (
        "/api/v1/tickets",
        {"status": "Open"},
        "7000",
        f"Zoho-oauthtoken {row.access_token}",
    )


@pytest.mark.django_db
def test_the_projects_example_sends_the_users_token_to_projects_path(
    fake_zoho: FakeZoho, examples
) -> None:
    row, sent = run_against_a_service_the_fake_lacks(fake_zoho, examples["my_projects"], "42")

    assert (sent.path, sent.headers["Authorization"]) == (
        "/api/v3/portal/42/projects",
        f"Zoho-oauthtoken {row.access_token}",
    )


def test_the_service_table_is_the_services_module() -> None:
    rows = re.findall(
        r"^\| Zoho [^|]+ \| `(\w+)` \| `([^`]+)` \| ([^|]+) \| <([^>]+)> \|$", section(), re.M
    )

    documented = {
        name: (root.endswith(path), scopes.strip(), docs)
        for name, root, scopes, docs, path in [(*row, SERVICES[row[0]].path) for row in rows]
    }
    assert documented == {
        name: (True, ", ".join(f"`{scope}`" for scope in service.scopes), service.docs)
        for name, service in SERVICES.items()
    }
