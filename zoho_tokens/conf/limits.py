"""``ZOHO_TOKENS["LIMITS"]``: how this site keeps within Zoho's limits.

Read live, like every setting (:mod:`zoho_tokens.conf`); :func:`limits_settings` turns the
configured mapping into a :class:`LimitsSettings`. Every key is optional::

    ZOHO_TOKENS = {
        "LIMITS": {
            "STORE": "database",      # or "cache": Django's cache (Redis, Memcached) of
            "CACHE": "default",       #   this alias keeps the slots and figures
            "EDITION": "standard",    # the CRM edition: its cap on calls in flight
            "CONCURRENCY": None,      # a cap for every service, instead of the edition's
            "ORGANIZATIONS": {        # per Zoho organisation (CRM zgid, Books org id ...)
                "700000001": {"edition": "enterprise"},
                "800000002": {"concurrency": {"crm": 12, "books": 5}},
            },
            "WAIT": 10.0,             # seconds a call waits for a free slot
            "SLOT_TTL": None,         # seconds before a dead worker's slot is free again
            "RETRIES": 0,             # automatic retries of idempotent calls after a 429
            "MAX_RETRY_WAIT": 10.0,   # ... when Zoho's delay is at most this
            "DEFAULT_BACKOFF": 5.0,   # seconds of back-off when a 429 names no delay
        }
    }
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["EDITION_CONCURRENCY", "LimitsSettings", "limits_settings"]

#: Calls an organisation may have in flight, per Zoho CRM edition. Secondary sources only
#: (Zoho documents that a cap exists, not these figures): see docs/limits.md.
EDITION_CONCURRENCY: dict[str, int] = {
    "free": 5,
    "standard": 10,
    "professional": 15,
    "enterprise": 20,
    "ultimate": 25,
}
STORES = ("database", "cache")


@dataclass(frozen=True)
class LimitsSettings:
    """``ZOHO_TOKENS["LIMITS"]`` with its defaults filled in."""

    enabled: bool = True
    store: str = "database"
    cache: str = "default"
    edition: str = "standard"
    concurrency: int | None = None
    organizations: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    wait: float = 10.0
    slot_ttl: float | None = None
    retries: int = 0
    max_retry_wait: float = 10.0
    default_backoff: float = 5.0

    def cap_for(self, organization: str, service: str) -> int:
        """How many calls ``organization`` may have in flight to ``service``."""
        own = self.organizations.get(organization) or {}
        explicit = own.get("concurrency", own.get(service))
        if isinstance(explicit, Mapping):
            explicit = explicit.get(service)
        if explicit is not None:
            return max(1, int(explicit))
        if own.get("edition") is not None:
            return EDITION_CONCURRENCY[str(own["edition"]).lower()]
        if self.concurrency is not None:
            return max(1, int(self.concurrency))
        return EDITION_CONCURRENCY[self.edition]

    def ttl(self, http_timeout: float) -> float:
        """Seconds a slot lives: longer than any call can take (a call and a refresh,
        each bounded by ``HTTP_TIMEOUT``), unless ``SLOT_TTL`` says otherwise."""
        return self.slot_ttl if self.slot_ttl is not None else 2 * http_timeout + 10


def limits_settings(value: Any) -> LimitsSettings:
    """The configured ``LIMITS`` mapping as :class:`LimitsSettings`; ``ValueError`` (which
    the system checks report) for a value it cannot use."""
    if value is None:
        return LimitsSettings()
    if not isinstance(value, Mapping):
        raise ValueError("ZOHO_TOKENS['LIMITS'] must be a dict.")
    unknown = set(value) - {name.upper() for name in LimitsSettings.__dataclass_fields__}
    if unknown:
        raise ValueError(f"ZOHO_TOKENS['LIMITS'] has unknown keys: {', '.join(sorted(unknown))}.")
    given = {name.lower(): item for name, item in value.items() if item is not None}
    if "edition" in given:
        given["edition"] = str(given["edition"]).lower()
    settings = LimitsSettings(**given)
    if settings.store not in STORES:
        raise ValueError(f"ZOHO_TOKENS['LIMITS']['STORE'] must be one of {', '.join(STORES)}.")
    editions = {settings.edition} | {
        str(own["edition"]).lower()
        for own in settings.organizations.values()
        if own.get("edition") is not None
    }
    if editions - EDITION_CONCURRENCY.keys():
        raise ValueError(
            "ZOHO_TOKENS['LIMITS'] names an unknown Zoho edition ("
            + ", ".join(sorted(editions - EDITION_CONCURRENCY.keys()))
            + "); use one of "
            + ", ".join(EDITION_CONCURRENCY)
            + "."
        )
    return settings
