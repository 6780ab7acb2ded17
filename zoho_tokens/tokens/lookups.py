"""Finding a token's row: which columns name it, and a fast read of active rows.

The SDK calls ``find_token`` before every CRM request, so that read sits on every request's
path. Compiling a queryset costs several times more than running its SQL, so
:func:`read_active` builds each lookup's SELECT once (per database and lookup shape), runs
it with parameters, and turns the row into a model with the same converters the ORM applies
(found once per connection: they belong to it, and each thread has its own).
Writes keep going through the ORM (:meth:`Lookup.filter`).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.expressions import Col

from zoho_tokens.exceptions import NoUsableTokenError, ReauthorizationRequired
from zoho_tokens.models import TokenStatus, ZohoToken, ZohoTokenQuerySet

#: A column, and the values any of which it may hold (the digests under every key, say).
Condition = tuple[str, tuple[Any, ...]]


@dataclass(frozen=True)
class Lookup:
    """Column conditions that together name a token's row."""

    conditions: tuple[Condition, ...]

    @property
    def shape(self) -> tuple[tuple[str, int], ...]:
        """The columns and how many values each takes: what the SQL text depends on."""
        return tuple((column, len(values)) for column, values in self.conditions)

    @property
    def params(self) -> list[Any]:
        """The values, in the order the SQL text expects them."""
        return [value for _column, values in self.conditions for value in values]

    def filter(self, rows: ZohoTokenQuerySet) -> ZohoTokenQuerySet:
        """``rows`` narrowed to this lookup, through the ORM."""
        return rows.filter(**{f"{column}__in": values for column, values in self.conditions})


def read_active(lookup: Lookup, using: str) -> ZohoToken | None:
    """The most recently updated active row that ``lookup`` names, in one query."""
    sql, attnames = _select(using, lookup.shape)
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(sql, [TokenStatus.ACTIVE, *lookup.params])
        values = cursor.fetchone()
    if values is None:
        return None
    converted = list(values)
    for index, converters, column in _converters(connection):
        for convert in converters:
            converted[index] = convert(converted[index], column, connection)
    return ZohoToken.from_db(using, attnames, converted)


