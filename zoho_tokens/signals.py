"""Signals sent by django-zoho-tokens' domain code (never by the admin or views alone).

Every signal is sent with ``sender=ZohoToken`` and ``token=<the ZohoToken instance>``.
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
``reauth_required(token, error)``
    Zoho refused to refresh the token (``invalid_code``): the user must connect again.
    ``error`` is Zoho's error code.
``token_transferred(token, previous_user, user)``
    A Zoho account connected by ``previous_user`` was connected again by another Django
    user, ``user``, and the row moved to them (only with
    ``ZOHO_TOKENS["ALLOW_ACCOUNT_TRANSFER"]``; otherwise that connect is refused). The
    previous owner's refresh token has been revoked; tell them.
"""

from __future__ import annotations

from django.dispatch import Signal

__all__ = [
    "reauth_required",
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
#: Zoho refused to refresh the token; the user must connect again: ``token``, ``error``.
reauth_required = Signal()
#: Another Django user connected the Zoho account: ``token``, ``previous_user``, ``user``.
token_transferred = Signal()
