"""Settings of ``make loadtest``: the example project's, on the database under test.

``LOADTEST_DATABASE_URL`` chooses the database (the example project knows only SQLite);
``LOADTEST_RESOURCE_PATH`` the SDK's resource folder; the fake Zoho comes from the
example project's own variables (``ZOHO_ACCOUNTS_URL`` ...).
"""

from __future__ import annotations

import os

import dj_database_url
import django
import pymysql

from example_project.settings import *  # noqa: F403
from example_project.settings import ZOHO_TOKENS

# PyMySQL stands in for mysqlclient, as in the test settings.
pymysql.install_as_MySQLdb()

DEBUG = False
DATABASES = {"default": dj_database_url.parse(os.environ["LOADTEST_DATABASE_URL"])}
if DATABASES["default"]["ENGINE"] == "django.db.backends.mysql":
    DATABASES["default"]["OPTIONS"] = {"charset": "utf8mb4"}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite as docs/explain-scale.md ("Running at scale") configures it: writers take the lock when
    # they begin and queue for it (timeout), readers never wait for writers (WAL).
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        **(
            {"transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL"}
            if django.VERSION >= (5, 1)
            else {}
        ),
    }
ZOHO_TOKENS = {**ZOHO_TOKENS, "SDK_RESOURCE_PATH": os.environ["LOADTEST_RESOURCE_PATH"]}

# A 500's traceback goes to gunicorn's log, where the load test counts and quotes it.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {"django.request": {"handlers": ["stderr"], "level": "ERROR"}},
}
