"""What the child processes of the limiter's tests run (see tests/multiproc.py).

Module-level functions with lazy imports: "spawn" imports this module in a fresh
interpreter before Django is set up. ``caches`` is the parent's ``CACHES`` (Redis for the
cache store), set before any cache is used.
"""

from __future__ import annotations

from typing import Any


def _use_caches(caches: dict[str, Any]) -> None:
    from django.conf import settings

    settings.CACHES = caches


def leads_calls(token_ids: list[int], rounds: int, caches: dict[str, Any]) -> dict[str, int]:
    """``rounds`` times, read the leads as each token in turn through ``session_for``;
    how many answers were served and how many were throttled."""
    _use_caches(caches)
    from zoho_tokens.api.session import session_for
    from zoho_tokens.exceptions import ZohoThrottledError
    from zoho_tokens.models import ZohoToken

    counts = {"served": 0, "throttled": 0}
    for _ in range(rounds):
        for token_id in token_ids:
            try:
                session_for(ZohoToken(pk=token_id)).get("Leads", params={"fields": "Last_Name"})
                counts["served"] += 1
            except ZohoThrottledError:
                counts["throttled"] += 1
    return counts


def take_a_slot_and_die(setup: Any, caches: dict[str, Any], ttl: float) -> None:
    """A worker that takes the only slot of organisation ``700000001`` and dies holding it."""
    import os

    from tests.multiproc import _set_up_django

    _set_up_django(setup)
    _use_caches(caches)
    from django.conf import settings

    from zoho_tokens.limits.stores import slot_store

    zoho: Any = settings.ZOHO_TOKENS
    limits = zoho["LIMITS"]
    store = slot_store(limits["STORE"], limits.get("CACHE", "default"))
    store.try_take("crm:700000001", 1, "dying-worker", ttl)
    os._exit(0)  # no finally, no release: as a killed worker
