"""Who is acting: the user, an administrator, a management command, or the application.

The edges say it (:func:`acting`: the views for the user, the admin, the commands); every
event recorded meanwhile in a token's history carries it. Nothing said means the
application itself (``worker``): a refresh inside a page, a task, a job.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from zoho_tokens.models import Actor


@dataclass(frozen=True)
class Acting:
    """The actor of the events recorded now, and the Django user's id when a person acts."""

    actor: str = Actor.WORKER
    user_id: int | None = None


_APPLICATION = Acting()
_current: ContextVar[Acting | None] = ContextVar("zoho_tokens_actor", default=None)


@contextmanager
def acting(actor: str, user: object = None) -> Iterator[Acting]:
    """Record the events of the ``with`` block as done by ``actor`` (an :class:`Actor`),
    and by the Django ``user`` when a person acts."""
    if actor not in Actor.values:
        raise ValueError(f"{actor!r} is not one of {sorted(Actor.values)}")
    pk = getattr(user, "pk", None) if getattr(user, "is_authenticated", False) else None
    token = _current.set(Acting(actor, pk))
    try:
        yield current()
    finally:
        _current.reset(token)


def current() -> Acting:
    """Who is acting now (the application, unless an edge said otherwise)."""
    return _current.get() or _APPLICATION
