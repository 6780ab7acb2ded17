"""The ``ZohoToken`` model: fields, domain operations, queries, and what it shows."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction

from tests.helpers import rows_with_secret
from zoho_tokens.exceptions import (
    ReauthorizationRequired,
    TokenDecryptionError,
    ZohoOAuthError,
)
from zoho_tokens.models import DisplayStatus, TokenStatus, ZohoToken, now_ms
from zoho_tokens.models.fields import plain_digest

pytestmark = pytest.mark.django_db

HOUR_MS = 3_600_000
SECRETS = {
    "client_secret": "client-secret-SECRETVALUE",
    "refresh_token": "1000.rtSECRETVALUErefresh.0123456789abcdef0123456789abcd",
    "access_token": "1000.atSECRETVALUEaccess.fedcba9876543210fedcba98765432",
    "grant_token": "1000.gcSECRETVALUEgrant.00112233445566778899aabbccddeeff",
}


def make_row(user_name="ada@example.com:700000001", client_id="1000.CLIENT", **fields):
    row = ZohoToken(client_id=client_id, expires_at_ms=now_ms() + HOUR_MS)
    row.set_user_name(user_name)
    for name, value in {**SECRETS, **fields}.items():
        setattr(row, name, value)
    row.save()
    return row


def revoked_row(user_name, remote_pending=True, **fields):
    """A saved row, revoked here; ``remote_pending`` keeps its revocation at Zoho to do."""
    row = make_row(user_name=user_name, **fields)
    row.mark_revoked(remote_pending=remote_pending)
    row.save()
    return row


def reauth_row(user_name):
    """A saved row that needs the user to consent again."""
    row = make_row(user_name=user_name)
    row.mark_needs_reauth()
    row.save()
    return row


# -- what it shows ----------------------------------------------------------------------------


def test_repr_names_the_row_without_any_secret():
    row = make_row()
    text = repr(row)
    assert f"id={row.pk}" in text
    assert "ada@example.com:700000001" in text
    assert not any(secret in text for secret in SECRETS.values())
    assert row.refresh_token_encrypted not in text


def test_str_is_the_zoho_user_name():
    assert str(make_row()) == "ada@example.com:700000001"


def test_str_without_user_name_names_the_id():
    row = make_row(user_name=None)
    assert str(row) == f"Zoho token {row.pk}"


def test_masked_shows_at_most_the_last_four_characters():
    row = make_row()
    masked = row.masked("refresh_token")
    assert masked.endswith(SECRETS["refresh_token"][-4:])
    assert SECRETS["refresh_token"][:-4] not in masked
    assert SECRETS["refresh_token"][-5:] not in masked


def test_masked_short_secret_shows_nothing_of_it():
    row = make_row(client_secret="abcd1234")
    assert "1234" not in row.masked("client_secret")


def test_masked_empty_secret_is_a_dash():
    row = make_row(grant_token=None)
    assert row.masked("grant_token") == "\u2014"


def test_masked_refuses_a_field_that_is_not_a_secret():
    with pytest.raises(ValueError, match="not a secret"):
        make_row().masked("user_name")


def test_exception_messages_carry_no_secret():
    row = make_row()
    errors = [
        ReauthorizationRequired(row.pk),
        TokenDecryptionError(row.pk, "refresh token"),
        ZohoOAuthError("Zoho answered invalid_client", error="invalid_client"),
    ]
    for error in errors:
        for text in (str(error), repr(error)):
            assert not any(secret in text for secret in SECRETS.values())
    assert str(row.pk) in str(errors[0])


# -- secrets ----------------------------------------------------------------------------------


def test_secrets_round_trip_through_the_database():
    row = ZohoToken.objects.get(pk=make_row().pk)
    assert {name: getattr(row, name) for name in SECRETS} == SECRETS


def test_secrets_are_stored_encrypted():
    row = make_row()
    for name, secret in SECRETS.items():
        assert getattr(row, f"{name}_encrypted")
        assert secret not in getattr(row, f"{name}_encrypted")


@pytest.mark.parametrize("empty", [None, ""])
def test_assigning_an_empty_secret_clears_it_and_its_digest(empty):
    row = make_row()
    row.access_token = empty
    row.save()
    row.refresh_from_db()
    assert row.access_token is None
    assert row.access_token_encrypted == ""
    assert row.access_token_digest is None


def test_client_secret_has_no_lookup_digest():
    assert not hasattr(make_row(), "client_secret_digest")


def test_with_refresh_digest_recognises_the_rows_refresh_token():
    row = make_row()
    assert row.with_refresh_digest(SECRETS["refresh_token"])
    assert not row.with_refresh_digest("another-refresh-token")


# -- user name --------------------------------------------------------------------------------


def test_set_user_name_sets_its_digest():
    row = make_row()
    assert row.user_name_digest == plain_digest("ada@example.com:700000001")


@pytest.mark.parametrize("empty", [None, ""])
def test_set_user_name_empty_clears_both(empty):
    row = ZohoToken()
    row.set_user_name("x@example.com:1")
    row.set_user_name(empty)
    assert (row.user_name, row.user_name_digest) == (None, None)


def test_email_is_the_user_name_before_the_org_id():
    assert make_row().email == "ada@example.com"


def test_email_of_a_user_name_without_org_id_is_the_whole_name():
    assert make_row(user_name="ada@example.com").email == "ada@example.com"


def test_email_without_user_name_is_none():
    assert make_row(user_name=None).email is None


def test_user_link_is_optional_and_nullable():
    user = get_user_model().objects.create_user("ada")
    linked = make_row(user=user)
    unlinked = make_row(user_name="bob@example.com:1")
    assert list(user.zoho_tokens.all()) == [linked]
    assert unlinked.user is None


# -- one row per Zoho user and client ---------------------------------------------------------


def test_one_row_per_zoho_user_and_client_is_a_database_constraint():
    make_row()
    with pytest.raises(IntegrityError), transaction.atomic():
        make_row()


def test_same_zoho_user_may_have_a_row_per_client():
    make_row(client_id="1000.A")
    make_row(client_id="1000.B")
    assert ZohoToken.objects.count() == 2


def test_rows_without_user_name_do_not_collide():
    make_row(user_name=None)
    make_row(user_name=None)
    assert ZohoToken.objects.count() == 2


# -- expiry and status ------------------------------------------------------------------------


def test_expires_at_is_an_aware_datetime():
    row = ZohoToken(expires_at_ms=1_700_000_000_123)
    assert row.expires_at == datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=timezone.utc)


def test_expires_at_without_expiry_is_none():
    assert ZohoToken().expires_at is None


def test_expiry_holds_epoch_milliseconds_beyond_32_bits():
    row = make_row()
    row.expires_at_ms = 4_102_444_800_000  # 2100-01-01
    row.save()
    row.refresh_from_db()
    assert row.expires_at_ms == 4_102_444_800_000


def test_access_expires_within():
    row = make_row()
    row.expires_at_ms = now_ms() + 30_000
    assert row.access_expires_within(60)
    assert not row.access_expires_within(10)


def test_access_without_token_or_expiry_counts_as_expired():
    assert make_row(access_token=None).access_expires_within(0)
    row = make_row(user_name="b@example.com:1")
    row.expires_at_ms = None
    assert row.access_expires_within(0)


def test_display_status_active():
    assert make_row().display_status == DisplayStatus.ACTIVE


def test_display_status_expired_but_refreshable():
    row = make_row()
    row.expires_at_ms = now_ms() - 1
    assert row.display_status == DisplayStatus.EXPIRED
    assert row.is_usable


def test_display_status_revoked():
    row = make_row()
    row.mark_revoked(remote_pending=False)
    assert row.display_status == DisplayStatus.REVOKED


def test_display_status_needs_reauth():
    row = make_row()
    row.mark_needs_reauth()
    assert row.display_status == DisplayStatus.NEEDS_REAUTH


def test_new_rows_are_active_and_usable():
    row = make_row()
    assert row.status == TokenStatus.ACTIVE
    assert row.is_usable


def test_set_status_records_when():
    row = make_row()
    before = row.status_changed_at
    row.set_status(TokenStatus.NEEDS_REAUTH)
    assert row.status == TokenStatus.NEEDS_REAUTH
    assert row.status_changed_at > before
    assert (datetime.now(timezone.utc) - row.status_changed_at).total_seconds() >= 0


def test_mark_revoked_wipes_every_secret():
    row = make_row()
    row.mark_revoked(remote_pending=False)
    row.save()
    row.refresh_from_db()
    assert not row.is_usable
    assert [getattr(row, name) for name in SECRETS] == [None, None, None, None]
    assert row.expires_at_ms is None
    assert not row.remote_revoke_pending


def test_mark_revoked_pending_keeps_only_the_refresh_token():
    row = make_row()
    row.mark_revoked(remote_pending=True)
    row.save()
    row.refresh_from_db()
    assert row.remote_revoke_pending
    assert row.refresh_token == SECRETS["refresh_token"]
    assert (row.access_token, row.grant_token, row.client_secret) == (None, None, None)


def test_wipe_secrets_keeps_the_refresh_digest():
    row = make_row()
    row.wipe_secrets()
    assert row.refresh_token is None
    assert row.with_refresh_digest(SECRETS["refresh_token"])


def test_mark_needs_reauth_drops_the_access_token_only():
    row = make_row()
    row.mark_needs_reauth()
    assert row.status == TokenStatus.NEEDS_REAUTH
    assert (row.access_token, row.expires_at_ms) == (None, None)
    assert row.refresh_token == SECRETS["refresh_token"]


# -- queries ----------------------------------------------------------------------------------


def test_status_querysets():
    active = make_row(user_name="a@example.com:1")
    revoked = revoked_row("r@example.com:1")
    reauth = reauth_row("n@example.com:1")
    assert list(ZohoToken.objects.usable()) == [active]
    assert list(ZohoToken.objects.revoked()) == [revoked]
    assert list(ZohoToken.objects.needing_reauth()) == [reauth]
    assert list(ZohoToken.objects.pending_remote_revocation()) == [revoked]


def test_access_expired_query():
    fresh = make_row(user_name="f@example.com:1")
    expired = make_row(user_name="e@example.com:1")
    expired.expires_at_ms = now_ms() - 1
    expired.save()
    unknown = make_row(user_name="u@example.com:1")
    unknown.expires_at_ms = None
    unknown.save()
    assert set(ZohoToken.objects.access_expired()) == {expired, unknown}
    assert fresh in ZohoToken.objects.access_expired(at_ms=now_ms() + 2 * HOUR_MS)


@pytest.mark.parametrize("name", ["refresh_token", "access_token", "grant_token"])
def test_with_secret_finds_the_row_by_value(name):
    row = make_row()
    make_row(user_name="other@example.com:1", **{name: "other-value"})
    assert list(rows_with_secret(name, SECRETS[name])) == [row]
    assert not rows_with_secret(name, SECRETS[name] + "x").exists()


def test_with_user_name_is_exact():
    row = make_row()
    make_row(user_name="ADA@example.com:700000001")
    assert list(ZohoToken.objects.with_user_name("ada@example.com:700000001")) == [row]
    assert not ZohoToken.objects.with_user_name("ada@example.com").exists()


def rows_in_every_state() -> list[ZohoToken]:
    """One row per display status, plus the edge cases of "access expired"."""
    expired = make_row(user_name="expired@example.com:1", expires_at_ms=now_ms() - HOUR_MS)
    no_expiry = make_row(user_name="noexpiry@example.com:1", expires_at_ms=None)
    no_access_token = make_row(user_name="noaccess@example.com:1", access_token=None)
    revoked = revoked_row("revoked@example.com:1")
    reauth = reauth_row("reauth@example.com:1")
    return [make_row(), expired, no_expiry, no_access_token, revoked, reauth]


def test_access_expired_query_and_model_agree():
    rows = rows_in_every_state()
    boundary = make_row(user_name="boundary@example.com:1")
    at_ms = boundary.expires_at_ms
    assert at_ms is not None

    expected = {row.pk for row in [*rows, boundary] if row.access_expired_at(at_ms)}

    assert set(ZohoToken.objects.access_expired(at_ms).values_list("pk", flat=True)) == expected
    assert boundary.pk in expected
    assert {rows[2].pk, rows[3].pk} <= expected  # no expiry, no access token: expired


@pytest.mark.parametrize("status", DisplayStatus.values)
def test_display_status_query_and_model_agree(status):
    rows = rows_in_every_state()

    expected = {row.pk for row in rows if row.display_status == status}

    found = ZohoToken.objects.with_display_status(status).values_list("pk", flat=True)
    assert set(found) == expected
    assert expected


def test_disconnectable_by_is_the_users_own_revocable_tokens():
    ann, ben = (get_user_model().objects.create_user(name) for name in ("ann", "ben"))
    active = make_row(user_name="a@example.com:1", user=ann)
    pending = revoked_row("p@example.com:1", user=ann)
    done = revoked_row("d@example.com:1", remote_pending=False, user=ann)
    make_row(user_name="b@example.com:1", user=ben)

    found = set(ZohoToken.objects.disconnectable_by(ann))

    assert found == {active, pending}
    assert [row.is_revocable for row in (active, pending, done)] == [True, True, False]


def test_disconnectable_by_an_anonymous_visitor_is_nothing():
    make_row()

    assert not ZohoToken.objects.disconnectable_by(AnonymousUser()).exists()


def test_primary_key_batches_walk_every_key_in_order():
    pks = [make_row(user_name=f"u{n}@example.com:1").pk for n in range(5)]

    batches = list(ZohoToken.objects.primary_key_batches(2))

    assert batches == [pks[0:2], pks[2:4], pks[4:5]]


def test_primary_key_batches_refuse_an_empty_batch():
    with pytest.raises(ValueError, match="at least 1"):
        ZohoToken.objects.primary_key_batches(0)
