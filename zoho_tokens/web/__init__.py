"""What the views and the admin use that is not a view: the log in with Zoho flow, the
pages' shared rendering, and the admin's revoke action."""

from __future__ import annotations

from zoho_tokens.web.login import BACKEND, log_in_with_zoho

__all__ = ["BACKEND", "log_in_with_zoho"]
