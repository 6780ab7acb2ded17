"""Changes this benchmark proposes for ``DjangoTokenStore``, measured next to what ships.

Nothing here is used by the app. It exists so that the report can show, in the same run,
what the two changes it recommends would buy:

1. **The status index leads with the date** (``models.py``): ``Index(["status",
   "status_changed_at"])`` becomes ``Index(["status_changed_at", "status"])``. SQLite has no
   statistics unless someone runs ``ANALYZE`` (Django never does), and its planner then
   prefers ``status = 'active'`` on that index over the user-name or refresh-token digest
   index: every lookup walks every active row, so ``find_token`` grows with the table.
   With the date first, ``status = ?`` can no longer use the index, the digest indexes
   win, and the cleanup queries switch to key-order scans (measured just as fast).
2. **Reads skip the ORM's query compiler** (``store.py``): ``find_token`` and
   ``find_token_by_id`` run one parameterised SELECT of the eleven columns they use, its
   text built once per database and lookup shape from the model's own metadata, and the
   row becomes a ``ZohoToken`` through ``Model.from_db`` (so decryption, the refresh
   check and every helper work unchanged). Compiling the queryset, not SQL or
   decryption, is most of the shipped ``find_token``'s time.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken

from zoho_tokens.store import DjangoTokenStore

#: The columns the read path uses: what ``fill_missing``, ``hand_out`` and the refresh check read.
READ_FIELDS = (
    "id",
    "user_name",
    "client_id",
    "client_secret_encrypted",
    "refresh_token_encrypted",
    "access_token_encrypted",
    "grant_token_encrypted",
    "expires_at_ms",
    "redirect_url",
    "api_domain",
    "accounts_server",
    "status",
)


def fix_status_index(alias: str) -> None:
    """Proposed change 1 on ``alias``: the status index with the date first."""
    from django.db import connections, models

    from zoho_tokens.models import ZohoToken

    with connections[alias].schema_editor() as editor:
        editor.remove_index(
            ZohoToken,
            models.Index(fields=["status", "status_changed_at"], name="zoho_tokens_status_idx"),
        )
        editor.add_index(
            ZohoToken,
            models.Index(fields=["status_changed_at", "status"], name="zoho_tokens_status_idx"),
        )


@lru_cache(maxsize=64)
def _select(alias: str, where: tuple[str, ...], in_size: int) -> str:
    """``SELECT <READ_FIELDS> ... WHERE status = %s AND <where> ORDER BY updated_at DESC
    LIMIT 1``; the first ``where`` column is compared with ``IN`` over ``in_size`` values."""
    from django.db import connections

    from zoho_tokens.models import ZohoToken

    quote = connections[alias].ops.quote_name
    conditions = [f"{quote('status')} = %s"]
    for position, column in enumerate(where):
        if position == 0 and in_size > 1:
            conditions.append(f"{quote(column)} IN ({', '.join(['%s'] * in_size)})")
        else:
            conditions.append(f"{quote(column)} = %s")
    return (
        f"SELECT {', '.join(quote(name) for name in READ_FIELDS)} "
        f"FROM {quote(ZohoToken._meta.db_table)} WHERE {' AND '.join(conditions)} "
        f"ORDER BY {quote('updated_at')} DESC LIMIT 1"
    )


def _lookup(token: OAuthToken) -> tuple[tuple[str, ...], list[Any]] | None:
    """The SDK's match order (as ``store._matching``), as columns and parameters."""
    from zoho_tokens.crypto import keyring
    from zoho_tokens.fields import plain_digest

    signature = token.get_user_signature()
    name = signature.get_name() if signature is not None else None
    client_id, client_secret = token.get_client_id(), token.get_client_secret()
    if name:
        if client_id:
            return ("user_name_digest", "client_id"), [plain_digest(name), client_id]
        return ("user_name_digest",), [plain_digest(name)]
    access_token = token.get_access_token()
    if access_token and client_id is None and client_secret is None:
        return ("access_token_digest",), keyring().digests(access_token)
    secret_name = "grant_token" if token.get_grant_token() else "refresh_token"
    value = token.get_grant_token() or token.get_refresh_token()
    if value and client_id and client_secret:
        return (f"{secret_name}_digest", "client_id"), [*keyring().digests(value), client_id]
    return None


class ProposedDjangoTokenStore(DjangoTokenStore):
    """``DjangoTokenStore`` with proposed change 2 (reads without the query compiler)."""

    def _fetch_one(self, where: tuple[str, ...], params: list[Any], in_size: int) -> Any:
        from django.db import connections

        from zoho_tokens.models import TokenStatus, ZohoToken

        alias = self._rows().db
        with connections[alias].cursor() as cursor:
            cursor.execute(_select(alias, where, in_size), [TokenStatus.ACTIVE, *params])
            values = cursor.fetchone()
        return ZohoToken.from_db(alias, READ_FIELDS, values) if values is not None else None

    def find_token(self, token: OAuthToken) -> OAuthToken | None:
        """As shipped, but the row is read with one precompiled SELECT."""
        from zoho_tokens.store import _fresh, hand_out

        def find() -> OAuthToken | None:
            lookup = _lookup(token)
            if lookup is None:
                return None
            where, params = lookup
            in_size = len(params) - (len(where) - 1)
            row = self._fetch_one(where, params, in_size)
            row = _fresh(row) if row is not None else None
            return hand_out(token, row) if row is not None else None

        return self._guard("find_token", find)

    def find_token_by_id(self, id: str) -> OAuthToken | None:
        """As shipped, but the row is read with one precompiled SELECT."""
        from zoho_tokens.store import _fresh, parse_token_id, to_oauth_token

        def find() -> OAuthToken | None:
            pk = parse_token_id(id)
            if pk is None:
                return None
            row = self._fetch_one(("id",), [pk], 1)
            row = _fresh(row) if row is not None else None
            return to_oauth_token(row) if row is not None else None

        return self._guard("find_token_by_id", find)
