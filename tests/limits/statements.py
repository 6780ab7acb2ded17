"""The statements the limiter runs, on whichever of its connections (PostgreSQL, MariaDB:
a pool of its own, lent per take; SQLite: the caller's), and in which thread."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created

from zoho_tokens.limits.connection import close_limiter_connections, limiter_connection

#: The thread of :mod:`zoho_tokens.limits.releaser`.
RELEASER = "zoho-tokens-slot-releaser"


@dataclass
class Statements:
    """(thread name, SQL) of each statement run, in order."""

    run: list[tuple[str, str]] = field(default_factory=list)

    def verbs(self, *, releaser: bool = False) -> list[str]:
        """The first word of each statement, the releaser thread's left out unless asked,
        and a new connection's setting up (``SET synchronous_commit``) always."""
        return [
            sql.split()[0]
            for name, sql in self.run
            if (releaser or name != RELEASER) and not sql.startswith("SET ")
        ]


@contextmanager
def limiter_statements(using: str = "default") -> Iterator[Statements]:
    """Record every statement run on the limiter's connections of ``using`` and on this
    thread's own connection (SQLite's limiter uses it). The limiter's connections are
    closed first, so that every one it uses from now on is seen as it connects; one is
    opened (and warmed) before recording starts."""
    close_limiter_connections()
    seen = Statements()
    wrapped: list[BaseDatabaseWrapper] = []

    def record(execute: Callable[..., Any], sql: str, *args: Any) -> Any:
        seen.run.append((threading.current_thread().name, sql))
        return execute(sql, *args)

    def watch(connection: BaseDatabaseWrapper) -> None:
        if connection.alias == using and all(connection is not w for w in wrapped):
            connection.execute_wrappers.append(record)
            wrapped.append(connection)

    def created(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
        watch(connection)

    connection_created.connect(created, weak=False)
    watch(connections[using])
    try:
        with limiter_connection(using) as own:
            watch(own)
        seen.run.clear()
        yield seen
    finally:
        connection_created.disconnect(created)
        for connection in wrapped:
            connection.execute_wrappers.remove(record)
