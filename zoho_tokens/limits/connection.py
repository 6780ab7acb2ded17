"""The database connections the limiter writes on: its own, few, fast to commit, outside
the caller's transaction.

* Outside the caller's transaction: a slot taken inside a view's transaction
  (``ATOMIC_REQUESTS``) would stay invisible to the other workers until the view commits,
  and would keep a lock on its index entry as long. So on PostgreSQL and MySQL/MariaDB the
  limiter always writes on a connection of its own, in autocommit.
* Few: those connections are a small set per process and database (:class:`_Pool`), lent
  for one take, one release or one back-off at a time (:func:`limiter_connection`) and
  handed back at once. Their number follows the takes in progress, not the threads or
  requests alive: under ASGI every request has a thread of its own, and a connection per
  thread was one more server connection per request waiting on Zoho. At most
  :data:`SIZE`; with all of them lent, a take waits for one to come back (a statement
  takes well under a millisecond, a new connection several) for at most
  :data:`WAIT_FOR_ONE` seconds, then opens one more (closed when handed back).
* Never from Django's connection pool (``OPTIONS["pool"]`` on PostgreSQL): the limiter's
  session setting below must not reach the application's own connections, and a take
  must not wait for the pool a busy site has exhausted.
* Fast to commit: a slot lives a second; nothing is lost if the server crashes with it. On
  PostgreSQL its connections set ``synchronous_commit = off`` (a commit does not wait for
  the disk: a few milliseconds saved per statement on a busy disk); on MySQL/MariaDB the
  slot table is a ``MEMORY`` table (migration 0006), which has no log to flush.
* SQLite has one writer for the whole database: a second connection would only wait for
  the caller's transaction to end, so the limiter writes on the caller's connection.

``CONN_MAX_AGE``: a limiter connection older than it (when above 0) is closed when handed
back, or at the end of a request (:func:`close_old_limiter_connections`, connected to
``request_finished``). ``0`` (Django's default, and what its pool requires) does not close
them after every request as it does Django's: the few idle ones are kept, since connecting
costs a take many times over. A connection that failed is checked (``is_usable``) when
handed back and closed if broken; the next use opens a new one.

Fork-safe: a child of ``fork()`` starts with no connection; its parent's are never used
nor closed by it (closing would end the parent's sessions on the server).

The statements are plain SQL (one round trip each, no model instances on the way): an
insert that ignores a taken slot, in each database's own words.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import weakref
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from django.db import Error as DatabaseError
from django.db import IntegrityError, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.utils import load_backend

__all__ = [
    "FAST_COMMIT",
    "SIZE",
    "WAIT_FOR_ONE",
    "close_limiter_connections",
    "close_old_limiter_connections",
    "execute",
    "fetch",
    "insert_ignoring_conflict",
    "limiter_connection",
]

#: Connections per database a process keeps: beyond them in use, a take waits for one.
SIZE = 4
#: Seconds a take waits for a connection to come back before it opens one more (closed
#: when handed back): a statement that hangs must not hold every other take.
WAIT_FOR_ONE = 0.5

#: The databases where the limiter writes on a connection of its own, and what makes that
#: connection commit without waiting for the disk.
FAST_COMMIT = {"postgresql": "SET synchronous_commit TO OFF", "mysql": ""}


class _Pool:
    """This process's limiter connections, per database alias: those idle, and how many
    exist (idle or lent)."""

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self._returned = threading.Condition(threading.Lock())
        #: Takes waiting for a connection to come back (none, nearly always: no notify).
        self._waiting = 0
        self._idle: dict[str, list[BaseDatabaseWrapper]] = {}
        self._open: dict[str, int] = {}
        #: Every connection made, to close them all (:func:`close_limiter_connections`).
        self._every: weakref.WeakSet[BaseDatabaseWrapper] = weakref.WeakSet()
        #: Those lent when :meth:`close_all` ran: closed when handed back.
        self._closing: weakref.WeakSet[BaseDatabaseWrapper] = weakref.WeakSet()

    def check_out(self, using: str) -> BaseDatabaseWrapper:
        """An idle connection of ``using`` (the last handed back: the warmest), else a new one."""
        deadline = None
        with self._returned:
            while True:
                idle = self._idle.get(using)
                if idle:
                    return idle.pop()
                if deadline is None:
                    deadline = time.monotonic() + WAIT_FOR_ONE
                left = deadline - time.monotonic()
                if self._open.get(using, 0) < SIZE or left <= 0:
                    self._open[using] = self._open.get(using, 0) + 1
                    break
                self._waiting += 1
                try:
                    self._returned.wait(left)
                finally:
                    self._waiting -= 1
        try:
            own = _new_connection(using)
        except BaseException:
            self._forget(using)
            raise
        with self._returned:
            self._every.add(own)
        return own

    def check_in(self, using: str, own: BaseDatabaseWrapper) -> None:
        """Take ``own`` back: kept idle unless :data:`SIZE` are open without it, or it was
        lent when :meth:`close_all` ran; else closed (here, by the thread it was lent to)."""
        if own.errors_occurred:
            # A server restarted or a connection cut: the next use opens a new one.
            own.errors_occurred = False
            if own.connection is not None and (own.in_atomic_block or not own.is_usable()):
                _close(own)
        elif _too_old(own):
            _close(own)
        with self._returned:
            closing = own in self._closing
            self._closing.discard(own)
            idle = self._idle.setdefault(using, [])
            if not closing and self._open[using] <= SIZE and not own.in_atomic_block:
                idle.append(own)
                if self._waiting:
                    self._returned.notify()
                return
        _close(own)
        self._forget(using)

    def _forget(self, using: str) -> None:
        with self._returned:
            self._open[using] -= 1
            if self._waiting:
                self._returned.notify()

    def _take_idle(self, which: Callable[[BaseDatabaseWrapper], bool]) -> list[BaseDatabaseWrapper]:
        """Remove the idle connections ``which`` picks, no longer counted (the caller's
        to close: outside the lock, and no thread can borrow them meanwhile). Under the
        lock."""
        taken: list[BaseDatabaseWrapper] = []
        for using, idle in self._idle.items():
            keep: list[BaseDatabaseWrapper] = []
            for own in idle:
                (taken if which(own) else keep).append(own)
            self._open[using] -= len(idle) - len(keep)
            idle[:] = keep
        return taken

    def close_old(self) -> None:
        """Close the idle connections past ``CONN_MAX_AGE``. Taken out of the idle ones
        first: one picked, then lent to another thread before it was closed, was closed
        under that thread's statement."""
        with self._returned:
            old = self._take_idle(_too_old)
            if old and self._waiting:
                self._returned.notify_all()
        for own in old:
            _close(own)

    def close_all(self) -> None:
        """Close every connection (before a database is dropped): the idle ones now, those
        lent when handed back, by the thread they are lent to (closed from here, one was
        closed under the statement running on it). The next take opens a new one."""
        with self._returned:
            idle = self._take_idle(lambda own: True)
            self._closing.update(own for own in self._every if own not in idle)
            self._returned.notify_all()
        for own in idle:
            _close(own)

    def forget_parent(self) -> None:
        """In a child of ``fork()``: start with no connection. The parent's are kept
        unused for good, their sockets pointed at ``/dev/null``: a connection closed or
        collected in the child would otherwise tell the server to end the parent's session."""
        inherited = list(self._every)
        self._reset()
        for own in inherited:
            _disown(own)
        _left_by_parent.extend(inherited)


