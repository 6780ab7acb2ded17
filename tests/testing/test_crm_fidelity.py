"""The fake Zoho is as strict as the real one (docs/explain-fake.md: "How close the fake is
to the real Zoho"). One test per recorded (or documented) behaviour; the fake's other behaviour is in
the other files of ``tests/testing``.

Run without Django: ``python -m pytest tests/testing -p no:django --confcutdir=tests/testing``.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.testing.fake_client import open_url, post_token
from zoho_tokens.testing import FakeZoho
from zoho_tokens.testing.crm.handlers import make_leads

FIELDS = "First_Name,Last_Name"


@pytest.fixture
def token(http: requests.Session, fake_zoho: FakeZoho) -> str:
    """A live access token of the fake's default user."""
    return str(exchange(http, fake_zoho).json()["access_token"])


def exchange(http: requests.Session, fake: FakeZoho, **overrides: str) -> requests.Response:
    params = {"grant_type": "authorization_code", "code": fake.issue_code(), **overrides}
    return post_token(http, fake, **params)


def refresh(http: requests.Session, fake: FakeZoho, refresh_token: str) -> requests.Response:
    return post_token(http, fake, grant_type="refresh_token", refresh_token=refresh_token)


def leads(
    http: requests.Session, fake: FakeZoho, token: str, version: int = 8, **params: str
) -> requests.Response:
    return http.get(
        f"{fake.url}/crm/v{version}/Leads",
        headers={"Authorization": f"Zoho-oauthtoken {token}"},
        params=params,
        timeout=5,
    )


def body(response: requests.Response) -> tuple[int, Any]:
    return response.status_code, response.json()


# -- CRM lists -------------------------------------------------------------------------------


def test_list_without_fields_is_required_param_missing(http, fake_zoho, token) -> None:
    assert body(leads(http, fake_zoho, token)) == (
        400,
        {
            "code": "REQUIRED_PARAM_MISSING",
            "details": {"param_name": "fields"},
            "message": "One of the expected parameter is missing",
            "status": "error",
        },
    )


def test_list_with_blank_fields_is_required_param_missing(http, fake_zoho, token) -> None:
    assert leads(http, fake_zoho, token, fields=" , ").status_code == 400


def test_v2_list_answers_without_fields(http, fake_zoho, token) -> None:
    assert leads(http, fake_zoho, token, version=2).status_code == 200


def test_fifty_fields_are_accepted(http, fake_zoho, token) -> None:
    fields = ",".join(f"Field_{n}" for n in range(49)) + ",Last_Name"
    assert leads(http, fake_zoho, token, fields=fields).status_code == 200


def test_more_than_fifty_fields_is_limit_exceeded(http, fake_zoho, token) -> None:
    fields = ",".join(f"Field_{n}" for n in range(51))
    status, payload = body(leads(http, fake_zoho, token, fields=fields))
    assert (status, payload["code"], payload["status"]) == (400, "LIMIT_EXCEEDED", "error")


def test_only_the_fields_asked_for_come_back_with_the_id(http, fake_zoho, token) -> None:
    (first, *_rest) = leads(http, fake_zoho, token, fields="Company").json()["data"]
    assert set(first) == {"id", "Company"}


def test_an_empty_list_is_204_with_an_empty_body(http, fake_zoho, token) -> None:
    fake_zoho.leads = []
    response = leads(http, fake_zoho, token, fields=FIELDS)
    assert (response.status_code, response.content) == (204, b"")


def test_a_page_past_the_end_is_204(http, fake_zoho, token) -> None:
    assert leads(http, fake_zoho, token, fields=FIELDS, page="9").status_code == 204


def test_list_info_carries_zohos_keys_and_page_tokens(http, fake_zoho, token) -> None:
    info = leads(http, fake_zoho, token, fields=FIELDS, per_page="2").json()["info"]
    assert set(info) == {
        "per_page",
        "count",
        "page",
        "sort_by",
        "sort_order",
        "more_records",
        "next_page_token",
        "previous_page_token",
        "page_token_expiry",
    }


def test_page_tokens_only_from_v7(http, fake_zoho, token) -> None:
    info = leads(http, fake_zoho, token, version=6, fields=FIELDS).json()["info"]
    assert "next_page_token" not in info


def test_next_page_token_fetches_the_next_page(http, fake_zoho, token) -> None:
    first = leads(http, fake_zoho, token, fields=FIELDS, per_page="2").json()
    after = leads(
        http, fake_zoho, token, fields=FIELDS, page_token=first["info"]["next_page_token"]
    )
    assert [lead["id"] for lead in after.json()["data"]] == [
        lead["id"] for lead in fake_zoho.leads[2:4]
    ]


def test_previous_page_token_on_a_later_page(http, fake_zoho, token) -> None:
    second = leads(http, fake_zoho, token, fields=FIELDS, per_page="2", page="2").json()
    back = leads(
        http, fake_zoho, token, fields=FIELDS, page_token=second["info"]["previous_page_token"]
    )
    assert back.json()["info"]["page"] == 1


