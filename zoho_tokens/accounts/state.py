"""The OAuth ``state``: what ties a callback to the browser session that started the flow.

Each connect mints a random ``state``, remembers it in the session (only its hash, with the
safe ``next`` URL, whether it is a log-in flow, and the redirect URI sent to Zoho) and
sends it to Zoho, which hands it back on the callback. A callback is accepted only with a
``state`` this session issued, within ``ZOHO_TOKENS["STATE_MAX_AGE"]`` seconds, once.
Several flows may be pending at once (several tabs), up to :data:`MAX_PENDING`.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import SuspiciousOperation
from django.utils.translation import gettext_lazy as _

from zoho_tokens.conf import zoho_settings
from zoho_tokens.exceptions import ZohoTokensError

#: The session key holding the pending and recently used flows.
SESSION_KEY = "zoho_tokens_oauth_flows"

#: Flows a session may have pending at once; starting one more forgets the oldest.
MAX_PENDING = 10

#: How many used states are remembered, so that a replay is reported as such.
MAX_USED = 10

#: Expired or used entries are forgotten after this long (they only improve messages).
FORGET_AFTER = 24 * 3600


@dataclass(frozen=True)
class OAuthFlow:
    """A flow started by the connect view and accepted back by the callback."""

    #: Where to send the browser afterwards (already checked to be safe), or None.
    next_url: str | None
    #: Whether the flow started as "log in with Zoho" (an anonymous visitor).
    login: bool
    #: The redirect URI sent to Zoho; the code exchange must send exactly the same.
    redirect_uri: str
    #: The accounts server the browser was sent to.
    accounts_server: str
    #: The scopes asked for (empty: ``SCOPES``).
    scopes: tuple[str, ...] = ()
    #: For Zoho's incremental authorisation: the token whose refresh token gains
    #: ``scopes``; None for an ordinary consent.
    enhanced_token_id: int | None = None


class StateError(ZohoTokensError, SuspiciousOperation):
    """The callback's ``state`` is not acceptable. ``reason`` is one of ``"missing"``,
    ``"unknown"`` (never issued to this session: forged, or from another browser),
    ``"used"`` (a replay) or ``"expired"``.

    A ``SuspiciousOperation`` (a browser handed back something this site did not issue),
    with a page message per reason in plain words.
    """

    http_status = 400
    user_title = _("This link cannot be used")
    MESSAGES: ClassVar[dict[str, Any]] = {
        "missing": _(
            "This link to connect Zoho is incomplete, so it cannot be trusted. Nothing was "
            "saved. Please start connecting Zoho again from this site."
        ),
        "unknown": _(
            "This link to connect Zoho was not started from this browser (or was started "
            "so long ago that it is forgotten). Nothing was saved. Please start connecting "
            "Zoho again from this site, in this browser."
        ),
        "used": _(
            "This link to connect Zoho was already used once and cannot be used again. "
            "Nothing more was saved. If Zoho does not work for you, connect it again."
        ),
        "expired": _(
            "This link to connect Zoho expired: connecting has to be finished within "
            "%(minutes)d minutes. Nothing was saved. Please start connecting Zoho again."
        ),
    }

    def __init__(self, reason: str) -> None:
        self.reason = reason
        minutes = max(1, zoho_settings.STATE_MAX_AGE // 60)
        super().__init__(
            f"OAuth state rejected: {reason}",
            user_message=str(self.MESSAGES[reason]) % {"minutes": minutes},
        )


def _digest(state: str) -> str:
    # Only a hash goes into the session: with cookie-based sessions the session is
    # readable by the browser, and the hash is all that is needed to recognise the state.
    return hashlib.sha256(state.encode("utf-8")).hexdigest()


def _load(session: SessionBase) -> dict[str, Any]:
    data = session.get(SESSION_KEY)
    if not isinstance(data, dict):
        data = {}
    pending = data.get("pending")
    used = data.get("used")
    return {
        "pending": pending if isinstance(pending, dict) else {},
        "used": used if isinstance(used, dict) else {},
    }


def _keep_newest(entries: dict[str, Any], limit: int, now: float) -> dict[str, Any]:
    """The ``limit`` newest entries that are less than :data:`FORGET_AFTER` old."""

    def age(entry: Any) -> float:
        return now - float(entry.get("at", 0)) if isinstance(entry, dict) else FORGET_AFTER

    fresh = sorted(
        ((digest, entry) for digest, entry in entries.items() if age(entry) < FORGET_AFTER),
        key=lambda item: age(item[1]),
    )
    return dict(fresh[:limit])


def issue_state(
    session: SessionBase,
    *,
    next_url: str | None,
    login: bool,
    redirect_uri: str,
    accounts_server: str,
    scopes: Sequence[str] = (),
    enhanced_token_id: int | None = None,
) -> str:
    """Start a flow: return a new random ``state`` and remember it in ``session``."""
    now = time.time()
    state = secrets.token_urlsafe(32)
    data = _load(session)
    data["pending"][_digest(state)] = {
        "at": now,
        "next": next_url,
        "login": login,
        "redirect_uri": redirect_uri,
        "accounts_server": accounts_server,
        "scopes": list(scopes),
        "enhanced_token_id": enhanced_token_id,
    }
    data["pending"] = _keep_newest(data["pending"], MAX_PENDING, now)
    session[SESSION_KEY] = data
    return state


def consume_state(session: SessionBase, state: str | None) -> OAuthFlow:
    """Accept ``state`` once: return its flow, and forget it whatever the outcome.

    Raises :class:`StateError` when ``state`` is missing, was never issued to this session,
    was already used, or is older than ``ZOHO_TOKENS["STATE_MAX_AGE"]`` seconds.
    """
    if not state:
        raise StateError("missing")
    now = time.time()
    digest = _digest(state)
    data = _load(session)
    entry = data["pending"].pop(digest, None)
    if entry is None:
        raise StateError("used" if digest in data["used"] else "unknown")
    data["used"][digest] = {"at": now}
    data["used"] = _keep_newest(data["used"], MAX_USED, now)
    session[SESSION_KEY] = data
    if not isinstance(entry, dict) or now - float(entry.get("at", 0)) > zoho_settings.STATE_MAX_AGE:
        raise StateError("expired")
    return OAuthFlow(
        next_url=entry.get("next") or None,
        login=bool(entry.get("login")),
        redirect_uri=str(entry.get("redirect_uri") or ""),
        accounts_server=str(entry.get("accounts_server") or ""),
        scopes=tuple(str(scope) for scope in entry.get("scopes") or ()),
        enhanced_token_id=_int_or_none(entry.get("enhanced_token_id")),
    )


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
