"""Who may use the fake Zoho Accounts: its registered OAuth clients and its users."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterable

from zoho_tokens.testing.accounts.tokens import OAuthError
from zoho_tokens.testing.accounts.users import FakeZohoUser

__all__ = ["Directory"]


class Directory:
    """OAuth clients (id -> secret) and users, safe to use from any thread."""

    def __init__(self, clients: dict[str, str], users: Iterable[FakeZohoUser]) -> None:
        self._lock = threading.Lock()
        self._clients = dict(clients)
        self._users: list[FakeZohoUser] = []
        for user in users:
            self.add_user(user)

    def add_client(self, client_id: str, client_secret: str) -> None:
        """Register another OAuth client (the first one is given to the constructor)."""
        with self._lock:
            self._clients[client_id] = client_secret

    def remove_client(self, client_id: str) -> None:
        """Forget a client, as deleting it in Zoho's API console does."""
        with self._lock:
            self._clients.pop(client_id, None)

    def secret_of(self, client_id: str) -> str | None:
        """The secret of a registered client (None for an unknown one)."""
        with self._lock:
            return self._clients.get(client_id)

    def has_client(self, client_id: str | None) -> bool:
        """Whether ``client_id`` is registered."""
        with self._lock:
            return client_id is not None and client_id in self._clients

    def check_client(self, client_id: str | None, client_secret: str | None) -> None:
        """Raise ``invalid_client`` for an unknown id, ``invalid_client_secret`` for a wrong
        secret (both as Zoho does, with HTTP 200)."""
        with self._lock:
            expected = self._clients.get(client_id or "")
        if expected is None:
            raise OAuthError("invalid_client")
        if client_secret is None or not secrets.compare_digest(expected, client_secret):
            raise OAuthError("invalid_client_secret")

    def add_user(self, user: FakeZohoUser) -> FakeZohoUser:
        """Add a user (replacing one with the same email) and return it."""
        with self._lock:
            self._users = [u for u in self._users if u.email.lower() != user.email.lower()]
            self._users.append(user)
        return user

    @property
    def users(self) -> list[FakeZohoUser]:
        """A copy of the users, in the order they were added."""
        with self._lock:
            return list(self._users)

    def find_user(self, email: str | None) -> FakeZohoUser | None:
        """The user with this email (case-insensitive), if any."""
        if not email:
            return None
        with self._lock:
            for user in self._users:
                if user.email.lower() == email.lower():
                    return user
        return None
