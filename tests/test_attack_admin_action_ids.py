"""Attack: hostile ids in the admin's action form (``_selected_action``). Django filters the
queryset by them as posted; the action must answer, never a 500, and revoke only real ids."""

from __future__ import annotations

from typing import Any

import pytest

from zoho_tokens.models import ZohoToken
from zoho_tokens.testing import FakeZoho

pytestmark = pytest.mark.django_db

HOSTILE_IDS = ["\u00b2", "1\x00", "9" * 30, "-1", "1_0", "x", "\u0661"]


@pytest.mark.parametrize("value", HOSTILE_IDS)
def test_a_hostile_selected_id_is_no_500(admin_client: Any, alice: Any, value: str) -> None:
    admin_client.raise_request_exception = False

    response = admin_client.post(
        "/admin/zoho_tokens/zohotoken/",
        {"action": "revoke_selected", "_selected_action": [value], "post": "yes"},
    )

    assert response.status_code in (200, 302)
    assert ZohoToken.objects.usable().filter(user=alice).exists()


def test_real_ids_beside_hostile_ones_are_revoked(
    admin_client: Any, alice: Any, fake_zoho: FakeZoho
) -> None:
    token = ZohoToken.objects.get(user=alice)

    response = admin_client.post(
        "/admin/zoho_tokens/zohotoken/",
        {"action": "revoke_selected", "_selected_action": [str(token.pk), "\u00b2"], "post": "yes"},
    )

    assert response.status_code == 302
    assert not ZohoToken.objects.usable().filter(pk=token.pk).exists()
