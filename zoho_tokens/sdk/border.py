"""The border to the Zoho CRM SDK (``zohocrmsdk8_0``): every SDK name this package uses.

The SDK publishes its classes under deep paths (``zohocrmsdk.src.com.zoho...``) and keeps its
configuration in class attributes. The rest of the package imports SDK names from here only,
and reaches the SDK's internals (attributes and methods that are not part of its documented
API) only through the functions of this module. Each internal is listed in
:data:`INTERNALS` with the reason we touch it; ``tests/sdk/test_border.py`` checks every entry
against the installed SDK, so that an SDK release that moves one fails loudly in the suite
instead of quietly in production.

Supported SDK releases: ``zohocrmsdk8_0>=7.0,<8`` (declared in ``pyproject.toml``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
from zohocrmsdk.src.com.zoho.api.authenticator.store.token_store import TokenStore
from zohocrmsdk.src.com.zoho.api.authenticator.token import Token
from zohocrmsdk.src.com.zoho.crm.api.dc.data_center import DataCenter
from zohocrmsdk.src.com.zoho.crm.api.exception.sdk_exception import SDKException
from zohocrmsdk.src.com.zoho.crm.api.initializer import Initializer
from zohocrmsdk.src.com.zoho.crm.api.sdk_config import SDKConfig
from zohocrmsdk.src.com.zoho.crm.api.user_signature import UserSignature
from zohocrmsdk.src.com.zoho.crm.api.util.api_http_connector import APIHTTPConnector
from zohocrmsdk.src.com.zoho.crm.api.util.constants import Constants
from zohocrmsdk.src.com.zoho.crm.api.util.converter import Converter
from zohocrmsdk.src.com.zoho.crm.api.util.module_fields_handler import ModuleFieldsHandler
from zohocrmsdk.src.com.zoho.crm.api.util.utility import Utility

__all__ = [
    "INTERNALS",
    "Constants",
    "Converter",
    "DataCenter",
    "Initializer",
    "ModuleFieldsHandler",
    "OAuthToken",
    "RequestHook",
    "SDKConfig",
    "SDKException",
    "Token",
    "TokenStore",
    "UserSignature",
    "Utility",
    "authorization_token",
    "current_token",
    "install_request_hook",
    "process_initializer",
    "reset_sdk_state",
    "set_authorization_token",
    "set_thread_initializer",
    "thread_initializer",
]

#: The SDK internals this package touches: ``(owner, attribute, why)``. Each one is checked
#: against the installed SDK by ``tests/sdk/test_border.py``; add a line here for any new one.
INTERNALS: tuple[tuple[Any, str, str], ...] = (
    (
        Initializer,
        "LOCAL",
        "the thread's user set by switch_user(), which nothing clears: acting_as restores it",
    ),
    (Initializer, "initializer", "the process-wide initializer: installed once, refuses calls"),
    (Utility, "api_supported_modules", "metadata cache, reset between tests"),
    (Utility, "new_file", "metadata flag, reset between tests"),
    (Utility, "get_modified_modules", "metadata flag, reset between tests"),
    (Utility, "force_refresh", "metadata flag, reset between tests"),
    (Utility, "module_api_name", "metadata cache, reset between tests"),
    (
        APIHTTPConnector,
        "fire_request",
        "every HTTP request of the SDK's API calls, after authentication: the request hook",
    ),
    (Constants, "AUTHORIZATION", "the header the SDK's tokens authenticate with"),
    (Constants, "OAUTH_HEADER_PREFIX", "the scheme in front of the access token"),
    # The field-metadata files (zoho_tokens.sdk.metadata makes them safe across processes):
    (Constants, "FIELD_DETAILS_DIRECTORY", "the folder of metadata files under resource_path"),
    (Utility, "write_to_file", "truncates then writes: replaced by an atomic write"),
    (
        Converter,
        "get_encoded_file_name",
        "names a user's metadata file in base64, whose '/' makes a path: replaced by a hash",
    ),
    (Utility, "lock", "a thread lock around metadata read-modify-write: made process-wide"),
    (ModuleFieldsHandler, "lock", "the same lock, held by the metadata refreshes"),
)


# -- the thread's and the process's initializer ----------------------------------------------


def thread_initializer() -> Any:
    """The initializer ``Initializer.switch_user`` set for this thread, or None."""
    # SDK internal: Initializer.LOCAL is a threading.local holding switch_user()'s choice.
    return getattr(Initializer.LOCAL, "init", None)


def set_thread_initializer(initializer: Any) -> None:
    """Make ``initializer`` (None: none) this thread's SDK user."""
    # SDK internal: the SDK has no API to undo switch_user(); this is what it reads.
    Initializer.LOCAL.init = initializer


