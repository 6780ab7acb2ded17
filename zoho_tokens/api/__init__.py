"""Every Zoho API as the user: sessions that carry one user's own token.

``session`` (``session_for`` and ``ZohoSession``), ``asession`` (``asession_for`` and
``AsyncZohoSession``, for async code), ``arefresh`` (their tokens, fresh, per coroutine),
``tasks`` (calls as a user from task
workers: give up or retry later), ``wire`` (the one place a request is
sent), ``errors`` (Zoho's answers as this package's exceptions), ``services`` (each API's
host and the context it needs).
"""

from __future__ import annotations

from zoho_tokens.api.asession import AsyncZohoSession, asession_for
from zoho_tokens.api.session import ZohoSession, session_for
from zoho_tokens.api.tasks import GiveUp, RetryLater, TaskVerdict, task_verdict, zoho_task

__all__ = [
    "AsyncZohoSession",
    "GiveUp",
    "RetryLater",
    "TaskVerdict",
    "ZohoSession",
    "asession_for",
    "session_for",
    "task_verdict",
    "zoho_task",
]
