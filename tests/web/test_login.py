"""Log in with Zoho (``zoho_tokens.web.login``, ``zoho_tokens.backends.ZohoAccountBackend``)."""

from __future__ import annotations

import pytest
from django.contrib.auth import SESSION_KEY, authenticate, get_user_model
from django.contrib.messages import get_messages
from django.test import Client, RequestFactory

from zoho_tokens.accounts.client import ZohoIdentity
from zoho_tokens.models import TokenStatus, ZohoToken
from zoho_tokens.testing import FakeZoho
from zoho_tokens.tokens.connect import connect_with_code
from zoho_tokens.tokens.revocation import revoke_token

#: Log in with Zoho is on; the fake's user is ada@example.com.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("login_with_zoho")]

BACKEND = "zoho_tokens.backends.ZohoAccountBackend"


@pytest.fixture
def ada():
    return get_user_model().objects.create_user("ada", "Ada@Example.COM", "pw")


def sign_in(client: Client, fake_zoho: FakeZoho, next_url: str = ""):
    """An anonymous visitor goes through connect and consent; the callback's response."""
    suffix = f"?next={next_url}" if next_url else ""
    return client.get(fake_zoho.consent(client.get(f"/zoho/connect/{suffix}")["Location"]))


def logged_in_user_id(client: Client) -> str | None:
    return client.session.get(SESSION_KEY)


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_anonymous_connect_goes_to_zoho_when_login_is_on(fake_zoho: FakeZoho) -> None:
    response = Client().get("/zoho/connect/")

    assert response["Location"].startswith(f"{fake_zoho.url}/oauth/v2/auth?")


def test_sign_in_logs_in_the_user_with_the_same_email_ignoring_case(
    fake_zoho: FakeZoho, ada
) -> None:
    client = Client()

    sign_in(client, fake_zoho)

    assert logged_in_user_id(client) == str(ada.pk)


def test_sign_in_goes_through_the_zoho_backend(fake_zoho: FakeZoho, ada) -> None:
    client = Client()

    sign_in(client, fake_zoho)

    assert client.session["_auth_user_backend"] == BACKEND


def test_sign_in_links_the_token_to_that_user(fake_zoho: FakeZoho, ada) -> None:
    sign_in(Client(), fake_zoho)

    row = ZohoToken.objects.get()
    assert row.user == ada
    assert row.status == TokenStatus.ACTIVE


def test_sign_in_redirects_to_next_with_a_message(fake_zoho: FakeZoho, ada) -> None:
    response = sign_in(Client(), fake_zoho, next_url="/crm/")

    assert response["Location"] == "/crm/"
    assert messages_of(response) == ["You are signed in with Zoho as ada@example.com."]


def test_the_session_stays_logged_in_after_sign_in(fake_zoho: FakeZoho, ada) -> None:
    client = Client()
    sign_in(client, fake_zoho)

    response = client.get("/zoho/disconnect/")

    assert response.status_code == 200
    assert response.wsgi_request.user == ada


def test_sign_in_without_a_matching_account_does_not_log_in(fake_zoho: FakeZoho) -> None:
    get_user_model().objects.create_user("bob", "bob@example.com", "pw")
    client = Client()

    response = sign_in(client, fake_zoho)

    assert response.status_code == 403
    assert logged_in_user_id(client) is None
    assert "No account on this site has exactly the email address" in response.content.decode()


def test_sign_in_without_a_matching_account_leaves_no_token(fake_zoho: FakeZoho) -> None:
    sign_in(Client(), fake_zoho)

    assert ZohoToken.objects.count() == 0
    assert [refresh.active for refresh in fake_zoho.refresh_tokens] == [False]


def test_sign_in_with_zoho_unreachable_for_the_revocation_leaves_no_usable_token(
    fake_zoho: FakeZoho,
) -> None:
    fake_zoho.fail("revoke", "down")

    sign_in(Client(), fake_zoho)

    row = ZohoToken.objects.get()
    assert row.status == TokenStatus.REVOKED
    assert row.remote_revoke_pending
    assert row.user is None


