"""Settings of ``make loadtest``: the example project's, on the database under test.

``LOADTEST_DATABASE_URL`` chooses the database (the example project knows only SQLite);
``LOADTEST_RESOURCE_PATH`` the SDK's resource folder; the fake Zoho comes from the
example project's own variables (``ZOHO_ACCOUNTS_URL`` ...).
"""

from __future__ import annotations

import os

import pymysql

from bench.loadtest.database import database_at
from example_project.settings import *  # noqa: F403
from example_project.settings import ZOHO_TOKENS

# PyMySQL stands in for mysqlclient, as in the test settings.
pymysql.install_as_MySQLdb()

DEBUG = False
DATABASES = {"default": database_at(os.environ["LOADTEST_DATABASE_URL"])}
ZOHO_TOKENS = {**ZOHO_TOKENS, "SDK_RESOURCE_PATH": os.environ["LOADTEST_RESOURCE_PATH"]}

# A 500's traceback goes to gunicorn's log, where the load test counts and quotes it.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {"django.request": {"handlers": ["stderr"], "level": "ERROR"}},
}
