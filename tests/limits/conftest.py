"""The limiter's two stores: the database (on whichever database the suite runs), and
Django's cache on Redis (``redis://127.0.0.1:6379/2``, this suite's Redis database)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from django.core.cache import caches

#: The Redis database these tests may use (and empty).
REDIS_URL = "redis://127.0.0.1:6379/2"
REDIS_CACHE = {
    "BACKEND": "django.core.cache.backends.redis.RedisCache",
    "LOCATION": REDIS_URL,
}


def use_limits(settings: Any, **limits: Any) -> None:
    """Merge ``limits`` into ``ZOHO_TOKENS["LIMITS"]``."""
    current = dict(settings.ZOHO_TOKENS.get("LIMITS") or {})
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "LIMITS": {**current, **limits}}


@pytest.fixture
def redis_cache(settings: Any) -> Iterator[str]:
    """A ``"limits"`` cache alias on Redis, its keys under a prefix of this test's own (the
    suite's workers share the Redis database: none may flush it), deleted afterwards;
    yields the alias."""
    prefix = f"zoho-tokens-test-{uuid.uuid4().hex}"
    settings.CACHES = {**settings.CACHES, "limits": {**REDIS_CACHE, "KEY_PREFIX": prefix}}
    yield "limits"
    caches["limits"].close()
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"{prefix}:*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture(params=["database", "redis"])
def limits_store(request: pytest.FixtureRequest, settings: Any) -> str:
    """Each test runs with the slots in the database, then in Redis (Django's cache)."""
    if request.param == "redis":
        alias = request.getfixturevalue("redis_cache")
        use_limits(settings, STORE="cache", CACHE=alias)
    else:
        use_limits(settings, STORE="database")
    return str(request.param)
