"""The disconnect view: POST with CSRF, revocation at Zoho, and Zoho being unreachable."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.test import Client

from zoho_tokens.models import TokenStatus, ZohoToken
from zoho_tokens.testing import FakeZoho
from zoho_tokens.tokens.connect import connect_with_code

pytestmark = pytest.mark.django_db


def connect(fake_zoho: FakeZoho, user, email: str | None = None) -> ZohoToken:
    """A token for ``user``, consented by the fake's user ``email``."""
    if email is not None and all(known.email != email for known in fake_zoho.users):
        fake_zoho.add_user(email, email.partition("@")[0].title())
    code = fake_zoho.issue_code(user=email)
    return connect_with_code(
        code, accounts_server=fake_zoho.url, redirect_uri=None, user=user
    ).token


@pytest.fixture
def token(fake_zoho: FakeZoho, user) -> ZohoToken:
    return connect(fake_zoho, user)


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_get_shows_a_confirmation_form(client: Client, token: ZohoToken) -> None:
    response = client.get("/zoho/disconnect/")

    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="zoho-tokens-disconnect-form"' in body
    assert token.email in body


def test_get_with_a_token_confirms_that_one_alone(
    client: Client, fake_zoho: FakeZoho, user, token: ZohoToken
) -> None:
    other = connect(fake_zoho, user, "bo@example.com")

    body = client.get(f"/zoho/disconnect/?token={other.pk}").content.decode()

    assert "bo@example.com" in body
    assert token.email not in body
    assert f'<input type="hidden" name="token" value="{other.pk}">' in body


def test_the_confirmed_form_of_one_token_disconnects_that_one_alone(
    client: Client, fake_zoho: FakeZoho, user, token: ZohoToken
) -> None:
    other = connect(fake_zoho, user, "bo@example.com")

    client.post("/zoho/disconnect/", {"token": other.pk})

    assert ZohoToken.objects.get(pk=other.pk).status == TokenStatus.REVOKED
    assert ZohoToken.objects.get(pk=token.pk).status == TokenStatus.ACTIVE


def test_get_revokes_nothing(client: Client, token: ZohoToken, fake_zoho: FakeZoho) -> None:
    client.get("/zoho/disconnect/")

    token.refresh_from_db()
    assert token.status == TokenStatus.ACTIVE
    assert fake_zoho.revoked_tokens == []


def test_the_confirmation_form_posts_with_a_csrf_token(client: Client, token: ZohoToken) -> None:
    body = client.get("/zoho/disconnect/").content.decode()

    assert 'name="csrfmiddlewaretoken"' in body


def test_post_without_csrf_token_is_refused(user, token: ZohoToken, fake_zoho: FakeZoho) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    response = client.post("/zoho/disconnect/")

    assert response.status_code == 403
    token.refresh_from_db()
    assert token.status == TokenStatus.ACTIVE
    assert fake_zoho.revoked_tokens == []


def test_post_with_csrf_token_revokes(user, token: ZohoToken) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get("/zoho/disconnect/")

    response = client.post(
        "/zoho/disconnect/", {"csrfmiddlewaretoken": client.cookies["csrftoken"].value}
    )

    assert response.status_code == 302
    token.refresh_from_db()
    assert token.status == TokenStatus.REVOKED


def test_disconnect_revokes_the_refresh_token_at_its_accounts_server(
    client: Client, token: ZohoToken, fake_zoho: FakeZoho
) -> None:
    refresh_token = token.refresh_token

    client.post("/zoho/disconnect/")

    assert not fake_zoho.is_refresh_token_active(refresh_token)
    assert fake_zoho.count("/oauth/v2/token/revoke") == 1


def test_disconnect_wipes_the_tokens_secrets(client: Client, token: ZohoToken) -> None:
    client.post("/zoho/disconnect/")

    token.refresh_from_db()
    assert token.refresh_token_encrypted == ""
    assert token.access_token_encrypted == ""
    assert not token.remote_revoke_pending


def test_disconnect_redirects_with_a_message(client: Client, token: ZohoToken) -> None:
    response = client.post("/zoho/disconnect/")

    assert response["Location"] == "/"
    assert messages_of(response) == ["Zoho CRM is disconnected."]


def test_disconnect_redirects_to_a_safe_next(client: Client, token: ZohoToken) -> None:
    response = client.post("/zoho/disconnect/", {"next": "/settings/"})

    assert response["Location"] == "/settings/"


def test_disconnect_ignores_an_unsafe_next(client: Client, token: ZohoToken) -> None:
    response = client.post("/zoho/disconnect/", {"next": "https://evil.example/"})

    assert response["Location"] == "/"


def test_disconnect_with_zoho_unreachable_makes_the_token_unusable(
    client: Client, token: ZohoToken, fake_zoho: FakeZoho
) -> None:
    fake_zoho.fail("revoke", "down")

    client.post("/zoho/disconnect/")

    token.refresh_from_db()
    assert token.status == TokenStatus.REVOKED
    assert not token.is_usable
    assert token.access_token_encrypted == ""


