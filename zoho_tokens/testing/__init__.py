"""Test helpers: a fake Zoho (Accounts and CRM API) on a real loopback HTTP socket.

>>> from zoho_tokens.testing import FakeZoho
>>> with FakeZoho() as fake:  # doctest: +SKIP
...     code = fake.issue_code()

See :class:`FakeZoho` for the behaviour, :mod:`zoho_tokens.testing.fixtures` for the
pytest fixtures (``fake_zoho``, ``zoho_sdk_reset``), and
``python -m zoho_tokens.testing --help`` for the demo server.

The package, from the test's side down to the socket:

- ``fake`` (the ``FakeZoho`` façade), ``controls`` (its handles on limits, tokens, clock,
  faults and records), ``browser`` (playing the browser), ``fixtures``, ``__main__``;
- ``routing`` (which handler answers a path, what a fault does instead), ``faults``;
- ``accounts`` and ``scope_enhance`` (Zoho Accounts), ``consent`` (its HTML pages);
- ``crm``, ``crm_lists``, ``crm_payloads``, ``crm_errors`` (the CRM API), ``books`` and
  ``books_payloads`` (Zoho Books);
- ``state`` (codes and tokens, and Zoho's rules for them), ``tokens`` (their records),
  ``directory`` (clients and users), ``users``, ``records`` (what the fake saw);
- ``server`` (HTTP on a loopback socket, knowing nothing of Zoho), ``sdk`` (SDK reset).
"""

from __future__ import annotations

from zoho_tokens.testing.accounts.handlers import AUTH_PATH, REVOKE_PATH, TOKEN_PATH
from zoho_tokens.testing.accounts.tokens import (
    DEFAULT_SCOPES,
    AccessToken,
    GrantCode,
    RefreshToken,
    token_kind,
)
from zoho_tokens.testing.accounts.users import DEFAULT_USER, FakeZohoUser
from zoho_tokens.testing.browser import FakeZohoError
from zoho_tokens.testing.fake import FakeZoho
from zoho_tokens.testing.sdk import reset_zoho_sdk
from zoho_tokens.testing.server.faults import Endpoint, Fault, FaultKind
from zoho_tokens.testing.server.records import CrmCall, RecordedRequest

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