_pool = _Pool()
#: A forked child's copies of its parent's connections: never used, never collected.
_left_by_parent: list[BaseDatabaseWrapper] = []
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_pool.forget_parent)


def _new_connection(using: str) -> BaseDatabaseWrapper:
    settings_dict = connections.settings[using]
    # A connection of its own, never one of Django's pool (see the module).
    options = {k: v for k, v in (settings_dict.get("OPTIONS") or {}).items() if k != "pool"}
    # Autocommit whatever the site's AUTOCOMMIT: each statement is seen by every worker
    # once it has run (with False, nothing the limiter wrote was ever committed: slots
    # and back-offs unseen by any other worker, their rows locked for good).
    settings_dict = {**settings_dict, "OPTIONS": options, "AUTOCOMMIT": True}
    own: BaseDatabaseWrapper = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(
        settings_dict, using
    )
    # Lent to one thread at a time, whichever asks.
    own.inc_thread_sharing()
    return own


def _too_old(own: BaseDatabaseWrapper) -> bool:
    max_age = own.settings_dict.get("CONN_MAX_AGE")
    return bool(max_age) and own.close_at is not None and time.monotonic() >= own.close_at


def _close(own: BaseDatabaseWrapper) -> None:
    # A connection thrown away: a server gone already must not fail the call on top.
    with contextlib.suppress(Exception):
        own.close()


def _disown(own: BaseDatabaseWrapper) -> None:
    raw = own.connection
    if raw is None:
        return
    fileno = getattr(raw, "fileno", None) or getattr(getattr(raw, "_sock", None), "fileno", None)
    try:
        fd = int(fileno()) if fileno is not None else -1
    except Exception:  # noqa: BLE001  (a driver's error: a connection with no socket to name)
        return
    if fd >= 0:
        null = os.open(os.devnull, os.O_RDWR)
        os.dup2(null, fd)
        os.close(null)


