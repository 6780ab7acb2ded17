"""The test's handles on a fake Zoho, behind its clients' backs.

:class:`FakeZohoControls` is the part of :class:`~zoho_tokens.testing.FakeZoho` that reads
and changes what the fake remembers without going through HTTP: its token limits, the
tokens it issued (inspect, revoke, expire), its clock, the faults it will inject, and the
requests it recorded.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from zoho_tokens.testing.accounts.state import AccountsState
from zoho_tokens.testing.accounts.tokens import (
    DEFAULT_SCOPES,
    AccessToken,
    GrantCode,
    RefreshToken,
)
from zoho_tokens.testing.accounts.users import FakeZohoUser
from zoho_tokens.testing.server.faults import Endpoint, Fault, FaultBook, FaultKind
from zoho_tokens.testing.server.records import CrmCall, RecordedRequest, RequestLog

__all__ = ["FakeZohoControls"]

T = TypeVar("T")


class _PolicyField(Generic[T]):
    """Expose one :class:`TokenPolicy` field as a read-write attribute of ``FakeZoho``."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, instance: FakeZohoControls | None, owner: type) -> T:
        if instance is None:
            return self  # type: ignore[return-value]
        value: T = getattr(instance._state.policy, self.name)
        return value

    def __set__(self, instance: FakeZohoControls, value: T) -> None:
        setattr(instance._state.policy, self.name, value)


class _Read(Generic[T]):
    """Expose one attribute of a part of the fake (``"_log.requests"``), read-only."""

    def __init__(self, path: str, doc: str) -> None:
        self.part, self.attribute = path.split(".")
        self.__doc__ = doc

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, instance: FakeZohoControls | None, owner: type) -> T:
        if instance is None:
            return self  # type: ignore[return-value]
        value: T = getattr(getattr(instance, self.part), self.attribute)
        return value

    def __set__(self, instance: FakeZohoControls, value: T) -> None:
        raise AttributeError(f"{self.name} is read-only")