def test_sign_in_with_several_matching_accounts_does_not_log_in(fake_zoho: FakeZoho) -> None:
    get_user_model().objects.create_user("ada1", "ada@example.com", "pw")
    get_user_model().objects.create_user("ada2", "ADA@example.com", "pw")
    client = Client()

    response = sign_in(client, fake_zoho)

    assert logged_in_user_id(client) is None
    assert "Several accounts on this site use the email address" in response.content.decode()
    assert ZohoToken.objects.count() == 0


def test_sign_in_as_an_inactive_user_does_not_log_in(fake_zoho: FakeZoho, ada) -> None:
    ada.is_active = False
    ada.save()
    client = Client()

    response = sign_in(client, fake_zoho)

    assert logged_in_user_id(client) is None
    assert "is disabled" in response.content.decode()


def test_sign_in_creates_an_account_when_allowed(fake_zoho: FakeZoho, settings) -> None:
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "LOGIN_CREATE_USERS": True}
    client = Client()

    sign_in(client, fake_zoho)

    user = get_user_model().objects.get()
    assert user.email == "ada@example.com"
    assert not user.has_usable_password()
    assert logged_in_user_id(client) == str(user.pk)
    assert ZohoToken.objects.get().user == user


def test_sign_in_creates_no_account_by_default(fake_zoho: FakeZoho) -> None:
    sign_in(Client(), fake_zoho)

    assert get_user_model().objects.count() == 0


def test_sign_in_keeps_an_org_level_token_of_the_same_zoho_user(fake_zoho: FakeZoho) -> None:
    org_token = connect_with_code(
        fake_zoho.issue_code(), accounts_server=fake_zoho.url, redirect_uri=None, user=None
    ).token

    sign_in(Client(), fake_zoho)

    org_token.refresh_from_db()
    assert org_token.status == TokenStatus.ACTIVE
    assert fake_zoho.is_refresh_token_active(org_token.refresh_token)


def test_a_login_flow_cannot_finish_once_login_is_switched_off(
    fake_zoho: FakeZoho, ada, settings
) -> None:
    client = Client()
    callback = fake_zoho.consent(client.get("/zoho/connect/")["Location"])
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "LOGIN": False}

    response = client.get(callback)

    assert response.status_code == 400
    assert logged_in_user_id(client) is None
    assert fake_zoho.count("/oauth/v2/token") == 0


def test_the_backend_logs_nobody_in_while_login_is_off(ada, settings) -> None:
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "LOGIN": False}
    request = RequestFactory().get("/")

    user = authenticate(request, zoho_identity=ZohoIdentity("ada@example.com", "1"))

    assert user is None


def test_the_backend_ignores_anything_but_a_zoho_identity(fake_zoho: FakeZoho, ada) -> None:
    assert authenticate(None, zoho_identity="ada@example.com") is None


def test_the_backend_does_not_take_username_and_password(fake_zoho: FakeZoho, ada) -> None:
    assert authenticate(None, username="ada", password="wrong") is None


def test_a_logged_in_user_connecting_is_not_logged_in_as_someone_else(
    fake_zoho: FakeZoho, ada, bob
) -> None:
    sign_in(bob.client, fake_zoho)

    assert logged_in_user_id(bob.client) == str(bob.user.pk)
    assert ZohoToken.objects.get().user == bob.user


def test_a_login_flow_without_the_backend_configured_signs_nobody_in(
    fake_zoho: FakeZoho, ada, settings
) -> None:
    settings.AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
    client = Client()

    response = sign_in(client, fake_zoho)

    assert response.status_code == 403
    assert "Signing in with Zoho is not enabled" in response.content.decode()
    assert logged_in_user_id(client) is None
    assert [refresh.active for refresh in fake_zoho.refresh_tokens] == [False]


def test_sign_in_to_a_zoho_account_another_user_connected_is_refused(
    fake_zoho: FakeZoho, ada, bob
) -> None:
    sign_in(bob.client, fake_zoho)  # Bob connected the Zoho account ada@example.com
    bobs = ZohoToken.objects.get()
    client = Client()

    response = sign_in(client, fake_zoho)

    assert response.status_code == 409
    assert "connected to another account on this site" in response.content.decode()
    assert logged_in_user_id(client) is None
    assert ZohoToken.objects.get().user == bob.user
    assert fake_zoho.is_refresh_token_active(bobs.refresh_token)
    assert sum(1 for refresh in fake_zoho.refresh_tokens if refresh.active) == 1