class limiter_connection:  # lower case: used as a function is, in `with`
    """The connection of alias ``using`` whose writes every worker sees at once, for the
    statements of the ``with`` block: one of the limiter's own (PostgreSQL, MySQL/MariaDB;
    handed back when the block ends, whatever happens in it), else the caller's (SQLite).

    >>> with limiter_connection("default") as connection:  # doctest: +SKIP
    ...     execute(connection, "DELETE FROM {table} WHERE ...", table, values)

    A class rather than a generator: it is on every call's path, and a few microseconds
    count there."""

    __slots__ = ("_own", "_using")

    def __init__(self, using: str) -> None:
        self._using = using
        self._own: BaseDatabaseWrapper | None = None

    def __enter__(self) -> BaseDatabaseWrapper:
        using = self._using
        # The vendor from the settings: the caller's connection (a thread-local, slow to
        # reach) is needed only where the limiter may write on it.
        if _vendor(connections.settings[using]["ENGINE"]) not in FAST_COMMIT:
            connection = connections[using]
            if connection.vendor == "sqlite" or not connection.in_atomic_block:
                return connection
        own = _pool.check_out(using)
        try:
            if own.connection is None:
                own.ensure_connection()
            if getattr(own, "_zoho_configured", None) is not own.connection:
                statement = FAST_COMMIT.get(own.vendor)
                if statement:
                    with own.cursor() as cursor:
                        cursor.execute(statement)
                own._zoho_configured = own.connection  # type: ignore[attr-defined]
        except BaseException as error:
            _hand_back(using, own, type(error))
            raise
        self._own = own
        return own

    def __exit__(self, error: type[BaseException] | None, *exc_info: object) -> None:
        own, self._own = self._own, None
        if own is not None:
            _hand_back(self._using, own, error)


def _hand_back(using: str, own: BaseDatabaseWrapper, error: type[BaseException] | None) -> None:
    if error is not None and not issubclass(error, DatabaseError):
        # Not the database's answer: the block was cut short (a task's time limit raised
        # from a signal handler, KeyboardInterrupt), maybe with a statement still under
        # way on the connection, which the next statement would fail on ("another command
        # is already in progress"): not reused.
        _close(own)
    _pool.check_in(using, own)


@lru_cache(maxsize=16)
def _vendor(engine: str) -> str:
    return str(load_backend(engine).DatabaseWrapper.vendor)


def close_old_limiter_connections(**kwargs: Any) -> None:
    """Close the limiter's idle connections past ``CONN_MAX_AGE`` (connected to
    ``request_finished``, as Django closes its own; ``0`` keeps them: see the module)."""
    _pool.close_old()


def close_limiter_connections() -> None:
    """Close every limiter connection of this process (before a database is dropped): the
    idle ones now, those lent to a thread when that thread hands them back."""
    _pool.close_all()


def insert_ignoring_conflict(
    connection: BaseDatabaseWrapper, table: str, columns: tuple[str, ...], values: tuple[Any, ...]
) -> bool:
    """Insert one row unless it clashes with a unique constraint; whether it was inserted."""
    sql, ignores = _insert_sql(connection.vendor, connection.ops.quote_name, table, columns)
    if ignores:
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


@lru_cache(maxsize=64)
def _insert_sql(
    vendor: str, quote: Callable[[str], str], table: str, columns: tuple[str, ...]
) -> tuple[str, bool]:
    """The insert (built once per database and table: every call of the limiter uses it),
    and whether it ignores a clash by itself."""
    verb, tail = {
        "postgresql": ("INSERT INTO", " ON CONFLICT DO NOTHING"),
        "sqlite": ("INSERT OR IGNORE INTO", ""),
        "mysql": ("INSERT IGNORE INTO", ""),
    }.get(vendor, ("INSERT INTO", ""))
    sql = (
        f"{verb} {quote(table)} ({', '.join(quote(c) for c in columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))}){tail}"
    )
    return sql, vendor in ("postgresql", "sqlite", "mysql")


def _with_table(connection: BaseDatabaseWrapper, template: str, table: str) -> str:
    return _statement(connection.ops.quote_name, template, table)


@lru_cache(maxsize=256)
def _statement(quote: Callable[[str], str], template: str, table: str) -> str:
    # The table's name comes from a model's Meta, never from input: only values are
    # parameters.
    return template.replace("{table}", quote(table))


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