class FakeZohoControls:
    """Limits, tokens, clock, faults and records of a fake Zoho (a base of ``FakeZoho``)."""

    _state: AccountsState
    _faults: FaultBook
    _log: RequestLog
    client_id: str

    access_token_lifetime = _PolicyField[int]()
    code_lifetime = _PolicyField[float]()
    refresh_limit = _PolicyField[int]()
    refresh_window = _PolicyField[float]()
    max_access_tokens_per_refresh_token = _PolicyField[int]()
    max_refresh_tokens_per_user = _PolicyField[int]()
    #: The language Zoho answers its throttle in (``"en"``, or ``"zh"`` as recorded).
    language = _PolicyField[str]()

    # -- tokens and the clock -----------------------------------------------------------

    def is_refresh_token_active(self, token: str) -> bool:
        """Whether a refresh token exists and is neither revoked nor pushed out by the cap."""
        return self._state.is_refresh_token_active(token)

    def is_access_token_active(self, token: str) -> bool:
        """Whether an access token would be accepted by the CRM API right now."""
        return self._state.is_access_token_active(token)

    def user_for_access_token(self, token: str) -> FakeZohoUser | None:
        """The user a live access token belongs to."""
        access = self._state.resolve(token)
        return access.user if access is not None else None

    @property
    def revoked_tokens(self) -> list[str]:
        """Tokens revoked through ``/oauth/v2/token/revoke`` (or :meth:`revoke`), in order."""
        with self._state.lock:
            return list(self._state.revoked_tokens)

    codes = _Read[list[GrantCode]]("_state.codes", "Snapshots of every grant code issued.")
    refresh_tokens = _Read[list[RefreshToken]](
        "_state.refresh_tokens",
        "Snapshots of every refresh token issued (see ``.active``, ``.invalidated``).",
    )
    access_tokens = _Read[list[AccessToken]](
        "_state.access_tokens", "Snapshots of every access token issued."
    )

    def revoke(self, token: str) -> bool:
        """Revoke a token server-side, as if the user removed the app in Zoho."""
        return self._state.revoke(token)

    # -- what Zoho does behind the app's back ------------------------------------------

    def remove_connected_app(self, email: str, client_id: str | None = None) -> list[str]:
        """The user removes the app under "Connected Apps" in their Zoho account: every
        refresh token of theirs for ``client_id`` (default: the fake's client) dies, and the
        next refresh answers ``invalid_code``. Returns the refresh tokens deleted."""
        return self._state.delete_refresh_tokens(
            "connected_apps", email=email, client_id=client_id or self.client_id
        )

    def change_password(self, email: str) -> list[str]:
        """The user changes their Zoho password: every refresh token of theirs, for every
        client, dies (``invalid_code`` on the next refresh). Returns them."""
        return self._state.delete_refresh_tokens("password", email=email)

    def delete_client(self, client_id: str) -> list[str]:
        """The client is deleted in Zoho's API console: its refresh tokens die, and every
        request with its id answers ``invalid_client``. Returns the refresh tokens deleted."""
        self._state.directory.remove_client(client_id)
        return self._state.delete_refresh_tokens("client_deleted", client_id=client_id)

    def grant_tokens(
        self, user: FakeZohoUser | str | None = None, *, client_id: str | None = None
    ) -> tuple[str, str]:
        """``(access_token, refresh_token)`` as if ``user`` (an email, a new
        :class:`FakeZohoUser`, or None: the first user) had consented with the default scopes
        and the app had exchanged the code, without any HTTP (for tests that need many
        stored tokens). The 20-refresh-token cap applies as to any consent."""
        directory = self._state.directory
        if isinstance(user, FakeZohoUser):
            who = user if directory.find_user(user.email) == user else directory.add_user(user)
        else:
            found = directory.find_user(user) if user else directory.users[0]
            if found is None:
                raise ValueError(f"no user with email {user!r}; add_user() it first")
            who = found
        client = client_id or self.client_id
        grant = self._state.issue_code(client, who, DEFAULT_SCOPES, None, True)
        secret = directory.secret_of(client)
        access, refresh = self._state.exchange(client, secret, grant.code, None)
        assert refresh is not None  # issue_code's codes are offline
        return access.token, refresh.token

    def expire_access_tokens(self) -> int:
        """Make every access token issued so far invalid; returns how many were live.

        Clients still believe their tokens are valid until they try them (401) or their own
        expiry time passes, which is the situation this simulates.
        """
        return self._state.expire_access_tokens()

    def advance_time(self, seconds: float) -> None:
        """Move the fake's clock forward: ages codes, access tokens and throttle windows."""
        self._state.advance(seconds)

    # -- faults -------------------------------------------------------------------------

    def fail(self, endpoint: Endpoint, kind: FaultKind, times: int | None = None) -> Fault:
        """Make ``endpoint`` misbehave ``times`` times (None: until :meth:`heal`).

        ``endpoint`` is one of ``"auth"``, ``"token"`` (both grants), ``"exchange"``,
        ``"refresh"``, ``"revoke"``, ``"crm"``; ``kind`` one of ``"http_500"``, ``"html"``,
        ``"html_400"``, ``"malformed"``, ``"slow"``, ``"trickle"``, ``"invalid_code"``,
        ``"throttle"``, ``"down"``, ``"lost"`` (see
        :data:`zoho_tokens.testing.server.faults.FaultKind`). Faults fire in the order they were
        armed. Returns the :class:`Fault`, whose ``hits`` counts its uses.
        """
        return self._faults.add(endpoint, kind, times)

    def heal(self, endpoint: str | None = None) -> None:
        """Disarm every fault (or those of one endpoint)."""
        self._faults.clear(endpoint)

    faults = _Read[list[Fault]]("_faults.armed", "The faults still armed.")

    # -- observation --------------------------------------------------------------------

    requests = _Read[list[RecordedRequest]](
        "_log.requests",
        "Every request received since start (or :meth:`reset_counts`), oldest first.",
    )
    crm_calls = _Read[list[CrmCall]](
        "_log.crm_calls",
        "Every CRM API call: ``(path, access_token, user_email)``; None when unresolved.",
    )
    auth_requests = _Read[list[dict[str, str]]](
        "_log.auth_requests", "The query parameters of every valid ``GET /oauth/v2/auth``."
    )

    def count(self, path: str | None = None, *, method: str | None = None, **params: str) -> int:
        """How many requests matched ``path``, ``method`` and every ``name=value`` given.

        Parameters are looked up in the query string and the form body, e.g.
        ``fake.count("/oauth/v2/token", grant_type="refresh_token")``.
        """
        return self._log.count(path, method, params)

    def reset_counts(self) -> None:
        """Forget the recorded requests, CRM calls and authorization requests."""
        self._log.clear()
