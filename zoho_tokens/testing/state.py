"""The fake Zoho Accounts server's memory: clients, users, grant codes and tokens.

Everything here follows what Zoho documents (see ``docs``/``zoho-facts.md``):

* grant codes are single-use and short-lived;
* an exchange returns a refresh token only for ``access_type=offline``;
* at most ``refresh_limit`` (10) access tokens per refresh token in ``refresh_window``
  (10 minutes), after which Zoho answers HTTP 400
  ``{"error": "Access Denied", "error_description": ..., "status": "failure"}``;
* at most 15 live access tokens per refresh token: the 16th invalidates the oldest;
* at most 20 refresh tokens per user and client: the 21st silently invalidates the oldest
  (and, as with a revocation, the access tokens made from it);
* revoking a refresh token kills every access token made from it.

All state lives behind one lock, so the HTTP handler threads and the test thread can use it
at the same time.
"""

from __future__ import annotations

import dataclasses
import secrets
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal

#: The organisation every default user belongs to (Zoho's ``zgid`` and org ``id``).
DEFAULT_ZGID = "700000001"
DEFAULT_ORG_ID = "5725767000000000001"
DEFAULT_COMPANY_NAME = "Fake Zoho Corp"

#: Enough for the whole SDK flow: records, the field metadata the SDK fetches before
#: ``get_records``, and the two reads that tell it who the token belongs to.
DEFAULT_SCOPES: tuple[str, ...] = (
    "ZohoCRM.modules.ALL",
    "ZohoCRM.settings.ALL",
    "ZohoCRM.users.READ",
    "ZohoCRM.org.READ",
)

TokenKind = Literal["code", "access", "refresh"]

# A two-letter tag in the first segment tells the kinds apart at a glance in logs and
# assertions, while keeping Zoho's shape "1000.<32 chars>.<32 hex>" (the SDK relies on the
# last 32 characters being the secret part when it names its field-metadata files).
_KIND_TAGS: dict[TokenKind, str] = {"code": "gc", "access": "at", "refresh": "rt"}


def new_token(kind: TokenKind) -> str:
    """A random Zoho-shaped token whose kind :func:`token_kind` can recognise."""
    return f"1000.{_KIND_TAGS[kind]}{secrets.token_hex(15)}.{secrets.token_hex(16)}"


def token_kind(token: str) -> TokenKind | None:
    """Which kind of token the fake issued (``"code"``, ``"access"``, ``"refresh"``), if any."""
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != "1000":
        return None
    for kind, tag in _KIND_TAGS.items():
        if parts[1].startswith(tag):
            return kind
    return None


