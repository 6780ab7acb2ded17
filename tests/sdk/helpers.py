"""Helpers for the tests of ``acting_as``: users, their stored tokens, and CRM calls made
through the SDK exactly as an application makes them."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from zohocrmsdk.src.com.zoho.crm.api.parameter_map import ParameterMap
from zohocrmsdk.src.com.zoho.crm.api.record import GetRecordsParam, RecordOperations
from zohocrmsdk.src.com.zoho.crm.api.record import ResponseWrapper as RecordsWrapper
from zohocrmsdk.src.com.zoho.crm.api.users import GetUsersParam, UsersOperations
from zohocrmsdk.src.com.zoho.crm.api.users import ResponseWrapper as UsersWrapper

from zoho_tokens.models import ZohoToken
from zoho_tokens.testing import DEFAULT_SCOPES, FakeZoho
from zoho_tokens.tokens.connect import connect_with_code


def make_user(name: str) -> Any:
    """A Django user called ``name``."""
    return get_user_model().objects.create_user(name, f"{name}@example.com", "pw")


def connect(
    fake_zoho: FakeZoho, user: Any, email: str, *, accounts_server: str | None = None
) -> ZohoToken:
    """Store a token of the fake's user ``email`` for the Django ``user``."""
    if all(known.email != email for known in fake_zoho.users):
        fake_zoho.add_user(email, email.partition("@")[0].title())
    code = fake_zoho.issue_code(user=email, scopes=DEFAULT_SCOPES)
    return connect_with_code(
        code, accounts_server=accounts_server or fake_zoho.url, redirect_uri=None, user=user
    ).token


def current_zoho_email() -> str:
    """Ask the CRM, through the SDK, who the current user is."""
    params = ParameterMap()
    params.add(GetUsersParam.type, "CurrentUser")
    response = UsersOperations().get_users(params)
    body = response.get_object()
    assert isinstance(body, UsersWrapper), body
    return body.get_users()[0].get_email()


def lead_names() -> list[str]:
    """The leads' last names, read through the SDK (``fields`` given, as Zoho requires)."""
    params = ParameterMap()
    params.add(GetRecordsParam.fields, "Last_Name")
    response = RecordOperations("Leads").get_records(params)
    body = response.get_object()
    assert isinstance(body, RecordsWrapper), body
    return [record.get_key_value("Last_Name") for record in body.get_data()]