def test_disconnect_with_zoho_unreachable_remembers_the_remote_revocation(
    client: Client, token: ZohoToken, fake_zoho: FakeZoho
) -> None:
    refresh_token = token.refresh_token
    fake_zoho.fail("revoke", "down")

    client.post("/zoho/disconnect/")

    token.refresh_from_db()
    assert token.remote_revoke_pending
    assert token.refresh_token == refresh_token
    assert fake_zoho.is_refresh_token_active(refresh_token)


def test_disconnect_with_zoho_unreachable_says_the_revocation_is_pending(
    client: Client, token: ZohoToken, fake_zoho: FakeZoho
) -> None:
    fake_zoho.fail("revoke", "down")

    response = client.post("/zoho/disconnect/")

    assert messages_of(response) == [
        "Zoho CRM is disconnected. Zoho could not be reached to be told; this site will "
        "tell it later, there is nothing more to do."
    ]


def test_disconnecting_again_finishes_a_pending_revocation(
    client: Client, token: ZohoToken, fake_zoho: FakeZoho
) -> None:
    refresh_token = token.refresh_token
    fake_zoho.fail("revoke", "down", times=1)
    client.post("/zoho/disconnect/")

    client.post("/zoho/disconnect/")

    token.refresh_from_db()
    assert not token.remote_revoke_pending
    assert not fake_zoho.is_refresh_token_active(refresh_token)


def test_disconnect_revokes_every_token_of_the_user(
    client: Client, fake_zoho: FakeZoho, user, token: ZohoToken
) -> None:
    second = connect(fake_zoho, user, "alice.other@example.com")

    response = client.post("/zoho/disconnect/")

    assert set(ZohoToken.objects.values_list("status", flat=True)) == {TokenStatus.REVOKED}
    assert not fake_zoho.is_refresh_token_active(second.refresh_token)
    assert messages_of(response) == ["2 Zoho CRM connections are disconnected."]


def test_disconnect_of_one_token_leaves_the_others(
    client: Client, fake_zoho: FakeZoho, user, token: ZohoToken
) -> None:
    second = connect(fake_zoho, user, "alice.other@example.com")

    client.post("/zoho/disconnect/", {"token": str(second.pk)})

    token.refresh_from_db()
    second.refresh_from_db()
    assert token.status == TokenStatus.ACTIVE
    assert second.status == TokenStatus.REVOKED


def test_disconnect_leaves_other_users_tokens_alone(
    client: Client, fake_zoho: FakeZoho, token: ZohoToken
) -> None:
    bob = get_user_model().objects.create_user("bob", "bob@example.com", "pw")
    bobs = connect(fake_zoho, bob, "bob@example.com")

    client.post("/zoho/disconnect/", {"token": str(bobs.pk)})
    client.post("/zoho/disconnect/")

    bobs.refresh_from_db()
    assert bobs.status == TokenStatus.ACTIVE
    assert fake_zoho.is_refresh_token_active(bobs.refresh_token)


def test_disconnect_without_a_token_says_so(client: Client, fake_zoho: FakeZoho) -> None:
    response = client.post("/zoho/disconnect/")

    assert messages_of(response) == ["There was no Zoho CRM connection to disconnect."]
    assert fake_zoho.requests == []


def test_disconnect_requires_login(token: ZohoToken) -> None:
    response = Client().post("/zoho/disconnect/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    token.refresh_from_db()
    assert token.status == TokenStatus.ACTIVE


def test_a_disconnected_user_can_connect_again(
    client: Client, fake_zoho: FakeZoho, token: ZohoToken
) -> None:
    client.post("/zoho/disconnect/")

    client.get(fake_zoho.consent(client.get("/zoho/connect/")["Location"]))

    token.refresh_from_db()
    assert token.status == TokenStatus.ACTIVE
    assert fake_zoho.is_refresh_token_active(token.refresh_token)


def test_the_pages_show_pending_messages(client: Client, fake_zoho: FakeZoho) -> None:
    client.post("/zoho/disconnect/")

    body = client.get("/zoho/disconnect/").content.decode()

    assert "There was no Zoho CRM connection to disconnect." in body


def test_the_disconnect_page_without_a_connection_offers_to_connect(client: Client) -> None:
    body = client.get("/zoho/disconnect/?next=/crm/").content.decode()

    assert "You have no Zoho CRM connection." in body
    assert 'href="/zoho/connect/?next=%2Fcrm%2F"' in body


def test_a_connection_whose_zoho_revocation_is_pending_reads_disconnected(
    client: Client, token: ZohoToken, fake_zoho: FakeZoho
) -> None:
    fake_zoho.fail("revoke", "down")
    client.post("/zoho/disconnect/")

    body = client.get("/zoho/disconnect/").content.decode()

    assert "Disconnected)" in body
    assert "Revoked" not in body
