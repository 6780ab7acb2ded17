"""SQLite with several writers: every transaction takes the write lock at BEGIN, and the
system check warns when the settings leave it deferred."""

from __future__ import annotations

import sqlite3

import pytest
from django.db import connection, transaction

from zoho_tokens.checks import check_sqlite_transaction_mode
from zoho_tokens.models import ZohoToken
from zoho_tokens.tokens.sqlite import HAS_TRANSACTION_MODE

on_sqlite = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite only")


@on_sqlite
@pytest.mark.django_db(transaction=True)
def test_a_transaction_that_only_read_already_holds_the_write_lock():
    with transaction.atomic():
        ZohoToken.objects.count()  # a read: a deferred transaction would hold no write lock
        other = sqlite3.connect(connection.settings_dict["NAME"], timeout=0)
        try:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        finally:
            other.close()


@on_sqlite
@pytest.mark.skipif(not HAS_TRANSACTION_MODE, reason="Django 4.2 has no transaction_mode")
def test_sqlite_without_immediate_transactions_is_warned(monkeypatch):
    monkeypatch.setitem(connection.settings_dict["OPTIONS"], "transaction_mode", "DEFERRED")

    assert [message.id for message in check_sqlite_transaction_mode()] == ["zoho_tokens.W003"]


def test_the_suites_database_passes_the_check():
    assert check_sqlite_transaction_mode() == []
