"""Zoho CRM OAuth tokens kept in the Django database, encrypted, for the Zoho CRM Python SDK."""

from __future__ import annotations

__version__ = "0.1.0.dev0"
