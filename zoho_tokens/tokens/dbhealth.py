"""Getting over a lost database connection.

Django checks its connections only at the start and end of a request, so a worker outside
requests (a task, a command), or a request that meets a dropped connection half-way, keeps
failing on the dead one ("the connection is closed", a bare ``InterfaceError``) for ever.
Take :func:`snapshot` before a call; when the call fails, :func:`lost_connection` closes a
connection that no longer answers, so that the next query opens a new one, and says
whether the call met a connection that died.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable

from django.db import connections

__all__ = ["lost_connection", "snapshot"]

#: The driver's connection of each alias (None when closed), to compare after a failure.
Snapshot = dict[str, object]


def snapshot(aliases: Iterable[str]) -> Snapshot:
    """The open connections of ``aliases`` now."""
    return {alias: connections[alias].connection for alias in set(aliases)}


def lost_connection(before: Snapshot) -> bool:
    """After a failure: close each connection of ``before`` that no longer answers, and
    return whether one that was open before is gone (closed here, or replaced by Django,
    which reconnects when the rollback of a failed atomic block shows the connection dead).
    The failed call can then be repeated on a new connection.

    A connection inside an atomic block is left alone: the block's owner is told by the
    error it gets, and Django drops the connection when the block's rollback fails.
    """
    lost = False
    for alias, raw in before.items():
        connection = connections[alias]
        if raw is None or connection.in_atomic_block:
            continue
        if connection.connection is not raw:
            lost = True
            continue
        try:
            usable = connection.is_usable()
        except Exception:  # noqa: BLE001 (a driver's own error on a dead socket)
            usable = False
        if not usable:
            # Closing a dead connection may fail too; it is forgotten either way.
            with contextlib.suppress(Exception):
                connection.close()
            connection.connection = None
            lost = True
    return lost
