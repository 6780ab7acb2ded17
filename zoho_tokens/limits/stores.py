"""Where the slots of calls in flight live: the database (default) or Django's cache.

Both stores do the same four things, each in as few round trips as they can:

* :meth:`try_take`: take a free slot below the cap (a random one first: far below the cap,
  one round trip), else report until when a back-off holds the slots;
* :meth:`release`: free slots, those still held by their call (many at once: one statement
  or three cache round trips for every slot the releaser of :mod:`zoho_tokens.limits.releaser`
  was handed since its last batch; :attr:`defers_release` says whether a store's releases
  may be handed to it);
* :meth:`hold_all`: a back-off, when Zoho asked every worker to wait: every slot below
  the cap is held until then, so no worker starts a call, and no extra read per call is
  needed to know it;
* :meth:`occupied`: the slots held now (for :func:`zoho_tokens.limits.status`).

A slot that outlives its expiry (its worker died) is free again: the database store takes
the expired row over, the cache lets the key expire.
"""

from __future__ import annotations

import math
import random
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from django.core.cache import caches
from django.db import connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from zoho_tokens.limits.connection import (
    FAST_COMMIT,
    execute,
    fetch,
    insert_ignoring_conflict,
    limiter_connection,
)
from zoho_tokens.models import ZohoCallSlot, now_ms

__all__ = ["BACKOFF", "CacheSlots", "DatabaseSlots", "Held", "SlotStore", "Taken"]

#: The holder of every slot while Zoho asked us to wait.
BACKOFF = "backoff"


@dataclass(frozen=True)
class Taken:
    """What :meth:`SlotStore.try_take` found: the slot number taken (None: every slot is
    held), and until when a back-off holds the slots (epoch ms, 0: none)."""

    number: int | None
    backoff_until_ms: int = 0


@dataclass(frozen=True)
class Held:
    """One slot held now."""

    number: int
    holder: str
    expires_at_ms: int


class SlotStore(Protocol):
    """The slots of every organisation's services, shared by every worker."""

    @property
    def defers_release(self) -> bool: ...
    def try_take(self, key: str, cap: int, holder: str, ttl: float) -> Taken: ...
    def release(self, slots: Sequence[tuple[str, int, str]]) -> None: ...
    def hold_all(self, key: str, cap: int, until_ms: int) -> None: ...
    def occupied(self, key: str, cap: int) -> list[Held]: ...
    def occupied_many(self, caps: Mapping[str, int]) -> dict[str, list[Held]]: ...


_TAKE_OVER = (
    "UPDATE {table} SET holder = %s, expires_at_ms = %s "
    "WHERE slot_key = %s AND number = %s AND expires_at_ms <= %s"
)
_HELD = (
    "SELECT number, holder, expires_at_ms FROM {table} WHERE slot_key = %s AND expires_at_ms > %s"
)
_ALL_HELD = "SELECT slot_key, number, holder, expires_at_ms FROM {table} WHERE expires_at_ms > %s"
# Each call's holder is its own random id: the holders alone name the slots to free (the
# keys let the database use the index). A slot the back-off holds now is not freed.
_RELEASE = "DELETE FROM {table} WHERE slot_key IN ({keys}) AND holder IN ({holders})"
# Where rows have locks of their own (PostgreSQL, and MySQL/MariaDB should the table not be
# MEMORY), a release locks its rows in the back-off's order, by key and number: read in the
# table's order (a sequential scan, which the planner picks for a table this small once it
# is analysed), a release of several slots of one key and a back-off each held a row the
# other wanted: a deadlock, one of them aborted after a second (the back-off not shared).
_RELEASE_IN_ORDER = {
    "postgresql": (
        "DELETE FROM {table} WHERE id IN (SELECT id FROM {table} WHERE slot_key IN ({keys}) "
        "AND holder IN ({holders}) ORDER BY slot_key, number FOR UPDATE)"
    ),
    "mysql": f"{_RELEASE} ORDER BY slot_key, number",
}
#: Slots freed by one statement at most (a batch of more is split).
RELEASE_BATCH = 200
#: Cache store: seconds the key that lets one back-off of an organisation be written at a
#: time lives (a writer that dies holding it), and that a second writer waits for it at most.
WRITING_TTL = 5
WRITING_WAIT = 2.0
# A back-off takes every slot in one statement: a free one is inserted, a held one (a call's)
# becomes the back-off's (its release then frees nothing: the holder changed), a shorter
# back-off is lengthened, a longer one kept. One statement, not an insert then an update:
# between those two, a call's release could delete a slot the insert had found held and the
# update then no longer finds, leaving that slot free for the whole back-off. An upsert
# either inserts or updates each row, whatever another connection deletes meanwhile.
# MySQL assigns left to right (the expiry reads the old holder), the others from the old row.
#: The columns a slot's row is written with, in this order.
_COLUMNS = ("slot_key", "number", "holder", "expires_at_ms")
_HOLD_ALL = "INSERT INTO {table} (slot_key, number, holder, expires_at_ms) VALUES {rows}{tail}"
_HOLD_EXPIRY = (
    "CASE WHEN {table}.holder = {new_holder} AND {table}.expires_at_ms > {new_expiry} "
    "THEN {table}.expires_at_ms ELSE {new_expiry} END"
)
_ON_CONFLICT = (
    " ON CONFLICT (slot_key, number) DO UPDATE SET expires_at_ms = {expiry}, holder = {new_holder}"
)
#: Per database: what follows the insert, and how it names the row it wanted to insert.
_UPSERT = {
    "postgresql": (_ON_CONFLICT, "excluded.holder", "excluded.expires_at_ms"),
    "sqlite": (_ON_CONFLICT, "excluded.holder", "excluded.expires_at_ms"),
    "mysql": (
        " ON DUPLICATE KEY UPDATE expires_at_ms = {expiry}, holder = {new_holder}",
        "VALUES(holder)",
        "VALUES(expires_at_ms)",
    ),
}
# A database without an upsert (SQLite before 3.24): an insert then an update, in one
# transaction (SQLite's one writer: no release can come in between).
_HOLD_REST = (
    "UPDATE {table} SET holder = %s, expires_at_ms = %s "
    "WHERE slot_key = %s AND number < %s AND (holder <> %s OR expires_at_ms < %s)"
)


