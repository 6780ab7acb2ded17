"""``rotate_zoho_token_keys`` and ``zoho_tokens.tokens.rotation``: rotate, drop the old key, read on."""

from __future__ import annotations

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command

from tests.helpers import found_by_refresh_token, rows_with_secret, token_with_secrets
from zoho_tokens.models import TokenStatus, ZohoToken
from zoho_tokens.models.crypto import keyring
from zoho_tokens.tokens.rotation import RotationReport, rotate_keys

pytestmark = pytest.mark.django_db

KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()
CLIENT_ID = "1000.TESTCLIENTID"
CLIENT_SECRET = "rotation-client-secret"


def use_keys(settings, *keys: str) -> None:
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "ENCRYPTION_KEYS": list(keys)}


def secrets_of(n: int) -> dict[str, str]:
    return {
        "refresh_token": f"1000.rt-rotation-{n}",
        "access_token": f"1000.at-rotation-{n}",
        "grant_token": f"1000.gc-rotation-{n}",
    }


@pytest.fixture
def written_under_a(settings) -> list[ZohoToken]:
    """Three tokens with every secret, one with none, all written while only key A existed."""
    use_keys(settings, KEY_A)
    tokens = []
    for n in range(3):
        tokens.append(token_with_secrets(n, CLIENT_ID, CLIENT_SECRET, secrets_of(n)))
    ZohoToken.objects.create(status=TokenStatus.REVOKED)  # nothing secret left to rotate
    return tokens


def rotate() -> str:
    out = StringIO()
    call_command("rotate_zoho_token_keys", stdout=out)
    return out.getvalue().strip()


def test_rotation_reports_how_many_rows_it_reencrypted(written_under_a, settings):
    use_keys(settings, KEY_B, KEY_A)

    assert rotate() == "3 rows re-encrypted with the newest key."


def test_rotation_run_again_reencrypts_nothing(written_under_a, settings):
    use_keys(settings, KEY_B, KEY_A)
    rotate()

    assert rotate() == "0 rows re-encrypted with the newest key."


def test_rotation_encrypts_every_secret_with_the_first_key(written_under_a, settings):
    use_keys(settings, KEY_B, KEY_A)

    rotate()

    ring = keyring()
    for row in ZohoToken.objects.exclude(client_secret_encrypted=""):
        for column in (
            "client_secret_encrypted",
            "refresh_token_encrypted",
            "access_token_encrypted",
            "grant_token_encrypted",
        ):
            assert ring.is_current(getattr(row, column))


def test_after_rotation_every_token_decrypts_without_the_old_key(written_under_a, settings):
    use_keys(settings, KEY_B, KEY_A)
    rotate()

    use_keys(settings, KEY_B)

    for n, token in enumerate(written_under_a):
        row = ZohoToken.objects.get(pk=token.pk)
        assert row.client_secret == CLIENT_SECRET
        assert {name: getattr(row, name) for name in secrets_of(n)} == secrets_of(n)


def test_after_rotation_tokens_are_found_by_value_without_the_old_key(written_under_a, settings):
    use_keys(settings, KEY_B, KEY_A)
    rotate()

    use_keys(settings, KEY_B)

    for n, token in enumerate(written_under_a):
        for name, value in secrets_of(n).items():
            assert list(rows_with_secret(name, value)) == [token]


def test_after_rotation_the_store_finds_tokens_by_refresh_token(written_under_a, settings):
    use_keys(settings, KEY_B, KEY_A)
    rotate()

    use_keys(settings, KEY_B)

    for n, token in enumerate(written_under_a):
        found = found_by_refresh_token(CLIENT_ID, CLIENT_SECRET, secrets_of(n)["refresh_token"])
        assert found.get_id() == str(token.pk)
        assert found.get_access_token() == secrets_of(n)["access_token"]


def test_without_rotation_dropping_the_old_key_loses_the_tokens(written_under_a, settings):
    use_keys(settings, KEY_B)

    assert not rows_with_secret("refresh_token", secrets_of(0)["refresh_token"])


def test_interrupted_rotation_resumes_where_it_stopped(written_under_a, settings):
    use_keys(settings, KEY_B, KEY_A)

    def interrupt(report: RotationReport) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        rotate_keys(batch_size=1, progress=interrupt)

    assert rotate_keys().reencrypted == 2


def test_rotation_leaves_rows_no_key_decrypts_and_reports_them(written_under_a, settings):
    use_keys(settings, Fernet.generate_key().decode())
    lost = ZohoToken.objects.create()
    lost.refresh_token = "1000.rt-under-a-forgotten-key"
    lost.save()
    use_keys(settings, KEY_B, KEY_A)

    report = rotate_keys()

    assert report == RotationReport(reencrypted=3, unreadable=1, changed_meanwhile=0)
    assert ZohoToken.objects.get(pk=lost.pk).refresh_token_encrypted == (
        lost.refresh_token_encrypted
    )


def test_rotation_does_not_change_last_update(written_under_a, settings):
    before = {row.pk: row.updated_at for row in ZohoToken.objects.all()}
    use_keys(settings, KEY_B, KEY_A)

    rotate()

    assert {row.pk: row.updated_at for row in ZohoToken.objects.all()} == before


def test_rotation_records_each_reencrypted_token_in_its_history(written_under_a, settings):
    from zoho_tokens.models import TokenEvent

    use_keys(settings, KEY_B, KEY_A)
    rotate()

    events = TokenEvent.objects.filter(kind="reencrypted").order_by("token_id")
    assert [(e.token_id, e.actor, e.outcome) for e in events] == [
        (token.pk, "command", "ok") for token in written_under_a
    ]
