"""Tests for ``zoho_tokens.testing``: the fake Zoho on a loopback socket.

They need neither Django nor a database; run them with
``python -m pytest tests/test_fake_zoho.py -p no:django``.
"""

from __future__ import annotations

import logging
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from zoho_tokens.testing import (
    DEFAULT_SCOPES,
    FakeZoho,
    FakeZohoError,
    FakeZohoUser,
    token_kind,
)
from zoho_tokens.testing.consent import parse_form

REDIRECT_URI = "http://app.example.com/zoho/callback"
INVALID_TOKEN_BODY = {
    "code": "INVALID_TOKEN",
    "details": {},
    "message": "invalid oauth token",
    "status": "error",
}
THROTTLE_BODY = {
    "error": "Access Denied",
    "error_description": "You have made too many requests continuously. "
    "Please try again after some time.",
    "status": "failure",
}


# -- helpers -------------------------------------------------------------------------------


@pytest.fixture
def http() -> Iterator[requests.Session]:
    """A session that never sends loopback traffic through an environment proxy."""
    with requests.Session() as session:
        session.trust_env = False
        yield session


def exchange(
    http: requests.Session,
    fake: FakeZoho,
    code: str,
    redirect_uri: str | None = None,
    **overrides: str,
) -> dict[str, Any]:
    data = {
        "grant_type": "authorization_code",
        "client_id": fake.client_id,
        "client_secret": fake.client_secret,
        "code": code,
        **({"redirect_uri": redirect_uri} if redirect_uri else {}),
        **overrides,
    }
    response = http.post(fake.token_url, data=data, timeout=5)
    assert response.status_code == 200
    payload: dict[str, Any] = response.json()
    return payload


def refresh(http: requests.Session, fake: FakeZoho, refresh_token: str) -> dict[str, Any]:
    data = {
        "grant_type": "refresh_token",
        "client_id": fake.client_id,
        "client_secret": fake.client_secret,
        "refresh_token": refresh_token,
    }
    response = http.post(fake.token_url, data=data, timeout=5)
    payload: dict[str, Any] = response.json()
    # HTTP 200, even for errors, except Zoho's throttle (HTTP 400, "status": "failure").
    assert response.status_code == (400 if payload.get("status") == "failure" else 200)
    return payload


def connect(http: requests.Session, fake: FakeZoho, **code_options: Any) -> dict[str, Any]:
    """Exchange a freshly minted code; return the token payload."""
    return exchange(http, fake, fake.issue_code(**code_options))


def crm_get(
    http: requests.Session, fake: FakeZoho, path: str, token: str | None, **params: str
) -> requests.Response:
    headers = {"Authorization": f"Zoho-oauthtoken {token}"} if token else {}
    return http.get(fake.url + path, headers=headers, params=params, timeout=5)


#: The fields every list call asks for: Zoho (API v3+) refuses a list call without them.
LEAD_FIELDS = "First_Name,Last_Name,Company,Email,Phone"


def leads_get(
    http: requests.Session, fake: FakeZoho, token: str | None, **params: str
) -> requests.Response:
    """``GET /crm/v8/Leads`` with ``fields`` (override it or add ``page`` ...)."""
    return crm_get(http, fake, "/crm/v8/Leads", token, **{"fields": LEAD_FIELDS, **params})


def owner_email(fake: FakeZoho, access_token: str) -> str | None:
    """The email of the user a live access token belongs to."""
    user = fake.user_for_access_token(access_token)
    return user.email if user is not None else None


