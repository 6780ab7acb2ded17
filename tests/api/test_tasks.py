"""``zoho_task``: a user id in, this package's errors out as "give up" or "retry later"."""

from __future__ import annotations

import pickle

import pytest
from django.contrib.auth import get_user_model

from tests.api.conftest import connect
from zoho_tokens.api import GiveUp, RetryLater, session_for, task_verdict, zoho_task
from zoho_tokens.api.tasks import DEFAULT_RETRY_SECONDS, THROTTLED_RETRY_SECONDS
from zoho_tokens.exceptions import (
    MissingScopeError,
    ReauthorizationRequired,
    ZohoAPIError,
    ZohoThrottledError,
    ZohoUnavailableError,
)
from zoho_tokens.models import TokenStatus, ZohoToken
from zoho_tokens.testing import FakeZoho

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("crm_and_books_services")]


def test_the_task_gets_its_user_and_calls_as_them(fake_zoho: FakeZoho) -> None:
    row = connect(fake_zoho, "alice")

    with zoho_task(row.user_id) as user, session_for(user) as crm:
        email = crm.get("users", params={"type": "CurrentUser"}).json()["users"][0]["email"]

    assert (user.pk, email) == (row.user_id, "alice@zoho.example")


def test_a_user_who_disconnected_means_give_up(fake_zoho: FakeZoho) -> None:
    row = connect(fake_zoho, "alice")
    ZohoToken.objects.filter(pk=row.pk).update(status=TokenStatus.REVOKED)

    with pytest.raises(GiveUp, match="giving up") as caught, zoho_task(row.user_id) as user:
        session_for(user)

    assert caught.value.user_id == row.user_id


def test_a_deleted_user_means_give_up(fake_zoho: FakeZoho) -> None:
    with pytest.raises(GiveUp, match="no longer exists"), zoho_task(4242):
        pass


def test_a_throttled_call_means_retry_after_zohos_delay(fake_zoho: FakeZoho) -> None:
    row = connect(fake_zoho, "alice")
    fake_zoho.crm_retry_after = 7
    fake_zoho.fail("crm", "throttle", times=1)

    with pytest.raises(RetryLater) as caught, zoho_task(row.user_id) as user:
        session_for(user).get("org")

    assert caught.value.seconds == 7


def test_zoho_down_means_retry_after_the_default_wait(fake_zoho: FakeZoho) -> None:
    row = connect(fake_zoho, "alice")
    fake_zoho.fail("crm", "http_500", times=1)

    with pytest.raises(RetryLater) as caught, zoho_task(row.user_id) as user:
        session_for(user).get("org")

    assert caught.value.seconds == DEFAULT_RETRY_SECONDS


def test_a_refused_call_is_the_tasks_own_business(fake_zoho: FakeZoho) -> None:
    row = connect(fake_zoho, "alice")

    with pytest.raises(ZohoAPIError), zoho_task(row.user_id) as user:
        session_for(user).get("NoSuchModule")


@pytest.mark.parametrize(
    ("error", "give_up", "retry_in"),
    [
        (ReauthorizationRequired(5), True, None),
        (MissingScopeError("x", scopes=["ZohoCRM.users.READ"]), True, None),
        (ZohoThrottledError("x", retry_after=2.2), False, 3),
        (ZohoThrottledError("x"), False, THROTTLED_RETRY_SECONDS),
        (ZohoUnavailableError("x"), False, DEFAULT_RETRY_SECONDS),
    ],
)
def test_the_verdict_of_each_error(error: Exception, give_up: bool, retry_in: int | None) -> None:
    verdict = task_verdict(error)

    assert (verdict.give_up, verdict.retry_in) == (give_up, retry_in)


def test_other_errors_have_no_verdict() -> None:
    assert task_verdict(ValueError("a bug")) is None


def test_the_signals_survive_a_result_backend() -> None:
    # Task engines pickle (or rebuild from their arguments) what a task raised.
    later = pickle.loads(pickle.dumps(RetryLater(3, 7, "throttled")))
    give_up = pickle.loads(pickle.dumps(GiveUp(3, "revoked")))

    assert (later.seconds, str(give_up)) == (7, "Zoho task of user 3: giving up: revoked")


def test_a_user_row_is_loaded_fresh(fake_zoho: FakeZoho) -> None:
    user = get_user_model().objects.create_user("erin", "erin@example.com", "pw")
    get_user_model().objects.filter(pk=user.pk).update(first_name="Erin")

    with zoho_task(user.pk) as loaded:
        assert loaded.first_name == "Erin"
