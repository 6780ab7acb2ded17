"""Every Zoho API as the user: sessions that carry one user's own token.

``session`` (``session_for`` and ``ZohoSession``), ``wire`` (the one place a request is
sent), ``errors`` (Zoho's answers as this package's exceptions), ``services`` (each API's
host and the context it needs).
"""

from __future__ import annotations

from zoho_tokens.api.session import ZohoSession, session_for

__all__ = ["ZohoSession", "session_for"]
