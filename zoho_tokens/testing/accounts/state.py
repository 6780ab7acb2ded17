"""The fake Zoho Accounts server's memory of grant codes and tokens, and its rules.

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
import threading
import time
from collections.abc import Callable

from zoho_tokens.testing.accounts.directory import Directory
from zoho_tokens.testing.accounts.records import IssuedRecords, oldest_beyond
from zoho_tokens.testing.accounts.tokens import (
    AccessToken,
    DeathCause,
    GrantCode,
    OAuthError,
    RefreshToken,
    TokenPolicy,
    new_token,
    throttle_error,
)
from zoho_tokens.testing.accounts.users import FakeZohoUser

__all__ = ["AccountsState"]


class AccountsState(IssuedRecords):
    """Grant codes and tokens for a :class:`Directory`'s clients and users, behind one lock."""

    def __init__(
        self,
        directory: Directory,
        policy: TokenPolicy,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.lock = threading.RLock()
        #: The clients and users this state issues codes and tokens to.
        self.directory = directory
        self.policy = policy
        self._clock = clock
        self._offset = 0.0
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
            return bool(self._live_refresh_tokens_of(client_id, user))

    def _live_refresh_tokens_of(self, client_id: str, user: FakeZohoUser) -> list[RefreshToken]:
        return [
            rt
            for rt in self._refresh_tokens.values()
            if rt.active and rt.client_id == client_id and rt.user.email == user.email
        ]

    def exchange(
        self,
        client_id: str | None,
        client_secret: str | None,
        code: str | None,
        redirect_uri: str | None,
    ) -> tuple[AccessToken, RefreshToken | None]:
        """``grant_type=authorization_code``: spend a code, mint tokens."""
        with self.lock:
            self.directory.check_client(client_id, client_secret)
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
        same_owner = self._live_refresh_tokens_of(grant.client_id, grant.user)
        for oldest in oldest_beyond(same_owner, self.policy.max_refresh_tokens_per_user):
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
            live = [
                at
                for at in self._access_tokens.values()
                if at.refresh_token == refresh.token and at.active_at(now)
            ]
            for oldest in oldest_beyond(live, self.policy.max_access_tokens_per_refresh_token):
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
            self.directory.check_client(client_id, client_secret)
            now = self.now()
            refresh = self.live_refresh_token(refresh_token, client_id)
            if refresh is None:
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

    def delete_refresh_tokens(
        self, cause: DeathCause, *, email: str | None = None, client_id: str | None = None
    ) -> list[str]:
        """Delete the live refresh tokens of ``email`` and/or ``client_id`` (None: any), as
        Zoho does behind the app's back; returns them."""
        with self.lock:
            dead = [
                rt
                for rt in self._refresh_tokens.values()
                if rt.active
                and (email is None or rt.user.email.lower() == email.lower())
                and (client_id is None or rt.client_id == client_id)
            ]
            for refresh in dead:
                self._invalidate_refresh_token(refresh, cause)
            return [rt.token for rt in dead]

    def _invalidate_refresh_token(self, refresh: RefreshToken, reason: DeathCause) -> None:
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

    def is_access_token_active(self, token: str) -> bool:
        """Whether this access token exists, has not expired and was not invalidated."""
        return self.resolve(token) is not None
