"""The stores under test, each behind the same five operations.

Every operation is prepared outside the timed region (building the SDK's ``OAuthToken``
argument, say) and returned as a callable; only that call is timed. Seeding appends
tokens, so one subject grows from 1,000 to 100,000 tokens across the run.
"""

from __future__ import annotations

import csv
import os
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any

from zohocrmsdk.src.com.zoho.api.authenticator.store.token_store import TokenStore

from bench import data
from bench.data import TokenData
from bench.store import sdk_tokens

#: The operations, in report order: (key, label).
OPERATIONS = (
    ("find_user", "find_token by user name"),
    ("find_refresh", "find_token by refresh token"),
    ("find_id", "find_token_by_id"),
    ("save", "save_token (update)"),
    ("get_tokens", "get_tokens"),
)

Call = Callable[[], Any]

#: The SDK's documented schema for ``DBStore`` (its README), which ``DBStore`` expects.
SDK_TABLE_SCHEMA = (
    "(id varchar(10) NOT NULL, user_name varchar(255) NOT NULL, client_id varchar(255), "
    "client_secret varchar(255), refresh_token varchar(255), access_token varchar(255), "
    "grant_token varchar(255), expiry_time varchar(20), redirect_url varchar(255), "
    "api_domain varchar(255), PRIMARY KEY (id))"
)


class Subject(ABC):
    """A store under test."""

    #: Short name, used in the report.
    name: str
    #: Why this subject behaves as it does (one line in the report).
    note: str = ""
    #: The operations measured on it (keys of :data:`OPERATIONS`).
    operations: tuple[str, ...] = tuple(key for key, _label in OPERATIONS)

    @abstractmethod
    def seed(self, rows: Sequence[TokenData]) -> None:
        """Append ``rows`` to the store, in bulk."""

    @abstractmethod
    def op(self, operation: str, row: TokenData, round_: int) -> Call:
        """A prepared call of ``operation`` on ``row`` (``round_`` varies saved values)."""

    def check(self, row: TokenData) -> None:
        """Fail loudly unless all three lookups find ``row`` (so no "fast" miss is timed)."""
        for operation in ("find_user", "find_refresh", "find_id"):
            found = self.op(operation, row, 0)()
            refresh = found.get_refresh_token() if found is not None else None
            if refresh != row.refresh_token:
                raise AssertionError(f"{self.name}: {operation} did not find token {row.number}")


class SdkStoreSubject(Subject):
    """Any ``TokenStore``, driven exactly as the SDK drives it."""

    def __init__(self, name: str, store: TokenStore, note: str = "") -> None:
        self.name = name
        self.store = store
        self.note = note

    def token_id(self, row: TokenData) -> str:
        """The id this store gave ``row``."""
        return row.sdk_id

    def op(self, operation: str, row: TokenData, round_: int) -> Call:
        store = self.store
        if operation == "find_user":
            by_name = sdk_tokens.by_user_name(row.user_name)
            return lambda: store.find_token(by_name)
        if operation == "find_refresh":
            by_refresh = sdk_tokens.by_refresh_token(row.refresh_token)
            return lambda: store.find_token(by_refresh)
        if operation == "find_id":
            token_id = self.token_id(row)
            return lambda: store.find_token_by_id(token_id)
        if operation == "save":
            refreshed = sdk_tokens.refreshed(row, self.token_id(row), round_)
            return lambda: store.save_token(refreshed)
        if operation == "get_tokens":
            return store.get_tokens
        raise ValueError(operation)


def fresh_file(path: str) -> str:
    """``path``, with whatever an earlier run left there removed."""
    if os.path.exists(path):
        os.remove(path)
    return path


class LocalFileSubject(SdkStoreSubject):
    """A store over a file of its own, started afresh."""

    def __init__(self, name: str, path: str, open_store: Callable[[str], TokenStore], note: str):
        self.path = fresh_file(path)
        super().__init__(name, open_store(path), note)


class FileStoreSubject(LocalFileSubject):
    """The SDK's ``FileStore``: a CSV file read (and for saves rewritten) on every call."""

    def __init__(self, path: str) -> None:
        from zohocrmsdk.src.com.zoho.api.authenticator.store.file_store import FileStore

        super().__init__(
            "FileStore (SDK, CSV)",
            path,
            FileStore,
            "reads the whole CSV per call; save rewrites it",
        )

    def seed(self, rows: Sequence[TokenData]) -> None:
        with open(self.path, "a", newline="") as handle:
            csv.writer(handle).writerows(
                ["" if value is None else value for value in row.sdk_row()] for row in rows
            )


