"""Deleting a Django user revokes their Zoho tokens at Zoho first, whichever way it is done.

When Zoho cannot be reached the token row outlives the user, revoked and unlinked, with its
refresh token kept (encrypted) so that ``cleanup_zoho_tokens`` revokes it later.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from tests.helpers import assert_cleanup_revokes_the_pending_token
from zoho_tokens.models import TokenStatus, ZohoToken
from zoho_tokens.testing import REVOKE_PATH, FakeZoho
from zoho_tokens.tokens.connect import connect_with_code

pytestmark = pytest.mark.django_db


def connected_user(fake_zoho: FakeZoho, name: str) -> tuple[User, ZohoToken]:
    """A Django user with a token connected through the fake."""
    user = User.objects.create_user(name, f"{name}@example.com", "pw")
    email = f"{name}@zoho.example"
    fake_zoho.add_user(email)
    result = connect_with_code(
        fake_zoho.issue_code(user=email),
        accounts_server=fake_zoho.url,
        redirect_uri=None,
        user=user,
    )
    return user, result.token


def delete_with_orm(user: User, admin_client: Any) -> None:
    user.delete()


def delete_with_queryset(user: User, admin_client: Any) -> None:
    User.objects.filter(pk=user.pk).delete()


def delete_in_admin(user: User, admin_client: Any) -> None:
    response = admin_client.post(reverse("admin:auth_user_delete", args=[user.pk]), {"post": "yes"})
    assert response.status_code == 302


def delete_with_admin_action(user: User, admin_client: Any) -> None:
    response = admin_client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "delete_selected", "_selected_action": [user.pk], "post": "yes"},
    )
    assert response.status_code == 302


DELETE_PATHS: list[Callable[[User, Any], None]] = [
    delete_with_orm,
    delete_with_queryset,
    delete_in_admin,
    delete_with_admin_action,
]


@pytest.mark.parametrize("delete", DELETE_PATHS)
def test_deleting_a_user_revokes_their_token_at_zoho_and_deletes_it(
    fake_zoho, admin_client, delete
):
    user, token = connected_user(fake_zoho, "ann")
    refresh_token = token.refresh_token

    delete(user, admin_client)

    assert not User.objects.filter(pk=user.pk).exists()
    assert fake_zoho.count(REVOKE_PATH, method="POST", token=refresh_token) == 1
    assert not fake_zoho.is_refresh_token_active(refresh_token)
    assert not ZohoToken.objects.filter(pk=token.pk).exists()


@pytest.mark.parametrize("delete", DELETE_PATHS)
def test_deleting_a_user_while_zoho_is_down_keeps_the_token_unlinked_and_pending(
    fake_zoho, admin_client, delete
):
    user, token = connected_user(fake_zoho, "ann")
    refresh_token = token.refresh_token
    fake_zoho.fail("revoke", "down")

    delete(user, admin_client)

    assert not User.objects.filter(pk=user.pk).exists()
    row = ZohoToken.objects.get(pk=token.pk)
    assert row.user_id is None
    assert row.status == TokenStatus.REVOKED
    assert row.remote_revoke_pending
    assert row.refresh_token == refresh_token
    assert fake_zoho.is_refresh_token_active(refresh_token)


def test_cleanup_revokes_the_token_a_deleted_user_left_pending(fake_zoho):
    user, token = connected_user(fake_zoho, "ann")
    refresh_token = token.refresh_token
    fake_zoho.fail("revoke", "down")
    user.delete()
    fake_zoho.heal()

    assert_cleanup_revokes_the_pending_token(fake_zoho, token.pk, refresh_token)


def test_bulk_deleting_users_revokes_each_users_token_and_leaves_others_alone(fake_zoho):
    ann, ann_token = connected_user(fake_zoho, "ann")
    ben, ben_token = connected_user(fake_zoho, "ben")
    _cid, cid_token = connected_user(fake_zoho, "cid")
    revoked = [ann_token.refresh_token, ben_token.refresh_token]

    User.objects.filter(pk__in=[ann.pk, ben.pk]).delete()

    assert [fake_zoho.is_refresh_token_active(rt) for rt in revoked] == [False, False]
    assert fake_zoho.is_refresh_token_active(cid_token.refresh_token)
    assert list(ZohoToken.objects.values_list("pk", flat=True)) == [cid_token.pk]
