"""The people of the fake Zoho: :class:`FakeZohoUser` and the default user and organisation."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

__all__ = [
    "DEFAULT_COMPANY_NAME",
    "DEFAULT_ORG_ID",
    "DEFAULT_USER",
    "DEFAULT_ZGID",
    "FakeZohoUser",
]

#: The organisation every default user belongs to (Zoho's ``zgid`` and org ``id``).
DEFAULT_ZGID = "700000001"
DEFAULT_ORG_ID = "5725767000000000001"
DEFAULT_COMPANY_NAME = "Fake Zoho Corp"


@dataclass(frozen=True)
class FakeZohoUser:
    """A Zoho user who can consent, and whom CRM calls resolve to.

    ``zgid`` is the organisation's id as the SDK reads it (``GET /crm/v8/org``), so the
    SDK's user name for this user is ``f"{email}:{zgid}"`` (see :attr:`sdk_user_name`).
    ``user_id`` defaults to a number derived from the email, so it is stable across runs.
    """

    email: str
    full_name: str
    zgid: str = DEFAULT_ZGID
    org_id: str = DEFAULT_ORG_ID
    company_name: str = DEFAULT_COMPANY_NAME
    user_id: str = ""
    role: str = "CEO"
    profile: str = "Administrator"

    def __post_init__(self) -> None:
        if not self.user_id:
            number = 5725767000000100000 + zlib.crc32(self.email.lower().encode()) % 100000
            object.__setattr__(self, "user_id", str(number))

    @property
    def first_name(self) -> str:
        """Everything before the last word of ``full_name``."""
        return self.full_name.rpartition(" ")[0]

    @property
    def last_name(self) -> str:
        """The last word of ``full_name``."""
        return self.full_name.rpartition(" ")[2]

    @property
    def sdk_user_name(self) -> str:
        """The name the Zoho SDK gives this user's tokens: ``"<email>:<org zgid>"``."""
        return f"{self.email}:{self.zgid}"


#: The Zoho user a fake has when it is given none: the one who consents by default.
DEFAULT_USER = FakeZohoUser("ada@example.com", "Ada Lovelace")
