"""What a session does when Zoho rejects an access token, shared by the blocking session
(:mod:`zoho_tokens.api.session`) and the async one (:mod:`zoho_tokens.api.asession`):
whether a refresh can help at all, and which error to raise when the refreshed token is
rejected too. The sessions only read and write the cache (blocking or awaited) and send.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from zoho_tokens.api import errors as api_errors
from zoho_tokens.api.services import Service

__all__ = [
    "REFUSED_MEMORY_SECONDS",
    "Rejection",
    "refused_memory_key",
    "remembers_refusal",
]

#: Seconds during which a Books 57 for a token does not force another refresh, once a
#: freshly refreshed token was refused too (a permission, not a dead token). Without it,
#: every call a user's role forbids would spend one of Zoho's 10 refreshes per 10 minutes.
REFUSED_MEMORY_SECONDS = 600


def refused_memory_key(service: Service, token_id: object) -> str:
    """The cache key that remembers a refusal a refresh did not cure."""
    return f"zoho_tokens:api:refused:{service.name}:{token_id}"


def remembers_refusal(service: Service, error: api_errors.ZohoError) -> bool:
    """Whether ``error`` is one a refresh may not cure (Books' 57: a scope or a role)."""
    return service.name == "books" and error.code == "57"


@dataclass(frozen=True)
class Rejection:
    """One access token Zoho rejected, for one call (``endpoint``: method and URL)."""

    service: Service
    token_id: object
    endpoint: tuple[str, str]
    granted: Sequence[str]

    def before_refresh(
        self, first: api_errors.ZohoError, *, remembered: bool, logger: logging.Logger
    ) -> Exception | None:
        """The error to raise without refreshing (a refresh cannot help), else None after
        logging the refresh about to be spent. ``remembered``: the cache holds a refusal
        a refresh did not cure, for this token."""
        if remembers_refusal(self.service, first):
            # A scope the token was never granted: no refresh can help, so none is spent.
            missing = api_errors.books_missing_scope(
                self.token_id, first, self.endpoint, self.granted
            )
            if missing is not None:
                return missing
            if remembered:
                return api_errors.refused_after_refresh(
                    self.service,
                    self.token_id,
                    first,
                    refreshed=False,
                    call=self.endpoint,
                    granted=self.granted,
                )
        logger.info(
            "Zoho token %s: %s rejected its access token (%s); refreshing once and retrying.",
            self.token_id,
            self.service.label,
            first.code,
        )
        return None

    def after_refresh(self, error: api_errors.ZohoError, granted: Sequence[str]) -> Exception:
        """The error to raise when the refreshed token (granted ``granted``) is rejected
        too; remember it (:func:`remembers_refusal`) when the caller should."""
        return api_errors.refused_after_refresh(
            self.service, self.token_id, error, call=self.endpoint, granted=granted
        )
