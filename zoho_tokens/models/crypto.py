"""Encryption at rest and keyed lookup digests.

Secrets are encrypted with :class:`cryptography.fernet.MultiFernet`: the first key encrypts,
every key decrypts, so keys can be rotated by putting a new one first. Looking a row up by a
token's value goes through an HMAC-SHA256 digest of the value, never through plaintext; each
key has its own digest key, so a lookup asks for the digest under every configured key and a
row keeps being found while key rotation is under way.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.views.decorators.debug import sensitive_variables

from zoho_tokens.conf import zoho_settings
from zoho_tokens.exceptions import ImproperlyConfiguredZoho

__all__ = [
    "KEY_COMMAND",
    "InvalidToken",
    "Keyring",
    "derive_fernet_key",
    "keyring",
]

#: The shell command that prints a new Fernet key (named in errors and checks).
KEY_COMMAND = (
    'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
)


@sensitive_variables()
def _hkdf(material: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(material)


@cache
@sensitive_variables()
def derive_fernet_key(secret: str) -> bytes:
    """A Fernet key derived from a Django ``SECRET_KEY`` (used when no keys are configured)."""
    return base64.urlsafe_b64encode(_hkdf(secret.encode(), b"zoho_tokens.fernet.v1"))


@dataclass(frozen=True)
class Keyring:
    """The configured keys: one encrypts, all decrypt, each has its own digest key.

    Its repr names how many keys there are, never their material (keyrings end up in
    tracebacks and error reports).
    """

    fernet_keys: tuple[bytes, ...] = field(repr=False)

    def __repr__(self) -> str:
        return f"<Keyring keys={len(self.fernet_keys)}>"

    def __post_init__(self) -> None:
        if not self.fernet_keys:
            raise ImproperlyConfiguredZoho("ZOHO_TOKENS['ENCRYPTION_KEYS'] is empty.")

    @property
    def fernet(self) -> MultiFernet:
        """Encrypts with the first key, decrypts with any."""
        return _multifernet(self.fernet_keys)

    @property
    def digest_keys(self) -> tuple[bytes, ...]:
        """HMAC keys, one per Fernet key and in the same order."""
        return _digest_keys(self.fernet_keys)

    def encrypt(self, plaintext: str) -> str:
        """Encrypt ``plaintext`` with the newest key."""
        return self.fernet.encrypt(plaintext.encode()).decode("ascii")

    def decrypt(self, ciphertext: str) -> str:
        """Decrypt with whichever key fits; raises :class:`InvalidToken` when none does."""
        return self.fernet.decrypt(ciphertext.encode("ascii")).decode()

    def is_current(self, ciphertext: str) -> bool:
        """Whether ``ciphertext`` was encrypted with the newest key (for rotation)."""
        try:
            Fernet(self.fernet_keys[0]).decrypt(ciphertext.encode("ascii"))
        except InvalidToken:
            return False
        return True

    def digest(self, value: str) -> str:
        """The lookup digest of ``value`` under the newest key (what new rows store)."""
        return _hmac_hex(self.digest_keys[0], value)

    def digests(self, value: str) -> list[str]:
        """The lookup digests of ``value`` under every key (what lookups ask for)."""
        return [_hmac_hex(key, value) for key in self.digest_keys]


@sensitive_variables()
def _hmac_hex(key: bytes, value: str) -> str:
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


@lru_cache(maxsize=8)
def _multifernet(keys: tuple[bytes, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


@lru_cache(maxsize=8)
@sensitive_variables()
def _digest_keys(keys: tuple[bytes, ...]) -> tuple[bytes, ...]:
    return tuple(_hkdf(base64.urlsafe_b64decode(key), b"zoho_tokens.lookup.v1") for key in keys)


@sensitive_variables()
def configured_fernet_keys() -> tuple[bytes, ...]:
    """The Fernet keys from settings, newest first, validated.

    ``ZOHO_TOKENS["ENCRYPTION_KEYS"]`` when set, followed by the keys derived from
    ``SECRET_KEY`` and ``SECRET_KEY_FALLBACKS``; only the derived keys otherwise. Derived
    keys after dedicated ones only ever decrypt (the first key encrypts), so moving to
    dedicated keys keeps every token readable until ``rotate_zoho_token_keys`` has
    re-encrypted it; and rotating Django's secret key the documented way does the same.
    """
    derived = secret_key_derived_keys()
    configured = zoho_settings.ENCRYPTION_KEYS
    if not configured:
        return derived
    dedicated = _validated_keys(tuple(configured))
    return dedicated + tuple(key for key in derived if key not in dedicated)


@sensitive_variables()
def secret_key_derived_keys() -> tuple[bytes, ...]:
    """The keys derived from ``SECRET_KEY`` and ``SECRET_KEY_FALLBACKS``, in that order."""
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return tuple(derive_fernet_key(secret) for secret in secrets if secret)


@sensitive_variables()
def _raw_key(key: str | bytes) -> bytes:
    return key.encode() if isinstance(key, str) else bytes(key)


@sensitive_variables()
def _is_fernet_key(key: str | bytes) -> bool:
    try:
        Fernet(_raw_key(key))
    except (ValueError, TypeError):
        return False
    return True


@sensitive_variables()
def invalid_key_position(configured: Sequence[str | bytes]) -> int | None:
    """The position of the first entry of ``configured`` that is not a Fernet key, or None."""
    return next((n for n, key in enumerate(configured) if not _is_fernet_key(key)), None)


@lru_cache(maxsize=8)
@sensitive_variables()
def _validated_keys(configured: tuple[str | bytes, ...]) -> tuple[bytes, ...]:
    position = invalid_key_position(configured)
    if position is not None:
        raise ImproperlyConfiguredZoho(
            f"ZOHO_TOKENS['ENCRYPTION_KEYS'][{position}] is not a valid Fernet key "
            f"(32 url-safe base64-encoded bytes). Generate one with {KEY_COMMAND}."
        )
    return tuple(_raw_key(key) for key in configured)


def keyring() -> Keyring:
    """The keyring for the current settings (cheap: the expensive parts are cached)."""
    return Keyring(configured_fernet_keys())
