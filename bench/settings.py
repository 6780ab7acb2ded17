"""Django settings for ``make bench``: one alias per database under test.

Every database gets a name of its own (``zoho_bench`` unless ``ZOHO_BENCH_DB`` says
otherwise), so a benchmark never touches the test suite's databases. The bench and its
worker processes (refresh storm, cleanup) all import these settings, and agree on the same
files and databases through the environment variables below.

- ``ZOHO_BENCH_DIR``: folder for the SQLite files and the CSV of the SDK's ``FileStore``.
- ``ZOHO_BENCH_DB``: database name on PostgreSQL and MariaDB (SQLite: a file in the folder).
- ``ZOHO_BENCH_POSTGRES_URL`` / ``ZOHO_BENCH_MARIADB_URL``: server URLs without a database.
- ``ZOHO_BENCH_DEFAULT_ALIAS``: make that alias's database the default (cleanup worker).
- ``ZOHO_BENCH_FAKE_URL``, ``ZOHO_BENCH_CLIENT_ID``, ``ZOHO_BENCH_CLIENT_SECRET``: the fake
  Zoho the refresh storm points the app at (set by the bench for its workers).
"""

from __future__ import annotations

import os
import sys
import tempfile

import dj_database_url
import pymysql

try:
    import MySQLdb  # noqa: F401  # mysqlclient, the driver Django recommends, when installed
except ImportError:
    # PyMySQL stands in for it, as in the test settings: no C headers needed.
    pymysql.install_as_MySQLdb()

#: The MySQL driver the MariaDB figures were measured with.
MYSQL_DRIVER = "PyMySQL" if sys.modules["MySQLdb"] is pymysql else "mysqlclient"

WORK_DIR = os.environ.get("ZOHO_BENCH_DIR") or os.path.join(tempfile.gettempdir(), "zoho-bench")
DB_NAME = os.environ.get("ZOHO_BENCH_DB") or "zoho_bench"
POSTGRES_URL = os.environ.get("ZOHO_BENCH_POSTGRES_URL") or "postgres://postgres@127.0.0.1:5432"
MARIADB_URL = os.environ.get("ZOHO_BENCH_MARIADB_URL") or "mysql://root:@127.0.0.1:3306"

SECRET_KEY = "bench-only-not-secret"
DEBUG = False
USE_TZ = True


def _database(url: str) -> dict[str, object]:
    config: dict[str, object] = dict(dj_database_url.parse(url))
    if config["ENGINE"] == "django.db.backends.mysql":
        config["OPTIONS"] = {"charset": "utf8mb4"}
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # The refresh storm's workers queue on SQLite's write lock: wait, don't fail.
        config["OPTIONS"] = {"timeout": 60}
    return config


DATABASES = {
    "default": _database(f"sqlite:///{os.path.join(WORK_DIR, DB_NAME)}.sqlite3"),
    "postgres": _database(f"{POSTGRES_URL.rstrip('/')}/{DB_NAME}"),
    "mariadb": _database(f"{MARIADB_URL.rstrip('/')}/{DB_NAME}"),
}

# The cleanup command has no --database option: its benchmark worker makes the database
# under test the default.
_DEFAULT_ALIAS = os.environ.get("ZOHO_BENCH_DEFAULT_ALIAS")
if _DEFAULT_ALIAS and _DEFAULT_ALIAS != "default":
    DATABASES["default"] = DATABASES[_DEFAULT_ALIAS]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "zoho_tokens",
]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}

_FAKE_URL = os.environ.get("ZOHO_BENCH_FAKE_URL")
ZOHO_TOKENS = {
    "CLIENT_ID": os.environ.get("ZOHO_BENCH_CLIENT_ID") or "1000.BENCHCLIENTID",
    "CLIENT_SECRET": os.environ.get("ZOHO_BENCH_CLIENT_SECRET") or "bench-client-secret",
    "ENCRYPTION_KEYS": ["KUjU_l770XyPRxxBPOA-ePEJ6W_92zjazv0OZXgTx0Y="],
    "ACCOUNTS_URL": _FAKE_URL,
    "API_DOMAIN": _FAKE_URL,
    "HTTP_TIMEOUT": 10,
}
