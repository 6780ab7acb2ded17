"""Operations on stored tokens: each one talks to Zoho Accounts and the database, and
returns what it did.

``connect`` (a grant code to a stored token), ``consent`` (asking for more scopes, or
another data centre), ``refresh`` (single-flight across processes, under ``lock``),
``revocation``, ``rotation`` (re-encrypting), ``cleanup``, ``transfers`` (a Zoho account
moving between users), ``lookups``, and the database's own health (``dbhealth``, ``sqlite``).
The public names are importable from here.
"""

from __future__ import annotations

from zoho_tokens.tokens.cleanup import CATEGORIES, Category, Writer, run_cleanup
from zoho_tokens.tokens.connect import ConnectResult, connect_with_code
from zoho_tokens.tokens.consent import (
    ScopeNotAllowedError,
    connect_url,
    connect_url_for,
    consent_redirect,
    consent_scopes,
    finish_enhancement,
    requested_scopes,
    start_enhancement,
)
from zoho_tokens.tokens.revocation import (
    BulkRevocationResult,
    RevocationResult,
    retry_pending_revocations,
    revoke_token,
    revoke_tokens,
    revoke_tokens_of_deleted_user,
)

__all__ = [
    "CATEGORIES",
    "BulkRevocationResult",
    "Category",
    "ConnectResult",
    "RevocationResult",
    "ScopeNotAllowedError",
    "Writer",
    "connect_url",
    "connect_url_for",
    "connect_with_code",
    "consent_redirect",
    "consent_scopes",
    "finish_enhancement",
    "requested_scopes",
    "retry_pending_revocations",
    "revoke_token",
    "revoke_tokens",
    "revoke_tokens_of_deleted_user",
    "run_cleanup",
    "start_enhancement",
]
