"""What one answer says about the limits (``zoho_tokens.limits.answers``)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

from requests.structures import CaseInsensitiveDict

from zoho_tokens.limits.answers import read_report, retry_after_seconds


def headers(**values: str) -> CaseInsensitiveDict[str]:
    return CaseInsensitiveDict({name.replace("_", "-"): value for name, value in values.items()})


def test_books_daily_quota_headers_are_read_as_recorded() -> None:
    report = read_report(
        200,
        headers(
            x_rate_limit_limit="1000",
            X_Rate_Limit_Remaining="987",
            x_rate_limit_reset="3600",
        ),
    )

    assert (report.daily_limit, report.daily_remaining, report.resets_in) == (1000, 987, 3600.0)
    assert report.has_figures
    assert not report.throttled


def test_crm_credits_are_read_when_sent_and_none_when_not() -> None:
    assert read_report(200, headers(X_API_CREDITS_REMAINING="24000")).credits_remaining == 24000
    assert read_report(200, headers()).credits_remaining is None


def test_x_accesstoken_reset_is_read_in_the_users_offset() -> None:
    report = read_report(200, headers(X_Accesstoken_Reset="2021-08-17T16:57:15+02:00"))

    expected = datetime(2021, 8, 17, 14, 57, 15, tzinfo=timezone.utc)
    assert report.token_expires_at_ms == int(expected.timestamp() * 1000)


def test_an_x_accesstoken_reset_without_offset_or_unreadable_is_ignored() -> None:
    assert (
        read_report(200, headers(X_Accesstoken_Reset="2021-08-17T16:57:15")).token_expires_at_ms
        is None
    )
    assert read_report(200, headers(X_Accesstoken_Reset="soon")).token_expires_at_ms is None


def test_retry_after_in_seconds_or_as_an_http_date() -> None:
    assert retry_after_seconds(headers(Retry_After="7")) == 7
    later = datetime.now(timezone.utc) + timedelta(seconds=30)
    assert (
        28
        <= (retry_after_seconds(headers(Retry_After=format_datetime(later, usegmt=True))) or 0)
        <= 30
    )
    assert retry_after_seconds(headers(Retry_After="whenever")) is None
    assert retry_after_seconds(headers()) is None


def test_retry_after_counts_only_on_a_429() -> None:
    assert read_report(200, headers(Retry_After="7")).retry_after is None
    assert read_report(429, headers(Retry_After="7")).retry_after == 7


def test_retry_after_is_read_strictly_and_stays_bounded() -> None:
    # 400 nines (float() would say infinity), a date in the year 9999, more than a day,
    # other scripts' digits: not believed.
    assert retry_after_seconds(headers(Retry_After="9" * 400)) is None
    assert retry_after_seconds(headers(Retry_After="Fri, 31 Dec 9999 23:59:59 GMT")) is None
    assert retry_after_seconds(headers(Retry_After="86401")) is None
    assert retry_after_seconds(headers(Retry_After="\u0663")) is None
    assert retry_after_seconds(headers(Retry_After="Wed, 21 Oct 2015 07:28:00 GMT")) is None
    # A date just past: call again now.
    just_past = datetime.now(timezone.utc) - timedelta(seconds=5)
    assert retry_after_seconds(headers(Retry_After=format_datetime(just_past, usegmt=True))) == 0


def test_hostile_figures_are_not_kept() -> None:
    report = read_report(200, headers(x_rate_limit_limit="9" * 400, X_API_CREDITS_REMAINING="1e9"))
    assert (report.daily_limit, report.credits_remaining) == (None, None)