def test_page_token_expiry_is_a_time_with_an_offset(http, fake_zoho, token) -> None:
    info = leads(http, fake_zoho, token, fields=FIELDS, per_page="2").json()["info"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", info["page_token_expiry"])


def test_an_unknown_page_token_is_refused(http, fake_zoho, token) -> None:
    response = leads(http, fake_zoho, token, fields=FIELDS, page_token="made-up")
    assert response.status_code == 400


def test_page_beyond_two_thousand_records_needs_a_page_token(http, fake_zoho, token) -> None:
    fake_zoho.leads = make_leads(2001)
    status, payload = body(leads(http, fake_zoho, token, fields=FIELDS, page="11"))
    assert (status, payload["code"]) == (400, "DISCRETE_PAGINATION_LIMIT_EXCEEDED")


def test_record_ids_are_nineteen_digit_strings(http, fake_zoho, token) -> None:
    ids = [lead["id"] for lead in leads(http, fake_zoho, token, fields=FIELDS).json()["data"]]
    assert all(isinstance(i, str) and re.fullmatch(r"\d{19}", i) for i in ids)


def test_crm_sends_no_rate_limit_headers(http, fake_zoho, token) -> None:
    headers = leads(http, fake_zoho, token, fields=FIELDS).headers
    assert [name for name in headers if name.lower().startswith("x-rate-limit")] == []


def test_scope_mismatch_is_a_flat_401(http, fake_zoho) -> None:
    code = fake_zoho.issue_code(scopes="ZohoCRM.users.READ")
    token = exchange(http, fake_zoho, code=code).json()["access_token"]
    assert body(leads(http, fake_zoho, token, fields=FIELDS)) == (
        401,
        {
            "code": "OAUTH_SCOPE_MISMATCH",
            "details": {},
            "message": "invalid oauth scope to access this URL",
            "status": "error",
        },
    )


# -- Accounts: the token endpoint ----------------------------------------------------------


def test_token_response_carries_the_granted_scopes(http, fake_zoho) -> None:
    code = fake_zoho.issue_code(scopes="ZohoCRM.modules.ALL,ZohoCRM.org.READ")
    assert exchange(http, fake_zoho, code=code).json()["scope"] == (
        "ZohoCRM.modules.ALL,ZohoCRM.org.READ"
    )


def test_token_errors_are_http_200_with_a_bare_error(http, fake_zoho) -> None:
    assert body(exchange(http, fake_zoho, code="1000.used.code")) == (
        200,
        {"error": "invalid_code"},
    )


def test_a_wrong_redirect_uri_is_invalid_redirect_uri(http, fake_zoho) -> None:
    code = fake_zoho.issue_code(redirect_uri="https://app.example.com/zoho/callback/")
    response = exchange(http, fake_zoho, code=code, redirect_uri="https://other.example.com/")
    assert body(response) == (200, {"error": "invalid_redirect_uri"})


def test_the_throttle_is_http_400_with_status_failure(http, fake_zoho) -> None:
    fake_zoho.refresh_limit = 0
    refresh_token = exchange(http, fake_zoho).json()["refresh_token"]
    status, payload = body(refresh(http, fake_zoho, refresh_token))
    assert (status, payload["error"], payload["status"]) == (400, "Access Denied", "failure")


def test_the_throttle_is_worded_in_the_callers_language(http, fake_zoho) -> None:
    fake_zoho.refresh_limit = 0
    fake_zoho.language = "zh"
    refresh_token = exchange(http, fake_zoho).json()["refresh_token"]
    assert refresh(http, fake_zoho, refresh_token).json()["error"] == "拒绝访问"


def test_consent_redirect_is_percent_encoded_with_a_trailing_ampersand(http, fake_zoho) -> None:
    url = fake_zoho.authorize_url("https://app.example.com/zoho/callback/")
    location = open_url(http, url).headers["Location"]
    assert location.endswith("&")
    assert "accounts-server=http%3A%2F%2F127.0.0.1%3A" in location
    assert parse_qs(urlsplit(location).query)["accounts-server"] == [fake_zoho.url]


# -- limits (issue 25; docs/limits.md says which are recorded) --------------------------------


def test_crm_answers_carry_x_accesstoken_reset_with_an_offset(http, fake_zoho, token) -> None:
    reset = leads(http, fake_zoho, token, fields=FIELDS).headers["X-Accesstoken-Reset"]

    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", reset)


def test_crm_beyond_the_cap_is_429_too_many_requests_with_retry_after(
    http, fake_zoho, token
) -> None:
    fake_zoho.limits.concurrency_cap = 0

    answer = leads(http, fake_zoho, token, fields=FIELDS)

    assert body(answer) == (
        429,
        {
            "code": "TOO_MANY_REQUESTS",
            "details": {},
            "message": "too many requests. please try again after some time",
            "status": "error",
        },
    )
    assert answer.headers["Retry-After"].isdigit()


def test_crm_sends_no_credits_header_before_half_are_spent(http, fake_zoho, token) -> None:
    answer = leads(http, fake_zoho, token, fields=FIELDS)

    assert "X-API-CREDITS-REMAINING" not in answer.headers
    assert not [name for name in answer.headers if name.lower().startswith("x-ratelimit")]


def test_desk_wants_an_org_id_on_every_call_but_organizations(http, fake_zoho, token) -> None:
    auth = {"Authorization": f"Zoho-oauthtoken {token}"}

    listed = http.get(f"{fake_zoho.url}/api/v1/organizations", headers=auth, timeout=5)
    without = http.get(f"{fake_zoho.url}/api/v1/tickets", headers=auth, timeout=5)

    assert listed.status_code == 200
    assert without.status_code == 422


def test_projects_puts_the_portal_in_the_path(http, fake_zoho, token) -> None:
    auth = {"Authorization": f"Zoho-oauthtoken {token}"}
    portal = http.get(f"{fake_zoho.url}/api/v3/portals", headers=auth, timeout=5).json()[0]["id"]

    answer = http.get(f"{fake_zoho.url}/api/v3/portal/{portal}/projects", headers=auth, timeout=5)

    assert answer.status_code == 200
