"""The health of every connection: checking tokens at Zoho, their history, the admin
dashboard's figures, and metrics (see docs/operating.md).

The public names are importable from here.
"""

from __future__ import annotations

from zoho_tokens.health.actors import acting
from zoho_tokens.health.dashboard import connections_by_state, dashboard_figures
from zoho_tokens.health.history import prune_history
from zoho_tokens.health.metrics import METER_NAME
from zoho_tokens.health.verify import TokenCheck, Verdict, VerifyReport, verify_tokens

__all__ = [
    "METER_NAME",
    "TokenCheck",
    "Verdict",
    "VerifyReport",
    "acting",
    "connections_by_state",
    "dashboard_figures",
    "prune_history",
    "verify_tokens",
]
