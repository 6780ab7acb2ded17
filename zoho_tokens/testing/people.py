"""The users and OAuth clients of a fake Zoho, and grant codes minted without a browser.

:class:`FakeZohoPeople` is the part of :class:`~zoho_tokens.testing.FakeZoho` that knows
who can consent (its users and clients) and mints a grant code as if one had.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from zoho_tokens.testing.accounts.directory import Directory
from zoho_tokens.testing.accounts.state import AccountsState
from zoho_tokens.testing.accounts.tokens import DEFAULT_SCOPES, parse_scopes
from zoho_tokens.testing.accounts.users import FakeZohoUser

__all__ = ["FakeZohoPeople"]


class FakeZohoPeople:
    """Users, clients and grant codes of a fake Zoho (a base of ``FakeZoho``)."""

    _directory: Directory
    _state: AccountsState
    _consenting_user: FakeZohoUser | None
    client_id: str

    @property
    def users(self) -> list[FakeZohoUser]:
        """A copy of the users, in the order they were added."""
        return self._directory.users

    def add_user(
        self, user: FakeZohoUser | str, full_name: str | None = None, **kwargs: Any
    ) -> FakeZohoUser:
        """Add a user: a :class:`FakeZohoUser`, or an email plus its fields. Returns it."""
        if isinstance(user, str):
            user = FakeZohoUser(user, full_name or user.partition("@")[0].title(), **kwargs)
        return self._directory.add_user(user)

    def add_client(self, client_id: str, client_secret: str) -> None:
        """Register another OAuth client besides ``client_id``."""
        self._directory.add_client(client_id, client_secret)

    @property
    def consenting_user(self) -> FakeZohoUser:
        """Who consents when the request does not say (default: the first user).

        Accepts a :class:`FakeZohoUser` (added if new) or the email of a known user.
        """
        return self._consenting_user or self._directory.users[0]

    @consenting_user.setter
    def consenting_user(self, user: FakeZohoUser | str) -> None:
        self._consenting_user = self._known_user(user)

    def _known_user(self, user: FakeZohoUser | str) -> FakeZohoUser:
        """An email must name a known user; a new ``FakeZohoUser`` is added on the fly."""
        if isinstance(user, str):
            found = self._directory.find_user(user)
            if found is None:
                raise ValueError(f"no user with email {user!r}; add_user() it first")
            return found
        if self._directory.find_user(user.email) != user:
            self._directory.add_user(user)
        return user

    def issue_code(
        self,
        user: FakeZohoUser | str | None = None,
        scopes: str | Sequence[str] = DEFAULT_SCOPES,
        redirect_uri: str | None = None,
        *,
        offline: bool = True,
        client_id: str | None = None,
    ) -> str:
        """Mint a grant code as if ``user`` had consented, without any browser.

        With ``redirect_uri=None`` the exchange needs no redirect URI (like a Zoho self
        client); otherwise it must send exactly this one. ``offline=False`` behaves like
        ``access_type=online``: the exchange then returns no refresh token.
        """
        grant = self._state.issue_code(
            client_id or self.client_id,
            self._known_user(user) if user is not None else self.consenting_user,
            parse_scopes(scopes),
            redirect_uri,
            offline,
        )
        return grant.code
