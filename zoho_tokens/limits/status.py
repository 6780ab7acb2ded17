"""The limits of each Zoho organisation as every worker sees them now, for people and
dashboards: :func:`status` and :func:`statuses`.

Both first free the slots this process's finished calls still hold (the releaser frees
them a moment after the calls end: :mod:`zoho_tokens.limits.releaser`), so that a call
that has ended is never counted in flight by its own process."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from zoho_tokens.conf import zoho_settings
from zoho_tokens.limits.figures import Figures, read_figures
from zoho_tokens.limits.gate import slot_key
from zoho_tokens.limits.releaser import flush_releases
from zoho_tokens.limits.stores import BACKOFF, Held, slot_store

__all__ = ["LimitStatus", "status", "statuses"]


@dataclass(frozen=True)
class LimitStatus:
    """One organisation's service: its cap and calls in flight, and what Zoho last said.

    ``None`` means Zoho never said (Books' daily quota on a CRM organisation; the CRM's
    credits before half of them are spent).
    """

    organization: str
    service: str
    cap: int
    in_flight: int
    daily_limit: int | None
    daily_remaining: int | None
    resets_at: datetime | None
    credits_remaining: int | None
    #: Zoho asked every worker to wait until then (a 429), if that is still ahead.
    backoff_until: datetime | None
    last_throttled_at: datetime | None
    throttled_count: int
    updated_at: datetime | None


def _status(figures: Figures, held: list[Held] | None = None) -> LimitStatus:
    limits = zoho_settings.LIMITS
    cap = limits.cap_for(figures.organization, figures.service)
    if held is None:
        held = slot_store(limits.store, limits.cache).occupied(
            slot_key(figures.service, figures.organization), cap
        )
    backoff = figures.backoff_until
    now = datetime.now(backoff.tzinfo) if backoff is not None else None
    return LimitStatus(
        organization=figures.organization,
        service=figures.service,
        cap=cap,
        in_flight=sum(1 for slot in held if slot.holder != BACKOFF),
        daily_limit=figures.daily_limit,
        daily_remaining=figures.daily_remaining,
        resets_at=figures.resets_at,
        credits_remaining=figures.credits_remaining,
        backoff_until=backoff
        if backoff is not None and now is not None and backoff > now
        else None,
        last_throttled_at=figures.last_throttled_at,
        throttled_count=figures.throttled_count,
        updated_at=figures.updated_at,
    )


def status(organization: str, service: str = "crm") -> LimitStatus:
    """The limits of ``organization``'s ``service`` now (a Zoho organisation: the CRM's org
    id, ``zgid``, for ``"crm"``; the Books ``organization_id`` for ``"books"``)."""
    limits = zoho_settings.LIMITS
    flush_releases()
    for figures in read_figures(limits.store, limits.cache, organization):
        if figures.service == service:
            return _status(figures)
    return _status(Figures(organization, service))


def statuses(organization: str | None = None) -> list[LimitStatus]:
    """The limits of every organisation and service Zoho reported on (or of one
    organisation), sorted by organisation and service: two queries (the figures, the slots
    held) whatever the number of organisations."""
    limits = zoho_settings.LIMITS
    flush_releases()
    found = read_figures(limits.store, limits.cache, organization)
    keys = {slot_key(f.service, f.organization): f for f in found}
    caps = {key: limits.cap_for(f.organization, f.service) for key, f in keys.items()}
    held = slot_store(limits.store, limits.cache).occupied_many(caps) if caps else {}
    return sorted(
        (_status(figures, held.get(key, [])) for key, figures in keys.items()),
        key=lambda s: (s.organization, s.service),
    )
