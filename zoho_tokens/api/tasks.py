"""Calls as a user from background tasks, for any task engine (Celery, Django's tasks, RQ).

A task gets a user id (never a token, never a user object pickled with stale state), and
does its Zoho calls inside :func:`zoho_task`::

    @app.task(bind=True, max_retries=5)
    def sync_leads(self, user_id):
        try:
            with zoho_task(user_id) as user, acting_as(user):
                ...  # the SDK, or session_for(user, "books")
        except RetryLater as later:
            raise self.retry(countdown=later.seconds) from later

:func:`zoho_task` turns this package's errors into the two answers a task engine needs:

* :class:`GiveUp`: retrying cannot help, the user must act (they disconnected, Zoho
  refused their refresh token, a scope is missing, the user was deleted). Let it fail the
  task at once.
* :class:`RetryLater`: Zoho throttled (``seconds`` from Zoho's ``Retry-After``, or the
  back-off the refresh recorded) or was unavailable (down, slow, a refresh in progress
  elsewhere). Schedule the task again in ``seconds``.

Anything else (a :class:`~zoho_tokens.exceptions.ZohoAPIError` refusing one call, a bug)
passes through unchanged: the task decides.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model

from zoho_tokens.exceptions import NoUsableTokenError, ZohoThrottledError, ZohoUnavailableError

__all__ = [
    "DEFAULT_RETRY_SECONDS",
    "GiveUp",
    "RetryLater",
    "TaskVerdict",
    "task_verdict",
    "zoho_task",
]

#: Seconds to wait before retrying when Zoho did not say (down, slow, a 5xx).
DEFAULT_RETRY_SECONDS = 30
#: Seconds to wait after a throttle without ``Retry-After``: Zoho CRM's limits are per
#: minute.
THROTTLED_RETRY_SECONDS = 60


@dataclass(frozen=True)
class TaskVerdict:
    """What a task should do after one of this package's errors: give up, or retry after
    ``retry_in`` seconds."""

    give_up: bool
    retry_in: int | None
    reason: str


class GiveUp(Exception):
    """The task cannot succeed until the user acts (connects Zoho again); do not retry.

    ``user_id`` is the task's user; the original error is the ``__cause__``.
    """

    def __init__(self, user_id: object, reason: str) -> None:
        # The arguments as given, so that task engines can rebuild it from a result.
        super().__init__(user_id, reason)
        self.user_id = user_id
        self.reason = reason

    def __str__(self) -> str:
        return f"Zoho task of user {self.user_id}: giving up: {self.reason}"


class RetryLater(Exception):
    """Zoho is throttling or unavailable: run the task again in ``seconds`` seconds."""

    def __init__(self, user_id: object, seconds: int, reason: str) -> None:
        super().__init__(user_id, seconds, reason)
        self.user_id = user_id
        self.seconds = seconds
        self.reason = reason

    def __str__(self) -> str:
        return f"Zoho task of user {self.user_id}: retry in {self.seconds} s: {self.reason}"


def task_verdict(error: BaseException) -> TaskVerdict | None:
    """Give up or retry after ``error``; None for an error that is not about the user's
    token or Zoho's availability (the task's own business)."""
    if isinstance(error, NoUsableTokenError):
        return TaskVerdict(True, None, str(error))
    if isinstance(error, ZohoThrottledError):
        seconds = error.retry_after
        wait = THROTTLED_RETRY_SECONDS if seconds is None else max(1, math.ceil(seconds))
        return TaskVerdict(False, wait, str(error))
    if isinstance(error, ZohoUnavailableError):
        return TaskVerdict(False, DEFAULT_RETRY_SECONDS, str(error))
    return None


@contextmanager
def zoho_task(user_id: Any) -> Iterator[Any]:
    """The user ``user_id``, for the calls inside; our errors become :class:`GiveUp` or
    :class:`RetryLater` (see the module docstring). A deleted user is :class:`GiveUp`."""
    user = get_user_model()._default_manager.filter(pk=user_id).first()
    if user is None:
        raise GiveUp(user_id, "the user no longer exists.")
    try:
        yield user
    except (NoUsableTokenError, ZohoUnavailableError) as err:
        verdict = task_verdict(err)
        assert verdict is not None  # every error caught here has one
        if verdict.give_up:
            raise GiveUp(user_id, verdict.reason) from err
        raise RetryLater(
            user_id, verdict.retry_in or DEFAULT_RETRY_SECONDS, verdict.reason
        ) from err
