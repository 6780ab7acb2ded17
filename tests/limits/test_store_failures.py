"""A limiter whose store is down lets calls through (Zoho still enforces its limits, and its
429s are handled), saying so in the log; it never fails a call by itself."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.limits.conftest import use_limits
from zoho_tokens.limits import after_answer, call_slot

pytestmark = pytest.mark.django_db


@pytest.fixture
def dead_redis(settings: Any) -> str:
    """A cache alias on a Redis port where nothing listens."""
    settings.CACHES = {
        **settings.CACHES,
        "dead": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
        },
    }
    use_limits(settings, STORE="cache", CACHE="dead", CONCURRENCY=1, WAIT=0)
    return "dead"


def test_a_call_goes_ahead_when_the_cache_is_down(dead_redis: str, caplog: Any) -> None:
    caplog.set_level(logging.WARNING, "zoho_tokens.limits")

    with call_slot("crm", "700000001") as slot:
        assert slot is None

    assert "goes ahead without the cap" in caplog.text


def test_a_429_is_still_reported_when_the_cache_is_down(dead_redis: str) -> None:
    observed = after_answer("crm", "700000001", 429, {"Retry-After": "3"})

    assert observed.backoff == 3
