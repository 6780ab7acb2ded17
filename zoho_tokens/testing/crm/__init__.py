"""The fake Zoho CRM API: handlers, list queries, payloads and error answers."""
