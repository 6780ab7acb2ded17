"""What one Zoho answer says about the limits: read from its status and headers.

* Zoho Books: ``x-rate-limit-limit``, ``x-rate-limit-remaining`` (the organisation's daily
  quota) and ``x-rate-limit-reset`` (seconds until it resets) on every answer (recorded).
* Zoho CRM: ``X-Accesstoken-Reset``, when the access token used expires, in the user's
  offset (``2021-08-17T16:57:15+02:00``; recorded); ``X-API-CREDITS-REMAINING``, the
  organisation's API credits left (one secondary source: present only once half the
  credits are spent, so its absence says nothing).
* Any service: ``Retry-After`` on a 429 (seconds, or an HTTP date as RFC 9110 allows).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from zoho_tokens.accounts.numbers import MAX_RETRY_AFTER, MAX_ROW_ID, strict_int

__all__ = ["Report", "read_report", "retry_after_seconds"]


@dataclass(frozen=True)
class Report:
    """The limits one answer reported; None where it said nothing."""

    status: int
    daily_limit: int | None = None
    daily_remaining: int | None = None
    resets_in: float | None = None
    credits_remaining: int | None = None
    retry_after: float | None = None
    #: The access token's real expiry (CRM's ``X-Accesstoken-Reset``), epoch milliseconds.
    token_expires_at_ms: int | None = None

    @property
    def throttled(self) -> bool:
        """Whether Zoho refused the call for its limits (HTTP 429)."""
        return self.status == 429

    @property
    def has_figures(self) -> bool:
        """Whether the answer carried any figure worth keeping."""
        return any(
            value is not None
            for value in (
                self.daily_limit,
                self.daily_remaining,
                self.resets_in,
                self.credits_remaining,
            )
        )


def _number(headers: Mapping[str, str], name: str) -> int | None:
    # Read strictly (accounts.numbers): 400 nines, "nan" or "1_000" say nothing.
    return strict_int(headers.get(name), maximum=MAX_ROW_ID)


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """``Retry-After`` in seconds (whole seconds, or an HTTP date); None when absent,
    unreadable, or further than :data:`~zoho_tokens.accounts.numbers.MAX_RETRY_AFTER` (a
    wait that long is not believed, whether as 400 nines or a date in the year 9999; nor
    is a date that long past). A date just past is 0: call again now."""
    value = (headers.get("Retry-After") or "").strip(" \t")
    if not value:
        return None
    if value.isascii() and value.isdigit():
        seconds = strict_int(value, maximum=MAX_RETRY_AFTER)
        return None if seconds is None else float(seconds)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000": UTC, as RFC 5322 reads it
        when = when.replace(tzinfo=timezone.utc)
    seconds_left = when.timestamp() - datetime.now(timezone.utc).timestamp()
    if not math.isfinite(seconds_left) or abs(seconds_left) > MAX_RETRY_AFTER:
        return None  # the year 9999, or a clock (theirs or ours) a day or more wrong
    return max(0.0, seconds_left)


def _token_expiry_ms(headers: Mapping[str, str]) -> int | None:
    value = (headers.get("X-Accesstoken-Reset") or "").strip()
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    if when.tzinfo is None:
        return None  # no offset: the moment it names is unknown
    return int(when.timestamp() * 1000)


def read_report(status: int, headers: Mapping[str, str]) -> Report:
    """The limits in one answer's status and headers (``headers``: case-insensitive, as
    ``requests`` gives them)."""
    resets = _number(headers, "x-rate-limit-reset")
    return Report(
        status=status,
        daily_limit=_number(headers, "x-rate-limit-limit"),
        daily_remaining=_number(headers, "x-rate-limit-remaining"),
        resets_in=None if resets is None else float(resets),
        credits_remaining=_number(headers, "X-API-CREDITS-REMAINING"),
        retry_after=retry_after_seconds(headers) if status == 429 else None,
        token_expires_at_ms=_token_expiry_ms(headers),
    )
