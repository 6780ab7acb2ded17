"""Signals sent by django-zoho-tokens' domain code (never by the admin or views alone).

Every token signal is sent with ``sender=ZohoToken`` and ``token=<the ZohoToken instance>``.
Receivers must not expect secrets in any argument beyond the token itself.

``token_saved(token, created)``
    A token row was written by the store or by a connect (callback, Self Client form).
    ``created`` is True for a new row.
``token_refreshed(token)``
    The app refreshed the access token at Zoho and stored the new one.
``token_revoked(token, remote)``
    The token was made unusable. ``remote`` is True when Zoho confirmed the revocation,
    False when the remote revocation is still pending (Zoho was unreachable). It is sent
    again, with ``remote=True``, when a later retry (``cleanup_zoho_tokens``) succeeds.
``reconsent_required(token, reason, error)``
    Zoho no longer accepts the token: the user must connect again. Sent once, when the
    token turns out dead, whoever found out (a refresh, an API call that needed one,
    ``verify_zoho_tokens``). ``reason`` is ``"revoked"`` (Zoho answered ``invalid_code``:
    the user removed the app under *Connected Apps*, changed their password, or a newer
    consent pushed this one out of Zoho's 20 per user; Zoho does not say which) or
    ``"client_deleted"`` (Zoho answered ``invalid_client``: the OAuth client is gone);
    ``error`` is Zoho's error code.
``reauth_required``
    The former name of ``reconsent_required``: the same signal object, kept so that
    receivers connected to it keep working (they now also get ``reason``).
``token_transferred(token, previous_user, user)``
    A Zoho account connected by ``previous_user`` was connected again by another Django
    user, ``user``, and the row moved to them (only with
    ``ZOHO_TOKENS["ALLOW_ACCOUNT_TRANSFER"]``; otherwise that connect is refused). The
    previous owner's refresh token has been revoked; tell them.
``token_event(event, token_id, outcome, service, duration_ms, detail)``
    Something happened to a token or on its behalf: the one feed behind the token's history
    and the metrics (:mod:`zoho_tokens.health`). Sent with ``sender=None``. ``event`` is one
    of :data:`EVENTS`; ``outcome`` a short word (``ok``, ``refused``, ``throttled``,
    ``unavailable``, ``dead``...); ``service`` the Zoho service involved (``accounts``,
    ``crm``, ``books``...); ``duration_ms`` how long Zoho took (None when Zoho was not
    called); ``detail`` Zoho's error code or the reason, never a secret.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.dispatch import Signal

__all__ = [
    "EVENTS",
    "reauth_required",
    "reconsent_required",
    "token_event",
    "token_refreshed",
    "token_revoked",
    "token_saved",
    "token_transferred",
]

#: A token row was written: ``token``, ``created``.
token_saved = Signal()
#: The access token was refreshed at Zoho and stored: ``token``.
token_refreshed = Signal()
#: The token was made unusable: ``token``, ``remote`` (Zoho confirmed it).
token_revoked = Signal()
#: Zoho no longer accepts the token; the user must connect again: ``token``, ``reason``
#: (``"revoked"`` or ``"client_deleted"``), ``error`` (Zoho's code). Sent once per death.
reconsent_required = Signal()
#: The former name of :data:`reconsent_required` (the same signal).
reauth_required = reconsent_required
#: Another Django user connected the Zoho account: ``token``, ``previous_user``, ``user``.
token_transferred = Signal()
#: Something happened to a token: ``event``, ``token_id``, ``outcome``, ``service``,
#: ``duration_ms``, ``detail`` (see the module docstring); for a bulk operation,
#: ``token_id`` is None and ``token_ids`` names every token it happened to.
token_event = Signal()

#: The events of :data:`token_event`. Those that change a token are kept in its history;
#: ``api_call`` and ``lock_wait`` only feed the metrics.
EVENTS = (
    "connected",
    "refreshed",
    "refresh_refused",
    "throttled",
    "refresh_failed",
    "revoked_locally",
    "revoked_at_zoho",
    "moved",
    "verified",
    "reencrypted",
    "api_call",
    "lock_wait",
)


def emit(
    event: str,
    token_id: int | None,
    outcome: str,
    *,
    service: str = "accounts",
    duration_ms: float | None = None,
    detail: str = "",
    logger: logging.Logger | None = None,
    level: int = logging.DEBUG,
    message: str = "",
) -> None:
    """Send :data:`token_event`, and log ``message`` with the same fields as ``extra``.

    Internal: the operations call it where something happens to a token, so that the
    history, the metrics and the log records all carry the same ``token_id``, ``service``,
    ``outcome`` and ``duration_ms`` (never a secret).
    """
    if logger is not None and message and logger.isEnabledFor(level):
        logger.log(level, message, extra=log_fields(token_id, service, outcome, duration_ms))
    token_event.send(
        sender=None,
        event=event,
        token_id=token_id,
        outcome=outcome,
        service=service,
        duration_ms=duration_ms,
        detail=detail,
    )


def emit_many(
    event: str, token_ids: Sequence[int], outcome: str, *, service: str = "accounts"
) -> None:
    """Send :data:`token_event` once for the same event of many tokens (``token_ids``):
    a bulk operation's history is then one ``INSERT``, not one per token. Internal."""
    if not token_ids:
        return
    token_event.send(
        sender=None,
        event=event,
        token_id=None,
        token_ids=tuple(token_ids),
        outcome=outcome,
        service=service,
        duration_ms=None,
        detail="",
    )


def log_fields(
    token_id: int | None, service: str, outcome: str, duration_ms: float | None
) -> dict[str, object]:
    """The ``extra`` of every log record about an operation on a token (internal)."""
    return {
        "token_id": token_id,
        "service": service,
        "outcome": outcome,
        "duration_ms": None if duration_ms is None else round(duration_ms, 1),
    }
