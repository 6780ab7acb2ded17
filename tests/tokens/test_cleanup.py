"""``cleanup_zoho_tokens`` and ``zoho_tokens.tokens.cleanup``: what goes, what stays, in batches."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from zoho_tokens.models import TokenStatus, ZohoToken, now_ms
from zoho_tokens.testing import REVOKE_PATH, FakeZoho
from zoho_tokens.tokens.cleanup import CATEGORIES, run_cleanup
from zoho_tokens.tokens.connect import connect_with_code
from zoho_tokens.tokens.revocation import revoke_token

pytestmark = pytest.mark.django_db

HOUR_MS = 3600 * 1000


def make_token(
    *,
    status: str = TokenStatus.ACTIVE,
    age_of_status: timedelta = timedelta(0),
    age: timedelta = timedelta(0),
    refresh_token: str | None = None,
    access_token: str | None = None,
    expires_at_ms: int | None = None,
    grant_token: str | None = None,
    remote_revoke_pending: bool = False,
) -> ZohoToken:
    """A row as the app would have left it, aged by writing its timestamps."""
    token = ZohoToken(status=status, remote_revoke_pending=remote_revoke_pending)
    token.refresh_token = refresh_token
    token.access_token = access_token
    token.grant_token = grant_token
    token.expires_at_ms = expires_at_ms
    token.save()
    now = timezone.now()
    ZohoToken.objects.filter(pk=token.pk).update(
        status_changed_at=now - age_of_status, created_at=now - age
    )
    return token


def exists(token: ZohoToken) -> bool:
    return ZohoToken.objects.filter(pk=token.pk).exists()


def cleanup(*args: str) -> str:
    out = StringIO()
    call_command("cleanup_zoho_tokens", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def one_of_each() -> dict[str, ZohoToken]:
    """One row per category that cleanup deletes, and one just short of each."""
    expired = now_ms() - 1000
    return {
        "revoked": make_token(status=TokenStatus.REVOKED, age_of_status=timedelta(days=31)),
        "revoked_recently": make_token(
            status=TokenStatus.REVOKED, age_of_status=timedelta(days=29)
        ),
        "unrecoverable": make_token(access_token="1000.at", expires_at_ms=expired),
        "refreshable": make_token(
            refresh_token="1000.rt", access_token="1000.at", expires_at_ms=expired
        ),
        "unexchanged_grant": make_token(grant_token="1000.gc", age=timedelta(minutes=11)),
        "grant_just_issued": make_token(grant_token="1000.gc2", age=timedelta(minutes=5)),
        "needs_reauth": make_token(
            status=TokenStatus.NEEDS_REAUTH,
            refresh_token="1000.rt-dead",
            age_of_status=timedelta(days=31),
        ),
        "needs_reauth_recently": make_token(
            status=TokenStatus.NEEDS_REAUTH,
            refresh_token="1000.rt-dead2",
            age_of_status=timedelta(days=29),
        ),
    }


# -- what goes and what stays ----------------------------------------------------------------


def test_dry_run_counts_each_category_and_deletes_nothing(one_of_each):
    output = cleanup("--dry-run")

    assert "Dry run: nothing will be changed." in output
    assert "Revoked more than 30 days ago: 1 would be deleted." in output
    assert (
        "Can never work again (no refresh token, access token expired): 1 would be deleted."
        in output
    )
    assert "Grant tokens not exchanged within 10 minutes: 1 would be deleted." in output
    assert "Needing re-authorisation for more than 30 days: 1 would be deleted." in output
    assert ZohoToken.objects.count() == len(one_of_each)


def test_cleanup_prints_a_count_per_category(one_of_each):
    output = cleanup()

    assert output.splitlines() == [
        "Pending revocations at Zoho: 0 done, 0 still pending.",
        "Revoked more than 30 days ago: 1 deleted.",
        "Can never work again (no refresh token, access token expired): 1 deleted.",
        "Grant tokens not exchanged within 10 minutes: 1 deleted.",
        "Needing re-authorisation for more than 30 days: 1 deleted.",
        "History: 0 events older than 90 days deleted.",
    ]


def test_cleanup_deletes_revoked_tokens_older_than_30_days(one_of_each):
    cleanup()

    assert not exists(one_of_each["revoked"])
    assert exists(one_of_each["revoked_recently"])


def test_cleanup_keeps_an_old_revoked_token_whose_revocation_at_zoho_is_pending():
    pending = make_token(
        status=TokenStatus.REVOKED,
        refresh_token="1000.rt",
        remote_revoke_pending=True,
        age_of_status=timedelta(days=90),
    )

    counts = run_cleanup()

    assert counts["revoked"] == 0
    assert exists(pending)


def test_cleanup_deletes_tokens_that_can_never_work_again(one_of_each):
    cleanup()

    assert not exists(one_of_each["unrecoverable"])
    assert exists(one_of_each["refreshable"])


def test_cleanup_keeps_a_token_without_refresh_token_until_its_access_token_expires():
    still_valid = make_token(access_token="1000.at", expires_at_ms=now_ms() + HOUR_MS)

    cleanup()

    assert exists(still_valid)


def test_cleanup_deletes_grant_tokens_never_exchanged_after_10_minutes(one_of_each):
    cleanup()

    assert not exists(one_of_each["unexchanged_grant"])
    assert exists(one_of_each["grant_just_issued"])


def test_cleanup_deletes_tokens_needing_reauthorisation_for_more_than_30_days(one_of_each):
    cleanup()

    assert not exists(one_of_each["needs_reauth"])
    assert exists(one_of_each["needs_reauth_recently"])


def test_older_than_sets_the_age_of_revoked_and_reauth_tokens_that_go(one_of_each):
    output = cleanup("--older-than", "7")

    assert "Revoked more than 7 days ago: 2 deleted." in output
    assert "Needing re-authorisation for more than 7 days: 2 deleted." in output
    assert not exists(one_of_each["revoked_recently"])
    assert not exists(one_of_each["needs_reauth_recently"])


def test_cleanup_never_deletes_an_active_token_that_works(one_of_each):
    working = make_token(
        refresh_token="1000.rt-live",
        access_token="1000.at-live",
        expires_at_ms=now_ms() + HOUR_MS,
        age=timedelta(days=400),
        age_of_status=timedelta(days=400),
    )

    cleanup("--older-than", "0")

    assert exists(working)


def test_cleanup_rejects_a_batch_size_below_one():
    with pytest.raises(CommandError, match="batch-size"):
        cleanup("--batch-size", "0")


def test_cleanup_rejects_a_negative_age():
    with pytest.raises(CommandError, match="older-than"):
        cleanup("--older-than", "-1")


# -- pending revocations ---------------------------------------------------------------------


@pytest.fixture
def pending(fake_zoho: FakeZoho) -> tuple[ZohoToken, str]:
    """A token revoked while Zoho was down, and its refresh token (still live at Zoho)."""
    token = connect_with_code(
        fake_zoho.issue_code(), accounts_server=fake_zoho.url, redirect_uri=None
    ).token
    refresh_token = token.refresh_token
    fake_zoho.fail("revoke", "down", times=1)
    revoke_token(token)
    fake_zoho.reset_counts()
    return token, refresh_token


def test_cleanup_first_retries_pending_revocations_at_zoho(fake_zoho, pending):
    token, refresh_token = pending

    output = cleanup()

    assert "Pending revocations at Zoho: 1 done, 0 still pending." in output
    assert fake_zoho.count(REVOKE_PATH, token=refresh_token) == 1
    assert not fake_zoho.is_refresh_token_active(refresh_token)
    row = ZohoToken.objects.get(pk=token.pk)
    assert not row.remote_revoke_pending
    assert row.refresh_token_encrypted == ""


def test_cleanup_reports_revocations_still_pending_while_zoho_is_down(fake_zoho, pending):
    token, _refresh_token = pending
    fake_zoho.fail("revoke", "down")

    output = cleanup()

    assert "Pending revocations at Zoho: 0 done, 1 still pending." in output
    assert ZohoToken.objects.get(pk=token.pk).remote_revoke_pending


def test_dry_run_does_not_contact_zoho(fake_zoho, pending):
    output = cleanup("--dry-run")

    assert "Pending revocations at Zoho: 1, not retried in a dry run." in output
    assert fake_zoho.requests == []


# -- batches ---------------------------------------------------------------------------------


@pytest.fixture
def many_unrecoverable() -> int:
    """2,500 rows with nothing to refresh with, and 10 working ones among them."""
    ZohoToken.objects.bulk_create([ZohoToken() for _ in range(2500)], batch_size=500)
    working = []
    for n in range(10):
        token = ZohoToken(expires_at_ms=now_ms() + HOUR_MS)
        token.access_token = f"1000.at-{n}"
        token.refresh_token = f"1000.rt-{n}"
        working.append(token)
    ZohoToken.objects.bulk_create(working)
    return 2500


def deletes_in(queries: list[dict[str, str]]) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("DELETE")]


def test_cleanup_deletes_in_batches_of_batch_size(many_unrecoverable):
    with CaptureQueriesContext(connection) as captured:
        counts = run_cleanup(batch_size=400)

    assert counts["unrecoverable"] == many_unrecoverable
    assert len(deletes_in(captured.captured_queries)) == 7  # 6 full batches of 400, then 100
    assert ZohoToken.objects.count() == 10


def test_cleanup_never_loads_token_instances_to_delete_them(many_unrecoverable):
    with CaptureQueriesContext(connection) as captured:
        run_cleanup(batch_size=400)

    selects = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].lstrip().upper().startswith("SELECT")
    ]
    # Instances need every column; batches read the primary key alone (the retry of pending
    # revocations too, which finds none here and so loads no instance either).
    whole_rows = [sql for sql in selects if "client_secret_encrypted" in sql]
    assert whole_rows == []


def test_cleanup_reports_each_batch_when_verbose(many_unrecoverable):
    output = cleanup("--batch-size", "1000", "--verbosity", "2")

    progress = [line for line in output.splitlines() if "deleted so far" in line]
    assert [line.rsplit(": ", 1)[1] for line in progress] == [
        "1000 deleted so far",
        "2000 deleted so far",
        "2500 deleted so far",
    ]


def test_every_category_is_counted(one_of_each):
    counts = run_cleanup(dry_run=True)

    assert {category.name for category in CATEGORIES} <= set(counts)
    assert [counts[category.name] for category in CATEGORIES] == [1, 1, 1, 1]
