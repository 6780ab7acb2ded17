"""The fake Zoho CRM API: tokens, users, org, records, metadata, scopes, call log.

Run without Django: ``python -m pytest tests/testing -p no:django --confcutdir=tests/testing``.
"""

from __future__ import annotations

import requests

from tests.testing.fake_client import INVALID_TOKEN_BODY, connect, crm_get, leads_get
from zoho_tokens.testing import FakeZoho, FakeZohoUser


def test_crm_without_authorization_is_invalid_token(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    response = crm_get(http, fake_zoho, "/crm/v8/Leads", None)
    assert (response.status_code, response.json()) == (401, INVALID_TOKEN_BODY)


def test_crm_with_an_unknown_token_is_invalid_token(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    response = crm_get(http, fake_zoho, "/crm/v8/Leads", "1000.unknown.token")
    assert (response.status_code, response.json()) == (401, INVALID_TOKEN_BODY)


def test_crm_wants_the_zoho_oauthtoken_prefix(http: requests.Session, fake_zoho: FakeZoho) -> None:
    token = connect(http, fake_zoho)["access_token"]
    response = http.get(
        fake_zoho.url + "/crm/v8/Leads", headers={"Authorization": f"Bearer {token}"}, timeout=5
    )
    assert response.status_code == 401


def test_crm_with_an_expired_token_is_invalid_token(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    token = connect(http, fake_zoho)["access_token"]
    fake_zoho.expire_access_tokens()
    assert leads_get(http, fake_zoho, token).json() == INVALID_TOKEN_BODY


def test_access_tokens_expire_after_their_lifetime(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    token = connect(http, fake_zoho)["access_token"]
    fake_zoho.advance_time(3600)
    assert leads_get(http, fake_zoho, token).status_code == 401


def test_crm_current_user(http: requests.Session, fake_zoho: FakeZoho) -> None:
    token = connect(http, fake_zoho)["access_token"]
    response = crm_get(http, fake_zoho, "/crm/v8/users", token, type="CurrentUser")
    (user,) = response.json()["users"]
    assert (user["email"], user["full_name"]) == ("ada@example.com", "Ada Lovelace")
    assert user["id"] == fake_zoho.users[0].user_id


def test_crm_org(http: requests.Session, fake_zoho: FakeZoho) -> None:
    token = connect(http, fake_zoho)["access_token"]
    (org,) = crm_get(http, fake_zoho, "/crm/v8/org", token).json()["org"]
    assert (org["zgid"], org["id"]) == ("700000001", fake_zoho.users[0].org_id)
    assert org["company_name"] == "Fake Zoho Corp"


def test_crm_leads_in_zoho_format(http: requests.Session, fake_zoho: FakeZoho) -> None:
    token = connect(http, fake_zoho)["access_token"]
    payload = leads_get(http, fake_zoho, token).json()
    assert payload["data"] == fake_zoho.leads
    assert payload["info"] == {
        "per_page": 200,
        "count": 5,
        "page": 1,
        "sort_by": "id",
        "sort_order": "desc",
        "more_records": False,
        "next_page_token": None,
        "previous_page_token": None,
        "page_token_expiry": None,
    }
    assert {"id", "First_Name", "Last_Name", "Company", "Email"} <= set(payload["data"][0])


def test_crm_leads_are_configurable(http: requests.Session) -> None:
    with FakeZoho(leads=[{"id": "1", "Last_Name": "Only"}]) as fake:
        token = connect(http, fake)["access_token"]
        assert leads_get(http, fake, token, fields="Last_Name").json()["data"] == [
            {"id": "1", "Last_Name": "Only"}
        ]


def test_crm_leads_paginate(http: requests.Session, fake_zoho: FakeZoho) -> None:
    token = connect(http, fake_zoho)["access_token"]
    payload = leads_get(http, fake_zoho, token, page="2", per_page="2").json()
    assert [lead["id"] for lead in payload["data"]] == [lead["id"] for lead in fake_zoho.leads[2:4]]
    assert payload["info"]["more_records"] is True


def test_crm_empty_module_is_204(http: requests.Session, fake_zoho: FakeZoho) -> None:
    fake_zoho.leads = []
    token = connect(http, fake_zoho)["access_token"]
    assert leads_get(http, fake_zoho, token).status_code == 204


def test_crm_unknown_module_is_invalid_module(http: requests.Session, fake_zoho: FakeZoho) -> None:
    token = connect(http, fake_zoho)["access_token"]
    response = crm_get(http, fake_zoho, "/crm/v8/Unicorns", token)
    assert (response.status_code, response.json()["code"]) == (400, "INVALID_MODULE")


def test_crm_field_metadata(http: requests.Session, fake_zoho: FakeZoho) -> None:
    token = connect(http, fake_zoho)["access_token"]
    fields = crm_get(http, fake_zoho, "/crm/v8/settings/fields", token, module="Leads").json()
    by_name = {field["api_name"]: field["data_type"] for field in fields["fields"]}
    assert by_name["Last_Name"] == "text"
    assert by_name["Email"] == "email"


def test_crm_without_the_scope_is_a_scope_mismatch(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    token = connect(http, fake_zoho, scopes="ZohoCRM.modules.ALL")["access_token"]
    response = crm_get(http, fake_zoho, "/crm/v8/settings/fields", token, module="Leads")
    assert (response.status_code, response.json()["code"]) == (401, "OAUTH_SCOPE_MISMATCH")


def test_crm_narrow_scopes_are_enough(http: requests.Session, fake_zoho: FakeZoho) -> None:
    scopes = "ZohoCRM.modules.leads.READ,ZohoCRM.settings.fields.READ"
    token = connect(http, fake_zoho, scopes=scopes)["access_token"]
    assert leads_get(http, fake_zoho, token).status_code == 200
    assert crm_get(http, fake_zoho, "/crm/v8/settings/fields", token, module="Leads").ok


def test_crm_scope_checks_can_be_disabled(http: requests.Session, fake_zoho: FakeZoho) -> None:
    fake_zoho.enforce_scopes = False
    token = connect(http, fake_zoho, scopes="ZohoCRM.modules.ALL")["access_token"]
    assert crm_get(http, fake_zoho, "/crm/v8/org", token).status_code == 200


def test_crm_calls_record_token_and_user(http: requests.Session, fake_zoho: FakeZoho) -> None:
    grace = fake_zoho.add_user("grace@example.com", "Grace Hopper", zgid="700000002")
    token = connect(http, fake_zoho, user=grace)["access_token"]
    crm_get(http, fake_zoho, "/crm/v8/org", token)
    crm_get(http, fake_zoho, "/crm/v8/org", "1000.bad.token")
    assert fake_zoho.crm_calls == [
        ("/crm/v8/org", token, "grace@example.com"),
        ("/crm/v8/org", "1000.bad.token", None),
    ]


def test_crm_answers_each_user_with_their_own_org(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    grace = fake_zoho.add_user(FakeZohoUser("grace@example.com", "Grace Hopper", zgid="42"))
    token = connect(http, fake_zoho, user=grace)["access_token"]
    assert crm_get(http, fake_zoho, "/crm/v8/org", token).json()["org"][0]["zgid"] == "42"