def test_sign_in_to_a_zoho_account_another_user_disconnected_logs_in(
    fake_zoho: FakeZoho, ada, bob
) -> None:
    sign_in(bob.client, fake_zoho)  # Bob connected the Zoho account ada@example.com ...
    revoke_token(ZohoToken.objects.get())  # ... and disconnected it again
    client = Client()

    response = sign_in(client, fake_zoho)

    assert "connected to another account" not in response.content.decode()
    assert logged_in_user_id(client) == str(ada.pk)
    assert ZohoToken.objects.get().user == ada


# -- look-alike addresses ------------------------------------------------------------------------

#: (the Django user's email, a Zoho email that only looks like it). Databases' collations
#: and Unicode case folding equate some of these; log in with Zoho must not.
LOOKALIKES = [
    ("ceo@bigcorp.test", "ceo@b\u0131gcorp.test"),  # dotless i
    ("ceo@bigcorp.test", "CEO@B\u0130GCORP.TEST"),  # capital I with a dot
    ("sales@bigcorp.test", "\u017fales@bigcorp.test"),  # long s
    ("\u01c6@bigcorp.test", "\u01c4@bigcorp.test"),  # dz with caron, two cases
    ("ceo@bigcorp.test", "ceo@bigc\u00f6rp.test"),  # o with diaeresis
    ("ada@bigcorp.test", "ad\u00e1@bigcorp.test"),  # a with acute
    ("ada@bigcorp.test", "ada\u0301@bigcorp.test"),  # a, combining acute
    ("ceo@bigcorp.test", "\uff43\uff45\uff4f@bigcorp.test"),  # full-width letters
    ("kelvin@bigcorp.test", "\u212aelvin@bigcorp.test"),  # Kelvin sign
]


def sign_in_as_lookalike(fake_zoho: FakeZoho, django_email: str, zoho_email: str):
    get_user_model().objects.create_user("victim", django_email, "pw")
    fake_zoho.add_user(zoho_email, "Look Alike")
    client = Client()
    callback = fake_zoho.consent(client.get("/zoho/connect/")["Location"], user=zoho_email)
    return client, client.get(callback)


@pytest.mark.parametrize(("django_email", "zoho_email"), LOOKALIKES)
def test_a_lookalike_zoho_address_signs_nobody_in(
    fake_zoho: FakeZoho, django_email: str, zoho_email: str
) -> None:
    client, response = sign_in_as_lookalike(fake_zoho, django_email, zoho_email)

    assert response.status_code == 403
    assert logged_in_user_id(client) is None


@pytest.mark.parametrize(("django_email", "zoho_email"), LOOKALIKES)
def test_a_lookalike_zoho_address_gets_its_token_revoked(
    fake_zoho: FakeZoho, django_email: str, zoho_email: str
) -> None:
    sign_in_as_lookalike(fake_zoho, django_email, zoho_email)

    assert ZohoToken.objects.count() == 0
    assert [refresh.active for refresh in fake_zoho.refresh_tokens] == [False]


@pytest.mark.parametrize(("django_email", "zoho_email"), LOOKALIKES)
def test_a_lookalike_zoho_address_is_told_why(
    fake_zoho: FakeZoho, django_email: str, zoho_email: str
) -> None:
    _client, response = sign_in_as_lookalike(fake_zoho, django_email, zoho_email)

    assert "must match letter for letter" in response.content.decode()


@pytest.mark.parametrize(("django_email", "zoho_email"), LOOKALIKES[:3])
def test_a_lookalike_zoho_address_only_ever_gets_an_account_of_its_own(
    fake_zoho: FakeZoho, settings, django_email: str, zoho_email: str
) -> None:
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "LOGIN_CREATE_USERS": True}

    client, _response = sign_in_as_lookalike(fake_zoho, django_email, zoho_email)

    victim = get_user_model().objects.get(username="victim")
    assert logged_in_user_id(client) != str(victim.pk)
    assert not ZohoToken.objects.filter(user=victim).exists()


def test_the_backend_refuses_a_lookalike_too(fake_zoho: FakeZoho) -> None:
    get_user_model().objects.create_user("victim", "sales@bigcorp.test", "pw")

    user = authenticate(None, zoho_identity=ZohoIdentity("\u017fales@bigcorp.test", "1"))

    assert user is None
