"""``zoho_tokens.sdk.as_user.acting_as``: SDK calls run as one user, and never leak to the next."""

from __future__ import annotations

import itertools
import threading
from collections import Counter

import pytest

from tests.multiproc import run_threads
from tests.sdk.helpers import connect, current_zoho_email, lead_names, make_user
from zoho_tokens.exceptions import NoUsableTokenError
from zoho_tokens.models import ZohoToken
from zoho_tokens.sdk.as_user import NoUserToken, acting_as, ensure_initialized, file_upload_url
from zoho_tokens.sdk.border import SDKException, process_initializer, thread_initializer
from zoho_tokens.sdk.store import DjangoTokenStore
from zoho_tokens.testing import FakeZoho, FakeZohoUser
from zoho_tokens.tokens.revocation import revoke_token

THREADS = 8
BLOCKS_PER_THREAD = 200


pytestmark = pytest.mark.usefixtures("sdk_resource_path")


def thread_init():
    return thread_initializer()


# -- acting as one user ----------------------------------------------------------------------


@pytest.mark.django_db
def test_calls_in_the_block_carry_the_users_access_token(fake_zoho: FakeZoho, alice) -> None:
    token = ZohoToken.objects.get(user=alice)
    fake_zoho.reset_counts()

    with acting_as(alice):
        current_zoho_email()

    assert [call.access_token for call in fake_zoho.crm_calls] == [token.access_token]


@pytest.mark.django_db
def test_calls_in_the_block_run_as_the_users_zoho_user(fake_zoho: FakeZoho, alice) -> None:
    with acting_as(alice):
        assert current_zoho_email() == "alice.zoho@example.com"


@pytest.mark.django_db
def test_acting_as_a_token_uses_that_token(fake_zoho: FakeZoho, alice) -> None:
    second = connect(fake_zoho, alice, "alice.other@example.com")

    with acting_as(second) as used:
        assert current_zoho_email() == "alice.other@example.com"
    assert used.pk == second.pk


@pytest.mark.django_db
def test_acting_as_an_org_level_token_without_user(fake_zoho: FakeZoho) -> None:
    org_token = connect(fake_zoho, None, "admin@example.com")

    with acting_as(org_token):
        assert current_zoho_email() == "admin@example.com"


@pytest.mark.django_db
def test_acting_as_a_user_picks_their_most_recently_connected_token(fake_zoho: FakeZoho) -> None:
    alice = make_user("alice")
    connect(fake_zoho, alice, "alice.old@example.com")
    connect(fake_zoho, alice, "alice.new@example.com")

    with acting_as(alice):
        assert current_zoho_email() == "alice.new@example.com"


@pytest.mark.django_db
def test_records_can_be_read_in_the_block(fake_zoho: FakeZoho, alice) -> None:
    with acting_as(alice):
        names = lead_names()

    assert names == [lead["Last_Name"] for lead in fake_zoho.leads]


@pytest.mark.django_db
def test_calls_go_to_the_tokens_own_data_centre(fake_zoho: FakeZoho, settings, alice) -> None:
    bob = make_user("bob")
    with FakeZoho(
        client_id=fake_zoho.client_id,
        client_secret=fake_zoho.client_secret,
        location="eu",
        users=[FakeZohoUser("bob.eu@example.com", "Bob Europa", zgid="800000002")],
    ) as europe:
        # The second fake plays the EU data centre (its accounts server and API domain).
        settings.ZOHO_TOKENS = {
            **settings.ZOHO_TOKENS,
            "DATA_CENTER_OVERRIDES": {
                "eu": {"accounts_server": europe.url, "api_domain": europe.url}
            },
        }
        connect(europe, bob, "bob.eu@example.com")
        fake_zoho.reset_counts()
        europe.reset_counts()

        with acting_as(bob):
            assert current_zoho_email() == "bob.eu@example.com"
        with acting_as(alice):
            assert current_zoho_email() == "alice.zoho@example.com"

        assert len(europe.crm_calls) == 1
        assert len(fake_zoho.crm_calls) == 1