class DBStoreSubject(SdkStoreSubject):
    """The SDK's ``DBStore`` on MariaDB, in the table its README documents."""

    def __init__(
        self, connect: Callable[[], Any], database: str, table: str, **kwargs: Any
    ) -> None:
        from zohocrmsdk.src.com.zoho.api.authenticator.store.db_store import DBStore

        self.connect = connect
        self.table = table
        with_connection(
            connect, f"DROP TABLE IF EXISTS `{table}`", f"CREATE TABLE `{table}` {SDK_TABLE_SCHEMA}"
        )
        super().__init__(
            "DBStore (SDK, MariaDB)",
            DBStore(database_name=database, table_name=table, **kwargs),
            "new connection per call; no index on user_name or refresh_token",
        )

    def seed(self, rows: Sequence[TokenData]) -> None:
        # Ids are seeded here: DBStore's own max(id)+1 over a varchar column repeats ids
        # after ten rows ('9' > '10'), so inserting through save_token cannot seed it.
        connection = self.connect()
        try:
            cursor = connection.cursor()
            for batch in data.batched(rows, 2000):
                cursor.executemany(
                    f"INSERT INTO `{self.table}` VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
                    [row.sdk_row() for row in batch],
                )
            connection.commit()
        finally:
            connection.close()


def with_connection(connect: Callable[[], Any], *statements: str) -> None:
    """Run ``statements`` on a new DB-API connection and commit."""
    connection = connect()
    try:
        cursor = connection.cursor()
        for statement in statements:
            cursor.execute(statement)
        connection.commit()
    finally:
        connection.close()


class KaizenSubject(LocalFileSubject):
    """Zoho's Kaizen SQLite sample (see :mod:`bench.store.kaizen_store`)."""

    def __init__(self, path: str) -> None:
        from bench.store.kaizen_store import KaizenSQLiteStore

        super().__init__(
            "Kaizen sample (SQLite)",
            path,
            KaizenSQLiteStore,
            "new sqlite3 connection per call; primary key is the only index",
        )

    def seed(self, rows: Sequence[TokenData]) -> None:
        from bench.store.kaizen_store import INSERT

        connection = sqlite3.connect(self.path)
        with connection:
            connection.executemany(INSERT, [row.sdk_row() for row in rows])
        connection.close()


class DjangoSubject(SdkStoreSubject):
    """``DjangoTokenStore`` on one database alias."""

    def __init__(self, label: str, alias: str, ciphers: Any) -> None:
        from zoho_tokens.sdk.store import DjangoTokenStore

        self.alias = alias
        self.ciphers = ciphers
        self.ids: dict[int, str] = {}
        super().__init__(
            f"DjangoTokenStore ({label})",
            DjangoTokenStore(using=alias),
            "reads: one precompiled SELECT per lookup shape; indexed digests; secrets "
            "decrypted per call",
        )

    def seed(self, rows: Sequence[TokenData]) -> None:
        from django.db import connections

        from zoho_tokens.models import ZohoToken

        manager = ZohoToken.objects.using(self.alias)
        for batch in data.batched(rows, 1000):
            manager.bulk_create([self.ciphers.model(row) for row in batch])
        connection = connections[self.alias]
        if connection.vendor in ("postgresql", "mysql"):
            # What autovacuum (PostgreSQL) and InnoDB's persistent statistics (MariaDB) do
            # on their own soon after a bulk load; SQLite has no such thing.
            with connection.cursor() as cursor:
                table = connection.ops.quote_name(ZohoToken._meta.db_table)
                cursor.execute(f"ANALYZE {'TABLE ' if connection.vendor == 'mysql' else ''}{table}")
                if connection.vendor == "mysql":
                    cursor.fetchall()

    def remember_ids(self, rows: Sequence[TokenData]) -> None:
        """Look up the primary keys the database gave ``rows`` (for find_token_by_id)."""
        from zoho_tokens.models import ZohoToken
        from zoho_tokens.models.fields import plain_digest

        by_digest = {plain_digest(row.user_name): row.number for row in rows}
        for batch in data.batched(list(by_digest), 500):
            found = ZohoToken.objects.using(self.alias).filter(user_name_digest__in=batch)
            for digest, pk in found.values_list("user_name_digest", "pk"):
                self.ids[by_digest[digest]] = str(pk)

    def token_id(self, row: TokenData) -> str:
        return self.ids[row.number]