def _hold_all_sql(connection: BaseDatabaseWrapper, cap: int) -> str | None:
    """The one statement that holds slots ``0..cap-1`` (``{table}`` to be named), None where
    the database has no upsert."""
    vendor = connection.vendor
    if vendor not in _UPSERT or (
        vendor == "sqlite" and not connection.features.supports_update_conflicts_with_target
    ):
        return None
    tail, new_holder, new_expiry = _UPSERT[vendor]
    expiry = _HOLD_EXPIRY.replace("{new_holder}", new_holder).replace("{new_expiry}", new_expiry)
    tail = tail.replace("{expiry}", expiry).replace("{new_holder}", new_holder)
    rows = ", ".join(["(%s, %s, %s, %s)"] * cap)
    return _HOLD_ALL.replace("{rows}", rows).replace("{tail}", tail)


def _order(cap: int) -> list[int]:
    numbers = list(range(cap))
    random.shuffle(numbers)
    return numbers


@dataclass(frozen=True)
class DatabaseSlots:
    """Slots as rows of :class:`~zoho_tokens.models.ZohoCallSlot` (see the model), in the
    database ``using``."""

    using: str
    table: str = ZohoCallSlot._meta.db_table

    @property
    def defers_release(self) -> bool:
        """Whether the releaser thread may free a slot this thread takes now: on the
        databases where the limiter writes on a connection of its own (PostgreSQL,
        MySQL/MariaDB), always; on SQLite, whose one writer is the caller's connection,
        unless that connection is in a transaction (the releaser's ``DELETE`` would wait for
        it to end; see :mod:`zoho_tokens.limits.releaser`). Asked in the thread that takes
        the slot, when it takes it."""
        connection = connections[self.using]
        return connection.vendor in FAST_COMMIT or not connection.in_atomic_block

    def try_take(self, key: str, cap: int, holder: str, ttl: float) -> Taken:
        """Take a free (or expired) slot below ``cap`` for ``ttl`` seconds."""
        with limiter_connection(self.using) as connection:
            return self._try_take(connection, key, cap, holder, ttl)

    def _try_take(
        self, connection: BaseDatabaseWrapper, key: str, cap: int, holder: str, ttl: float
    ) -> Taken:
        now = now_ms()
        expires = now + int(ttl * 1000)
        first = random.randrange(cap)  # noqa: S311  (spreading calls over slots)
        if self._take(connection, key, first, holder, now, expires):
            return Taken(first)
        held = self._held(connection, key, now)
        backoff = max((h.expires_at_ms for h in held if h.holder == BACKOFF), default=0)
        if backoff:
            return Taken(None, backoff)
        busy = {h.number for h in held} | {first}
        for number in _order(cap):
            if number not in busy and self._take(connection, key, number, holder, now, expires):
                return Taken(number)
        return Taken(None)

    def _take(
        self,
        connection: BaseDatabaseWrapper,
        key: str,
        number: int,
        holder: str,
        now: int,
        expires: int,
    ) -> bool:
        if insert_ignoring_conflict(
            connection, self.table, _COLUMNS, (key, number, holder, expires)
        ):
            return True
        # Taken, or left behind by a worker that died: an expired slot is taken over.
        values = (holder, expires, key, number, now)
        return execute(connection, _TAKE_OVER, self.table, values) == 1

    def _held(self, connection: BaseDatabaseWrapper, key: str, now: int) -> list[Held]:
        rows = fetch(connection, _HELD, self.table, (key, now))
        return [Held(int(n), str(h), int(e)) for n, h, e in rows]

    def release(self, slots: Sequence[tuple[str, int, str]]) -> None:
        """Delete the rows of ``slots`` (key, number, holder) whose holder still has them
        (not a back-off's): one statement per :data:`RELEASE_BATCH` slots."""
        for start in range(0, len(slots), RELEASE_BATCH):
            batch = slots[start : start + RELEASE_BATCH]
            keys = sorted({key for key, _, _ in batch})
            holders = [holder for _, _, holder in batch]
            with limiter_connection(self.using) as connection:
                template = _RELEASE_IN_ORDER.get(connection.vendor, _RELEASE)
                template = template.replace("{keys}", ", ".join(["%s"] * len(keys))).replace(
                    "{holders}", ", ".join(["%s"] * len(holders))
                )
                execute(connection, template, self.table, (*keys, *holders))

    def hold_all(self, key: str, cap: int, until_ms: int) -> None:
        """Hold every slot below ``cap`` until ``until_ms`` (a longer hold is kept), in one
        statement (see :data:`_UPSERT`: no release can free a slot on the way)."""
        with limiter_connection(self.using) as connection:
            self._hold_all(connection, key, cap, until_ms)

    def _hold_all(self, connection: BaseDatabaseWrapper, key: str, cap: int, until_ms: int) -> None:
        statement = _hold_all_sql(connection, cap)
        if statement is not None:
            rows = [value for n in range(cap) for value in (key, n, BACKOFF, until_ms)]
            execute(connection, statement, self.table, tuple(rows))
            return
        with transaction.atomic(using=connection.alias):
            for number in range(cap):
                insert_ignoring_conflict(
                    connection, self.table, _COLUMNS, (key, number, BACKOFF, until_ms)
                )
            values = (BACKOFF, until_ms, key, cap, BACKOFF, until_ms)
            execute(connection, _HOLD_REST, self.table, values)

    def occupied(self, key: str, cap: int) -> list[Held]:
        """The slots of ``key`` held now (any number: a cap lowered since is seen too)."""
        with limiter_connection(self.using) as connection:
            return self._held(connection, key, now_ms())

    def occupied_many(self, caps: Mapping[str, int]) -> dict[str, list[Held]]:
        """The slots held now of each key of ``caps``, in one query (the table holds at
        most a cap of rows per key, and expired ones)."""
        found: dict[str, list[Held]] = {key: [] for key in caps}
        with limiter_connection(self.using) as connection:
            rows = fetch(connection, _ALL_HELD, self.table, (now_ms(),))
        for key, n, h, e in rows:
            if key in found:
                found[key].append(Held(int(n), str(h), int(e)))
        return found


