"""Zoho's incremental authorisation in the fake: the same refresh token gains scopes.

Zoho documents two steps (not recorded on the wire, so the fake is strict):

1. ``POST /oauth/v2/token/scopeenhance`` with ``grant_type=update_scopes_token``, the
   client's id and secret and a live ``refresh_token`` answers ``{"enhance_token": ...}``
   (errors as the token endpoint gives them: HTTP 200 with ``{"error": ...}``).
2. The browser goes to ``GET /oauth/v2/token/addextrascope`` with
   ``response_type=update_scopes``, ``client_id``, ``redirect_uri``, ``scope`` and the
   ``enhance_token`` (plus ``state``). The same checks as a consent apply (client, redirect
   URI, scopes); an enhance token is single-use and lives as long as a grant code. The
   refresh token gains the scopes, and the browser is sent back to ``redirect_uri`` with
   ``state``, ``location`` and ``accounts-server`` but no ``code``: there is nothing to
   exchange. Access tokens minted from then on carry the new scopes.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from zoho_tokens.testing.accounts.state import AccountsState
from zoho_tokens.testing.accounts.tokens import OAuthError, parse_scopes

SCOPE_ENHANCE_PATH = "/oauth/v2/token/scopeenhance"
ADD_EXTRA_SCOPE_PATH = "/oauth/v2/token/addextrascope"

__all__ = ["ADD_EXTRA_SCOPE_PATH", "SCOPE_ENHANCE_PATH", "EnhanceToken", "ScopeEnhancements"]


@dataclass
class EnhanceToken:
    """An enhance token: which refresh token it may add scopes to, until when."""

    token: str
    client_id: str
    refresh_token: str
    expires_at: float
    used: bool = False


class ScopeEnhancements:
    """The enhance tokens the fake issued, on top of its :class:`AccountsState`."""

    def __init__(self, state: AccountsState) -> None:
        self._state = state
        self._tokens: dict[str, EnhanceToken] = {}

    def issue(self, params: dict[str, str]) -> str:
        """Step 1: an enhance token for a live refresh token of this client."""
        if params.get("grant_type") != "update_scopes_token":
            raise OAuthError("unsupported_grant_type")
        client_id = params.get("client_id")
        self._state.directory.check_client(client_id, params.get("client_secret"))
        refresh = self._state.live_refresh_token(params.get("refresh_token"), client_id)
        if refresh is None:
            raise OAuthError("invalid_code")
        with self._state.lock:
            token = f"1000.et{secrets.token_hex(15)}.{secrets.token_hex(16)}"
            self._tokens[token] = EnhanceToken(
                token,
                str(client_id),
                refresh.token,
                self._state.now() + self._state.policy.code_lifetime,
            )
        return token

    def apply(self, params: dict[str, str]) -> None:
        """Step 2: add ``scope`` to the refresh token the enhance token names (once)."""
        with self._state.lock:
            entry = self._tokens.get(params.get("enhance_token") or "")
            if (
                entry is None
                or entry.used
                or entry.client_id != params.get("client_id")
                or self._state.now() >= entry.expires_at
            ):
                raise OAuthError("invalid_enhance_token")
            entry.used = True
            refresh = self._state.live_refresh_token(entry.refresh_token, entry.client_id)
            if refresh is None:
                raise OAuthError("invalid_code")
            added = parse_scopes(params.get("scope"))
            refresh.scopes = tuple(dict.fromkeys([*refresh.scopes, *added]))