def process_initializer() -> Any:
    """The process-wide initializer installed by ``Initializer.initialize``, or None."""
    # SDK internal: get_initializer() would return this thread's switch_user() choice first.
    return Initializer.initializer


def current_token() -> Any:
    """The token the SDK authenticates this thread's calls with (None before initialize)."""
    initializer = Initializer.get_initializer()
    return getattr(initializer, "token", None)


def reset_sdk_state() -> None:
    """Forget the SDK's initializers (the process's and this thread's) and its metadata
    caches, as if the SDK had just been imported (for tests)."""
    Initializer.initializer = None
    # LOCAL is a threading.local: this only clears the calling thread's switch_user().
    Initializer.LOCAL.init = None
    # SDK internals: class-level caches and flags of the field-metadata machinery.
    Utility.api_supported_modules = {}
    Utility.new_file = False
    Utility.get_modified_modules = False
    Utility.force_refresh = False
    Utility.module_api_name = None


# -- the Authorization header of a request ----------------------------------------------------


def authorization_token(connector: Any) -> str | None:
    """The access token a request built by the SDK carries, or None."""
    value = connector.headers.get(Constants.AUTHORIZATION) or ""
    prefix = Constants.OAUTH_HEADER_PREFIX
    return value[len(prefix) :] if value.startswith(prefix) else None


def set_authorization_token(connector: Any, access_token: str) -> None:
    """Make a request built by the SDK carry ``access_token`` (replacing any other)."""
    connector.headers[Constants.AUTHORIZATION] = Constants.OAUTH_HEADER_PREFIX + access_token


# -- SDK internals we patch -------------------------------------------------------------------
#
# Every replacement of an SDK method lives in this section, installed once per process and
# idempotently. Each keeps the original and calls it; none changes what the SDK does for a
# token that is not this package's (the hooks decide that).

#: A request hook: given the SDK's connector (one per API call) and a function that sends
#: the request as the connector now stands, return the response (``requests.Response``).
RequestHook = Callable[[Any, Callable[[], Any]], Any]

_ORIGINAL_FIRE_REQUEST = APIHTTPConnector.fire_request
_request_hook: RequestHook | None = None
_patch_lock = threading.Lock()


def _fire_request(self: Any, converter_instance: Any) -> Any:
    """``APIHTTPConnector.fire_request``, passed through the installed request hook."""
    hook = _request_hook
    if hook is None:
        return _ORIGINAL_FIRE_REQUEST(self, converter_instance)
    return hook(self, lambda: _ORIGINAL_FIRE_REQUEST(self, converter_instance))


def install_request_hook(hook: RequestHook) -> None:
    """Send every HTTP request of the SDK's API calls through ``hook`` (replacing an earlier
    hook).

    SDK internal: ``APIHTTPConnector.fire_request`` is the narrowest place that sees both the
    request (headers already authenticated) and the raw response before the SDK parses it.
    ``CommonAPIHandler.api_call`` wraps an exception the hook raises (other than
    ``SDKException``, which it would swallow and turn into a None result) in an
    ``SDKException`` whose ``cause`` is that exception.
    """
    global _request_hook
    with _patch_lock:
        _request_hook = hook
        if APIHTTPConnector.fire_request is not _fire_request:
            APIHTTPConnector.fire_request = _fire_request
