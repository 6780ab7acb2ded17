"""Encrypted rows for seeding ``ZohoToken``, computed once and reused across databases.

The three ``DjangoTokenStore`` databases hold the same tokens under the same key, so each
token is encrypted once (Fernet is the slow part of seeding) and the same ciphertexts and
digests are bulk-inserted everywhere.
"""

from __future__ import annotations

from typing import Any

from bench import data
from bench.data import TokenData


class Ciphers:
    """Ciphertexts and lookup digests per token number, as ``ZohoToken`` stores them."""

    def __init__(self) -> None:
        from zoho_tokens.models.crypto import keyring

        self.ring = keyring()
        self.client_secret = self.ring.encrypt(data.CLIENT_SECRET)
        self._cache: dict[int, tuple[str, str, str, str, str]] = {}

    def _values(self, row: TokenData) -> tuple[str, str, str, str, str]:
        from zoho_tokens.models.fields import plain_digest

        cached = self._cache.get(row.number)
        if cached is None:
            ring = self.ring
            cached = (
                ring.encrypt(row.refresh_token),
                ring.digest(row.refresh_token),
                ring.encrypt(row.access_token),
                ring.digest(row.access_token),
                plain_digest(row.user_name),
            )
            self._cache[row.number] = cached
        return cached

    def model(self, row: TokenData) -> Any:
        """An unsaved ``ZohoToken`` for ``row``, ready for ``bulk_create``."""
        from zoho_tokens.models import ZohoToken

        refresh, refresh_digest, access, access_digest, name_digest = self._values(row)
        return ZohoToken(
            user_name=row.user_name,
            user_name_digest=name_digest,
            client_id=data.CLIENT_ID,
            client_secret_encrypted=self.client_secret,
            refresh_token_encrypted=refresh,
            refresh_token_digest=refresh_digest,
            access_token_encrypted=access,
            access_token_digest=access_digest,
            expires_at_ms=row.expires_at_ms,
            redirect_url=data.REDIRECT_URL,
            api_domain=data.API_DOMAIN,
            accounts_server=data.ACCOUNTS_SERVER,
            location="us",
        )

    def forget(self) -> None:
        """Drop the cached ciphertexts (once every database has been seeded with them)."""
        self._cache.clear()