def active_token_of_user(user: Any, using: str, *, caller: str, service: str) -> ZohoToken:
    """The user's most recently updated active row, in one query (views ask on every
    request); the ORM only explains why there is none.

    Raises :class:`NoUsableTokenError` for an anonymous user (``caller`` names the function
    that needs one) or a user without an active token, saying which in ``service``'s name.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        raise NoUsableTokenError(
            f"{caller} needs a logged-in user or a ZohoToken; an anonymous user has no "
            f"{service} connection."
        )
    # The user's primary key as the database takes it (a UUID primary key, say).
    user_field = ZohoToken._meta.get_field("user")
    user_key = user_field.target_field.get_db_prep_value(user.pk, connections[using])
    row = read_active(Lookup((("user_id", (user_key,)),)), using)
    if row is not None:
        return row
    rows = ZohoToken.objects.using(using).filter(user=user)
    if rows.needing_reauth().exists():
        reason = f"Zoho refused to refresh their token; they must connect {service} again."
    elif rows.exists():
        reason = f"their {service} connection was revoked; they must connect {service} again."
    else:
        reason = f"they have not connected {service}."
    raise NoUsableTokenError(f"User {user.pk} has no usable Zoho token: {reason}")


def require_usable(row: ZohoToken | None, pk: int, *, unless: str) -> ZohoToken:
    """``row``, unless it was deleted (None) or is no longer active.

    Raises :class:`NoUsableTokenError` for a revoked or deleted token (``unless`` ends its
    message), :class:`ReauthorizationRequired` for one whose refresh token Zoho refused.
    """
    if row is None or row.status == TokenStatus.REVOKED:
        raise NoUsableTokenError(f"Zoho token {pk} was revoked or deleted{unless}.")
    if row.status == TokenStatus.NEEDS_REAUTH:
        raise ReauthorizationRequired(pk)
    return row


def require_owner(row: ZohoToken, owner_id: Any) -> ZohoToken:
    """``row``, if it still belongs to the Django user ``owner_id`` (None: to no user), the
    owner it had when a session or an ``acting_as`` block was made for it.

    Raises :class:`NoUsableTokenError` when the row's user changed since: a new consent moved
    the Zoho account to another Django user (``ALLOW_ACCOUNT_TRANSFER``), and a session made
    for the previous owner must not go on acting as the new one.
    """
    if row.user_id != owner_id:
        raise NoUsableTokenError(
            f"Zoho token {row.pk} was moved to another Django user (a new consent, with "
            f"ALLOW_ACCOUNT_TRANSFER on) after this session was made for user {owner_id}; "
            "that user no longer has this Zoho connection and must connect Zoho again."
        )
    return row


#: (position, converter functions, the column expression they expect), as the ORM's
#: compiler applies them: aware datetimes, booleans from 0/1, and so on.
Converters = list[tuple[int, Sequence[Callable[..., Any]], Col]]

# The converters are methods of one connection (each thread has its own), so they are kept
# per connection object, and go with it; the SQL text is plain data, shared by all.
_converters_by_connection: weakref.WeakKeyDictionary[BaseDatabaseWrapper, Converters] = (
    weakref.WeakKeyDictionary()
)


def _converters(connection: BaseDatabaseWrapper) -> Converters:
    converters = _converters_by_connection.get(connection)
    if converters is None:
        converters = []
        meta = ZohoToken._meta
        for index, field in enumerate(meta.concrete_fields):
            expression = Col(meta.db_table, field)
            functions = [
                *connection.ops.get_db_converters(expression),
                *field.get_db_converters(connection),  # type: ignore[attr-defined]  # not in the stubs
            ]
            if functions:
                converters.append((index, functions, expression))
        _converters_by_connection[connection] = converters
    return converters


def _narrowing(using: str, position: int) -> str:
    """What goes before the column of a lookup's condition at ``position`` in the SQL.

    A lookup's first condition names the row (a digest, the user): its index is the one to
    read through. The others only narrow (the client id). SQLite keeps no table statistics,
    and with two digests (a dedicated key and the one derived from ``SECRET_KEY``) it took
    the unique index that starts with ``client_id`` instead, reading every row of the
    client: 228 ms at 100,000 tokens. A unary ``+`` keeps a term from using an index in
    SQLite (and only there: PostgreSQL has no ``+`` for text; both servers plan from
    statistics and take the digest index)."""
    return "+" if position > 0 and connections[using].vendor == "sqlite" else ""


@lru_cache(maxsize=128)
def _select(using: str, shape: tuple[tuple[str, int], ...]) -> tuple[str, list[str]]:
    """The SELECT of a lookup shape on database ``using``, and the attributes it reads."""
    quote = connections[using].ops.quote_name
    meta = ZohoToken._meta
    fields = list(meta.concrete_fields)
    known_columns = {field.column for field in fields}
    conditions = [f"{quote('status')} = %s"]
    for position, (column, count) in enumerate(shape):
        if column not in known_columns or count < 1:
            raise ValueError(f"{column!r} is not a column of {meta.db_table}")
        placeholders = ", ".join(["%s"] * count)
        conditions.append(f"{_narrowing(using, position)}{quote(column)} IN ({placeholders})")
    # Only quoted names of the model's own columns and placeholders go into the text; every
    # value is a parameter.
    sql = (
        f"SELECT {', '.join(quote(field.column) for field in fields)} "  # noqa: S608
        f"FROM {quote(meta.db_table)} WHERE {' AND '.join(conditions)} "
        f"ORDER BY {quote('updated_at')} DESC LIMIT 1"
    )
    return sql, [field.attname for field in fields]
