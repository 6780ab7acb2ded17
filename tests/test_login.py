"""Log in with Zoho: ``ZOHO_TOKENS["LOGIN"]`` and ``zoho_tokens.backends.ZohoAccountBackend``."""

from __future__ import annotations

import pytest
from django.contrib.auth import SESSION_KEY, authenticate, get_user_model
from django.contrib.messages import get_messages
from django.test import Client, RequestFactory

from zoho_tokens.connect import connect_with_code
from zoho_tokens.models import TokenStatus, ZohoToken
from zoho_tokens.oauth import ZohoIdentity
from zoho_tokens.testing import FakeZoho

pytestmark = pytest.mark.django_db

BACKEND = "zoho_tokens.backends.ZohoAccountBackend"


@pytest.fixture
def fake(zoho_tokens_settings: FakeZoho, settings) -> FakeZoho:
    """The fake Zoho, with log in with Zoho switched on (its user: ada@example.com)."""
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "LOGIN": True}
    return zoho_tokens_settings


@pytest.fixture
def ada():
    return get_user_model().objects.create_user("ada", "Ada@Example.COM", "pw")


def sign_in(client: Client, fake: FakeZoho, next_url: str = ""):
    """An anonymous visitor goes through connect and consent; the callback's response."""
    suffix = f"?next={next_url}" if next_url else ""
    return client.get(fake.consent(client.get(f"/zoho/connect/{suffix}")["Location"]))


def logged_in_user_id(client: Client) -> str | None:
    return client.session.get(SESSION_KEY)


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_anonymous_connect_goes_to_zoho_when_login_is_on(fake: FakeZoho) -> None:
    response = Client().get("/zoho/connect/")

    assert response["Location"].startswith(f"{fake.url}/oauth/v2/auth?")


def test_sign_in_logs_in_the_user_with_the_same_email_ignoring_case(fake: FakeZoho, ada) -> None:
    client = Client()

    sign_in(client, fake)

    assert logged_in_user_id(client) == str(ada.pk)


def test_sign_in_goes_through_the_zoho_backend(fake: FakeZoho, ada) -> None:
    client = Client()

    sign_in(client, fake)

    assert client.session["_auth_user_backend"] == BACKEND


def test_sign_in_links_the_token_to_that_user(fake: FakeZoho, ada) -> None:
    sign_in(Client(), fake)

    row = ZohoToken.objects.get()
    assert row.user == ada
    assert row.status == TokenStatus.ACTIVE


def test_sign_in_redirects_to_next_with_a_message(fake: FakeZoho, ada) -> None:
    response = sign_in(Client(), fake, next_url="/crm/")

    assert response["Location"] == "/crm/"
    assert messages_of(response) == ["You are signed in with Zoho as ada@example.com."]


def test_the_session_stays_logged_in_after_sign_in(fake: FakeZoho, ada) -> None:
    client = Client()
    sign_in(client, fake)

    response = client.get("/zoho/disconnect/")

    assert response.status_code == 200
    assert response.wsgi_request.user == ada


def test_sign_in_without_a_matching_account_does_not_log_in(fake: FakeZoho) -> None:
    get_user_model().objects.create_user("bob", "bob@example.com", "pw")
    client = Client()

    response = sign_in(client, fake)

    assert response.status_code == 403
    assert logged_in_user_id(client) is None
    assert "No account on this site uses the email address" in response.content.decode()


def test_sign_in_without_a_matching_account_leaves_no_token(fake: FakeZoho) -> None:
    sign_in(Client(), fake)

    assert ZohoToken.objects.count() == 0
    assert [refresh.active for refresh in fake.refresh_tokens] == [False]


def test_sign_in_with_zoho_unreachable_for_the_revocation_leaves_no_usable_token(
    fake: FakeZoho,
) -> None:
    fake.fail("revoke", "down")

    sign_in(Client(), fake)

    row = ZohoToken.objects.get()
    assert row.status == TokenStatus.REVOKED
    assert row.remote_revoke_pending
    assert row.user is None


def test_sign_in_with_several_matching_accounts_does_not_log_in(fake: FakeZoho) -> None:
    get_user_model().objects.create_user("ada1", "ada@example.com", "pw")
    get_user_model().objects.create_user("ada2", "ADA@example.com", "pw")
    client = Client()

    response = sign_in(client, fake)

    assert logged_in_user_id(client) is None
    assert "Several accounts on this site use the email address" in response.content.decode()
    assert ZohoToken.objects.count() == 0


def test_sign_in_as_an_inactive_user_does_not_log_in(fake: FakeZoho, ada) -> None:
    ada.is_active = False
    ada.save()
    client = Client()

    response = sign_in(client, fake)

    assert logged_in_user_id(client) is None
    assert "is disabled" in response.content.decode()


def test_sign_in_creates_an_account_when_allowed(fake: FakeZoho, settings) -> None:
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "LOGIN_CREATE_USERS": True}
    client = Client()

    sign_in(client, fake)

    user = get_user_model().objects.get()
    assert user.email == "ada@example.com"
    assert not user.has_usable_password()
    assert logged_in_user_id(client) == str(user.pk)
    assert ZohoToken.objects.get().user == user


def test_sign_in_creates_no_account_by_default(fake: FakeZoho) -> None:
    sign_in(Client(), fake)

    assert get_user_model().objects.count() == 0


def test_sign_in_keeps_an_org_level_token_of_the_same_zoho_user(fake: FakeZoho) -> None:
    org_token = connect_with_code(
        fake.issue_code(), accounts_server=fake.url, redirect_uri=None, user=None
    )

    sign_in(Client(), fake)

    org_token.refresh_from_db()
    assert org_token.status == TokenStatus.ACTIVE
    assert fake.is_refresh_token_active(org_token.refresh_token)


def test_connect_with_login_off_sends_anonymous_visitors_to_login_url(
    zoho_tokens_settings: FakeZoho,
) -> None:
    response = Client().get("/zoho/connect/")

    assert response["Location"] == "/accounts/login/?next=/zoho/connect/"
    assert zoho_tokens_settings.requests == []


def test_a_login_flow_cannot_finish_once_login_is_switched_off(
    fake: FakeZoho, ada, settings
) -> None:
    client = Client()
    callback = fake.consent(client.get("/zoho/connect/")["Location"])
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "LOGIN": False}

    response = client.get(callback)

    assert response.status_code == 400
    assert logged_in_user_id(client) is None
    assert fake.count("/oauth/v2/token") == 0


def test_the_backend_logs_nobody_in_while_login_is_off(ada, settings) -> None:
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "LOGIN": False}
    request = RequestFactory().get("/")

    user = authenticate(request, zoho_identity=ZohoIdentity("ada@example.com", "1"))

    assert user is None
    assert getattr(request, "zoho_login_refusal", None) == "disabled"


def test_the_backend_ignores_anything_but_a_zoho_identity(fake: FakeZoho, ada) -> None:
    assert authenticate(None, zoho_identity="ada@example.com") is None


def test_the_backend_does_not_take_username_and_password(fake: FakeZoho, ada) -> None:
    assert authenticate(None, username="ada", password="wrong") is None


def test_a_logged_in_user_connecting_is_not_logged_in_as_someone_else(fake: FakeZoho, ada) -> None:
    bob = get_user_model().objects.create_user("bob", "bob@example.com", "pw")
    client = Client()
    client.force_login(bob)

    sign_in(client, fake)

    assert logged_in_user_id(client) == str(bob.pk)
    assert ZohoToken.objects.get().user == bob
