"""A Zoho account connected again by another Django user: refused, or (with
``ZOHO_TOKENS["ALLOW_ACCOUNT_TRANSFER"]``) moved with the previous owner told.

Used by :mod:`zoho_tokens.tokens.connect` while it stores a token.
"""

from __future__ import annotations

import logging
from typing import Any

from django.apps import apps

from zoho_tokens import signals
from zoho_tokens.conf import zoho_settings
from zoho_tokens.exceptions import ZohoAccountTakenError
from zoho_tokens.models import ZohoToken

__all__ = ["announce_transfer", "previous_owner"]

logger = logging.getLogger(__name__)


def previous_owner(row: ZohoToken | None, user: Any) -> Any:
    """The Django user ``row`` is being moved away from, or None when it is not moving.

    Only a live connection (:attr:`ZohoToken.is_usable`) of another user counts: a row its
    user disconnected, or that Zoho refused to refresh, blocks nobody and is simply reused.
    Raises :class:`ZohoAccountTakenError` when a live one would move and moving is not
    allowed.
    """
    if row is None or user is None or row.user_id is None or row.user_id == user.pk:
        return None
    if not row.is_usable:
        return None
    if not zoho_settings.ALLOW_ACCOUNT_TRANSFER:
        raise ZohoAccountTakenError(
            f"Zoho token {row.pk} belongs to another Django user; ALLOW_ACCOUNT_TRANSFER is off."
        )
    return row.user


def announce_transfer(token: ZohoToken, previous_user: Any, user: Any) -> None:
    """Tell the previous owner's side: the ``token_transferred`` signal and the admin log."""
    signals.token_transferred.send(
        sender=ZohoToken, token=token, previous_user=previous_user, user=user
    )
    signals.emit("moved", token.pk, "ok")
    logger.warning(
        "Zoho token %s moved from Django user %s to %s (ALLOW_ACCOUNT_TRANSFER).",
        token.pk,
        previous_user.pk,
        user.pk,
    )
    if not apps.is_installed("django.contrib.admin"):
        return
    # Imported here: the admin is optional, and its models need the app installed.
    from django.contrib.admin.models import CHANGE, LogEntry
    from django.contrib.contenttypes.models import ContentType

    LogEntry.objects.create(
        user_id=user.pk,
        content_type=ContentType.objects.get_for_model(ZohoToken),
        object_id=str(token.pk),
        object_repr=str(token)[:200],
        action_flag=CHANGE,
        change_message=(
            f"Moved from Django user {previous_user.pk} ({previous_user}) to {user.pk} "
            f"({user}) by a new Zoho consent; the previous refresh token was revoked."
        ),
    )
