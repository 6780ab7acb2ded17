"""Encryption at rest: the keyring, key rotation, keys derived from SECRET_KEY, and what a
raw look at the table shows."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.fernet import Fernet
from django.db import connection
from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
from zohocrmsdk.src.com.zoho.crm.api.exception.sdk_exception import SDKException
from zohocrmsdk.src.com.zoho.crm.api.user_signature import UserSignature

from tests.helpers import rows_with_secret
from zoho_tokens.exceptions import ImproperlyConfiguredZoho, TokenDecryptionError
from zoho_tokens.models import ZohoToken, now_ms
from zoho_tokens.models.crypto import (
    InvalidToken,
    Keyring,
    configured_fernet_keys,
    derive_fernet_key,
    keyring,
)

OLD_KEY = "Bbmh2RXvNlJHuXaeqKGhiZ8RE5GmDvI5Im6jWD3-AOg="
NEW_KEY = "x2hNMAgKoE6BJ7QE-3x3GVbJ0trv8pbPlx5y1nEDd-Q="

SECRETS = {
    "client_secret": "client-secret-PLAINTEXT-0001",
    "refresh_token": "1000.rtPLAINTEXTrefresh0000000000.0123456789abcdef0123456789abcdef",
    "access_token": "1000.atPLAINTEXTaccess00000000000.fedcba9876543210fedcba9876543210",
    "grant_token": "1000.gcPLAINTEXTgrant000000000000.00112233445566778899aabbccddeeff",
}


def use_keys(settings, *keys):
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "ENCRYPTION_KEYS": list(keys)}


def use_secret_key(settings, secret_key, *fallbacks):
    """Keys derived from Django's secret key (no ``ENCRYPTION_KEYS``)."""
    settings.ZOHO_TOKENS = {k: v for k, v in settings.ZOHO_TOKENS.items() if k != "ENCRYPTION_KEYS"}
    settings.SECRET_KEY = secret_key
    settings.SECRET_KEY_FALLBACKS = list(fallbacks)


def make_row(user_name="ada@example.com:700000001", **secrets):
    # Valid for an hour, so that finding it never needs a refresh.
    row = ZohoToken(client_id="1000.CLIENT", expires_at_ms=now_ms() + 3_600_000)
    row.set_user_name(user_name)
    for name, value in {**SECRETS, **secrets}.items():
        setattr(row, name, value)
    row.save()
    return row


