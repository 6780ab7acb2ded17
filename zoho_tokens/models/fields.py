"""Encrypted secrets on a model, carried by plain text columns.

:class:`EncryptedSecret` is a descriptor rather than a model field on purpose: decryption
happens only when a secret is actually read (a changelist never decrypts anything), and a
value that no longer decrypts can name the row it belongs to, which a field's
``from_db_value`` cannot.
"""

from __future__ import annotations

import hashlib
from typing import Any, overload

from zoho_tokens.exceptions import TokenDecryptionError
from zoho_tokens.models.crypto import InvalidToken, keyring


class EncryptedSecret:
    """A secret stored encrypted in ``<name>_encrypted`` (and, with ``digest=True``, with a
    keyed lookup digest in ``<name>_digest``).

    Reading gives the plaintext (or None); assigning encrypts (None or "" clears it).
    """

    def __init__(self, *, digest: bool = False) -> None:
        self.with_digest = digest
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.column = f"{name}_encrypted"
        self.digest_column = f"{name}_digest"

    @overload
    def __get__(self, instance: None, owner: type) -> EncryptedSecret: ...
    @overload
    def __get__(self, instance: object, owner: type) -> str | None: ...
    def __get__(self, instance: object | None, owner: type) -> Any:
        if instance is None:
            return self
        ciphertext = getattr(instance, self.column)
        if not ciphertext:
            return None
        try:
            return keyring().decrypt(ciphertext)
        except InvalidToken as err:
            label = self.name.replace("_", " ")
            raise TokenDecryptionError(getattr(instance, "pk", None), label) from err

    def __set__(self, instance: object, value: str | None) -> None:
        if not value:
            setattr(instance, self.column, "")
            if self.with_digest:
                setattr(instance, self.digest_column, None)
            return
        ring = keyring()
        setattr(instance, self.column, ring.encrypt(value))
        if self.with_digest:
            setattr(instance, self.digest_column, ring.digest(value))


def plain_digest(value: str) -> str:
    """An unkeyed SHA-256 digest, for indexing long values that are not secret (user names).

    Unkeyed on purpose: it must not change when encryption keys rotate, because the
    one-row-per-Zoho-user constraint is built on it.
    """
    return hashlib.sha256(value.encode()).hexdigest()
