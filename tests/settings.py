"""Settings for the test suite. The database comes from ``DATABASE_URL`` (SQLite by default)."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

import dj_database_url
import django
import pymysql

# PyMySQL stands in for mysqlclient so that the MariaDB run needs no C headers.
pymysql.install_as_MySQLdb()

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
USE_TZ = True
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", "sqlite:///test-zoho-tokens.sqlite3"),
        conn_max_age=0,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file rather than Django's in-memory test database, because the concurrency tests
    # open it from several processes; one file per run, so parallel runs never share it.
    # The timeout lets writers queue behind a refresh in flight instead of failing at once.
    _test_database = os.path.join(tempfile.gettempdir(), f"test-zoho-tokens-{os.getpid()}.sqlite3")
    DATABASES["default"]["TEST"] = {"NAME": _test_database}
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 30
    if django.VERSION >= (5, 1):
        # Every write transaction takes the write lock at BEGIN, so that it waits for the
        # timeout instead of failing at once (on Django 4.2 the app does it itself: see
        # zoho_tokens/tokens/sqlite.py); WAL lets readers go on while someone writes.
        DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
        DATABASES["default"]["OPTIONS"]["init_command"] = "PRAGMA journal_mode=WAL"
    # zoho_tokens.tokens.refresh keeps its per-token lock files beside the database file.
    atexit.register(shutil.rmtree, f"{_test_database}-zoho-locks", ignore_errors=True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.mysql":
    DATABASES["default"].setdefault("OPTIONS", {})["charset"] = "utf8mb4"
    DATABASES["default"]["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "zoho_tokens",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "zoho_tokens.backends.ZohoAccountBackend",
]
ROOT_URLCONF = "tests.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "/accounts/login/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

ZOHO_TOKENS = {
    "CLIENT_ID": "1000.TESTCLIENTID",
    "CLIENT_SECRET": "test-client-secret-value",
    "ENCRYPTION_KEYS": ["Bbmh2RXvNlJHuXaeqKGhiZ8RE5GmDvI5Im6jWD3-AOg="],
}