@pytest.mark.django_db
def test_an_expired_access_token_is_refreshed_at_the_tokens_accounts_server(
    fake_zoho: FakeZoho,
    alice,
) -> None:
    token = ZohoToken.objects.get(user=alice)
    ZohoToken.objects.filter(pk=token.pk).update(expires_at_ms=0)

    with acting_as(alice):
        assert current_zoho_email() == "alice.zoho@example.com"

    assert fake_zoho.count("/oauth/v2/token", grant_type="refresh_token") == 1


# -- restoring the thread's SDK user ---------------------------------------------------------


@pytest.mark.django_db
def test_the_block_sets_the_threads_sdk_user(fake_zoho: FakeZoho, alice) -> None:
    token = ZohoToken.objects.get(user=alice)

    with acting_as(alice):
        assert thread_init().token.get_id() == str(token.pk)


@pytest.mark.django_db
def test_leaving_the_block_restores_no_sdk_user(fake_zoho: FakeZoho, alice) -> None:
    with acting_as(alice):
        pass

    assert thread_init() is None


@pytest.mark.django_db
def test_leaving_the_block_by_an_exception_restores_the_sdk_user(
    fake_zoho: FakeZoho, alice
) -> None:
    with pytest.raises(ZeroDivisionError), acting_as(alice):
        1 / 0  # noqa: B018

    assert thread_init() is None


@pytest.mark.django_db
def test_nested_blocks_restore_the_outer_user(fake_zoho: FakeZoho, alice) -> None:
    bob = make_user("bob")
    connect(fake_zoho, bob, "bob.zoho@example.com")

    with acting_as(alice):
        with acting_as(bob):
            assert current_zoho_email() == "bob.zoho@example.com"
        assert current_zoho_email() == "alice.zoho@example.com"


def assert_crm_call_refused() -> None:
    """A CRM call made outside ``acting_as`` raises the SDK's error."""
    with pytest.raises(SDKException, match="CRM call outside acting_as"):
        current_zoho_email()


@pytest.mark.django_db
def test_a_call_after_the_block_does_not_run_as_the_last_user(fake_zoho: FakeZoho, alice) -> None:
    with acting_as(alice):
        current_zoho_email()
    fake_zoho.reset_counts()

    assert_crm_call_refused()
    assert fake_zoho.crm_calls == []


@pytest.mark.django_db
def test_the_process_wide_initializer_refuses_crm_calls(fake_zoho: FakeZoho) -> None:
    ensure_initialized()

    assert isinstance(process_initializer().token, NoUserToken)
    assert isinstance(process_initializer().store, DjangoTokenStore)
    assert_crm_call_refused()
    assert fake_zoho.requests == []


@pytest.mark.django_db
def test_the_sdk_is_initialised_once(fake_zoho: FakeZoho) -> None:
    ensure_initialized()
    first = process_initializer()

    ensure_initialized()

    assert process_initializer() is first


@pytest.mark.django_db
def test_the_sdk_keeps_the_configured_resource_path(fake_zoho: FakeZoho, sdk_resource_path) -> None:
    ensure_initialized()

    assert process_initializer().resource_path == str(sdk_resource_path)


# -- no usable token -------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_user_without_a_token_gets_a_clear_error(fake_zoho: FakeZoho) -> None:
    alice = make_user("alice")

    with pytest.raises(NoUsableTokenError, match="they have not connected Zoho CRM"):
        acting_as(alice).__enter__()
    assert thread_init() is None


@pytest.mark.django_db
def test_a_user_whose_token_was_revoked_gets_a_clear_error(fake_zoho: FakeZoho, alice) -> None:
    revoke_token(ZohoToken.objects.get(user=alice))

    with pytest.raises(NoUsableTokenError, match="was revoked"), acting_as(alice):
        pass


@pytest.mark.django_db
def test_a_user_whose_token_needs_reauthorisation_gets_a_clear_error(
    fake_zoho: FakeZoho, alice
) -> None:
    token = ZohoToken.objects.get(user=alice)
    token.mark_needs_reauth()
    token.save()

    with pytest.raises(NoUsableTokenError, match="connect Zoho CRM again"), acting_as(alice):
        pass


