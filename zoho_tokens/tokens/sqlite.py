"""SQLite with several writers: every write transaction takes the write lock up front.

SQLite starts a transaction (``BEGIN``, "deferred") without any lock, takes a read lock at
its first read and must upgrade it at its first write. When another connection is writing,
that upgrade fails at once with "database is locked", whatever the busy timeout, because
waiting could deadlock. A transaction begun with ``BEGIN IMMEDIATE`` takes the write lock
first, and so waits its turn for up to the busy timeout (``OPTIONS["timeout"]``) instead.

On Django 5.1 and later, set ``OPTIONS["transaction_mode"] = "IMMEDIATE"`` (the system
check ``zoho_tokens.W003`` says so when it is missing). Django 4.2 has no such option:
there, :func:`begin_immediate` (connected to ``connection_created`` by the app) makes the
atomic blocks of every SQLite connection begin with ``BEGIN IMMEDIATE``.
"""

from __future__ import annotations

from types import MethodType
from typing import Any

import django
from django.db.backends.base.base import BaseDatabaseWrapper

__all__ = ["HAS_TRANSACTION_MODE", "IMMEDIATE_MODES", "begin_immediate", "takes_write_lock_first"]

#: Whether Django's SQLite backend reads ``OPTIONS["transaction_mode"]`` (5.1 and later).
HAS_TRANSACTION_MODE = django.VERSION >= (5, 1)

#: Transaction modes that take the write lock at ``BEGIN``.
IMMEDIATE_MODES = frozenset({"IMMEDIATE", "EXCLUSIVE"})


def takes_write_lock_first(settings_dict: dict[str, Any]) -> bool:
    """Whether an SQLite database so configured begins its transactions with the write
    lock (always true on Django 4.2, where :func:`begin_immediate` sees to it)."""
    if not HAS_TRANSACTION_MODE:
        return True
    mode = (settings_dict.get("OPTIONS") or {}).get("transaction_mode") or "DEFERRED"
    return str(mode).upper() in IMMEDIATE_MODES


def begin_immediate(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """``connection_created`` receiver: on Django 4.2, make an SQLite connection begin its
    atomic blocks with ``BEGIN IMMEDIATE``. Does nothing elsewhere."""
    if HAS_TRANSACTION_MODE or connection.vendor != "sqlite":
        return
    # Django 4.2 begins every atomic block of SQLite through this one method
    # (DatabaseWrapper._start_transaction_under_autocommit, which sends "BEGIN").
    connection._start_transaction_under_autocommit = MethodType(  # type: ignore[attr-defined]
        _begin_immediate, connection
    )


def _begin_immediate(connection: BaseDatabaseWrapper) -> None:
    connection.cursor().execute("BEGIN IMMEDIATE")
