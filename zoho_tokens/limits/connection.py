"""The database connection the limiter writes on: its own, fast to commit, outside the
caller's transaction.

* Outside the caller's transaction: a slot taken inside a view's transaction
  (``ATOMIC_REQUESTS``) would stay invisible to the other workers until the view commits,
  and would keep a lock on its index entry as long. So on PostgreSQL and MySQL/MariaDB the
  limiter always writes on a connection of its own, one per thread, in autocommit.
* Fast to commit: a slot lives a second; nothing is lost if the server crashes with it. On
  PostgreSQL its connection sets ``synchronous_commit = off`` (a commit does not wait for
  the disk: a few milliseconds saved per statement on a busy disk); on MySQL/MariaDB the
  slot table is a ``MEMORY`` table (migration 0006), which has no log to flush.
* SQLite has one writer for the whole database: a second connection would only wait for
  the caller's transaction to end, so the limiter writes on the caller's connection.

Its connections follow ``CONN_MAX_AGE`` as Django's own do: closed at the end of each
request when it is 0 (:func:`close_old_limiter_connections`, connected to
``request_finished``).

The statements are plain SQL (one round trip each, no model instances on the way): an
insert that ignores a taken slot, in each database's own words.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from django.db import IntegrityError, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

__all__ = [
    "FAST_COMMIT",
    "close_limiter_connections",
    "close_old_limiter_connections",
    "connection_for",
    "execute",
    "fetch",
    "insert_ignoring_conflict",
]

_own = threading.local()


class _ThreadEnd:
    """Held by one thread alone (in :data:`_own`): dropped the moment the thread ends, when
    its finalizer closes that thread's limiter connection. Without it the connection waits
    for the garbage collector (a database wrapper is full of reference cycles), and a
    program that starts many short threads holds as many idle server connections."""

    __slots__ = ("__weakref__",)


#: Every connection of the limiter, of every thread, to close them all.
_every: weakref.WeakSet[BaseDatabaseWrapper] = weakref.WeakSet()
_every_lock = threading.Lock()


def connection_for(using: str) -> BaseDatabaseWrapper:
    """The connection of alias ``using`` whose writes every worker sees at once."""
    connection = connections[using]
    if connection.vendor == "sqlite" or (
        connection.vendor not in FAST_COMMIT and not connection.in_atomic_block
    ):
        return connection
    own: BaseDatabaseWrapper | None = getattr(_own, using, None)
    if own is None:
        own = connections.create_connection(using)
        # Only this thread uses it; close_limiter_connections() may close it from another.
        own.inc_thread_sharing()
        setattr(_own, using, own)
        end = _ThreadEnd()
        setattr(_own, f"{using}:end", end)
        weakref.finalize(end, own.close)
        with _every_lock:
            _every.add(own)
    elif own.errors_occurred:
        # A server restarted or a connection cut: start afresh rather than fail every call.
        own.errors_occurred = False
        if not own.is_usable():
            own.close()
    own.ensure_connection()
    if getattr(own, "_zoho_configured", None) is not own.connection:
        statement = FAST_COMMIT.get(own.vendor)
        if statement:
            with own.cursor() as cursor:
                cursor.execute(statement)
        own._zoho_configured = own.connection  # type: ignore[attr-defined]
    return own


#: The databases where the limiter writes on a connection of its own, and what makes that
#: connection commit without waiting for the disk.
FAST_COMMIT = {"postgresql": "SET synchronous_commit TO OFF", "mysql": ""}


def close_old_limiter_connections(**kwargs: Any) -> None:
    """Close this thread's limiter connections that are past ``CONN_MAX_AGE`` or broken
    (connected to ``request_finished``, as Django closes its own)."""
    for own in list(vars(_own).values()):
        if isinstance(own, BaseDatabaseWrapper):
            own.close_if_unusable_or_obsolete()


def close_limiter_connections() -> None:
    """Close every limiter connection of every thread (before a database is dropped)."""
    with _every_lock:
        every = list(_every)
    for own in every:
        own.close()


def insert_ignoring_conflict(
    connection: BaseDatabaseWrapper, table: str, columns: tuple[str, ...], values: tuple[Any, ...]
) -> bool:
    """Insert one row unless it clashes with a unique constraint; whether it was inserted."""
    sql, ignores = _insert_sql(connection.vendor, connection.ops.quote_name, table, columns)
    if ignores:
        with connection.cursor() as cursor:
            cursor.execute(sql, values)
            return bool(cursor.rowcount == 1)
    # Another database: a savepoint keeps the caller's transaction alive after the clash.
    try:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute(sql, values)
    except IntegrityError:
        return False
    return True


@lru_cache(maxsize=64)
def _insert_sql(
    vendor: str, quote: Callable[[str], str], table: str, columns: tuple[str, ...]
) -> tuple[str, bool]:
    """The insert (built once per database and table: every call of the limiter uses it),
    and whether it ignores a clash by itself."""
    verb, tail = {
        "postgresql": ("INSERT INTO", " ON CONFLICT DO NOTHING"),
        "sqlite": ("INSERT OR IGNORE INTO", ""),
        "mysql": ("INSERT IGNORE INTO", ""),
    }.get(vendor, ("INSERT INTO", ""))
    sql = (
        f"{verb} {quote(table)} ({', '.join(quote(c) for c in columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))}){tail}"
    )
    return sql, vendor in ("postgresql", "sqlite", "mysql")


def _with_table(connection: BaseDatabaseWrapper, template: str, table: str) -> str:
    return _statement(connection.ops.quote_name, template, table)


@lru_cache(maxsize=256)
def _statement(quote: Callable[[str], str], template: str, table: str) -> str:
    # The table's name comes from a model's Meta, never from input: only values are
    # parameters.
    return template.replace("{table}", quote(table))


def execute(
    connection: BaseDatabaseWrapper, template: str, table: str, values: tuple[Any, ...]
) -> int:
    """Run one statement (``{table}`` in ``template`` names ``table``) on ``connection``;
    the number of rows it touched."""
    with connection.cursor() as cursor:
        cursor.execute(_with_table(connection, template, table), values)
        return int(cursor.rowcount)


def fetch(
    connection: BaseDatabaseWrapper, template: str, table: str, values: tuple[Any, ...]
) -> list[tuple[Any, ...]]:
    """The rows of one query (``{table}`` in ``template`` names ``table``) on ``connection``."""
    with connection.cursor() as cursor:
        cursor.execute(_with_table(connection, template, table), values)
        return list(cursor.fetchall())
