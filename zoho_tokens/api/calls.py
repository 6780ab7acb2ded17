"""The parts of one call of a session (:mod:`zoho_tokens.api.session`): the token's row
as stored now, and what a retry after a refresh sends again with its deadline.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import router

from zoho_tokens.accounts.deadline import Deadline
from zoho_tokens.models import ZohoToken
from zoho_tokens.tokens.lookups import Lookup, active_token_of_user, read_active, require_usable

__all__ = ["Call", "reread", "row_of"]


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


@dataclass(frozen=True)
class Call:
    """One call of a session: what to send again after a refresh, and its deadline."""

    method: str | bytes
    url: str
    params: Any
    kwargs: dict[str, Any]
    deadline: Deadline
