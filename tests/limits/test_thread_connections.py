"""The limiter's own connection (PostgreSQL, MariaDB) is closed when its thread ends, not
when the garbage collector gets to it: many short threads never pile up idle connections."""

from __future__ import annotations

import gc
import threading

import pytest
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

from zoho_tokens.limits.connection import connection_for


@pytest.mark.django_db(transaction=True)
def test_a_thread_s_limiter_connection_closes_when_the_thread_ends() -> None:
    used: list[BaseDatabaseWrapper] = []

    def call() -> None:
        own = connection_for("default")
        with own.cursor() as cursor:
            cursor.execute("SELECT 1")
        used.append(own)
        if own is connections["default"]:
            connections["default"].close()  # SQLite: the caller's own connection

    gc.disable()  # closed by the thread's end, not by a collection
    try:
        threads = [threading.Thread(target=call) for _ in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(used) == 12
        assert [own.connection for own in used] == [None] * 12
    finally:
        gc.enable()
