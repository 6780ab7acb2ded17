"""A token store written the way Zoho's "Kaizen" SQLite sample writes it.

Zoho's sample (``CustomStoreSQLite``) opens a new ``sqlite3`` connection for every call,
keeps plaintext secrets in a table whose only index is the primary key (a ``varchar`` id),
and matches tokens in the SDK's order (user name, access token, grant token, refresh
token). This copy keeps all of that, because that is what is being measured, with one
deliberate difference: every query is parameterised, where the sample concatenates values
into its SQL (an injection hole not worth copying, even into a benchmark). The sample's
``UPDATE ... LIMIT 1`` is also dropped: Python's ``sqlite3`` is not built with
``SQLITE_ENABLE_UPDATE_DELETE_LIMIT``, so that statement does not even run.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
from zohocrmsdk.src.com.zoho.api.authenticator.store.token_store import TokenStore
from zohocrmsdk.src.com.zoho.crm.api.exception.sdk_exception import SDKException
from zohocrmsdk.src.com.zoho.crm.api.user_signature import UserSignature

#: The sample's table, verbatim.
CREATE_TABLE = (
    "CREATE TABLE IF NOT EXISTS oauthtoken (id varchar(10) NOT NULL, user_name varchar(255), "
    "client_id varchar(255), client_secret varchar(255), refresh_token varchar(255), "
    "access_token varchar(255), grant_token varchar(255), expiry_time varchar(20), "
    "redirect_url varchar(255), api_domain varchar(255), primary key (id))"
)
COLUMNS = (
    "id, user_name, client_id, client_secret, refresh_token, access_token, grant_token, "
    "expiry_time, redirect_url, api_domain"
)
INSERT = f"INSERT INTO oauthtoken ({COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)"


def _where(token: OAuthToken) -> tuple[str, Any] | None:
    """The sample's match order, as a parameterised WHERE clause."""
    signature = token.get_user_signature()
    name = signature.get_name() if signature is not None else None
    if name:
        return "user_name = ?", name
    client_id, client_secret = token.get_client_id(), token.get_client_secret()
    if token.get_access_token() and client_id is None and client_secret is None:
        return "access_token = ?", token.get_access_token()
    if client_id is not None and client_secret is not None:
        if token.get_grant_token():
            return "grant_token = ?", token.get_grant_token()
        if token.get_refresh_token():
            return "refresh_token = ?", token.get_refresh_token()
    return None


def _merge(token: OAuthToken, row: tuple[Any, ...]) -> OAuthToken:
    """Copy stored values into the fields of ``token`` that are None (the SDK's rule)."""
    if token.get_id() is None:
        token.set_id(row[0])
    if token.get_user_signature() is None and row[1]:
        token.set_user_signature(UserSignature(row[1]))
    setters = (
        (2, token.get_client_id, token.set_client_id),
        (3, token.get_client_secret, token.set_client_secret),
        (4, token.get_refresh_token, token.set_refresh_token),
        (5, token.get_access_token, token.set_access_token),
        (6, token.get_grant_token, token.set_grant_token),
        (7, token.get_expires_in, token.set_expires_in),
        (8, token.get_redirect_url, token.set_redirect_url),
        (9, token.get_api_domain, token.set_api_domain),
    )
    for column, getter, setter in setters:
        if getter() is None:
            setter(row[column])
    return token


def _blank_token() -> OAuthToken:
    token = object.__new__(OAuthToken)
    for setter in (
        token.set_id,
        token.set_user_signature,
        token.set_client_id,
        token.set_client_secret,
        token.set_refresh_token,
        token.set_access_token,
        token.set_grant_token,
        token.set_redirect_url,
        token.set_expires_in,
        token.set_api_domain,
    ):
        setter(None)
    return token


class KaizenSQLiteStore(TokenStore):
    """Zoho's sample SQLite store: a new connection per call, no index but the primary key."""

    def __init__(self, db_name: str) -> None:
        self.db_name = db_name
        with sqlite3.connect(self.db_name) as connection:
            connection.execute(CREATE_TABLE)
        connection.close()

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.db_name)

    def find_token(self, token: OAuthToken) -> OAuthToken | None:
        """Fill ``token`` from the first matching row, or None."""
        where = _where(token)
        query = "SELECT * FROM oauthtoken" + (f" WHERE {where[0]}" if where else "") + " LIMIT 1"
        connection = self._connect()
        try:
            row = connection.execute(query, (where[1],) if where else ()).fetchone()
        except sqlite3.Error as err:
            raise SDKException("TOKEN_STORE", "find_token failed", cause=err) from err
        finally:
            connection.close()
        return _merge(token, row) if row is not None else None

    def find_token_by_id(self, id: str) -> OAuthToken:
        """The token stored under ``id``; raises when there is none (as the sample does)."""
        connection = self._connect()
        try:
            rows = connection.execute("SELECT * FROM oauthtoken WHERE id = ?", (id,)).fetchall()
        finally:
            connection.close()
        if not rows:
            raise SDKException("TOKEN_STORE", "no token with this id")
        return _merge(_blank_token(), rows[0])

    def save_token(self, token: OAuthToken) -> None:
        """Update the matching row, else insert one."""
        where = _where(token)
        values = {
            "user_name": token.get_user_signature().get_name()
            if token.get_user_signature() is not None
            else None,
            "client_id": token.get_client_id(),
            "client_secret": token.get_client_secret(),
            "refresh_token": token.get_refresh_token(),
            "access_token": token.get_access_token(),
            "grant_token": token.get_grant_token(),
            "expiry_time": token.get_expires_in(),
            "redirect_url": token.get_redirect_url(),
            "api_domain": token.get_api_domain(),
        }
        present = {name: value for name, value in values.items() if value is not None}
        connection = self._connect()
        try:
            updated = 0
            if where is not None and present:
                assignments = ", ".join(f"{name} = ?" for name in present)
                cursor = connection.execute(
                    f"UPDATE oauthtoken SET {assignments} WHERE {where[0]}",
                    (*present.values(), where[1]),
                )
                updated = cursor.rowcount
            if updated <= 0:
                if token.get_id() is None:
                    token.set_id(self._generate_id(connection))
                connection.execute(INSERT, (token.get_id(), *values.values()))
            connection.commit()
        except sqlite3.Error as err:
            raise SDKException("TOKEN_STORE", "save_token failed", cause=err) from err
        finally:
            connection.close()

    @staticmethod
    def _generate_id(connection: sqlite3.Connection) -> str:
        # The sample's id scheme (and the SDK's): one more than the largest id so far.
        largest = connection.execute("SELECT max(CAST(id AS INTEGER)) FROM oauthtoken").fetchone()
        return str((largest[0] or 0) + 1)

    def get_tokens(self) -> list[OAuthToken]:
        """Every stored token."""
        connection = self._connect()
        try:
            rows = connection.execute("SELECT * FROM oauthtoken").fetchall()
        finally:
            connection.close()
        return [_merge(_blank_token(), row) for row in rows]

    def delete_token(self, id: str) -> None:
        """Delete the row ``id``."""
        connection = self._connect()
        try:
            connection.execute("DELETE FROM oauthtoken WHERE id = ?", (id,))
            connection.commit()
        finally:
            connection.close()

    def delete_tokens(self) -> None:
        """Delete every row."""
        connection = self._connect()
        try:
            connection.execute("DELETE FROM oauthtoken")
            connection.commit()
        finally:
            connection.close()
