"""Celery tasks calling Zoho as their user (``zoho_task`` + ``acting_as``) against the same
tasks calling the SDK with a zero-cost in-memory token store (``python -m bench.celery_path``)."""
