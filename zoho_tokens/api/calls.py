"""The parts of one call of a session (:mod:`zoho_tokens.api.session`): the token's row
as stored now, and what a retry after a refresh sends again with its deadline.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import router

from zoho_tokens.accounts.deadline import Deadline
from zoho_tokens.exceptions import NoUsableTokenError
from zoho_tokens.models import ZohoToken
from zoho_tokens.tokens.lookups import (
    Lookup,
    active_token_of_user,
    read_active,
    require_owner,
    require_usable,
)
from zoho_tokens.tokens.refresh import ensure_fresh

__all__ = ["Call", "fresh_row", "reread", "row_of"]


def row_of(user_or_token: Any) -> ZohoToken:
    """The token a session is for: the row given (re-read), else the user's active one."""
    if isinstance(user_or_token, ZohoToken):
        return reread(user_or_token.pk)
    using = router.db_for_read(ZohoToken)
    return active_token_of_user(user_or_token, using, caller="session_for", service="Zoho")


def reread(pk: int) -> ZohoToken:
    """Token ``pk`` as stored now; NoUsableTokenError (or a kind of it) unless active."""
    # Every request re-reads the row: the precompiled read of lookups.py keeps that cheap.
    row = read_active(Lookup((("id", (pk,)),)), router.db_for_read(ZohoToken))
    if row is not None:
        return row
    row = ZohoToken.objects.filter(pk=pk).first()
    return require_usable(row, pk, unless="; the user must connect Zoho again")


def fresh_row(token_id: int, owner_id: object, deadline: Deadline) -> ZohoToken:
    """Token ``token_id`` as stored now, still ``owner_id``'s, refreshed when due."""
    row = require_owner(reread(token_id), owner_id)
    row = require_owner(ensure_fresh(row, deadline=deadline), owner_id)
    if not row.access_token_encrypted:
        raise NoUsableTokenError(
            f"Zoho token {token_id} has no access token and nothing to refresh it "
            "with; the user must connect Zoho again."
        )
    return row


@dataclass(frozen=True)
class Call:
    """One call of a session: what to send again after a refresh, and its deadline."""

    method: str | bytes
    url: str
    params: Any
    kwargs: dict[str, Any]
    deadline: Deadline
