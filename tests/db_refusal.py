"""A database that refuses every write to the token table, with a real database error.

A trigger on each backend (SQLite, PostgreSQL, MariaDB). MariaDB commits implicitly around
``CREATE TRIGGER``, so tests using this need ``django_db(transaction=True)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

from zoho_tokens.models import ZohoToken

NAME = "zoho_tokens_test_refuse_writes"


def _statements(table: str) -> tuple[list[str], list[str]]:
    """The statements that install and remove the refusing triggers on this backend."""
    if connection.vendor == "sqlite":
        return [
            f"CREATE TRIGGER {NAME}_{event.lower()} BEFORE {event} ON {table} "
            "BEGIN SELECT RAISE(ABORT, 'writes refused'); END"
            for event in ("INSERT", "UPDATE")
        ], [f"DROP TRIGGER IF EXISTS {NAME}_{event}" for event in ("insert", "update")]
    if connection.vendor == "postgresql":
        return [
            f"CREATE OR REPLACE FUNCTION {NAME}() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION 'writes refused'; END $$ LANGUAGE plpgsql",
            f"CREATE TRIGGER {NAME} BEFORE INSERT OR UPDATE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {NAME}()",
        ], [f"DROP TRIGGER IF EXISTS {NAME} ON {table}", f"DROP FUNCTION IF EXISTS {NAME}()"]
    return [
        f"CREATE TRIGGER {NAME}_{event.lower()} BEFORE {event} ON {table} FOR EACH ROW "
        "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'writes refused'"
        for event in ("INSERT", "UPDATE")
    ], [f"DROP TRIGGER IF EXISTS {NAME}_{event}" for event in ("insert", "update")]


@contextmanager
def refusing_writes() -> Iterator[None]:
    """While inside, every INSERT or UPDATE of ``ZohoToken`` fails in the database."""
    install, remove = _statements(ZohoToken._meta.db_table)
    with connection.cursor() as cursor:
        for statement in install:
            cursor.execute(statement)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for statement in remove:
                cursor.execute(statement)
