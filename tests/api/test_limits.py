"""``session_for`` within Zoho's limits: a slot of the organisation's cap per call, a 429 a
ZohoThrottledError that every worker honours (retried only when asked, and only when
idempotent), Books' figures kept, the token's real expiry learnt."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import ORG, connect
from tests.limits.conftest import use_limits
from zoho_tokens.api.session import session_for
from zoho_tokens.exceptions import ZohoThrottledError
from zoho_tokens.limits import status
from zoho_tokens.models import ZohoToken
from zoho_tokens.testing import TOKEN_PATH, FakeZoho
from zoho_tokens.testing.accounts.users import DEFAULT_ZGID

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("crm_and_books_services")]

FIELDS = {"fields": "Last_Name"}


def leads_calls(fake_zoho: FakeZoho) -> int:
    return sum(1 for r in fake_zoho.requests if r.path.endswith("/Leads"))


def test_a_429_names_zohos_delay_and_the_organisation(fake_zoho: FakeZoho) -> None:
    alice = connect(fake_zoho, "alice")
    fake_zoho.limits.concurrency_cap = 0
    fake_zoho.limits.concurrency_retry_after = 12

    with pytest.raises(ZohoThrottledError) as raised:
        session_for(alice.user).get("Leads", params=FIELDS)

    assert raised.value.retry_after == 12
    assert DEFAULT_ZGID in str(raised.value)
    assert raised.value.http_status == 503


def test_every_user_of_the_organisation_backs_off_after_one_429(
    fake_zoho: FakeZoho, settings: Any
) -> None:
    alice, bob = connect(fake_zoho, "alice"), connect(fake_zoho, "bob")
    use_limits(settings, WAIT=1)
    fake_zoho.limits.concurrency_cap = 0
    fake_zoho.limits.concurrency_retry_after = 30
    with pytest.raises(ZohoThrottledError):
        session_for(alice.user).get("Leads", params=FIELDS)
    fake_zoho.limits.concurrency_cap = None
    fake_zoho.reset_counts()

    with pytest.raises(ZohoThrottledError) as raised:
        session_for(bob.user).get("Leads", params=FIELDS)

    assert raised.value.error == "backoff"
    assert leads_calls(fake_zoho) == 0


def test_an_idempotent_call_is_retried_after_the_delay_when_asked(
    fake_zoho: FakeZoho, settings: Any
) -> None:
    alice = connect(fake_zoho, "alice")
    use_limits(settings, RETRIES=1, DEFAULT_BACKOFF=0.2, WAIT=2)
    fake_zoho.fail("crm", "throttle", times=1)  # a 429 with no Retry-After
    fake_zoho.reset_counts()

    response = session_for(alice.user).get("Leads", params=FIELDS)

    assert response.status_code == 200
    assert leads_calls(fake_zoho) == 2


def test_retries_are_off_by_default(fake_zoho: FakeZoho, settings: Any) -> None:
    alice = connect(fake_zoho, "alice")
    use_limits(settings, DEFAULT_BACKOFF=0.2)
    fake_zoho.fail("crm", "throttle", times=1)
    fake_zoho.reset_counts()

    with pytest.raises(ZohoThrottledError):
        session_for(alice.user).get("Leads", params=FIELDS)

    assert leads_calls(fake_zoho) == 1


def test_a_post_is_never_retried(fake_zoho: FakeZoho, settings: Any) -> None:
    alice = connect(fake_zoho, "alice")
    use_limits(settings, RETRIES=3, DEFAULT_BACKOFF=0.2)
    fake_zoho.fail("crm", "throttle", times=1)
    fake_zoho.reset_counts()

    with pytest.raises(ZohoThrottledError):
        session_for(alice.user).post("Leads", json={"data": [{"Last_Name": "Lovelace"}]})

    assert leads_calls(fake_zoho) == 1


def test_a_delay_longer_than_the_retry_bound_is_not_waited(
    fake_zoho: FakeZoho, settings: Any
) -> None:
    alice = connect(fake_zoho, "alice")
    use_limits(settings, RETRIES=3, MAX_RETRY_WAIT=1)
    fake_zoho.limits.concurrency_cap = 0
    fake_zoho.limits.concurrency_retry_after = 5
    fake_zoho.reset_counts()

    with pytest.raises(ZohoThrottledError):
        session_for(alice.user).get("Leads", params=FIELDS)

    assert leads_calls(fake_zoho) == 1


def test_books_daily_quota_is_kept_for_every_worker(fake_zoho: FakeZoho) -> None:
    alice = connect(fake_zoho, "alice")

    session_for(alice.user, "books").get("estimates")

    books = status(ORG, "books")
    assert books.daily_limit == fake_zoho.books.daily_limit
    assert books.daily_remaining is not None
    assert books.daily_remaining < books.daily_limit


def test_a_books_429_backs_off_its_organisation(fake_zoho: FakeZoho, settings: Any) -> None:
    alice = connect(fake_zoho, "alice")
    use_limits(settings, WAIT=0.5)
    fake_zoho.books.per_minute_limit = 1
    session = session_for(alice.user, "books", organization_id=ORG)
    session.get("estimates")

    with pytest.raises(ZohoThrottledError) as raised:
        session.get("estimates")

    assert raised.value.retry_after is not None
    assert raised.value.retry_after > 1
    assert status(ORG, "books").backoff_until is not None
    assert status(DEFAULT_ZGID, "crm").backoff_until is None


def test_the_crm_credits_header_is_kept_once_zoho_sends_it(fake_zoho: FakeZoho) -> None:
    alice = connect(fake_zoho, "alice")
    fake_zoho.limits.reset()  # forget the calls connecting made
    fake_zoho.limits.daily_credits = 2  # half spent after the first call

    session_for(alice.user).get("Leads", params=FIELDS)

    assert status(DEFAULT_ZGID).credits_remaining == 1


def test_a_token_zoho_says_dies_sooner_is_refreshed_before_it_dies(fake_zoho: FakeZoho) -> None:
    alice = connect(fake_zoho, "alice")
    stored = alice.expires_at_ms
    ZohoToken.objects.filter(pk=alice.pk).update(expires_at_ms=stored + 3_000_000)
    fake_zoho.advance_time(3590)  # at Zoho, 10 seconds left
    session = session_for(alice.user)
    session.get("Leads", params=FIELDS)
    fake_zoho.reset_counts()

    session.get("Leads", params=FIELDS)

    # Refreshed ahead of the call (REFRESH_MARGIN), not after a refused one.
    assert fake_zoho.count(TOKEN_PATH, grant_type="refresh_token") == 1
    assert not [r for r in fake_zoho.requests if r.status == 401]
