"""``zoho_tokens.sdk.border``: the SDK internals this package relies on are where it expects.

Each test fails loudly, naming the internal, when an SDK release moves or changes one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from importlib.metadata import version
from typing import Any

import pytest
from packaging.specifiers import SpecifierSet

from tests.sdk.helpers import connect, current_zoho_email
from zoho_tokens.sdk import border as zoho_sdk
from zoho_tokens.sdk.auth import NoUserToken, retry_rejected_token
from zoho_tokens.sdk.border import INTERNALS, Initializer, OAuthToken, Utility
from zoho_tokens.sdk.store import DjangoTokenStore

#: The SDK range pyproject.toml declares.
SUPPORTED = SpecifierSet(">=7.0,<8")


def test_the_installed_sdk_is_in_the_supported_range() -> None:
    assert version("zohocrmsdk8_0") in SUPPORTED


@pytest.mark.parametrize(
    ("owner", "name"), [(owner, name) for owner, name, _why in INTERNALS], ids=str
)
def test_every_internal_we_touch_exists(owner: type, name: str) -> None:
    assert hasattr(owner, name), f"the SDK no longer has {owner.__name__}.{name}"


def test_every_internal_says_why_we_touch_it() -> None:
    assert all(why.strip() for _owner, _name, why in INTERNALS)


def test_the_thread_initializer_is_a_thread_local() -> None:
    assert isinstance(Initializer.LOCAL, threading.local)


def test_the_metadata_caches_have_the_types_we_reset_them_to() -> None:
    assert isinstance(Utility.api_supported_modules, dict)
    assert all(
        isinstance(getattr(Utility, flag), bool)
        for flag in ("new_file", "get_modified_modules", "force_refresh")
    )


def initialize(environment: Any) -> None:
    Initializer.initialize(environment=environment, token=NoUserToken(), store=DjangoTokenStore())


def test_switch_user_sets_what_thread_initializer_reads(sdk_environment) -> None:
    initialize(sdk_environment)
    token = NoUserToken()

    Initializer.switch_user(token=token)

    assert zoho_sdk.thread_initializer().token is token


def test_an_initializer_of_this_thread_is_what_the_sdk_uses(sdk_environment) -> None:
    initialize(sdk_environment)
    Initializer.switch_user(token=NoUserToken())
    mine = zoho_sdk.thread_initializer()

    zoho_sdk.set_thread_initializer(None)

    assert Initializer.get_initializer() is zoho_sdk.process_initializer() is not mine


@pytest.mark.django_db
def test_the_request_hook_sees_the_authenticated_request_and_its_response(
    fake_zoho, sdk_environment
) -> None:
    """``fire_request`` is still where an API call's authenticated request is sent."""
    row = connect(fake_zoho, None, "ada@example.com")
    seen: list[tuple[str | None, int]] = []

    def hook(connector: Any, send: Callable[[], Any]) -> Any:
        response = send()
        seen.append((zoho_sdk.authorization_token(connector), response.status_code))
        return response

    zoho_sdk.install_request_hook(hook)
    try:
        Initializer.initialize(
            environment=sdk_environment,
            token=OAuthToken(access_token=row.access_token),
            store=DjangoTokenStore(),
        )
        current_zoho_email()
    finally:
        zoho_sdk.install_request_hook(retry_rejected_token)

    assert seen == [(row.access_token, 200)]
