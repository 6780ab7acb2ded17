"""Creating the benchmark's own databases, fresh for every run, and asking their versions."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from typing import Any

from django.conf import settings

#: Report label -> Django alias, in report order.
BACKENDS = {"SQLite": "default", "PostgreSQL": "postgres", "MariaDB": "mariadb"}

#: The database that holds the SDK's DBStore table on the MariaDB server.
SDK_DB_SUFFIX = "_sdk"


def _server(alias: str) -> dict[str, Any]:
    return settings.DATABASES[alias]


def mariadb_connect(database: str | None = None) -> Callable[[], Any]:
    """A connection factory for the bench's MariaDB server (mysql-connector, as DBStore uses)."""
    import mysql.connector

    config = _server("mariadb")

    def connect() -> Any:
        return mysql.connector.connect(
            host=config["HOST"] or "127.0.0.1",
            port=int(config["PORT"] or 3306),
            user=config["USER"],
            password=config["PASSWORD"] or "",
            database=database,
        )

    return connect


def mariadb_store_kwargs() -> dict[str, Any]:
    """Connection arguments for the SDK's ``DBStore`` (all but database and table)."""
    config = _server("mariadb")
    return {
        "host": config["HOST"] or "127.0.0.1",
        "port_number": int(config["PORT"] or 3306),
        "user_name": config["USER"],
        "password": config["PASSWORD"] or "",
    }


def _postgres_admin() -> Any:
    import psycopg

    config = _server("postgres")
    return psycopg.connect(
        host=config["HOST"] or "127.0.0.1",
        port=int(config["PORT"] or 5432),
        user=config["USER"],
        password=config["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
        connect_timeout=3,
    )


def recreate(alias: str) -> str:
    """Drop and create the database behind ``alias``; returns the server's version.

    Raises whatever the driver raises when the server does not answer.
    """
    from django.db import connections

    connections[alias].close()
    name = _server(alias)["NAME"]
    if _server(alias)["ENGINE"].endswith("sqlite3"):
        os.makedirs(os.path.dirname(name), exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal"):
            if os.path.exists(name + suffix):
                os.remove(name + suffix)
        return f"SQLite {sqlite3.sqlite_version}"
    if alias == "postgres":
        with _postgres_admin() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{name}"')
            version = connection.execute("SHOW server_version").fetchone()[0]
        return f"PostgreSQL {version}"
    if alias == "mariadb":
        connect = mariadb_connect()
        connection = connect()
        try:
            cursor = connection.cursor()
            for database in (name, name + SDK_DB_SUFFIX):
                cursor.execute(f"DROP DATABASE IF EXISTS `{database}`")
                cursor.execute(
                    f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
                )
            cursor.execute("SELECT VERSION()")
            version = cursor.fetchone()[0]
        finally:
            connection.close()
        return f"MariaDB {version}"
    raise ValueError(alias)


def migrate(alias: str) -> None:
    """Create the app's tables on ``alias``."""
    from django.core.management import call_command

    call_command("migrate", database=alias, verbosity=0, interactive=False)


def drop(alias: str) -> None:
    """Drop the bench's database behind ``alias`` at the end of a run (server ones only)."""
    from django.db import connections

    connections[alias].close()
    name = _server(alias)["NAME"]
    if alias == "postgres":
        with _postgres_admin() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    elif alias == "mariadb":
        connection = mariadb_connect()()
        try:
            cursor = connection.cursor()
            for database in (name, name + SDK_DB_SUFFIX):
                cursor.execute(f"DROP DATABASE IF EXISTS `{database}`")
        finally:
            connection.close()
