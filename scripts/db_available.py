"""Exit 0 when the database server named by DATABASE_URL answers, 1 otherwise.

``make test`` asks this before running the suite on PostgreSQL or MariaDB, so that a
developer without those servers still gets a green SQLite run (CI=true turns a silent
server into a failure instead). SQLite needs no server and always answers.
"""

from __future__ import annotations

import os
import sys

import dj_database_url

#: Seconds to wait for a server before calling it absent.
CONNECT_TIMEOUT = 3


def _connect(config: dj_database_url.DBConfig) -> None:
    engine = config["ENGINE"]
    host = config.get("HOST") or "127.0.0.1"
    user = config.get("USER") or None
    password = config.get("PASSWORD") or ""
    if engine.endswith("postgresql"):
        import psycopg

        # The maintenance database: the one in the URL may not exist yet (Django creates
        # test_<NAME> from here).
        psycopg.connect(
            host=host,
            port=int(config.get("PORT") or 5432),
            user=user,
            password=password or None,
            dbname="postgres",
            connect_timeout=CONNECT_TIMEOUT,
        ).close()
    elif engine.endswith("mysql"):
        import pymysql

        pymysql.connect(
            host=host,
            port=int(config.get("PORT") or 3306),
            user=user,
            password=password,
            connect_timeout=CONNECT_TIMEOUT,
        ).close()


def main() -> int:
    """Try the server once; report why it does not answer."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        print("DATABASE_URL is not set.", file=sys.stderr)
        return 1
    config = dj_database_url.parse(url)
    try:
        _connect(config)
    except Exception as err:
        # Any failure (refused, unknown host, bad credentials, missing driver) means the
        # suite cannot run there.
        where = f"{config.get('HOST') or '127.0.0.1'}:{config.get('PORT') or ''}"
        print(f"{config['ENGINE']} at {where} is not available: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
