"""Zoho's limits in the admin: per organisation and service, read only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from zoho_tokens.limits import after_answer

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:zoho_tokens_zoholimitfigures_changelist"


def test_the_admin_lists_each_organisations_figures_and_calls_in_flight(admin_client) -> None:
    after_answer(
        "books", "60000000001", 200, {"x-rate-limit-limit": "1000", "x-rate-limit-remaining": "875"}
    )

    page = admin_client.get(reverse(CHANGELIST)).content.decode()

    assert "60000000001" in page
    assert "875" in page
    assert "0 / 10" in page


def test_nobody_adds_or_edits_figures_by_hand(admin_client) -> None:
    response = admin_client.get(reverse("admin:zoho_tokens_zoholimitfigures_add"))

    assert response.status_code == 403
