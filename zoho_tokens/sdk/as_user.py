"""The glue to the Zoho CRM SDK's ``Initializer``: run CRM calls as one user.

The SDK keeps "who am I" in two places: a process-wide initializer, and a thread-local one
set by ``Initializer.switch_user`` that nothing ever clears. A pooled thread (a WSGI worker
thread, a task runner) would therefore make the next request's CRM calls as the previous
request's user. :func:`acting_as` sets the thread's SDK user for the length of a ``with``
block only, and the process-wide initializer it installs can make no CRM call at all.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from django.db import router

from zoho_tokens.accounts.destinations import api_domain_for
from zoho_tokens.conf import zoho_settings
from zoho_tokens.conf.datacenters import token_url
from zoho_tokens.conf.sdk_folder import private_folder, resource_path
from zoho_tokens.exceptions import NoUsableTokenError, ZohoTokensError
from zoho_tokens.models import ZohoToken
from zoho_tokens.sdk.auth import NoUserToken, StoredToken, retry_rejected_token
from zoho_tokens.sdk.border import (
    DataCenter,
    Initializer,
    SDKConfig,
    SDKException,
    install_request_hook,
    process_initializer,
    set_thread_initializer,
    thread_initializer,
)
from zoho_tokens.sdk.metadata import install as make_metadata_files_process_safe
from zoho_tokens.sdk.store import DjangoTokenStore
from zoho_tokens.tokens.lookups import Lookup, active_token_of_user, read_active

__all__ = [
    "NoUserToken",
    "acting_as",
    "ensure_initialized",
    "environment_for",
    "file_upload_url",
    "sdk_config",
]

logger = logging.getLogger(__name__)

_init_lock = threading.Lock()
_hook_installed = False


def file_upload_url(api_domain: str) -> str:
    """The SDK's file upload URL for ``api_domain`` (``https://content.zohoapis.<tld>``)."""
    parts = urlsplit(api_domain)
    host = parts.hostname or ""
    for prefix in ("www.", "sandbox.", "developer."):
        if host.startswith(prefix + "zohoapis."):
            return f"{parts.scheme}://content.{host.removeprefix(prefix)}"
    # Not a Zoho host (a proxy, or the fake Zoho): uploads go where the API goes.
    return api_domain.rstrip("/")


def environment_for(api_domain: str, accounts_server: str) -> DataCenter.Environment:
    """An SDK environment for one data centre, from its API domain and accounts server."""
    api_domain = api_domain.rstrip("/")
    return DataCenter.Environment(
        api_domain, token_url(accounts_server), file_upload_url(api_domain)
    )


def _resource_path() -> str:
    # The SDK names its metadata files after the Zoho users: private, or refused.
    return private_folder(resource_path())


def sdk_config() -> SDKConfig:
    """The SDK options used for every block: the SDK's defaults, plus connect and read
    timeouts of ``ZOHO_TOKENS["HTTP_TIMEOUT"]`` (the SDK waits forever by default, and
    applies these to its GET requests only)."""
    timeout = zoho_settings.HTTP_TIMEOUT
    return SDKConfig(connect_timeout=timeout, read_timeout=timeout)


def ensure_initialized() -> None:
    """Initialise the SDK for this process once (thread-safe), with
    :class:`~zoho_tokens.sdk.store.DjangoTokenStore` and a token that refuses CRM calls, and
    install the hook that recovers from access tokens Zoho kills early.

    An initializer the project installed itself with a ``DjangoTokenStore`` is kept.
    """
    global _hook_installed
    if not _hook_installed:
        install_request_hook(retry_rejected_token)
        _hook_installed = True
    if _is_ours(process_initializer()):
        return
    with _init_lock:
        current = process_initializer()
        if _is_ours(current):
            return
        if current is not None:
            logger.warning(
                "Replacing the Zoho SDK's process-wide initializer (its token store is not "
                "a DjangoTokenStore) so that acting_as can find tokens."
            )
        default = zoho_settings.data_center
        # The SDK resets its logger's level; keep whatever the project's LOGGING chose.
        sdk_logger = logging.getLogger("SDKLogger")
        level = sdk_logger.level
        Initializer.initialize(
            environment=environment_for(default.api_domain, default.accounts_server),
            token=NoUserToken(),
            store=DjangoTokenStore(),
            sdk_config=sdk_config(),
            resource_path=_resource_path(),
        )
        sdk_logger.setLevel(level)
        make_metadata_files_process_safe(Initializer.initializer.resource_path)
        logger.info("Zoho SDK initialised for acting_as.")


