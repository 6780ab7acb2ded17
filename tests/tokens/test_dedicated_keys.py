"""Moving from keys derived from SECRET_KEY to dedicated ``ENCRYPTION_KEYS`` loses nothing:
every token stays readable, the rotation re-encrypts them, W020 counts what is left, and
``--dry-run`` counts without writing."""

from __future__ import annotations

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.checks import run_checks
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS

from tests.helpers import found_by_refresh_token, token_with_secrets
from zoho_tokens.models import ZohoToken
from zoho_tokens.models.crypto import Keyring, derive_fernet_key
from zoho_tokens.models.state import SECRET_COLUMNS

pytestmark = pytest.mark.django_db

DEDICATED = Fernet.generate_key().decode()
CLIENT_ID = "1000.DEDICATEDKEYS"
CLIENT_SECRET = "dedicated-keys-client-secret"


def secrets_of(n: int) -> dict[str, str]:
    return {
        "refresh_token": f"1000.rt-dedicated-{n}",
        "access_token": f"1000.at-dedicated-{n}",
    }


def use_secret_key_only(settings, secret_key: str, *fallbacks: str) -> None:
    settings.ZOHO_TOKENS = {k: v for k, v in settings.ZOHO_TOKENS.items() if k != "ENCRYPTION_KEYS"}
    settings.SECRET_KEY = secret_key
    settings.SECRET_KEY_FALLBACKS = list(fallbacks)


def use_dedicated_keys(settings, *keys: str) -> None:
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "ENCRYPTION_KEYS": list(keys)}


@pytest.fixture
def under_secret_keys(settings) -> list[ZohoToken]:
    """Two tokens written under SECRET_KEY's key, one under a fallback's, then dedicated
    keys set: the situation W001's advice used to leave people in."""
    tokens = []
    for n, secret_key in enumerate(["current-secret", "current-secret", "older-secret"]):
        use_secret_key_only(settings, secret_key)
        tokens.append(token_with_secrets(n, CLIENT_ID, CLIENT_SECRET, secrets_of(n)))
    use_secret_key_only(settings, "current-secret", "older-secret")
    use_dedicated_keys(settings, DEDICATED)
    return tokens


def rotate(*options: str) -> str:
    out = StringIO()
    call_command("rotate_zoho_token_keys", *options, stdout=out)
    return out.getvalue().strip()


def w020() -> list[str]:
    """The W020 messages of a check run with the database (as ``check --database``)."""
    messages = run_checks(databases=[DEFAULT_DB_ALIAS])
    return [m.msg for m in messages if m.id == "zoho_tokens.W020"]


def raw_secrets() -> list[tuple]:
    return list(ZohoToken.objects.order_by("pk").values_list(*SECRET_COLUMNS))


def test_every_token_stays_readable_after_dedicated_keys_are_set(under_secret_keys) -> None:
    for n, token in enumerate(under_secret_keys):
        row = ZohoToken.objects.get(pk=token.pk)
        assert row.client_secret == CLIENT_SECRET
        assert {name: getattr(row, name) for name in secrets_of(n)} == secrets_of(n)


def test_tokens_are_still_found_by_value(under_secret_keys) -> None:
    for n, token in enumerate(under_secret_keys):
        found = found_by_refresh_token(CLIENT_ID, CLIENT_SECRET, secrets_of(n)["refresh_token"])
        assert found.get_id() == str(token.pk)


def test_keys_derived_from_secret_key_never_encrypt(under_secret_keys) -> None:
    token = ZohoToken.objects.get(pk=under_secret_keys[0].pk)
    token.access_token = "1000.at-written-after-the-move"
    token.save()

    only_dedicated = Keyring((DEDICATED.encode(),))
    assert only_dedicated.decrypt(token.access_token_encrypted) == "1000.at-written-after-the-move"


def test_rotation_reencrypts_every_token_with_the_dedicated_key(under_secret_keys) -> None:
    assert rotate() == "3 rows re-encrypted with the newest key."

    only_dedicated = Keyring((DEDICATED.encode(),))
    for n, token in enumerate(under_secret_keys):
        row = ZohoToken.objects.get(pk=token.pk)
        assert only_dedicated.decrypt(row.refresh_token_encrypted) == secrets_of(n)["refresh_token"]
        assert only_dedicated.decrypt(row.client_secret_encrypted) == CLIENT_SECRET


def test_after_rotation_tokens_are_found_without_the_derived_keys(under_secret_keys) -> None:
    rotate()

    only_dedicated = Keyring((DEDICATED.encode(),))
    for n, token in enumerate(under_secret_keys):
        digests = only_dedicated.digests(secrets_of(n)["refresh_token"])
        assert list(ZohoToken.objects.filter(refresh_token_digest__in=digests)) == [token]


def test_the_check_counts_the_rows_that_need_an_older_key(under_secret_keys) -> None:
    [message] = w020()

    assert message.startswith("3 Zoho token rows still need an older encryption key")


def test_the_check_is_silent_once_the_rotation_has_run(under_secret_keys) -> None:
    rotate()

    assert w020() == []


def test_the_check_names_the_command_that_fixes_it(under_secret_keys) -> None:
    [warning] = [m for m in run_checks(databases=[DEFAULT_DB_ALIAS]) if m.id == "zoho_tokens.W020"]

    assert "manage.py rotate_zoho_token_keys" in warning.hint


def test_the_check_does_not_run_without_the_database(under_secret_keys) -> None:
    assert [m for m in run_checks() if m.id == "zoho_tokens.W020"] == []


def test_dry_run_counts_the_rows(under_secret_keys) -> None:
    assert rotate("--dry-run") == (
        "3 rows would be re-encrypted with the newest key (dry run: nothing was written)."
    )


def test_dry_run_writes_nothing(under_secret_keys) -> None:
    before = raw_secrets()

    rotate("--dry-run")

    assert raw_secrets() == before
    assert len(w020()) == 1


def test_rows_under_secret_key_fallbacks_alone_are_counted_too(settings) -> None:
    use_secret_key_only(settings, "old-secret")
    token = ZohoToken(client_id=CLIENT_ID)
    token.refresh_token = "1000.rt-under-the-old-secret"
    token.save()
    use_secret_key_only(settings, "new-secret", "old-secret")

    assert rotate("--dry-run").startswith("1 row would be re-encrypted")
    assert derive_fernet_key("old-secret") != derive_fernet_key("new-secret")
