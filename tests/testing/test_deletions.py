"""The fake deletes refresh tokens behind the app's back, as Zoho does: the user removes the
app under Connected Apps, changes their password, or the client is deleted; and the
21st consent pushes the oldest out (``test_accounts``). Zoho then answers the next refresh
with ``invalid_code`` (``invalid_client`` for a deleted client).

Runs without Django, like the rest of this folder.
"""

from __future__ import annotations

import requests

from tests.testing.fake_client import connect, leads_get, post_token, refresh
from zoho_tokens.testing import FakeZoho


def refresh_token_of_a_new_client(fake_zoho: FakeZoho, client_id: str, client_secret: str) -> str:
    """Register another client at the fake and grant it tokens of the default user."""
    fake_zoho.add_client(client_id, client_secret)
    _access, refresh_token = fake_zoho.grant_tokens(client_id=client_id)
    return str(refresh_token)


def test_removing_the_connected_app_kills_the_user_s_tokens_of_that_client(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    ada = connect(http, fake_zoho)
    grace = connect(http, fake_zoho, user=fake_zoho.add_user("grace@example.com"))

    removed = fake_zoho.remove_connected_app("ada@example.com")

    assert removed == [ada["refresh_token"]]
    assert refresh(http, fake_zoho, ada["refresh_token"]) == {"error": "invalid_code"}
    assert leads_get(http, fake_zoho, ada["access_token"]).status_code == 401
    assert "access_token" in refresh(http, fake_zoho, grace["refresh_token"])
    assert fake_zoho.revoked_tokens == []  # not through the revoke endpoint


def test_removing_the_app_of_one_client_leaves_the_other_client_s(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    other = refresh_token_of_a_new_client(fake_zoho, "other-client", "other-secret")

    fake_zoho.remove_connected_app("ada@example.com")

    assert fake_zoho.is_refresh_token_active(other)


def test_a_password_change_kills_the_user_s_tokens_of_every_client(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    fake_zoho.add_client("other-client", "other-secret")
    ours = connect(http, fake_zoho)["refresh_token"]
    _access, theirs = fake_zoho.grant_tokens(client_id="other-client")

    assert sorted(fake_zoho.change_password("ADA@example.com")) == sorted([ours, theirs])
    assert not fake_zoho.is_refresh_token_active(theirs)
    assert refresh(http, fake_zoho, ours) == {"error": "invalid_code"}
    causes = {rt.token: rt.invalidated for rt in fake_zoho.refresh_tokens}
    assert causes[ours] == causes[theirs] == "password"


def test_a_deleted_client_answers_invalid_client(
    http: requests.Session, fake_zoho: FakeZoho
) -> None:
    doomed = refresh_token_of_a_new_client(fake_zoho, "doomed", "doomed-secret")

    fake_zoho.delete_client("doomed")

    answer = post_token(
        http,
        fake_zoho,
        grant_type="refresh_token",
        refresh_token=doomed,
        client_id="doomed",
        client_secret="doomed-secret",
    )
    assert answer.status_code == 200
    assert answer.json() == {"error": "invalid_client"}
    assert not fake_zoho.is_refresh_token_active(doomed)


def test_granted_tokens_obey_the_twenty_per_user_cap(fake_zoho: FakeZoho) -> None:
    _access, first = fake_zoho.grant_tokens()
    for _ in range(20):
        fake_zoho.grant_tokens()

    assert not fake_zoho.is_refresh_token_active(first)
    assert [rt.invalidated for rt in fake_zoho.refresh_tokens].count("limit") == 1
