"""Zoho's limits, respected by every worker: calls in flight, 429s, and Zoho's figures.

``gate`` (the cap on calls in flight per organisation and service: :func:`call_slot`,
:func:`acall_slot`), ``releaser`` (freeing finished calls' slots off the caller's path),
``observe`` (what each answer says, acted on: back-offs, a token's
real expiry), ``answers`` (reading the headers), ``figures`` and ``stores`` (where every
worker sees them: the database, or Django's cache), ``status`` (what a person sees).
"""

from __future__ import annotations

from zoho_tokens.limits.gate import CallSlot, acall_slot, call_slot, organization_of
from zoho_tokens.limits.observe import Observed, after_answer
from zoho_tokens.limits.status import LimitStatus, status, statuses

__all__ = [
    "CallSlot",
    "LimitStatus",
    "Observed",
    "acall_slot",
    "after_answer",
    "call_slot",
    "organization_of",
    "status",
    "statuses",
]
