"""Connecting the history and the metrics to :data:`zoho_tokens.signals.token_event`
(done once, by the app's ``ready()``)."""

from __future__ import annotations

from zoho_tokens import signals
from zoho_tokens.health.history import record_event
from zoho_tokens.health.metrics import record_metrics


def connect_receivers() -> None:
    """Record every ``token_event`` in the history and the metrics."""
    signals.token_event.connect(record_event, dispatch_uid="zoho_tokens.health.history")
    signals.token_event.connect(record_metrics, dispatch_uid="zoho_tokens.health.metrics")
