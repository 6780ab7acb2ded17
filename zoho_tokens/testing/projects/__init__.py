"""The fake Zoho Projects API (v3)."""
