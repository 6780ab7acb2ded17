"""The real Zoho CRM SDK against the fake: exchange, records, metadata, scopes.

Uses the ``zoho_sdk_reset`` fixture (``zoho_tokens/testing/sdk.py``).

Run without Django: ``python -m pytest tests/testing -p no:django --confcutdir=tests/testing``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests.testing.fake_client import LEAD_FIELDS, REDIRECT_URI
from zoho_tokens.testing import FakeZoho


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
