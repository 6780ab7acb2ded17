"""``manage.py check`` on ``ZOHO_TOKENS["LIMITS"]``: E019 for a value it cannot use, W019 for
slots kept in a cache no other worker sees."""

from __future__ import annotations

from typing import Any

from tests.limits.conftest import REDIS_CACHE, use_limits
from zoho_tokens.checks.limits import check_limits


def ids(settings: Any) -> list[str]:
    return [message.id for message in check_limits()]


def test_the_default_limits_pass(settings: Any) -> None:
    assert ids(settings) == []


def test_an_unknown_key_or_edition_is_e017(settings: Any) -> None:
    use_limits(settings, CAPP=3)
    assert ids(settings) == ["zoho_tokens.E019"]
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "LIMITS": {"EDITION": "platinum"}}
    assert ids(settings) == ["zoho_tokens.E019"]


def test_slots_in_a_per_process_cache_are_w017(settings: Any) -> None:
    use_limits(settings, STORE="cache", CACHE="default")
    assert ids(settings) == ["zoho_tokens.W019"]


def test_slots_in_redis_pass(settings: Any) -> None:
    settings.CACHES = {**settings.CACHES, "limits": REDIS_CACHE}
    use_limits(settings, STORE="cache", CACHE="limits")
    assert ids(settings) == []
