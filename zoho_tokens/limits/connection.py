"""The database connection the limiter writes on: never inside the caller's transaction.

A slot taken inside a view's transaction (``ATOMIC_REQUESTS``) would stay invisible to the
other workers until the view commits, and would keep a lock on its index entry as long:
the limiter would count nothing and make others wait on the wrong thing. So when the
caller is inside a transaction, the limiter writes on a connection of its own, one per
thread, in autocommit. SQLite is the exception: it has one writer for the whole database,
so a second connection would only wait for the caller's transaction to end; there, the
limiter writes on the caller's connection.

The statements are plain SQL (one round trip each, no model instances on the way): an
insert that ignores a taken slot, in each database's own words.
"""

from __future__ import annotations

import threading
from typing import Any

from django.db import IntegrityError, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

__all__ = ["connection_for", "execute", "fetch", "insert_ignoring_conflict"]

_own = threading.local()


def connection_for(using: str) -> BaseDatabaseWrapper:
    """The connection of alias ``using`` whose writes every worker sees at once."""
    connection = connections[using]
    if not connection.in_atomic_block or connection.vendor == "sqlite":
        return connection
    own: BaseDatabaseWrapper | None = getattr(_own, using, None)
    if own is None:
        own = connections.create_connection(using)
        setattr(_own, using, own)
    return own


def _insert_verb(connection: BaseDatabaseWrapper) -> tuple[str, str]:
    if connection.vendor == "postgresql":
        return "INSERT INTO", " ON CONFLICT DO NOTHING"
    if connection.vendor == "sqlite":
        return "INSERT OR IGNORE INTO", ""
    if connection.vendor == "mysql":
        return "INSERT IGNORE INTO", ""
    return "INSERT INTO", ""


def insert_ignoring_conflict(
    connection: BaseDatabaseWrapper, table: str, columns: tuple[str, ...], values: tuple[Any, ...]
) -> bool:
    """Insert one row unless it clashes with a unique constraint; whether it was inserted."""
    verb, tail = _insert_verb(connection)
    quote = connection.ops.quote_name
    sql = (
        f"{verb} {quote(table)} ({', '.join(quote(c) for c in columns)}) "
        f"VALUES ({', '.join(['%s'] * len(values))}){tail}"
    )
    if tail or verb != "INSERT INTO":
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


def _with_table(connection: BaseDatabaseWrapper, template: str, table: str) -> str:
    # The table's name comes from a model's Meta, never from input: only values are
    # parameters.
    return template.replace("{table}", connection.ops.quote_name(table))


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
