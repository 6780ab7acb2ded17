"""The precompiled read path of the store: same rows, same types as the ORM would give."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from zoho_tokens.models import TokenStatus, ZohoToken, now_ms
from zoho_tokens.models.crypto import keyring
from zoho_tokens.tokens.lookups import Lookup, _converters, _select, read_active

pytestmark = pytest.mark.django_db


def stored(number: int, **fields: object) -> ZohoToken:
    row = ZohoToken(client_id="1000.CLIENT", **fields)
    row.set_user_name(f"user{number}@example.com:1")
    row.refresh_token = f"1000.rt.{number}"
    row.access_token = f"1000.at.{number}"
    row.expires_at_ms = now_ms() + 3_600_000
    row.save()
    return row


def by_refresh_token(value: str) -> Lookup:
    return Lookup((("refresh_token_digest", tuple(keyring().digests(value))),))


def test_read_active_gives_the_row_with_the_types_the_orm_gives():
    row = stored(1, remote_revoke_pending=False)

    found = read_active(by_refresh_token("1000.rt.1"), connection.alias)

    orm = ZohoToken.objects.get(pk=row.pk)
    assert found is not None
    for field in ZohoToken._meta.concrete_fields:
        assert getattr(found, field.attname) == getattr(orm, field.attname), field.name
        assert type(getattr(found, field.attname)) is type(getattr(orm, field.attname))
    assert found.updated_at.tzinfo is not None
    assert found.refresh_token == "1000.rt.1"


def test_read_active_ignores_rows_that_are_not_active():
    stored(2, status=TokenStatus.REVOKED)

    assert read_active(by_refresh_token("1000.rt.2"), connection.alias) is None


def test_read_active_takes_the_most_recently_updated_of_several_matches():
    older, newer = stored(3), stored(4)
    ZohoToken.objects.filter(pk=older.pk).update(updated_at=newer.updated_at)
    ZohoToken.objects.filter(pk=newer.pk).update(
        updated_at=newer.updated_at.replace(year=newer.updated_at.year + 1)
    )

    found = read_active(Lookup((("client_id", ("1000.CLIENT",)),)), connection.alias)

    assert found is not None
    assert found.pk == newer.pk


def test_a_lookup_naming_a_column_the_table_lacks_is_refused_before_any_sql():
    with pytest.raises(ValueError, match="not a column"):
        read_active(Lookup((("1=1; DROP TABLE x; --", ("a",)),)), connection.alias)


@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="only SQLite plans without table statistics"
)
def test_sqlite_finds_a_refresh_token_of_a_client_through_its_digest_index(settings):
    # The SDK's lookups also name the client, whose unique index SQLite once took instead
    # (two digests: a dedicated key and the one derived from SECRET_KEY), reading every
    # row of the client. The SQL read_active runs is the one explained.
    settings.ZOHO_TOKENS = {
        **settings.ZOHO_TOKENS,
        "ENCRYPTION_KEYS": ["Bbmh2RXvNlJHuXaeqKGhiZ8RE5GmDvI5Im6jWD3-AOg="],
    }
    for number in range(50):
        stored(100 + number)
    digests = tuple(keyring().digests("1000.rt.120"))
    lookup = Lookup((("refresh_token_digest", digests), ("client_id", ("1000.CLIENT",))))
    sql, _attnames = _select(connection.alias, lookup.shape)

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", [TokenStatus.ACTIVE, *lookup.params])
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())

    assert len(digests) == 2
    assert "(refresh_token_digest" in plan, plan
    assert read_active(lookup, connection.alias) is not None


def test_each_thread_reads_with_converters_of_its_own_connection():
    # Django gives every thread its own connection; a converter bound to another thread's
    # connection must never be used (or kept alive) by this one.
    seen: list[tuple[object, list[object]]] = []

    def read_in_thread() -> None:
        from django.db import connections

        own = connections["default"]
        owners = [getattr(f, "__self__", None) for _i, fs, _c in _converters(own) for f in fs]
        seen.append((own.ops, owners))

    for _ in range(2):
        thread = threading.Thread(target=read_in_thread)
        thread.start()
        thread.join()

    (first_ops, first_owners), (second_ops, second_owners) = seen
    assert first_ops is not second_ops
    assert first_ops not in second_owners
    assert second_ops not in first_owners
