"""The glue to the Zoho CRM SDK's ``Initializer``: run CRM calls as one user.

The SDK keeps "who am I" in two places: a process-wide initializer, and a thread-local one
set by ``Initializer.switch_user`` that nothing ever clears. A pooled thread (a WSGI worker
thread, a task runner) would therefore make the next request's CRM calls as the previous
request's user. :func:`acting_as` sets the thread's SDK user for the length of a ``with``
block only, and the process-wide initializer it installs can make no CRM call at all.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
from zohocrmsdk.src.com.zoho.api.authenticator.token import Token
from zohocrmsdk.src.com.zoho.crm.api.dc.data_center import DataCenter
from zohocrmsdk.src.com.zoho.crm.api.exception.sdk_exception import SDKException
from zohocrmsdk.src.com.zoho.crm.api.initializer import Initializer
from zohocrmsdk.src.com.zoho.crm.api.sdk_config import SDKConfig

from zoho_tokens.conf import zoho_settings
from zoho_tokens.exceptions import NoUsableTokenError, ZohoTokensError
from zoho_tokens.models import TokenStatus, ZohoToken
from zoho_tokens.sdk_metadata import install as make_metadata_files_process_safe
from zoho_tokens.store import DjangoTokenStore

logger = logging.getLogger(__name__)

_init_lock = threading.Lock()


class NoUserToken(Token):
    """The token of the process-wide initializer: it refuses every CRM call.

    Outside :func:`acting_as` nobody is the current user, so a call there fails loudly
    instead of running as whoever the thread served last.
    """

    def authenticate(self, url_connection: Any) -> None:
        """Refuse: no CRM call may run outside ``acting_as``."""
        raise NoUsableTokenError(
            "CRM call outside acting_as: wrap Zoho SDK calls in "
            "`with zoho_tokens.sdk.acting_as(user):`."
        )

    def remove(self) -> bool:
        """Nothing is stored for this token."""
        return False

    def generate_token(self) -> None:
        """Nothing to generate (``Initializer.initialize`` calls this at once)."""

    def __repr__(self) -> str:
        return "<NoUserToken>"


class StoredToken(OAuthToken):
    """An SDK token that names a stored row by id, and never becomes anything else.

    When the row stops being usable while a block runs (revoked in another request), the
    SDK would fall back to exchanging the empty grant code of this bare token at Zoho; this
    class turns that into a clear :class:`~zoho_tokens.exceptions.NoUsableTokenError`.
    """

    def __init__(self, row_id: int) -> None:
        super().__init__(id=str(row_id))

    def get_token(self) -> str:
        """The row's current access token, read from the store on every call."""
        # The SDK merges the stored values into this object and, when the store no longer
        # finds the row, carries on with those copies. Starting each call from the id alone
        # makes a row revoked meanwhile fail at once instead.
        for clear in (
            self.set_client_id,
            self.set_client_secret,
            self.set_refresh_token,
            self.set_access_token,
            self.set_grant_token,
            self.set_expires_in,
            self.set_redirect_url,
            self.set_user_signature,
            self.set_api_domain,
        ):
            clear(None)
        access_token: str = super().get_token()
        return access_token

    def generate_access_token(self, oauth_token: OAuthToken, url: str) -> Any:
        """Refuse to exchange a grant code this token does not have."""
        if not oauth_token.get_grant_token():
            raise NoUsableTokenError(
                f"Zoho token {self.get_id()} is no longer usable (revoked, or it needs the "
                "user to connect Zoho CRM again)."
            )
        return super().generate_access_token(oauth_token, url)

    def __repr__(self) -> str:
        return f"<StoredToken id={self.get_id()}>"


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
        api_domain, f"{accounts_server.rstrip('/')}/oauth/v2/token", file_upload_url(api_domain)
    )


def _resource_path() -> str:
    path = zoho_settings.SDK_RESOURCE_PATH or os.path.join(
        tempfile.gettempdir(), f"zoho-tokens-sdk-{os.getuid() if hasattr(os, 'getuid') else 0}"
    )
    # The SDK names its metadata files after the Zoho users: keep them private.
    os.makedirs(path, mode=0o700, exist_ok=True)
    return path


def sdk_config() -> SDKConfig:
    """The SDK options used for every block: the SDK's defaults, plus connect and read
    timeouts of ``ZOHO_TOKENS["HTTP_TIMEOUT"]`` (the SDK waits forever by default, and
    applies these to its GET requests only)."""
    timeout = zoho_settings.HTTP_TIMEOUT
    return SDKConfig(connect_timeout=timeout, read_timeout=timeout)


def ensure_initialized() -> None:
    """Initialise the SDK for this process once (thread-safe), with
    :class:`~zoho_tokens.store.DjangoTokenStore` and a token that refuses CRM calls.

    An initializer the project installed itself with a ``DjangoTokenStore`` is kept.
    """
    if _is_ours(Initializer.initializer):
        return
    with _init_lock:
        current = Initializer.initializer
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


def _token_of(user_or_token: Any) -> ZohoToken:
    """The active row to act as: the given token re-read, or the user's newest active one."""
    if isinstance(user_or_token, ZohoToken):
        row = ZohoToken.objects.filter(pk=user_or_token.pk).first()
        if row is None or not row.is_usable:
            raise NoUsableTokenError(
                f"Zoho token {user_or_token.pk} is not usable "
                f"({'deleted' if row is None else row.get_status_display()}); the user must "
                "connect Zoho CRM again."
            )
        return row
    if user_or_token is None or not getattr(user_or_token, "is_authenticated", False):
        raise NoUsableTokenError(
            "acting_as needs a logged-in user or a ZohoToken; an anonymous user has no "
            "Zoho CRM connection."
        )
    rows = ZohoToken.objects.filter(user=user_or_token)
    row = rows.usable().order_by("-updated_at", "-pk").first()
    if row is not None:
        return row
    if rows.filter(status=TokenStatus.NEEDS_REAUTH).exists():
        reason = "Zoho refused to refresh their token; they must connect Zoho CRM again."
    elif rows.exists():
        reason = "their Zoho CRM connection was revoked; they must connect Zoho CRM again."
    else:
        reason = "they have not connected Zoho CRM."
    raise NoUsableTokenError(f"User {user_or_token.pk} has no usable Zoho token: {reason}")


def _our_error(err: BaseException) -> ZohoTokensError | None:
    """This package's error behind an SDK exception (the SDK wraps what tokens raise)."""
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

    Raises :class:`~zoho_tokens.exceptions.NoUsableTokenError` when there is no active
    token; SDK exceptions caused by this package's errors (a token revoked meanwhile, a
    re-authorisation needed) come out as those errors.
    """
    ensure_initialized()
    row = _token_of(user_or_token)
    previous = getattr(Initializer.LOCAL, "init", None)
    try:
        Initializer.switch_user(
            environment=environment_for(
                row.api_domain or zoho_settings.data_center.api_domain,
                row.accounts_server or zoho_settings.data_center.accounts_server,
            ),
            token=StoredToken(row.pk),
            sdk_config=sdk_config(),
        )
        yield row
    except SDKException as err:
        ours = _our_error(err)
        if ours is None:
            raise
        raise ours from err
    finally:
        Initializer.LOCAL.init = previous
