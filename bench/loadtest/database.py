"""The pieces the load tests' settings share: the database under test from its URL, and the
app's settings pointed at a fake Zoho."""

from __future__ import annotations

from typing import Any

import dj_database_url
import django


def database_at(url: str) -> dict[str, Any]:
    """Django's database settings for ``url``, each backend set up as the docs advise."""
    database: dict[str, Any] = dict(dj_database_url.parse(url))
    if database["ENGINE"] == "django.db.backends.mysql":
        database["OPTIONS"] = {"charset": "utf8mb4"}
    if database["ENGINE"] == "django.db.backends.sqlite3":
        # SQLite as docs/explain-scale.md ("Running at scale") configures it: writers take the
        # lock when they begin and queue for it (timeout), readers never wait for writers (WAL).
        database["OPTIONS"] = {
            "timeout": 20,
            **(
                {"transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL"}
                if django.VERSION >= (5, 1)
                else {}
            ),
        }
    return database


def pointed_at(fake_url: str, client_id: str, client_secret: str, **more: Any) -> dict[str, Any]:
    """``ZOHO_TOKENS`` for the client ``client_id`` of the fake Zoho at ``fake_url``."""
    return {
        "CLIENT_ID": client_id,
        "CLIENT_SECRET": client_secret,
        "ACCOUNTS_URL": fake_url,
        "API_DOMAIN": fake_url,
        **more,
    }
