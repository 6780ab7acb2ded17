"""The wire to Zoho Accounts, and what it answers: no table is known here.

``client`` (the OAuth requests: exchange, refresh, revoke), ``wire`` (the one deadline-bound
request to Accounts), ``state`` (the consent round trip's signed value), ``identity`` (who
the Zoho user is), ``scopes`` (parsing and comparing scopes). The public names are the scope
helpers, importable from here.
"""

from __future__ import annotations

from zoho_tokens.accounts.scopes import covers, missing_scopes, parse_scopes, scopes_text

__all__ = ["covers", "missing_scopes", "parse_scopes", "scopes_text"]