def raw_table_dump() -> str:
    """Every column of every row, read with plain SQL, as one string."""
    table = connection.ops.quote_name(ZohoToken._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")
        rows = cursor.fetchall()
    return "\n".join(
        " ".join(
            value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
            for value in row
        )
        for row in rows
    )


def encodings_of(secret: str) -> list[str]:
    """The plaintext and the obvious ways of disguising it."""
    raw = secret.encode()
    b64 = base64.b64encode(raw).decode()
    urlsafe = base64.urlsafe_b64encode(raw).decode()
    return [secret, b64, b64.rstrip("="), urlsafe, urlsafe.rstrip("="), raw.hex()]


# -- the keyring ------------------------------------------------------------------------------


def test_encrypt_then_decrypt_gives_the_plaintext_back():
    ring = keyring()
    value = "tøkén \u05e9\u05dc\u05d5\u05dd \U0001f511 '; DROP TABLE x; --"
    assert ring.decrypt(ring.encrypt(value)) == value


def test_ciphertext_does_not_contain_the_plaintext():
    assert SECRETS["refresh_token"] not in keyring().encrypt(SECRETS["refresh_token"])


def test_encrypting_twice_gives_different_ciphertexts():
    ring = keyring()
    assert ring.encrypt("same") != ring.encrypt("same")


def test_decrypting_with_another_key_fails():
    ciphertext = Keyring((OLD_KEY.encode(),)).encrypt("secret")
    with pytest.raises(InvalidToken):
        Keyring((NEW_KEY.encode(),)).decrypt(ciphertext)


def test_the_first_key_encrypts_and_every_key_decrypts():
    old = Keyring((OLD_KEY.encode(),)).encrypt("secret")
    rotated = Keyring((NEW_KEY.encode(), OLD_KEY.encode()))
    assert rotated.decrypt(old) == "secret"
    assert not rotated.is_current(old)
    assert rotated.is_current(rotated.encrypt("secret"))
    assert Keyring((NEW_KEY.encode(),)).decrypt(rotated.encrypt("secret")) == "secret"


def test_empty_keyring_is_a_configuration_error():
    with pytest.raises(ImproperlyConfiguredZoho):
        Keyring(())


def test_digest_is_stable_for_one_key():
    ring = keyring()
    assert ring.digest("value") == ring.digest("value")
    assert ring.digest("value") != ring.digest("other")


def test_digest_is_keyed():
    value = SECRETS["refresh_token"]
    old, new = Keyring((OLD_KEY.encode(),)), Keyring((NEW_KEY.encode(),))
    assert old.digest(value) != new.digest(value)
    assert old.digest(value) != hashlib.sha256(value.encode()).hexdigest()


def test_digests_lists_one_per_key_newest_first():
    value = "value"
    rotated = Keyring((NEW_KEY.encode(), OLD_KEY.encode()))
    assert rotated.digests(value) == [
        Keyring((NEW_KEY.encode(),)).digest(value),
        Keyring((OLD_KEY.encode(),)).digest(value),
    ]


def test_configured_keys_come_from_encryption_keys_newest_first(settings):
    use_keys(settings, NEW_KEY, OLD_KEY)
    assert configured_fernet_keys()[:2] == (NEW_KEY.encode(), OLD_KEY.encode())


def test_keys_derived_from_secret_key_come_after_the_dedicated_ones(settings):
    settings.SECRET_KEY = "current-secret"
    settings.SECRET_KEY_FALLBACKS = ["older-secret"]
    use_keys(settings, NEW_KEY)
    assert configured_fernet_keys() == (
        NEW_KEY.encode(),
        derive_fernet_key("current-secret"),
        derive_fernet_key("older-secret"),
    )


def test_malformed_key_is_a_configuration_error_that_does_not_quote_it(settings):
    use_keys(settings, OLD_KEY, "not-a-valid-key-but-secret-looking")
    with pytest.raises(ImproperlyConfiguredZoho) as caught:
        keyring()
    assert "[1]" in str(caught.value)
    assert "not-a-valid-key-but-secret-looking" not in str(caught.value)


def test_without_encryption_keys_keys_derive_from_secret_key_and_fallbacks(settings):
    use_secret_key(settings, "current-secret", "older-secret", "oldest-secret")
    assert configured_fernet_keys() == (
        derive_fernet_key("current-secret"),
        derive_fernet_key("older-secret"),
        derive_fernet_key("oldest-secret"),
    )


def test_derived_key_is_a_valid_fernet_key_and_not_the_secret_key():
    key = derive_fernet_key("current-secret")
    Fernet(key)
    assert b"current-secret" not in base64.urlsafe_b64decode(key)
    assert derive_fernet_key("other-secret") != key


# -- at rest ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_raw_table_holds_no_secret_in_plaintext_nor_base64():
    make_row()
    dump = raw_table_dump()
    assert "ada@example.com" in dump  # the dump does show the row
    for secret in SECRETS.values():
        for disguise in encodings_of(secret):
            assert disguise not in dump


@pytest.mark.django_db
def test_raw_table_holds_no_part_of_a_secret(settings):
    make_row()
    dump = raw_table_dump()
    assert "PLAINTEXT" not in dump
    assert SECRETS["refresh_token"][-32:] not in dump


@pytest.mark.django_db
def test_secrets_read_back_through_the_model():
    pk = make_row().pk
    row = ZohoToken.objects.get(pk=pk)
    assert {name: getattr(row, name) for name in SECRETS} == SECRETS


@pytest.mark.django_db
def test_rotation_keeps_every_token_readable(settings):
    use_keys(settings, OLD_KEY)
    pks = [make_row(f"user{i}@example.com:1", refresh_token=f"rt-{i}").pk for i in range(3)]
    use_keys(settings, NEW_KEY, OLD_KEY)
    rows = ZohoToken.objects.filter(pk__in=pks).order_by("pk")
    assert [row.refresh_token for row in rows] == ["rt-0", "rt-1", "rt-2"]
    assert all(row.client_secret == SECRETS["client_secret"] for row in rows)


@pytest.mark.django_db
def test_rotation_keeps_every_token_findable_by_value(settings):
    use_keys(settings, OLD_KEY)
    row = make_row()
    use_keys(settings, NEW_KEY, OLD_KEY)
    for name in ("refresh_token", "access_token", "grant_token"):
        assert list(rows_with_secret(name, SECRETS[name])) == [row]


@pytest.mark.django_db
def test_rotation_keeps_the_store_finding_a_token_by_refresh_token(settings, store):
    use_keys(settings, OLD_KEY)
    row = make_row()
    use_keys(settings, NEW_KEY, OLD_KEY)
    token = OAuthToken(
        client_id="1000.CLIENT",
        client_secret="anything",
        refresh_token=SECRETS["refresh_token"],
    )
    assert store.find_token(token) is token
    assert token.get_id() == str(row.pk)
    assert token.get_access_token() == SECRETS["access_token"]


@pytest.mark.django_db
def test_saving_after_rotation_encrypts_with_the_new_key(settings):
    use_keys(settings, OLD_KEY)
    row = make_row()
    use_keys(settings, NEW_KEY, OLD_KEY)
    row.access_token = "fresh-access"
    row.save()
    row.refresh_from_db()
    assert keyring().is_current(row.access_token_encrypted)
    use_keys(settings, NEW_KEY)
    assert row.access_token == "fresh-access"


def row_whose_key_was_removed(settings) -> ZohoToken:
    """A row encrypted under ``OLD_KEY``, read back once only ``NEW_KEY`` is configured."""
    use_keys(settings, OLD_KEY)
    row = make_row()
    use_keys(settings, NEW_KEY)
    return ZohoToken.objects.get(pk=row.pk)


@pytest.mark.django_db
def test_removed_key_gives_decryption_error_naming_the_token_and_cause(settings):
    row = row_whose_key_was_removed(settings)
    with pytest.raises(TokenDecryptionError) as caught:
        _ = row.refresh_token
    message = str(caught.value)
    assert caught.value.token_id == row.pk
    assert f"Zoho token {row.pk}" in message
    assert "refresh token" in message
    assert "removed" in message
    assert isinstance(caught.value.__cause__, InvalidToken)
    assert not any(secret in message for secret in SECRETS.values())


@pytest.mark.django_db
def test_removed_key_never_yields_a_ciphertext_as_a_token(settings):
    row = row_whose_key_was_removed(settings)
    for name in SECRETS:
        with pytest.raises(TokenDecryptionError):
            getattr(row, name)


@pytest.mark.django_db
def test_removed_key_makes_the_store_raise_sdk_exception_with_the_cause(settings, store):
    use_keys(settings, OLD_KEY)
    row = make_row()
    use_keys(settings, NEW_KEY)
    token = OAuthToken(user_signature=UserSignature("ada@example.com:700000001"))
    with pytest.raises(SDKException) as caught:
        store.find_token(token)
    assert isinstance(caught.value.cause, TokenDecryptionError)
    assert caught.value.cause.token_id == row.pk
    assert token.get_access_token() is None


@pytest.mark.django_db
def test_keys_derived_from_secret_key_encrypt_and_decrypt(settings):
    use_secret_key(settings, "current-secret")
    pk = make_row().pk
    assert ZohoToken.objects.get(pk=pk).refresh_token == SECRETS["refresh_token"]
    assert SECRETS["refresh_token"] not in raw_table_dump()


@pytest.mark.django_db
def test_secret_key_rotation_with_fallbacks_keeps_tokens_readable_and_findable(settings):
    use_secret_key(settings, "old-secret")
    row = make_row()
    use_secret_key(settings, "new-secret", "old-secret")
    assert ZohoToken.objects.get(pk=row.pk).refresh_token == SECRETS["refresh_token"]
    found = rows_with_secret("refresh_token", SECRETS["refresh_token"])
    assert list(found) == [row]


@pytest.mark.django_db
def test_secret_key_rotation_without_fallbacks_loses_the_tokens_loudly(settings):
    use_secret_key(settings, "old-secret")
    row = make_row()
    use_secret_key(settings, "new-secret")
    with pytest.raises(TokenDecryptionError):
        _ = ZohoToken.objects.get(pk=row.pk).refresh_token


def test_a_keyrings_repr_shows_no_key_material():
    key = Fernet.generate_key()
    ring = Keyring((key,))

    assert key.decode() not in repr(ring)
    assert repr(ring) == "<Keyring keys=1>"
