"""The disconnect view reads the POSTed token id strictly: an id that is not plain ASCII
digits within a ``bigint`` disconnects nothing and is no server error, on every database."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.web.test_disconnect import connect, messages_of
from zoho_tokens.models import TokenStatus, ZohoToken
from zoho_tokens.testing import FakeZoho

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "token_id",
    [
        "\u00b2",  # "²" passes str.isdigit()
        "\u0663",  # an Arabic-Indic digit, which int() reads
        "\uff11",  # a full-width one
        "9" * 20,  # beyond a bigint: PostgreSQL and MariaDB refuse it
        "9" * 5000,
        "1_0",
        "-1",
        "0",
        "1 2",
        "1e0",
        "0x1",
    ],
)
def test_a_hostile_token_id_disconnects_nothing(
    client: Client, fake_zoho: FakeZoho, user, token_id: str
) -> None:
    row = connect(fake_zoho, user)

    response = client.post("/zoho/disconnect/", {"token": token_id})

    assert (response.status_code, messages_of(response)) == (
        302,
        ["There was no Zoho CRM connection to disconnect."],
    )
    assert ZohoToken.objects.get(pk=row.pk).status == TokenStatus.ACTIVE


def test_the_user_s_own_plain_id_disconnects(client: Client, fake_zoho: FakeZoho, user) -> None:
    row = connect(fake_zoho, user)

    client.post("/zoho/disconnect/", {"token": str(row.pk)})

    assert ZohoToken.objects.get(pk=row.pk).status == TokenStatus.REVOKED