def _is_ours(initializer: Any) -> bool:
    return initializer is not None and isinstance(
        getattr(initializer, "store", None), DjangoTokenStore
    )


def _token_of(user_or_token: Any, using: str) -> ZohoToken:
    """The active row to act as: the given token re-read, or the user's most recently
    updated active one; one indexed query (the store's fast read path)."""
    if isinstance(user_or_token, ZohoToken):
        row = read_active(Lookup((("id", (user_or_token.pk,)),)), using)
        if row is not None:
            return row
        stored = ZohoToken.objects.using(using).filter(pk=user_or_token.pk).first()
        raise NoUsableTokenError(
            f"Zoho token {user_or_token.pk} is not usable "
            f"({'deleted' if stored is None else stored.get_status_display()}); the user must "
            "connect Zoho CRM again."
        )
    return active_token_of_user(user_or_token, using, caller="acting_as", service="Zoho CRM")


def _our_error(err: BaseException) -> ZohoTokensError | None:
    """This package's error behind an SDK exception: the SDK wraps what tokens and hooks
    raise in ``SDKException(cause=...)``."""
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        if isinstance(current, ZohoTokensError):
            return current
        seen.add(id(current))
        cause = getattr(current, "cause", None)
        current = cause if isinstance(cause, BaseException) else current.__cause__
    return None


@contextmanager
def acting_as(user_or_token: Any) -> Iterator[ZohoToken]:
    """Run the Zoho SDK's CRM calls in this block as ``user_or_token``.

    ``user_or_token`` is a Django user (their most recently updated active token is used)
    or a :class:`~zoho_tokens.models.ZohoToken`. The block yields that token. Calls go to
    the token's own data centre. On exit, however the block ends, the thread's previous SDK
    user is restored, so blocks nest and nothing leaks into the next request served by
    the same thread.

    Database reads: entering the block reads the token's row once, and that row serves the
    block's first CRM call (refreshed first if it is due); each later call reads the row
    again, so a token revoked while the block runs fails the next call.

    Errors, all raised by the block (never a bare ``SDKException`` for these):

    * :class:`~zoho_tokens.exceptions.NoUsableTokenError`: no active token on entry, a
      token revoked meanwhile, or Zoho refusing the refresh token on this very request
      (:class:`~zoho_tokens.exceptions.ReauthorizationRequired`, the row is marked).
    * :class:`~zoho_tokens.exceptions.ZohoUnavailableError` (or
      :class:`~zoho_tokens.exceptions.ZohoThrottledError`): Zoho Accounts down, slow or
      throttling a refresh; the CRM unreachable or timing out.
    * :class:`~zoho_tokens.exceptions.ZohoAPIError` (``code="INVALID_TOKEN"``): the CRM
      refused an access token Zoho had just refreshed.

    An access token Zoho killed before its expiry is refreshed (once for all workers) and
    the call sent again, transparently. Other CRM refusals come back as the SDK's response
    objects, as usual.
    """
    ensure_initialized()
    store = process_initializer().store
    row = _token_of(user_or_token, store.using or router.db_for_read(ZohoToken))
    previous = thread_initializer()
    try:
        Initializer.switch_user(
            environment=environment_for(
                # The SDK sends the access token there: still a trusted domain of its own.
                api_domain_for(row.api_domain, row.location),
                row.accounts_server or zoho_settings.data_center.accounts_server,
            ),
            token=StoredToken(row, store),
            sdk_config=sdk_config(),
        )
        yield row
    except SDKException as err:
        ours = _our_error(err)
        if ours is None:
            raise
        raise ours from err
    finally:
        set_thread_initializer(previous)
