"""The checks of ``ZOHO_TOKENS["LIMITS"]`` (issue 25): E019, the setting is unusable; W019,
its cache store is a per-process cache. Registered by importing :mod:`zoho_tokens.checks`.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register

from zoho_tokens.conf import zoho_settings

__all__ = ["check_limits"]


@register("zoho_tokens")
def check_limits(**kwargs: Any) -> list[CheckMessage]:
    """E019: LIMITS is usable; W019: its cache store is a cache every worker shares."""
    try:
        limits = zoho_settings.LIMITS
    except (TypeError, ValueError) as err:
        return [Error(str(err), hint="See docs/limits.md.", id="zoho_tokens.E019")]
    backend = str(settings.CACHES.get(limits.cache, {}).get("BACKEND", ""))
    if limits.store == "cache" and (not backend or backend.endswith(("LocMemCache", "DummyCache"))):
        return [
            Warning(
                f"ZOHO_TOKENS['LIMITS'] keeps the slots in the cache {limits.cache!r}, which "
                "no other worker sees: the cap on calls in flight is per process.",
                hint="Name a cache every worker shares (Redis, Memcached), or use "
                'STORE: "database".',
                id="zoho_tokens.W019",
            )
        ]
    return []