@pytest.mark.django_db
def test_a_revoked_token_object_gets_a_clear_error(fake_zoho: FakeZoho, alice) -> None:
    token = ZohoToken.objects.get(user=alice)
    revoke_token(token)

    with pytest.raises(NoUsableTokenError, match=f"Zoho token {token.pk} is not usable"):
        acting_as(token).__enter__()


@pytest.mark.django_db
def test_an_anonymous_user_gets_a_clear_error(fake_zoho: FakeZoho) -> None:
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(NoUsableTokenError, match="anonymous"), acting_as(AnonymousUser()):
        pass


@pytest.mark.django_db
def test_a_token_revoked_during_the_block_stops_the_next_call(fake_zoho: FakeZoho, alice) -> None:
    token = ZohoToken.objects.get(user=alice)

    def revoke_between_two_calls() -> None:
        with acting_as(alice):
            current_zoho_email()
            revoke_token(token)
            fake_zoho.reset_counts()
            current_zoho_email()

    with pytest.raises(NoUsableTokenError, match="no longer usable"):
        revoke_between_two_calls()
    assert fake_zoho.requests == []
    assert thread_init() is None


@pytest.mark.django_db
def test_a_token_revoked_before_the_blocks_first_call_stops_that_call(
    fake_zoho: FakeZoho, alice
) -> None:
    token = ZohoToken.objects.get(user=alice)

    def revoke_before_the_first_call() -> None:
        with acting_as(alice):
            revoke_token(token)
            current_zoho_email()

    with pytest.raises(NoUsableTokenError, match="no longer usable"):
        revoke_before_the_first_call()


def test_file_upload_url_follows_the_data_centre() -> None:
    assert file_upload_url("https://www.zohoapis.eu") == "https://content.zohoapis.eu"
    assert file_upload_url("https://sandbox.zohoapis.com.au") == "https://content.zohoapis.com.au"
    assert file_upload_url("http://127.0.0.1:8000") == "http://127.0.0.1:8000"


# -- threads ---------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_new_thread_starts_without_sdk_user_after_another_ran_a_block(
    fake_zoho: FakeZoho,
    alice,
) -> None:
    seen: list[object] = []

    def worker(index: int) -> None:
        with acting_as(alice):
            current_zoho_email()
        seen.append(thread_init())

    run_threads(worker, 1)

    assert seen == [None]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_interleaved_blocks_in_many_threads_never_use_another_users_token(
    fake_zoho: FakeZoho,
) -> None:
    emails = ["ann@example.com", "ben@example.com", "cat@example.com"]
    users = [make_user(email.partition("@")[0]) for email in emails]
    tokens = [connect(fake_zoho, user, email) for user, email in zip(users, emails, strict=True)]
    owner_of = {token.access_token: email for token, email in zip(tokens, emails, strict=True)}
    fake_zoho.reset_counts()
    start = threading.Barrier(THREADS)
    wrong: list[tuple[str, str]] = []
    leaked: list[object] = []
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            start.wait()
            for block in range(BLOCKS_PER_THREAD):
                expected = emails[(index + block) % len(emails)]
                with acting_as(users[(index + block) % len(users)]):
                    answered = current_zoho_email()
                if answered != expected:
                    wrong.append((expected, answered))
                if thread_init() is not None:
                    leaked.append(thread_init())
        except BaseException as err:  # reported by the main thread
            errors.append(err)

    run_threads(worker, THREADS)

    assert errors == []
    assert wrong == []
    assert leaked == []
    calls = fake_zoho.crm_calls
    assert len(calls) == THREADS * BLOCKS_PER_THREAD
    assert all(owner_of.get(call.access_token) == call.user_email for call in calls)
    planned = Counter(
        emails[(index + block) % len(emails)]
        for index, block in itertools.product(range(THREADS), range(BLOCKS_PER_THREAD))
    )
    assert Counter(call.user_email for call in calls) == planned