@dataclass(frozen=True)
class CacheSlots:
    """Slots as keys of Django's cache ``alias`` (``cache.add`` is atomic: Redis ``SET NX``,
    Memcached ``add``). A key's value is ``"<holder>|<expiry ms>"``."""

    alias: str
    #: The cache has no transaction to wait for: the releaser thread frees its slots.
    defers_release: bool = True

    @staticmethod
    def _key(key: str, number: int) -> str:
        return f"zoho_tokens:slot:{key}:{number}"

    def try_take(self, key: str, cap: int, holder: str, ttl: float) -> Taken:
        """Add a key for a free slot below ``cap``, living ``ttl`` seconds."""
        cache = caches[self.alias]
        expires = now_ms() + int(ttl * 1000)
        value = f"{holder}|{expires}"
        timeout = math.ceil(ttl)
        first = random.randrange(cap)  # noqa: S311  (spreading calls over slots)
        if cache.add(self._key(key, first), value, timeout):
            return Taken(first)
        held = self._read(key, cap)
        backoff = max((h.expires_at_ms for h in held if h.holder == BACKOFF), default=0)
        if backoff > now_ms():
            return Taken(None, backoff)
        busy = {h.number for h in held} | {first}
        for number in _order(cap):
            if number not in busy and cache.add(self._key(key, number), value, timeout):
                return Taken(number)
        return Taken(None)

    def _read(self, key: str, cap: int) -> list[Held]:
        values = caches[self.alias].get_many([self._key(key, n) for n in range(cap)])
        held = []
        for number in range(cap):
            value = values.get(self._key(key, number))
            if isinstance(value, str) and "|" in value:
                holder, _, expires = value.rpartition("|")
                held.append(Held(number, holder, int(expires)))
        return held

    @staticmethod
    def _backoff_key(key: str) -> str:
        return f"zoho_tokens:backoff:{key}"

    def release(self, slots: Sequence[tuple[str, int, str]]) -> None:
        """Delete the keys of ``slots`` (key, number, holder) still held by their holder (a
        back-off may hold them now): two round trips, however many slots, and a third
        that holds again what a back-off written meanwhile should hold."""
        cache = caches[self.alias]
        # A slot may be named twice in a batch (its first holder expired, another took it):
        # each name keeps every holder handed over.
        holders: dict[str, set[str]] = {}
        slot_of: dict[str, tuple[str, int]] = {}
        for key, number, holder in slots:
            name = self._key(key, number)
            holders.setdefault(name, set()).add(holder)
            slot_of[name] = (key, number)
        values = cache.get_many(list(holders))
        mine = [
            name
            for name, value in values.items()
            if isinstance(value, str) and value.rpartition("|")[0] in holders[name]
        ]
        if not mine:
            return
        cache.delete_many(mine)
        # The cache cannot delete "if still held by": a back-off written between the read
        # and the delete (hold_all sets its mark first) lost those slots. Held again.
        marks = cache.get_many([self._backoff_key(slot_of[name][0]) for name in mine])
        now = now_ms()
        for name in mine:
            key, number = slot_of[name]
            until, _, cap = str(marks.get(self._backoff_key(key), "")).partition("|")
            if until.isdigit() and int(until) > now and number < int(cap or 0):
                timeout = max(1, math.ceil((int(until) - now) / 1000))
                cache.add(name, f"{BACKOFF}|{until}", timeout)

    @staticmethod
    def _writing_key(key: str) -> str:
        return f"zoho_tokens:backoff-writing:{key}"

    def hold_all(self, key: str, cap: int, until_ms: int) -> None:
        """Hold every slot below ``cap`` until ``until_ms`` (a longer hold is kept). Its mark
        first, then the slots: a release under way sees the mark and holds again what it
        freed (see :meth:`release`).

        One back-off of ``key`` written at a time (a key added for the while, see
        :data:`WRITING_TTL`): the cache cannot write "unless longer", and two workers told
        to wait at the same moment each read no back-off, then wrote theirs; the shorter,
        written last, cut the longer one short."""
        cache = caches[self.alias]
        writing = self._writing_key(key)
        mine = uuid.uuid4().hex
        give_up = time.monotonic() + WRITING_WAIT
        while not (locked := cache.add(writing, mine, WRITING_TTL)):
            if time.monotonic() >= give_up:
                break  # a writer that died: its key expires; this back-off is not lost
            time.sleep(0.002)
        try:
            self._hold_all(key, cap, until_ms)
        finally:
            if locked and cache.get(writing) == mine:
                cache.delete(writing)

    def _hold_all(self, key: str, cap: int, until_ms: int) -> None:
        current = max(
            (h.expires_at_ms for h in self._read(key, cap) if h.holder == BACKOFF), default=0
        )
        if current >= until_ms:
            return
        cache = caches[self.alias]
        timeout = max(1, math.ceil((until_ms - now_ms()) / 1000))
        cache.set(self._backoff_key(key), f"{until_ms}|{cap}", timeout)
        cache.set_many({self._key(key, n): f"{BACKOFF}|{until_ms}" for n in range(cap)}, timeout)

    def occupied(self, key: str, cap: int) -> list[Held]:
        """The slots of ``key`` held now (the first ``cap`` numbers)."""
        return self.occupied_many({key: cap})[key]

    def occupied_many(self, caps: Mapping[str, int]) -> dict[str, list[Held]]:
        """The slots held now of each key of ``caps`` (its first ``cap`` numbers), in one
        round trip to the cache."""
        names = {self._key(key, n): (key, n) for key, cap in caps.items() for n in range(cap)}
        values = caches[self.alias].get_many(list(names))
        found: dict[str, list[Held]] = {key: [] for key in caps}
        now = now_ms()
        for name, (key, number) in names.items():
            value = values.get(name)
            if isinstance(value, str) and "|" in value:
                holder, _, expires = value.rpartition("|")
                if int(expires) > now:
                    found[key].append(Held(number, holder, int(expires)))
        return found


def slot_store(store: str, alias: str) -> SlotStore:
    """The slot store ``ZOHO_TOKENS["LIMITS"]`` names (``alias``: the cache's)."""
    if store == "cache":
        return CacheSlots(alias)
    from django.db import router

    return DatabaseSlots(router.db_for_write(ZohoCallSlot))
