"""The fake Zoho Books, over its socket: Books' shapes, permissions and rate limits."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from zoho_tokens.testing import FakeZoho, FakeZohoUser
from zoho_tokens.testing.books.handlers import INTEGRATION_USER

ORG = "60000000001"
SCOPES = ("ZohoBooks.fullaccess.all",)
ESTIMATE = {"customer_id": "1", "line_items": [{"rate": 10, "quantity": 3}]}


@pytest.fixture
def fake() -> Iterator[FakeZoho]:
    with FakeZoho(users=[FakeZohoUser("ada@example.com", "Ada Lovelace")]) as fake:
        yield fake


def token(fake: FakeZoho, email: str = "ada@example.com", scopes=SCOPES) -> str:
    if all(u.email != email for u in fake.users):
        fake.add_user(email, "Someone Else")
    code = fake.issue_code(user=email, scopes=scopes)
    answer = requests.post(
        fake.token_url,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": fake.client_id,
            "client_secret": fake.client_secret,
        },
        timeout=5,
    )
    return answer.json()["access_token"]


def books(fake: FakeZoho, method: str, path: str, access: str | None, **kwargs):
    headers = {"Authorization": f"Zoho-oauthtoken {access}"} if access else {}
    return requests.request(
        method, f"{fake.url}/books/v3/{path}", headers=headers, timeout=5, **kwargs
    )


def test_organizations_answer_in_books_shape(fake: FakeZoho) -> None:
    body = books(fake, "GET", "organizations", token(fake)).json()

    assert (body["code"], body["message"], body["organizations"][0]["organization_id"]) == (
        0,
        "success",
        ORG,
    )


def test_lists_carry_page_context(fake: FakeZoho) -> None:
    body = books(fake, "GET", "invoices", token(fake), params={"organization_id": ORG}).json()

    assert (body["invoices"], body["page_context"]["has_more_page"]) == ([], False)


def test_a_created_estimate_names_its_creator(fake: FakeZoho) -> None:
    answer = books(
        fake, "POST", "estimates", token(fake), params={"organization_id": ORG}, json=ESTIMATE
    )

    estimate = answer.json()["estimate"]
    assert (answer.status_code, estimate["created_by_name"], estimate["total"]) == (
        201,
        "Ada Lovelace",
        30,
    )


def test_every_answer_carries_the_rate_limit_headers(fake: FakeZoho) -> None:
    answer = books(fake, "GET", "estimates", token(fake), params={"organization_id": ORG})

    assert {"x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset"} <= {
        name.lower() for name in answer.headers
    }


def test_past_the_per_minute_limit_books_answers_429(fake: FakeZoho) -> None:
    fake.books.per_minute_limit = 1
    access = token(fake)
    books(fake, "GET", "estimates", access, params={"organization_id": ORG})

    answer = books(fake, "GET", "estimates", access, params={"organization_id": ORG})

    assert answer.status_code == 429


def test_no_authorization_header_is_code_14(fake: FakeZoho) -> None:
    answer = books(fake, "GET", "organizations", None)

    assert (answer.status_code, answer.json()["code"]) == (401, 14)


def test_a_dead_token_is_code_57(fake: FakeZoho) -> None:
    access = token(fake)
    fake.expire_access_tokens()

    answer = books(fake, "GET", "organizations", access)

    assert (answer.status_code, answer.json()["code"]) == (401, 57)


def test_a_token_without_books_scopes_is_code_57(fake: FakeZoho) -> None:
    answer = books(fake, "GET", "organizations", token(fake, scopes=("ZohoCRM.modules.ALL",)))

    assert (answer.status_code, answer.json()["code"]) == (401, 57)


def test_a_user_without_books_access_is_code_57(fake: FakeZoho) -> None:
    answer = books(fake, "GET", "organizations", token(fake, "carol@example.com"))

    assert (answer.status_code, answer.json()["code"]) == (401, 57)


def test_an_integration_user_cannot_create_invoices(fake: FakeZoho) -> None:
    fake.add_user("bob@example.com", "Bob Example")
    fake.books.grant("bob@example.com", ORG, INTEGRATION_USER)

    answer = books(
        fake,
        "POST",
        "invoices",
        token(fake, "bob@example.com"),
        params={"organization_id": ORG},
        json=ESTIMATE,
    )

    assert (answer.status_code, answer.json()["code"]) == (401, 57)


def test_another_users_organization_is_6041(fake: FakeZoho) -> None:
    fake.books.add_organization("60000000002", "Other", {"bob@example.com": INTEGRATION_USER})

    answer = books(fake, "GET", "estimates", token(fake), params={"organization_id": "60000000002"})

    assert answer.json()["code"] == 6041


def test_each_call_is_logged_with_whose_token_it_carried(fake: FakeZoho) -> None:
    access = token(fake)
    books(fake, "GET", "estimates", access, params={"organization_id": ORG})

    assert [(c.path, c.access_token, c.user_email) for c in fake.books.calls] == [
        ("/books/v3/estimates", access, "ada@example.com")
    ]
