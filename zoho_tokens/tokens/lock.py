"""The lock of one token, held while it is refreshed; waiting for it is bounded.

* PostgreSQL, MySQL/MariaDB (and any backend with ``SELECT ... FOR UPDATE``): the token's
  row lock, held in a transaction around the Zoho call. The wait for it is bounded by the
  database itself: ``SET LOCAL lock_timeout`` on PostgreSQL, the session's
  ``innodb_lock_wait_timeout`` on MySQL/MariaDB (restored afterwards).
* SQLite: it has no row locks, only one write lock for the whole database, and holding
  that during a Zoho call would make every token (and every other write) wait. Instead, an
  exclusive OS file lock (``flock``) on a per-token file beside the database file: every
  process that opens the database sees that directory, and the OS releases the lock if
  its holder dies. It is polled until the wait's deadline. Without ``flock`` (Windows), or
  for an in-memory database, a lock inside the process.

A wait that runs out raises :class:`LockWaitTimeout`.
"""

from __future__ import annotations

import math
import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import OperationalError, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.sqlite3.creation import DatabaseCreation as SQLiteCreation

from zoho_tokens.models import ZohoToken

if sys.platform != "win32":
    import fcntl

__all__ = ["LockWaitTimeout", "token_lock"]

#: Seconds between two tries of a file lock held by someone else.
POLL_INTERVAL = 0.02


class LockWaitTimeout(Exception):
    """The token's lock stayed taken for longer than the wait allowed."""


@contextmanager
def token_lock(pk: int, using: str, *, wait: float) -> Iterator[ZohoToken | None]:
    """Hold the lock of token ``pk``, waiting at most ``wait`` seconds for it; yields its
    row as read under the lock (None when it was deleted)."""
    connection = connections[using]
    rows = ZohoToken.objects.using(using).filter(pk=pk)
    if not connection.features.has_select_for_update:
        with _local_lock(connection, pk, wait):
            yield rows.first()
        return
    with transaction.atomic(using=using):
        try:
            with _bounded_lock_wait(connection, wait):
                row = rows.select_for_update().first()
        except OperationalError as err:
            if _is_lock_timeout(err):
                raise LockWaitTimeout from err
            raise
        yield row


@contextmanager
def _bounded_lock_wait(connection: BaseDatabaseWrapper, wait: float) -> Iterator[None]:
    """Bound how long the statements inside wait for a row lock (PostgreSQL, MySQL and
    MariaDB; other databases keep their own bound)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # LOCAL ends with the transaction; an integer is milliseconds.
            cursor.execute(f"SET LOCAL lock_timeout = {max(1, math.ceil(wait * 1000))}")
        yield
        with connection.cursor() as cursor:
            # Once the lock is held, the caller's own transaction keeps its usual bound.
            cursor.execute("SET LOCAL lock_timeout TO DEFAULT")
        return
    if connection.vendor != "mysql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT @@SESSION.innodb_lock_wait_timeout")
        (previous,) = cursor.fetchone()
        # Whole seconds, at least one: what MySQL and MariaDB accept.
        cursor.execute(f"SET SESSION innodb_lock_wait_timeout = {max(1, math.ceil(wait))}")
    try:
        yield
    finally:
        if connection.is_usable():
            with connection.cursor() as cursor:
                cursor.execute(f"SET SESSION innodb_lock_wait_timeout = {int(previous)}")


def _is_lock_timeout(err: OperationalError) -> bool:
    cause = err.__cause__
    code = getattr(cause, "args", (None,))[0] if cause is not None else None
    return code == 1205 or getattr(cause, "sqlstate", None) == "55P03"


_process_locks: dict[tuple[str, int], threading.Lock] = {}
_process_locks_guard = threading.Lock()


@contextmanager
def _local_lock(connection: BaseDatabaseWrapper, pk: int, wait: float) -> Iterator[None]:
    """The lock of token ``pk`` where the database has no row locks (SQLite)."""
    database = str(connection.settings_dict["NAME"])
    if (
        sys.platform != "win32"
        and connection.vendor == "sqlite"
        and not SQLiteCreation.is_in_memory_db(database)
    ):
        with _file_lock(f"{database}-zoho-locks", pk, wait):
            yield
        return
    # An in-memory database lives in one process; so, on Windows, does this lock.
    with _process_locks_guard:
        lock = _process_locks.setdefault((database, pk), threading.Lock())
    if not lock.acquire(timeout=wait):
        raise LockWaitTimeout
    try:
        yield
    finally:
        lock.release()


@contextmanager
def _file_lock(directory: str, pk: int, wait: float) -> Iterator[None]:
    os.makedirs(directory, exist_ok=True)
    deadline = time.monotonic() + wait
    # Each call opens the file anew, so threads of one process exclude each other too
    # (an flock belongs to the open file, not to the process).
    with open(os.path.join(directory, f"{pk}.lock"), "a") as handle:
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockWaitTimeout from None
                time.sleep(POLL_INTERVAL)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
