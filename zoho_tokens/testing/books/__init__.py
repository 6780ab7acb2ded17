"""The fake Zoho Books API: handlers and payloads."""
