"""Settings of the limits load test (``python -m bench.loadtest.limits``), from the environment.

``LIMITS_DATABASE_URL`` the database under test; ``LIMITS_FAKE_URL`` the fake Zoho;
``LIMITS_CACHE_URL`` a Redis URL when the slots live in Django's cache (else the database);
``LIMITS_CAP`` the organisation's cap on calls in flight.
"""

from __future__ import annotations

import os

import pymysql

from bench.loadtest.database import database_at, pointed_at

pymysql.install_as_MySQLdb()

SECRET_KEY = "loadtest-only-not-secret"
DEBUG = False
USE_TZ = True
ROOT_URLCONF = "zoho_tokens.urls"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "zoho_tokens",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.contrib.messages.context_processors.messages"]},
    }
]
DATABASES = {"default": database_at(os.environ["LIMITS_DATABASE_URL"])}
_cache = os.environ.get("LIMITS_CACHE_URL")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    **(
        {"limits": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _cache}}
        if _cache
        else {}
    ),
}
_fake = os.environ.get("LIMITS_FAKE_URL", "http://127.0.0.1:1")
ZOHO_TOKENS = pointed_at(
    _fake,
    "fake-client-id",
    "fake-client-secret",
    HTTP_TIMEOUT=10,
    LIMITS={
        "STORE": "cache" if _cache else "database",
        "CACHE": "limits",
        "CONCURRENCY": int(os.environ.get("LIMITS_CAP", "10")),
        "WAIT": 5.0,
    },
)