def callback_params(location: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


# -- the real Zoho SDK against the fake ----------------------------------------------------


def initialize_sdk(fake: FakeZoho, tmp_path: Path, **code_options: Any) -> SimpleNamespace:
    """The official SDK, initialized with a grant code from the fake and its own FileStore."""
    from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
    from zohocrmsdk.src.com.zoho.api.authenticator.store.file_store import FileStore
    from zohocrmsdk.src.com.zoho.crm.api.dc.data_center import DataCenter
    from zohocrmsdk.src.com.zoho.crm.api.initializer import Initializer

    token = OAuthToken(
        client_id=fake.client_id,
        client_secret=fake.client_secret,
        grant_token=fake.issue_code(redirect_uri=REDIRECT_URI, **code_options),
        redirect_url=REDIRECT_URI,
    )
    store = FileStore(str(tmp_path / "tokens.csv"))
    Initializer.initialize(
        environment=DataCenter.Environment(fake.url, fake.token_url, fake.url),
        token=token,
        store=store,
        resource_path=str(tmp_path),
    )
    return SimpleNamespace(token=token, store=store)


@pytest.fixture
def sdk(fake_zoho: FakeZoho, tmp_path: Path, zoho_sdk_reset: None) -> SimpleNamespace:
    return initialize_sdk(fake_zoho, tmp_path)


def get_leads() -> Any:
    from zohocrmsdk.src.com.zoho.crm.api import HeaderMap, ParameterMap
    from zohocrmsdk.src.com.zoho.crm.api.record import GetRecordsParam, RecordOperations

    params = ParameterMap()
    params.add(GetRecordsParam.fields, LEAD_FIELDS)
    return RecordOperations("Leads").get_records(params, HeaderMap())


def test_sdk_exchanges_the_grant_code_once(fake_zoho: FakeZoho, sdk: Any) -> None:
    assert fake_zoho.count("/oauth/v2/token", grant_type="authorization_code") == 1
    assert sdk.token.get_access_token() == fake_zoho.access_tokens[0].token


def test_sdk_names_the_user_email_colon_zgid(fake_zoho: FakeZoho, sdk: Any) -> None:
    assert sdk.token.get_user_signature().get_name() == "ada@example.com:700000001"


def test_sdk_saves_the_token_in_its_file_store(fake_zoho: FakeZoho, sdk: Any) -> None:
    (saved,) = sdk.store.get_tokens()
    assert saved.get_user_signature().get_name() == fake_zoho.users[0].sdk_user_name
    assert saved.get_refresh_token() == fake_zoho.refresh_tokens[0].token
    assert saved.get_api_domain() == fake_zoho.url


def test_sdk_get_records_returns_the_leads(fake_zoho: FakeZoho, sdk: Any) -> None:
    from zohocrmsdk.src.com.zoho.crm.api.record import ResponseWrapper

    response = get_leads()

    assert response.get_status_code() == 200
    wrapper = response.get_object()
    assert isinstance(wrapper, ResponseWrapper)
    last_names = [record.get_key_value("Last_Name") for record in wrapper.get_data()]
    assert last_names == [lead["Last_Name"] for lead in fake_zoho.leads]


def test_sdk_reads_the_page_tokens_of_info(fake_zoho: FakeZoho, sdk: Any) -> None:
    from zohocrmsdk.src.com.zoho.crm.api import HeaderMap, ParameterMap
    from zohocrmsdk.src.com.zoho.crm.api.record import GetRecordsParam, RecordOperations

    params = ParameterMap()
    params.add(GetRecordsParam.fields, LEAD_FIELDS)
    params.add(GetRecordsParam.per_page, 2)
    info = RecordOperations("Leads").get_records(params, HeaderMap()).get_object().get_info()

    assert info.get_more_records() is True
    assert info.get_next_page_token()
    assert info.get_page_token_expiry() is not None


def test_sdk_list_without_fields_gets_zohos_error(fake_zoho: FakeZoho, sdk: Any) -> None:
    from zohocrmsdk.src.com.zoho.crm.api import HeaderMap, ParameterMap
    from zohocrmsdk.src.com.zoho.crm.api.record import RecordOperations

    response = RecordOperations("Leads").get_records(ParameterMap(), HeaderMap())

    assert response.get_status_code() == 400
    assert response.get_object().get_code().get_value() == "REQUIRED_PARAM_MISSING"


def test_sdk_reads_field_metadata_before_records(fake_zoho: FakeZoho, sdk: Any) -> None:
    fake_zoho.reset_counts()
    get_leads()
    assert [call.path for call in fake_zoho.crm_calls] == [
        "/crm/v8/settings/fields",
        "/crm/v8/Leads",
    ]


def test_sdk_crm_calls_resolve_to_the_consenting_user(fake_zoho: FakeZoho, sdk: Any) -> None:
    get_leads()
    access_token = sdk.token.get_access_token()
    assert {(c.access_token, c.user_email) for c in fake_zoho.crm_calls} == {
        (access_token, "ada@example.com")
    }


def test_sdk_does_not_refresh_on_a_server_side_expiry(fake_zoho: FakeZoho, sdk: Any) -> None:
    get_leads()  # caches the field metadata
    fake_zoho.expire_access_tokens()
    fake_zoho.reset_counts()

    response = get_leads()

    assert response.get_status_code() == 401
    assert response.get_object().get_code().get_value() == "INVALID_TOKEN"
    assert fake_zoho.count("/oauth/v2/token") == 0


def test_sdk_get_records_needs_a_settings_scope(
    fake_zoho: FakeZoho, tmp_path: Path, zoho_sdk_reset: None
) -> None:
    from zohocrmsdk.src.com.zoho.crm.api.exception import SDKException

    scopes = "ZohoCRM.modules.ALL,ZohoCRM.users.READ,ZohoCRM.org.READ"
    initialize_sdk(fake_zoho, tmp_path, scopes=scopes)

    with pytest.raises(SDKException) as raised:
        get_leads()
    assert raised.value.details["code"] == "OAUTH_SCOPE_MISMATCH"


def test_sdk_without_user_scopes_saves_no_user_name(
    fake_zoho: FakeZoho, tmp_path: Path, zoho_sdk_reset: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The SDK logs this failure with a broken format string; pytest's log capture turns
    # that into a TypeError, so keep SDKLogger records away from it, as in production.
    monkeypatch.setattr(logging.getLogger("SDKLogger"), "propagate", False)
    sdk = initialize_sdk(fake_zoho, tmp_path, scopes="ZohoCRM.modules.ALL")
    assert sdk.token.get_user_signature() is None
    (saved,) = sdk.store.get_tokens()
    assert saved.get_refresh_token() == fake_zoho.refresh_tokens[0].token


# -- exchange ------------------------------------------------------------------------------


def test_exchange_returns_zoho_shaped_tokens(http: requests.Session, fake_zoho: FakeZoho) -> None:
    payload = connect(http, fake_zoho)
    assert set(payload) == {
        "access_token",
        "refresh_token",
        "scope",
        "api_domain",
        "token_type",
        "expires_in",
    }
    assert payload["api_domain"] == fake_zoho.url
    assert payload["token_type"] == "Bearer"
    assert payload["expires_in"] == 3600


def test_tokens_have_zoho_shape_and_a_recognisable_kind(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    code = fake_zoho.issue_code()
    payload = exchange(http, fake_zoho, code)
    shape = re.compile(r"^1000\.[0-9a-z]{32}\.[0-9a-f]{32}$")
    assert all(shape.match(t) for t in (code, payload["access_token"], payload["refresh_token"]))
    assert [token_kind(code), token_kind(payload["access_token"])] == ["code", "access"]
    assert token_kind(payload["refresh_token"]) == "refresh"


def test_exchange_without_offline_access_returns_no_refresh_token(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    assert "refresh_token" not in connect(http, fake_zoho, offline=False)


def test_exchange_accepts_parameters_in_the_query_string(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    params = {
        "grant_type": "authorization_code",
        "client_id": fake_zoho.client_id,
        "client_secret": fake_zoho.client_secret,
        "code": fake_zoho.issue_code(),
    }
    assert "access_token" in http.post(fake_zoho.token_url, params=params, timeout=5).json()


def test_exchange_with_a_wrong_secret_is_invalid_client_secret(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    payload = exchange(http, fake_zoho, fake_zoho.issue_code(), client_secret="wrong")
    assert payload == {"error": "invalid_client_secret"}


def test_exchange_with_an_unknown_client_id_is_invalid_client(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    payload = exchange(http, fake_zoho, fake_zoho.issue_code(), client_id="1000.OTHER")
    assert payload == {"error": "invalid_client"}


def test_exchange_with_an_unknown_code_is_invalid_code(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    assert exchange(http, fake_zoho, "1000.nope.nope") == {"error": "invalid_code"}


def test_codes_are_single_use(http: requests.Session, fake_zoho: FakeZoho) -> None:
    code = fake_zoho.issue_code()
    assert "access_token" in exchange(http, fake_zoho, code)
    assert exchange(http, fake_zoho, code) == {"error": "invalid_code"}


def test_codes_expire_after_two_minutes(http: requests.Session, fake_zoho: FakeZoho) -> None:
    code = fake_zoho.issue_code()
    fake_zoho.advance_time(121)
    assert exchange(http, fake_zoho, code) == {"error": "invalid_code"}


def test_code_lifetime_is_configurable(http: requests.Session, fake_zoho: FakeZoho) -> None:
    fake_zoho.code_lifetime = 600
    code = fake_zoho.issue_code()
    fake_zoho.advance_time(300)
    assert "access_token" in exchange(http, fake_zoho, code)


def test_exchange_with_another_redirect_uri_is_invalid_redirect_uri(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    code = fake_zoho.issue_code(redirect_uri=REDIRECT_URI)
    payload = exchange(http, fake_zoho, code, redirect_uri=REDIRECT_URI + "/")
    assert payload == {"error": "invalid_redirect_uri"}


def test_exchange_with_the_same_redirect_uri_succeeds(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    code = fake_zoho.issue_code(redirect_uri=REDIRECT_URI)
    assert "access_token" in exchange(http, fake_zoho, code, redirect_uri=REDIRECT_URI)


def test_unknown_grant_type_is_unsupported(http: requests.Session, fake_zoho: FakeZoho) -> None:
    payload = exchange(http, fake_zoho, "x", grant_type="password")
    assert payload == {"error": "unsupported_grant_type"}


# -- refresh -------------------------------------------------------------------------------


def test_refresh_returns_a_new_access_token_without_refresh_token(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    tokens = connect(http, fake_zoho)
    payload = refresh(http, fake_zoho, tokens["refresh_token"])
    assert set(payload) == {"access_token", "scope", "api_domain", "token_type", "expires_in"}
    assert payload["access_token"] != tokens["access_token"]


def test_refresh_with_an_unknown_token_is_invalid_code(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    assert refresh(http, fake_zoho, "1000.unknown.token") == {"error": "invalid_code"}


def test_refresh_with_a_wrong_secret_is_invalid_client_secret(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    data = {
        "grant_type": "refresh_token",
        "client_id": fake_zoho.client_id,
        "client_secret": "wrong",
        "refresh_token": connect(http, fake_zoho)["refresh_token"],
    }
    payload = http.post(fake_zoho.token_url, data=data, timeout=5).json()
    assert payload == {"error": "invalid_client_secret"}


def test_refresh_is_throttled_after_ten_in_ten_minutes(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    refresh_token = connect(http, fake_zoho)["refresh_token"]
    for _ in range(10):
        assert "access_token" in refresh(http, fake_zoho, refresh_token)
    assert refresh(http, fake_zoho, refresh_token) == THROTTLE_BODY


def test_refresh_throttle_window_slides(http: requests.Session, fake_zoho: FakeZoho) -> None:
    refresh_token = connect(http, fake_zoho)["refresh_token"]
    for _ in range(10):
        refresh(http, fake_zoho, refresh_token)
    fake_zoho.advance_time(601)
    assert "access_token" in refresh(http, fake_zoho, refresh_token)


def test_concurrent_refreshes_respect_the_limit(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    refresh_token = connect(http, fake_zoho)["refresh_token"]
    fake_zoho.delay = 0.05  # keep them all in flight together
    answers: list[dict[str, Any]] = []

    def worker() -> None:
        with requests.Session() as session:
            session.trust_env = False
            answers.append(refresh(session, fake_zoho, refresh_token))

    threads = [threading.Thread(target=worker) for _ in range(25)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert sum("access_token" in answer for answer in answers) == 10
    assert sum(answer == THROTTLE_BODY for answer in answers) == 15


def test_refresh_limit_is_configurable(http: requests.Session, fake_zoho: FakeZoho) -> None:
    fake_zoho.refresh_limit = 2
    refresh_token = connect(http, fake_zoho)["refresh_token"]
    refresh(http, fake_zoho, refresh_token)
    refresh(http, fake_zoho, refresh_token)
    assert refresh(http, fake_zoho, refresh_token)["error"] == "Access Denied"


def test_sixteenth_access_token_invalidates_the_oldest(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    fake_zoho.refresh_limit = 100
    tokens = connect(http, fake_zoho)
    later = [refresh(http, fake_zoho, tokens["refresh_token"])["access_token"] for _ in range(15)]
    assert not fake_zoho.is_access_token_active(tokens["access_token"])
    assert all(fake_zoho.is_access_token_active(token) for token in later)


def test_twenty_first_refresh_token_invalidates_the_oldest(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    first = connect(http, fake_zoho)
    rest = [connect(http, fake_zoho)["refresh_token"] for _ in range(20)]
    assert not fake_zoho.is_refresh_token_active(first["refresh_token"])
    assert not fake_zoho.is_access_token_active(first["access_token"])
    assert all(fake_zoho.is_refresh_token_active(token) for token in rest)
    assert fake_zoho.revoked_tokens == []  # silently, not a revocation


def test_refresh_token_cap_is_per_user(http: requests.Session, fake_zoho: FakeZoho) -> None:
    grace = fake_zoho.add_user("grace@example.com", "Grace Hopper")
    graces = connect(http, fake_zoho, user=grace)["refresh_token"]
    for _ in range(20):
        connect(http, fake_zoho)
    assert fake_zoho.is_refresh_token_active(graces)


# -- revoke --------------------------------------------------------------------------------


def test_revoke_answers_success(http: requests.Session, fake_zoho: FakeZoho) -> None:
    refresh_token = connect(http, fake_zoho)["refresh_token"]
    response = http.post(fake_zoho.revoke_url, params={"token": refresh_token}, timeout=5)
    assert (response.status_code, response.json()) == (200, {"status": "success"})
    assert fake_zoho.revoked_tokens == [refresh_token]


def test_revoke_accepts_the_token_in_the_form_body(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    refresh_token = connect(http, fake_zoho)["refresh_token"]
    http.post(fake_zoho.revoke_url, data={"token": refresh_token}, timeout=5)
    assert not fake_zoho.is_refresh_token_active(refresh_token)


def test_revoke_kills_the_access_tokens(http: requests.Session, fake_zoho: FakeZoho) -> None:
    tokens = connect(http, fake_zoho)
    http.post(fake_zoho.revoke_url, params={"token": tokens["refresh_token"]}, timeout=5)
    response = leads_get(http, fake_zoho, tokens["access_token"])
    assert (response.status_code, response.json()) == (401, INVALID_TOKEN_BODY)


def test_refresh_after_revoke_is_invalid_code(http: requests.Session, fake_zoho: FakeZoho) -> None:
    refresh_token = connect(http, fake_zoho)["refresh_token"]
    fake_zoho.revoke(refresh_token)
    assert refresh(http, fake_zoho, refresh_token) == {"error": "invalid_code"}


def test_revoke_of_an_unknown_token_is_a_400_failure(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    response = http.post(fake_zoho.revoke_url, params={"token": "1000.x.y"}, timeout=5)
    assert response.status_code == 400
    assert response.json()["status"] == "failure"


# -- CRM API -------------------------------------------------------------------------------


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


# -- authorization and consent -------------------------------------------------------------


def test_auth_with_an_unknown_client_is_a_400_page(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    url = fake_zoho.authorize_url(REDIRECT_URI, client_id="1000.UNKNOWN")
    response = http.get(url, allow_redirects=False, timeout=5)
    assert response.status_code == 400
    assert "invalid_client" in response.text


def test_auth_auto_consent_redirects_with_a_code(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    url = fake_zoho.authorize_url(REDIRECT_URI, state="s-123")
    response = http.get(url, allow_redirects=False, timeout=5)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(REDIRECT_URI + "?")
    params = callback_params(location)
    assert params["state"] == "s-123"
    assert params["location"] == "us"
    assert params["accounts-server"] == fake_zoho.url
    assert token_kind(params["code"]) == "code"


def test_auth_requests_are_recorded(http: requests.Session, fake_zoho: FakeZoho) -> None:
    fake_zoho.consent(fake_zoho.authorize_url(REDIRECT_URI, state="abc"))
    (recorded,) = fake_zoho.auth_requests
    assert recorded["state"] == "abc"
    assert recorded["scope"] == ",".join(DEFAULT_SCOPES)


def test_auth_code_remembers_the_redirect_uri(http: requests.Session, fake_zoho: FakeZoho) -> None:
    location = fake_zoho.consent(fake_zoho.authorize_url(REDIRECT_URI))
    code = callback_params(location)["code"]
    assert exchange(http, fake_zoho, code, redirect_uri="http://evil.example/cb") == {
        "error": "invalid_redirect_uri"
    }


def test_auth_code_exchange_gives_a_refresh_token_with_offline_access(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    location = fake_zoho.consent(fake_zoho.authorize_url(REDIRECT_URI))
    payload = exchange(http, fake_zoho, callback_params(location)["code"], REDIRECT_URI)
    assert "refresh_token" in payload


def test_auth_online_access_gives_no_refresh_token(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    url = fake_zoho.authorize_url(REDIRECT_URI, access_type="online")
    code = callback_params(fake_zoho.consent(url))["code"]
    assert "refresh_token" not in exchange(http, fake_zoho, code, REDIRECT_URI)


def test_auth_without_prompt_consent_gives_no_second_refresh_token(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    url = fake_zoho.authorize_url(REDIRECT_URI, prompt="none")
    first = exchange(http, fake_zoho, callback_params(fake_zoho.consent(url))["code"], REDIRECT_URI)
    again = exchange(http, fake_zoho, callback_params(fake_zoho.consent(url))["code"], REDIRECT_URI)
    assert "refresh_token" in first
    assert "refresh_token" not in again


def test_auth_keeps_the_redirect_uris_own_query(fake_zoho: FakeZoho) -> None:
    location = fake_zoho.consent(fake_zoho.authorize_url(REDIRECT_URI + "?next=%2Fhome"))
    assert callback_params(location)["next"] == "/home"


def test_auth_refuses_an_unregistered_redirect_uri(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    fake_zoho.redirect_uris = [REDIRECT_URI]
    url = fake_zoho.authorize_url("http://evil.example/cb")
    assert http.get(url, allow_redirects=False, timeout=5).status_code == 400


def test_auth_login_hint_picks_the_user(http: requests.Session, fake_zoho: FakeZoho) -> None:
    fake_zoho.add_user("grace@example.com", "Grace Hopper")
    url = fake_zoho.authorize_url(REDIRECT_URI) + "&login_hint=grace%40example.com"
    location = http.get(url, allow_redirects=False, timeout=5).headers["Location"]
    token = exchange(http, fake_zoho, callback_params(location)["code"], REDIRECT_URI)
    assert owner_email(fake_zoho, token["access_token"]) == "grace@example.com"


def test_consenting_user_decides_who_consents(http: requests.Session, fake_zoho: FakeZoho) -> None:
    fake_zoho.consenting_user = FakeZohoUser("linus@example.com", "Linus Torvalds")
    code = callback_params(fake_zoho.consent(fake_zoho.authorize_url(REDIRECT_URI)))["code"]
    token = exchange(http, fake_zoho, code, REDIRECT_URI)["access_token"]
    assert owner_email(fake_zoho, token) == "linus@example.com"


@pytest.fixture
def consent_page(http: requests.Session, fake_zoho: FakeZoho) -> requests.Response:
    fake_zoho.auto_consent = False
    fake_zoho.add_user("grace@example.com", "Grace Hopper")
    url = fake_zoho.authorize_url(REDIRECT_URI, state="st")
    return http.get(url, allow_redirects=False, timeout=5)


def test_consent_page_shows_scopes_user_and_buttons(consent_page: requests.Response) -> None:
    assert consent_page.status_code == 200
    for text in (*DEFAULT_SCOPES, "ada@example.com", 'id="accept"', 'id="deny"'):
        assert text in consent_page.text


def test_consent_page_accept_redirects_with_a_code(
    http: requests.Session, fake_zoho: FakeZoho, consent_page: requests.Response
) -> None:
    action, form = parse_form(consent_page.text, button="accept")
    response = http.post(fake_zoho.url + action, data=form, allow_redirects=False, timeout=5)
    params = callback_params(response.headers["Location"])
    assert params["state"] == "st"
    assert "access_token" in exchange(http, fake_zoho, params["code"], REDIRECT_URI)


def test_consent_page_deny_redirects_with_access_denied(
    http: requests.Session, fake_zoho: FakeZoho, consent_page: requests.Response
) -> None:
    action, form = parse_form(consent_page.text, button="deny")
    response = http.post(fake_zoho.url + action, data=form, allow_redirects=False, timeout=5)
    assert response.status_code == 302
    assert callback_params(response.headers["Location"]) == {
        "error": "access_denied",
        "state": "st",
    }


def test_consent_page_lets_another_user_consent(
    http: requests.Session, fake_zoho: FakeZoho, consent_page: requests.Response
) -> None:
    action, form = parse_form(consent_page.text, button="accept")
    form["user"] = "grace@example.com"
    response = http.post(fake_zoho.url + action, data=form, allow_redirects=False, timeout=5)
    code = callback_params(response.headers["Location"])["code"]
    token = exchange(http, fake_zoho, code, REDIRECT_URI)["access_token"]
    assert owner_email(fake_zoho, token) == "grace@example.com"


def test_consent_helper_submits_the_page_when_not_automatic(fake_zoho: FakeZoho) -> None:
    fake_zoho.auto_consent = False
    location = fake_zoho.consent(fake_zoho.authorize_url(REDIRECT_URI))
    assert "code" in callback_params(location)


def test_consent_helper_can_deny(fake_zoho: FakeZoho) -> None:
    location = fake_zoho.consent(fake_zoho.authorize_url(REDIRECT_URI), accept=False)
    assert callback_params(location)["error"] == "access_denied"


def test_consent_helper_can_consent_as_another_user(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    fake_zoho.add_user("grace@example.com", "Grace Hopper")
    url = fake_zoho.authorize_url(REDIRECT_URI)
    code = callback_params(fake_zoho.consent(url, user="grace@example.com"))["code"]
    token = exchange(http, fake_zoho, code, REDIRECT_URI)["access_token"]
    assert owner_email(fake_zoho, token) == "grace@example.com"


def test_consent_helper_refuses_other_hosts(fake_zoho: FakeZoho) -> None:
    with pytest.raises(ValueError, match="not this fake"):
        fake_zoho.consent("https://accounts.zoho.com/oauth/v2/auth?client_id=x")


def test_consent_helper_reports_an_error_page(fake_zoho: FakeZoho) -> None:
    with pytest.raises(FakeZohoError, match="HTTP 400"):
        fake_zoho.consent(fake_zoho.authorize_url(REDIRECT_URI, client_id="nope"))


# -- faults --------------------------------------------------------------------------------


def test_fault_http_500(http: requests.Session, fake_zoho: FakeZoho) -> None:
    fake_zoho.fail("token", "http_500")
    response = http.post(fake_zoho.token_url, data={"grant_type": "refresh_token"}, timeout=5)
    assert response.status_code == 500


def test_fault_html(http: requests.Session, fake_zoho: FakeZoho) -> None:
    fake_zoho.fail("exchange", "html")
    response = http.post(fake_zoho.token_url, data={"grant_type": "authorization_code"}, timeout=5)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")


def test_fault_malformed(http: requests.Session, fake_zoho: FakeZoho) -> None:
    fake_zoho.fail("token", "malformed")
    response = http.post(fake_zoho.token_url, data={"grant_type": "refresh_token"}, timeout=5)
    with pytest.raises(ValueError):
        response.json()


def test_fault_slow_answers_normally_after_a_wait(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    fake_zoho.slow_seconds = 0.3
    fake_zoho.fail("exchange", "slow", times=1)
    started = time.monotonic()
    payload = connect(http, fake_zoho)
    assert time.monotonic() - started >= 0.3
    assert "access_token" in payload


def test_fault_invalid_code(http: requests.Session, fake_zoho: FakeZoho) -> None:
    fake_zoho.fail("exchange", "invalid_code")
    assert connect(http, fake_zoho) == {"error": "invalid_code"}


def test_fault_throttle(http: requests.Session, fake_zoho: FakeZoho) -> None:
    refresh_token = connect(http, fake_zoho)["refresh_token"]
    fake_zoho.fail("refresh", "throttle")
    assert refresh(http, fake_zoho, refresh_token) == THROTTLE_BODY


def test_fault_down_closes_the_connection(http: requests.Session, fake_zoho: FakeZoho) -> None:
    fake_zoho.fail("token", "down")
    with pytest.raises(requests.ConnectionError):
        http.post(fake_zoho.token_url, data={"grant_type": "refresh_token"}, timeout=5)


def test_fault_lost_processes_but_never_answers(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    code = fake_zoho.issue_code()
    fake_zoho.fail("exchange", "lost", times=1)
    with pytest.raises(requests.ConnectionError):
        exchange(http, fake_zoho, code)
    assert exchange(http, fake_zoho, code) == {"error": "invalid_code"}


def test_fault_times_then_heals_itself(http: requests.Session, fake_zoho: FakeZoho) -> None:
    fault = fake_zoho.fail("exchange", "invalid_code", times=1)
    assert connect(http, fake_zoho) == {"error": "invalid_code"}
    assert "access_token" in connect(http, fake_zoho)
    assert fault.hits == 1
    assert fake_zoho.faults == []


def test_fault_until_heal(http: requests.Session, fake_zoho: FakeZoho) -> None:
    fake_zoho.fail("token", "invalid_code")
    assert connect(http, fake_zoho) == {"error": "invalid_code"}
    assert connect(http, fake_zoho) == {"error": "invalid_code"}
    fake_zoho.heal()
    assert "access_token" in connect(http, fake_zoho)


def test_fault_on_refresh_spares_the_exchange(http: requests.Session, fake_zoho: FakeZoho) -> None:
    fake_zoho.fail("refresh", "http_500")
    assert "access_token" in connect(http, fake_zoho)


def test_fault_on_crm(http: requests.Session, fake_zoho: FakeZoho) -> None:
    token = connect(http, fake_zoho)["access_token"]
    fake_zoho.fail("crm", "throttle", times=1)
    assert leads_get(http, fake_zoho, token).status_code == 429
    assert leads_get(http, fake_zoho, token).status_code == 200


def test_fault_on_revoke(http: requests.Session, fake_zoho: FakeZoho) -> None:
    refresh_token = connect(http, fake_zoho)["refresh_token"]
    fake_zoho.fail("revoke", "http_500")
    response = http.post(fake_zoho.revoke_url, params={"token": refresh_token}, timeout=5)
    assert response.status_code == 500
    assert fake_zoho.is_refresh_token_active(refresh_token)


def test_fault_on_auth(http: requests.Session, fake_zoho: FakeZoho) -> None:
    fake_zoho.fail("auth", "http_500")
    url = fake_zoho.authorize_url(REDIRECT_URI)
    assert http.get(url, allow_redirects=False, timeout=5).status_code == 500


def test_fault_rejects_unknown_names(fake_zoho: FakeZoho) -> None:
    with pytest.raises(ValueError, match="endpoint"):
        fake_zoho.fail("accounts", "down")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="kind"):
        fake_zoho.fail("token", "explode")  # type: ignore[arg-type]


def test_delay_slows_every_token_request(http: requests.Session, fake_zoho: FakeZoho) -> None:
    fake_zoho.delay = 0.2
    started = time.monotonic()
    connect(http, fake_zoho)
    assert time.monotonic() - started >= 0.2


def test_stop_returns_promptly_during_a_slow_request(http: requests.Session) -> None:
    fake = FakeZoho().start()
    fake.slow_seconds = 60
    fake.fail("token", "slow")
    outcome: list[BaseException | requests.Response] = []

    def call() -> None:
        try:
            outcome.append(http.post(fake.token_url, data={"grant_type": "x"}, timeout=30))
        except requests.RequestException as error:
            outcome.append(error)

    thread = threading.Thread(target=call)
    thread.start()
    while fake.count("/oauth/v2/token") == 0:
        time.sleep(0.01)
    started = time.monotonic()
    fake.stop()
    thread.join(timeout=5)
    assert time.monotonic() - started < 2
    assert isinstance(outcome[0], requests.ConnectionError)


def test_stop_twice_and_restart_keeps_the_state(http: requests.Session) -> None:
    fake = FakeZoho().start()
    refresh_token = connect(http, fake)["refresh_token"]
    fake.stop()
    fake.stop()
    with fake:
        assert "access_token" in refresh(http, fake, refresh_token)


# -- observation ---------------------------------------------------------------------------


def test_count_filters_on_parameters(http: requests.Session, fake_zoho: FakeZoho) -> None:
    refresh(http, fake_zoho, connect(http, fake_zoho)["refresh_token"])
    assert fake_zoho.count("/oauth/v2/token") == 2
    assert fake_zoho.count("/oauth/v2/token", grant_type="refresh_token") == 1
    assert fake_zoho.count(method="GET") == 0


def test_requests_are_recorded_with_their_details(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    connect(http, fake_zoho)
    (recorded,) = fake_zoho.requests
    assert (recorded.method, recorded.path, recorded.status) == ("POST", "/oauth/v2/token", 200)
    assert recorded.form["client_id"] == fake_zoho.client_id
    assert recorded.timestamp <= time.time()


def test_reset_counts_forgets_requests(http: requests.Session, fake_zoho: FakeZoho) -> None:
    connect(http, fake_zoho)
    fake_zoho.reset_counts()
    assert (fake_zoho.requests, fake_zoho.crm_calls) == ([], [])


def test_a_second_instance_is_independent(http: requests.Session, fake_zoho: FakeZoho) -> None:
    with FakeZoho() as other:
        tokens = connect(http, fake_zoho)
        assert other.url != fake_zoho.url
        assert other.requests == []
        assert leads_get(http, other, tokens["access_token"]).status_code == 401


def test_urls(fake_zoho: FakeZoho) -> None:
    assert fake_zoho.url.startswith("http://127.0.0.1:")
    assert fake_zoho.accounts_server == fake_zoho.api_domain == fake_zoho.url
    assert fake_zoho.token_url == fake_zoho.url + "/oauth/v2/token"


# -- pytest plugin -------------------------------------------------------------------------


def test_fake_zoho_fixture_is_running_with_auto_consent(fake_zoho: FakeZoho) -> None:
    assert fake_zoho.running
    assert fake_zoho.auto_consent is True


@pytest.fixture
def settings() -> SimpleNamespace:
    """Stands in for pytest-django's ``settings`` so that these tests need no Django."""
    return SimpleNamespace(ZOHO_TOKENS={"CLIENT_ID": "real-id", "ENCRYPTION_KEYS": ["k"]})


def test_fake_zoho_points_django_at_the_fake(
    fake_zoho: FakeZoho, settings: SimpleNamespace
) -> None:
    expected = {
        "CLIENT_ID": fake_zoho.client_id,
        "CLIENT_SECRET": fake_zoho.client_secret,
        "DATA_CENTER": "us",
        "ACCOUNTS_URL": fake_zoho.url,
        "API_DOMAIN": fake_zoho.url,
        "HTTP_TIMEOUT": 2,
        "ENCRYPTION_KEYS": ["k"],
    }
    configured = settings.ZOHO_TOKENS
    assert configured == expected


def test_fixtures_module_imports_without_django() -> None:
    code = (
        "import sys, zoho_tokens.testing.fixtures, zoho_tokens.testing; "
        "assert 'django.conf' not in sys.modules, 'imported Django'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=30)


# -- command line --------------------------------------------------------------------------


def test_cli_serves_until_terminated(http: requests.Session) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "zoho_tokens.testing", "--port", "0", "--client-id", "cli-id"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        first_line = process.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+", first_line)
        assert url is not None, first_line
        response = http.get(url.group() + "/", timeout=5)
        assert response.status_code == 200
        assert "cli-id" in response.text
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0
