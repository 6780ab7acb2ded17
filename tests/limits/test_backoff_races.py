"""Back-offs racing each other and the releases of calls ending, on every store."""

from __future__ import annotations

import time
from functools import partial
from typing import Any

import pytest

from tests.limits.conftest import use_limits
from tests.limits.test_gate import race
from zoho_tokens.limits.stores import BACKOFF, slot_store

pytestmark = [pytest.mark.django_db(transaction=True)]

ORG = "700000001"


def _store(settings: Any) -> Any:
    limits = settings.ZOHO_TOKENS["LIMITS"]
    return slot_store(limits["STORE"], limits.get("CACHE", "default"))


def test_two_back_offs_shared_at_once_keep_the_longer(settings: Any, limits_store: str) -> None:
    """Two workers answered 429 at the same moment, with different delays: whichever
    writes last, every slot is held until the end of the longer one."""
    use_limits(settings, CONCURRENCY=4)
    store = _store(settings)
    now = int(time.time() * 1000)
    longer, shorter = now + 60_000, now + 20_000
    shortened = []
    for round_ in range(40):
        key = f"crm:{ORG}-{round_}"
        race([partial(store.hold_all, key, 4, longer), partial(store.hold_all, key, 4, shorter)])
        held = sorted((h.number, h.holder, h.expires_at_ms) for h in store.occupied(key, 4))
        if held != [(n, BACKOFF, longer) for n in range(4)]:
            shortened.append((round_, held))

    assert shortened == []