def parse_scopes(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """Scopes as Zoho takes them: comma separated (spaces tolerated), or any iterable."""
    if value is None:
        return ()
    items = value.replace(" ", ",").split(",") if isinstance(value, str) else value
    return tuple(scope.strip() for scope in items if scope and scope.strip())


@dataclass(frozen=True)
class FakeZohoUser:
    """A Zoho user who can consent, and whom CRM calls resolve to.

    ``zgid`` is the organisation's id as the SDK reads it (``GET /crm/v8/org``), so the
    SDK's user name for this user is ``f"{email}:{zgid}"`` (see :attr:`sdk_user_name`).
    ``user_id`` defaults to a number derived from the email, so it is stable across runs.
    """

    email: str
    full_name: str
    zgid: str = DEFAULT_ZGID
    org_id: str = DEFAULT_ORG_ID
    company_name: str = DEFAULT_COMPANY_NAME
    user_id: str = ""
    role: str = "CEO"
    profile: str = "Administrator"

    def __post_init__(self) -> None:
        if not self.user_id:
            number = 5725767000000100000 + zlib.crc32(self.email.lower().encode()) % 100000
            object.__setattr__(self, "user_id", str(number))

    @property
    def first_name(self) -> str:
        """Everything before the last word of ``full_name``."""
        return self.full_name.rpartition(" ")[0]

    @property
    def last_name(self) -> str:
        """The last word of ``full_name``."""
        return self.full_name.rpartition(" ")[2]

    @property
    def sdk_user_name(self) -> str:
        """The name the Zoho SDK gives this user's tokens: ``"<email>:<org zgid>"``."""
        return f"{self.email}:{self.zgid}"


DEFAULT_USER = FakeZohoUser("ada@example.com", "Ada Lovelace")


@dataclass
class GrantCode:
    """An authorization code, as remembered by the fake."""

    code: str
    client_id: str
    user: FakeZohoUser
    scopes: tuple[str, ...]
    redirect_uri: str | None
    offline: bool
    issued_at: float
    expires_at: float
    used_at: float | None = None


@dataclass
class RefreshToken:
    """A refresh token. ``invalidated`` is None while active, else why it died."""

    token: str
    client_id: str
    user: FakeZohoUser
    scopes: tuple[str, ...]
    issued_at: float
    invalidated: Literal["revoked", "limit"] | None = None
    # When each access token was minted from it by a refresh, for the throttle.
    refreshes: deque[float] = field(default_factory=deque)

    @property
    def active(self) -> bool:
        """Still usable for refreshes."""
        return self.invalidated is None


@dataclass
class AccessToken:
    """An access token. ``invalidated`` is None unless it was killed before expiry."""

    token: str
    client_id: str
    user: FakeZohoUser
    scopes: tuple[str, ...]
    issued_at: float
    expires_at: float
    refresh_token: str | None = None
    invalidated: Literal["revoked", "limit", "expired"] | None = None

    def active_at(self, now: float) -> bool:
        """Usable at time ``now``."""
        return self.invalidated is None and now < self.expires_at


class OAuthError(Exception):
    """An OAuth failure, carried as Zoho reports it: ``{"error": ..., ...}``.

    Zoho answers token errors with HTTP 200 and a bare ``{"error": "<code>"}``; only its
    throttle is an HTTP 400 with ``"status": "failure"`` (``http_status``, ``failure``).
    """

    def __init__(
        self,
        error: str,
        description: str | None = None,
        *,
        http_status: int = 200,
        failure: bool = False,
    ) -> None:
        super().__init__(error if description is None else f"{error}: {description}")
        self.error = error
        self.description = description
        self.http_status = http_status
        self.failure = failure

    def payload(self) -> dict[str, str]:
        """The JSON body Zoho sends."""
        body = {"error": self.error}
        if self.description is not None:
            body["error_description"] = self.description
        if self.failure:
            body["status"] = "failure"
        return body


THROTTLE_DESCRIPTION = (
    "You have made too many requests continuously. Please try again after some time."
)
#: Zoho translates its throttle answer into the caller's language. The English text and the
#: Chinese ``error`` ("拒绝访问") are recorded; the Chinese description is illustrative.
THROTTLE_TRANSLATIONS: dict[str, tuple[str, str]] = {
    "en": ("Access Denied", THROTTLE_DESCRIPTION),
    "zh": ("拒绝访问", "您连续发出的请求过多。请稍后再试。"),
}


def throttle_error(language: str = "en") -> OAuthError:
    """Zoho's answer past the refresh limit: HTTP 400, ``"status": "failure"``, and an
    ``error`` ("Access Denied") and description in the caller's ``language``."""
    error, description = THROTTLE_TRANSLATIONS.get(language, THROTTLE_TRANSLATIONS["en"])
    return OAuthError(error, description, http_status=400, failure=True)


@dataclass
class TokenPolicy:
    """Lifetimes and limits. Every field can be changed while the fake is running."""

    access_token_lifetime: int = 3600
    code_lifetime: float = 120.0
    refresh_limit: int = 10
    refresh_window: float = 600.0
    max_access_tokens_per_refresh_token: int = 15
    max_refresh_tokens_per_user: int = 20
    #: The caller's language, in which Zoho words its throttle answer ("en", "zh").
    language: str = "en"


class AccountsState:
    """Clients, users, grant codes and tokens, guarded by a single lock."""

    def __init__(
        self,
        clients: dict[str, str],
        users: Iterable[FakeZohoUser],
        policy: TokenPolicy,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.lock = threading.RLock()
        self.policy = policy
        self._clock = clock
        self._offset = 0.0
        self._clients = dict(clients)
        self._users: list[FakeZohoUser] = []
        for user in users:
            self.add_user(user)
        self._codes: dict[str, GrantCode] = {}
        self._refresh_tokens: dict[str, RefreshToken] = {}
        self._access_tokens: dict[str, AccessToken] = {}
        self.revoked_tokens: list[str] = []

    # -- time ---------------------------------------------------------------------------

    def now(self) -> float:
        """The fake's clock: the real time plus whatever :meth:`advance` added."""
        return self._clock() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the fake's clock forward (expires codes, access tokens, throttle windows)."""
        with self.lock:
            self._offset += seconds

    # -- clients and users --------------------------------------------------------------

    def add_client(self, client_id: str, client_secret: str) -> None:
        """Register another OAuth client (the first one is given to the constructor)."""
        with self.lock:
            self._clients[client_id] = client_secret

    def has_client(self, client_id: str | None) -> bool:
        """Whether ``client_id`` is registered."""
        with self.lock:
            return client_id is not None and client_id in self._clients

    def check_client(self, client_id: str | None, client_secret: str | None) -> None:
        """Raise ``invalid_client`` for an unknown id, ``invalid_client_secret`` for a wrong
        secret (both as Zoho does, with HTTP 200)."""
        with self.lock:
            expected = self._clients.get(client_id or "")
        if expected is None:
            raise OAuthError("invalid_client")
        if client_secret is None or not secrets.compare_digest(expected, client_secret):
            raise OAuthError("invalid_client_secret")

    def add_user(self, user: FakeZohoUser) -> FakeZohoUser:
        """Add a user (replacing one with the same email) and return it."""
        with self.lock:
            self._users = [u for u in self._users if u.email.lower() != user.email.lower()]
            self._users.append(user)
        return user

    @property
    def users(self) -> list[FakeZohoUser]:
        """A copy of the users, in the order they were added."""
        with self.lock:
            return list(self._users)

    def find_user(self, email: str | None) -> FakeZohoUser | None:
        """The user with this email (case-insensitive), if any."""
        if not email:
            return None
        with self.lock:
            for user in self._users:
                if user.email.lower() == email.lower():
                    return user
        return None

    # -- grant codes --------------------------------------------------------------------

    def issue_code(
        self,
        client_id: str,
        user: FakeZohoUser,
        scopes: tuple[str, ...],
        redirect_uri: str | None,
        offline: bool,
    ) -> GrantCode:
        """Mint a grant code for ``user``'s consent."""
        with self.lock:
            now = self.now()
            grant = GrantCode(
                code=new_token("code"),
                client_id=client_id,
                user=user,
                scopes=scopes,
                redirect_uri=redirect_uri,
                offline=offline,
                issued_at=now,
                expires_at=now + self.policy.code_lifetime,
            )
            self._codes[grant.code] = grant
            return grant

    def has_active_refresh_token(self, client_id: str, user: FakeZohoUser) -> bool:
        """Whether ``user`` already holds a live refresh token for this client."""
        with self.lock:
            return any(
                rt.active and rt.client_id == client_id and rt.user.email == user.email
                for rt in self._refresh_tokens.values()
            )

    def exchange(
        self,
        client_id: str | None,
        client_secret: str | None,
        code: str | None,
        redirect_uri: str | None,
    ) -> tuple[AccessToken, RefreshToken | None]:
        """``grant_type=authorization_code``: spend a code, mint tokens."""
        with self.lock:
            self.check_client(client_id, client_secret)
            now = self.now()
            grant = self._codes.get(code or "")
            if (
                grant is None
                or grant.client_id != client_id
                or grant.used_at is not None
                or now >= grant.expires_at
            ):
                raise OAuthError("invalid_code")
            # A code minted without a redirect URI (like Zoho's self-client codes) can be
            # exchanged without one; otherwise it must match character for character.
            if grant.redirect_uri is not None and redirect_uri != grant.redirect_uri:
                raise OAuthError("invalid_redirect_uri")
            grant.used_at = now
            refresh = None
            if grant.offline:
                refresh = self._mint_refresh_token(grant, now)
            access = self._mint_access_token(
                grant.client_id, grant.user, grant.scopes, refresh, now
            )
            return access, refresh

    # -- tokens -------------------------------------------------------------------------

    def _mint_refresh_token(self, grant: GrantCode, now: float) -> RefreshToken:
        same_owner = sorted(
            (
                rt
                for rt in self._refresh_tokens.values()
                if rt.active
                and rt.client_id == grant.client_id
                and rt.user.email == grant.user.email
            ),
            key=lambda rt: rt.issued_at,
        )
        excess = len(same_owner) - self.policy.max_refresh_tokens_per_user + 1
        for oldest in same_owner[: max(excess, 0)]:
            self._invalidate_refresh_token(oldest, "limit")
        refresh = RefreshToken(
            token=new_token("refresh"),
            client_id=grant.client_id,
            user=grant.user,
            scopes=grant.scopes,
            issued_at=now,
        )
        self._refresh_tokens[refresh.token] = refresh
        return refresh

    def _mint_access_token(
        self,
        client_id: str,
        user: FakeZohoUser,
        scopes: tuple[str, ...],
        refresh: RefreshToken | None,
        now: float,
    ) -> AccessToken:
        if refresh is not None:
            live = sorted(
                (
                    at
                    for at in self._access_tokens.values()
                    if at.refresh_token == refresh.token and at.active_at(now)
                ),
                key=lambda at: at.issued_at,
            )
            excess = len(live) - self.policy.max_access_tokens_per_refresh_token + 1
            for oldest in live[: max(excess, 0)]:
                oldest.invalidated = "limit"
        access = AccessToken(
            token=new_token("access"),
            client_id=client_id,
            user=user,
            scopes=scopes,
            issued_at=now,
            expires_at=now + self.policy.access_token_lifetime,
            refresh_token=refresh.token if refresh is not None else None,
        )
        self._access_tokens[access.token] = access
        return access

    def refresh(
        self, client_id: str | None, client_secret: str | None, refresh_token: str | None
    ) -> AccessToken:
        """``grant_type=refresh_token``: mint an access token, subject to the throttle."""
        with self.lock:
            self.check_client(client_id, client_secret)
            now = self.now()
            refresh = self._refresh_tokens.get(refresh_token or "")
            if refresh is None or not refresh.active or refresh.client_id != client_id:
                raise OAuthError("invalid_code")
            window_start = now - self.policy.refresh_window
            while refresh.refreshes and refresh.refreshes[0] <= window_start:
                refresh.refreshes.popleft()
            if len(refresh.refreshes) >= self.policy.refresh_limit:
                raise throttle_error(self.policy.language)
            refresh.refreshes.append(now)
            return self._mint_access_token(
                refresh.client_id, refresh.user, refresh.scopes, refresh, now
            )

    def live_refresh_token(self, token: str | None, client_id: str | None) -> RefreshToken | None:
        """The live refresh token ``token`` of ``client_id``, or None."""
        with self.lock:
            refresh = self._refresh_tokens.get(token or "")
            if refresh is None or not refresh.active or refresh.client_id != client_id:
                return None
            return refresh

    def _invalidate_refresh_token(
        self, refresh: RefreshToken, reason: Literal["revoked", "limit"]
    ) -> None:
        refresh.invalidated = reason
        for access in self._access_tokens.values():
            if access.refresh_token == refresh.token and access.invalidated is None:
                access.invalidated = reason

    def revoke(self, token: str | None) -> bool:
        """Revoke a live refresh token (and its access tokens) or a live access token.

        Returns False when the token is unknown or already dead, as Zoho then answers 400.
        """
        with self.lock:
            refresh = self._refresh_tokens.get(token or "")
            if refresh is not None and refresh.active:
                self._invalidate_refresh_token(refresh, "revoked")
                self.revoked_tokens.append(refresh.token)
                return True
            access = self._access_tokens.get(token or "")
            if access is not None and access.active_at(self.now()):
                access.invalidated = "revoked"
                self.revoked_tokens.append(access.token)
                return True
            return False

    def resolve(self, access_token: str | None) -> AccessToken | None:
        """The live access token record for a bearer value, or None."""
        with self.lock:
            access = self._access_tokens.get(access_token or "")
            if access is None or not access.active_at(self.now()):
                return None
            return dataclasses.replace(access)

    def expire_access_tokens(self) -> int:
        """Expire every live access token now; return how many there were."""
        with self.lock:
            now = self.now()
            count = 0
            for access in self._access_tokens.values():
                if access.active_at(now):
                    access.invalidated = "expired"
                    count += 1
            return count

    def is_refresh_token_active(self, token: str) -> bool:
        """Whether this refresh token exists and can still be used."""
        with self.lock:
            refresh = self._refresh_tokens.get(token)
            return refresh is not None and refresh.active

    def is_access_token_active(self, token: str) -> bool:
        """Whether this access token exists, has not expired and was not invalidated."""
        return self.resolve(token) is not None

    @property
    def codes(self) -> list[GrantCode]:
        """Copies of every grant code issued, oldest first."""
        with self.lock:
            return [dataclasses.replace(c) for c in self._codes.values()]

    @property
    def refresh_tokens(self) -> list[RefreshToken]:
        """Copies of every refresh token issued, oldest first."""
        with self.lock:
            return [
                dataclasses.replace(rt, refreshes=deque(rt.refreshes))
                for rt in self._refresh_tokens.values()
            ]

    @property
    def access_tokens(self) -> list[AccessToken]:
        """Copies of every access token issued, oldest first."""
        with self.lock:
            return [dataclasses.replace(at) for at in self._access_tokens.values()]
