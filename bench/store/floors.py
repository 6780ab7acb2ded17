"""The floors: what the database alone costs, with no store around it.

SQLite's floor (in-process, the one the targets are judged against) and each database
server's own (one round trip through Django's open connection).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from bench import data
from bench.data import TokenData
from bench.store.subjects import Call, Subject, fresh_file


class FloorSubject(Subject):
    """The floor: one parameterised statement on an already-open ``sqlite3`` connection.

    Same columns as the SDK's table, plaintext, with indexes on user name and refresh
    token; a read is one indexed SELECT, a save one UPDATE by primary key and a commit.
    Nothing is built or decrypted: this is what the database itself costs.
    """

    name = "floor (raw sqlite3)"
    note = "open connection; one indexed statement"

    def __init__(self, path: str) -> None:
        self.connection = sqlite3.connect(fresh_file(path))
        self.connection.executescript(
            "CREATE TABLE tokens (id INTEGER PRIMARY KEY, user_name TEXT NOT NULL, "
            "client_id TEXT, client_secret TEXT, refresh_token TEXT, access_token TEXT, "
            "grant_token TEXT, expiry_time TEXT, redirect_url TEXT, api_domain TEXT);"
            "CREATE INDEX tokens_user_name ON tokens (user_name);"
            "CREATE INDEX tokens_refresh_token ON tokens (refresh_token);"
        )

    def seed(self, rows: Sequence[TokenData]) -> None:
        with self.connection:
            self.connection.executemany(
                "INSERT INTO tokens VALUES (?,?,?,?,?,?,?,?,?,?)",
                [(row.number, *row.sdk_row()[1:]) for row in rows],
            )

    def op(self, operation: str, row: TokenData, round_: int) -> Call:
        execute = self.connection.execute
        if operation == "find_user":
            name = (row.user_name,)
            return lambda: execute("SELECT * FROM tokens WHERE user_name = ?", name).fetchone()
        if operation == "find_refresh":
            refresh = (row.refresh_token,)
            return lambda: execute(
                "SELECT * FROM tokens WHERE refresh_token = ?", refresh
            ).fetchone()
        if operation == "find_id":
            key = (row.number,)
            return lambda: execute("SELECT * FROM tokens WHERE id = ?", key).fetchone()
        if operation == "save":
            values = (data.new_access_token(row.number, round_), str(row.expires_at_ms), row.number)
            return lambda: self._update(values)
        if operation == "get_tokens":
            return lambda: execute("SELECT * FROM tokens").fetchall()
        raise ValueError(operation)

    def _update(self, values: tuple[Any, ...]) -> None:
        self.connection.execute(
            "UPDATE tokens SET access_token = ?, expiry_time = ? WHERE id = ?", values
        )
        self.connection.commit()

    def check(self, row: TokenData) -> None:
        for operation in ("find_user", "find_refresh", "find_id"):
            found = self.op(operation, row, 0)()
            if found is None or found[4] != row.refresh_token:
                raise AssertionError(f"{self.name}: {operation} did not find token {row.number}")

    def close(self) -> None:
        """Close the open connection."""
        self.connection.close()


class ServerFloorSubject(Subject):
    """A server's own floor: one parameterised indexed SELECT on Django's open connection,
    on the table ``DjangoTokenStore`` uses there (by digest, as the store looks rows up).

    Not the floor the targets are judged against (that is SQLite's, in-process); it shows
    what one round trip to the server costs before any Python work.
    """

    operations = ("find_user", "find_refresh", "find_id")

    def __init__(self, label: str, alias: str) -> None:
        from django.db import connections

        from zoho_tokens.models import ZohoToken

        self.name = f"floor ({label}, raw SQL)"
        self.note = "Django's open connection; one indexed SELECT by digest or id"
        self.alias = alias
        self.connection = connections[alias]
        quote = self.connection.ops.quote_name
        table = quote(ZohoToken._meta.db_table)
        self.sql = {
            column: f"SELECT * FROM {table} WHERE {quote(column)} = %s"
            for column in ("user_name_digest", "refresh_token_digest", "id")
        }
        self.ids: dict[int, int] = {}

    def seed(self, rows: Sequence[TokenData]) -> None:
        """Nothing: it reads the table ``DjangoTokenStore`` was seeded into."""

    def op(self, operation: str, row: TokenData, round_: int) -> Call:
        from zoho_tokens.models.crypto import keyring
        from zoho_tokens.models.fields import plain_digest

        if operation == "find_user":
            column, value = "user_name_digest", plain_digest(row.user_name)
        elif operation == "find_refresh":
            column, value = "refresh_token_digest", keyring().digest(row.refresh_token)
        elif operation == "find_id":
            column, value = "id", self._id(row)
        else:
            raise ValueError(operation)
        sql, params = self.sql[column], (value,)

        def select() -> Any:
            with self.connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchone()

        return select

    def _id(self, row: TokenData) -> int:
        from zoho_tokens.models import ZohoToken
        from zoho_tokens.models.fields import plain_digest

        if row.number not in self.ids:
            rows = ZohoToken.objects.using(self.alias)
            self.ids[row.number] = rows.get(user_name_digest=plain_digest(row.user_name)).pk
        return self.ids[row.number]

    def check(self, row: TokenData) -> None:
        for operation in self.operations:
            if self.op(operation, row, 0)() is None:
                raise AssertionError(f"{self.name}: {operation} did not find token {row.number}")
