"""The SDK alone, for ``bench.request_path.measure``: the SDK as shipped (none of this
package's changes to its metadata files: ``zoho_tokens.sdk.metadata``) initialised with a
zero-cost in-memory token store holding the same users' tokens, so that what is left is the
SDK's own cost. Only the request hook stays (``install_request_hook``, once per process): for
a token not of this package it is one ``isinstance`` and a call."""

from __future__ import annotations

import os
import time
from typing import Any

from django.conf import settings

FAR_FUTURE_MS = str(int(time.time() * 1000) + 10 * 365 * 86400 * 1000)

_memory_users: dict[int, Any] = {}


def _remember(fake_url: str, n: int, row: Any) -> None:
    """Put user ``n``'s token into the in-memory store (the SDK alone)."""
    from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
    from zohocrmsdk.src.com.zoho.crm.api.user_signature import UserSignature

    stored = _memory_users.setdefault(n, OAuthToken(id=str(n)))
    stored.set_access_token(row.access_token)
    stored.set_refresh_token(row.refresh_token)
    stored.set_expires_in(FAR_FUTURE_MS)
    stored.set_user_signature(UserSignature(row.user_name))
    stored.set_api_domain(fake_url)


def memory_sdk_user(fake_url: str, n: int, row: Any) -> None:
    """Make this thread's SDK user the in-memory token of user ``n`` (the SDK alone)."""
    from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
    from zohocrmsdk.src.com.zoho.crm.api.initializer import Initializer

    from zoho_tokens.sdk.as_user import environment_for, sdk_config

    Initializer.switch_user(
        environment=environment_for(fake_url, fake_url),
        token=OAuthToken(id=str(n)),
        sdk_config=sdk_config(),
    )


def _memory_store() -> Any:
    from zohocrmsdk.src.com.zoho.api.authenticator.store.token_store import TokenStore

    class MemoryStore(TokenStore):  # type: ignore[misc]
        """Zero-cost: hands out the prepared tokens, saves nothing."""

        def find_token(self, token: Any) -> Any:
            return None

        def find_token_by_id(self, token_id: str) -> Any:
            return _memory_users.get(int(token_id))

        def save_token(self, token: Any) -> None:
            return None

        def delete_token(self, token_id: str) -> None:
            return None

        def get_tokens(self) -> list[Any]:
            return list(_memory_users.values())

        def delete_tokens(self) -> None:
            return None

    return MemoryStore()


def prepare(sdk_alone: bool, fake_url: str, rows: list[Any]) -> None:
    """Install the subject's SDK initializer: the in-memory store, or acting_as's."""
    from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
    from zohocrmsdk.src.com.zoho.crm.api.initializer import Initializer

    from zoho_tokens.sdk.as_user import ensure_initialized, environment_for, sdk_config
    from zoho_tokens.sdk.metadata import restore_shipped_internals
    from zoho_tokens.testing import reset_zoho_sdk

    resource_path = settings.ZOHO_TOKENS["SDK_RESOURCE_PATH"]
    os.makedirs(resource_path, exist_ok=True)
    reset_zoho_sdk()
    if sdk_alone:
        # acting_as's first initialisation replaced them for the whole process.
        restore_shipped_internals()
        for n, row in enumerate(rows):
            _remember(fake_url, n, row)
        Initializer.initialize(
            environment=environment_for(fake_url, fake_url),
            token=OAuthToken(id="0"),
            store=_memory_store(),
            sdk_config=sdk_config(),
            resource_path=resource_path,
        )
    else:
        ensure_initialized()
