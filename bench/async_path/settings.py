"""Settings of the two servers under test: a SQLite file (``ASYNC_BENCH_DATABASE``) and the
fake Zoho (``ASYNC_BENCH_ZOHO``); no middleware, so that only the call path is measured."""

from __future__ import annotations

import os

from bench.loadtest.database import pointed_at

SECRET_KEY = "async-bench-not-secret"
DEBUG = False
USE_TZ = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["django.contrib.auth", "django.contrib.contenttypes", "zoho_tokens"]
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "bench.async_path.views"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("ASYNC_BENCH_DATABASE", "async-bench.sqlite3"),
        # As the README's "Running at scale" configures SQLite (WAL, queued writers).
        "OPTIONS": {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL",
        },
    }
}
_zoho = os.environ.get("ASYNC_BENCH_ZOHO", "http://127.0.0.1:1")
ZOHO_TOKENS = pointed_at(
    _zoho,
    "1000.LOADTESTCLIENTFAKEZOHO000",
    "load-test-client-secret-for-the-fake-zoho",
    ENCRYPTION_KEYS=["Bbmh2RXvNlJHuXaeqKGhiZ8RE5GmDvI5Im6jWD3-AOg="],
    HTTP_TIMEOUT=30,
    # The bench measures the call path, not Zoho's cap on calls in flight: its 20 users
    # share one organisation, whose cap (10 for the Standard edition) would otherwise make
    # both workers wait for slots (the cap's own load test: bench.loadtest --limits).
    LIMITS=(
        {"ENABLED": False}
        if os.environ.get("ASYNC_BENCH_LIMITS") == "off"
        else {"CONCURRENCY": 1000}
    ),
    SDK_RESOURCE_PATH=os.environ.get("ASYNC_BENCH_RESOURCES", "async-bench-sdk"),
)
