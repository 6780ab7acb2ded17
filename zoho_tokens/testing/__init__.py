"""Test helpers: a fake Zoho (Accounts and CRM API) on a real loopback HTTP socket.

>>> from zoho_tokens.testing import FakeZoho
>>> with FakeZoho() as fake:  # doctest: +SKIP
...     code = fake.issue_code()

See :class:`FakeZoho` for the behaviour, :mod:`zoho_tokens.testing.fixtures` for the
pytest fixtures (``fake_zoho``, ``zoho_sdk_reset``), and
``python -m zoho_tokens.testing --help`` for the demo server.
"""

from __future__ import annotations

from zoho_tokens.testing.fake import (
    AUTH_PATH,
    REVOKE_PATH,
    TOKEN_PATH,
    CrmCall,
    FakeZoho,
    FakeZohoError,
    RecordedRequest,
)
from zoho_tokens.testing.faults import Endpoint, Fault, FaultKind
from zoho_tokens.testing.sdk import reset_zoho_sdk
from zoho_tokens.testing.state import (
    DEFAULT_SCOPES,
    DEFAULT_USER,
    AccessToken,
    FakeZohoUser,
    GrantCode,
    RefreshToken,
    token_kind,
)

__all__ = [
    "AUTH_PATH",
    "DEFAULT_SCOPES",
    "DEFAULT_USER",
    "REVOKE_PATH",
    "TOKEN_PATH",
    "AccessToken",
    "CrmCall",
    "Endpoint",
    "FakeZoho",
    "FakeZohoError",
    "FakeZohoUser",
    "Fault",
    "FaultKind",
    "GrantCode",
    "RecordedRequest",
    "RefreshToken",
    "reset_zoho_sdk",
    "token_kind",
]
