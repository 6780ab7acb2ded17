"""Metrics through the OpenTelemetry API: a no-op until the application installs an SDK.

Install the extra (``pip install django-zoho-tokens[otel]``) and configure a
``MeterProvider`` as usual; without ``opentelemetry-api`` installed this module records
nothing and costs one function call per event. The instruments (meter ``zoho_tokens``):

* ``zoho_tokens.refreshes`` (counter; ``outcome``: ``ok``, ``dead``, ``throttled``,
  ``unavailable``): access-token refreshes asked of Zoho;
* ``zoho_tokens.refusals`` (counter; ``reason``): tokens Zoho no longer accepts;
* ``zoho_tokens.throttles`` (counter; ``service``): Zoho asked us to slow down;
* ``zoho_tokens.revocations`` (counter; ``where``: ``local``, ``zoho``; ``outcome``);
* ``zoho_tokens.api_calls`` (counter; ``service``, ``outcome``);
* ``zoho_tokens.call.duration`` (histogram, ms; ``service``, ``operation``): how long Zoho
  took, for API calls and refreshes;
* ``zoho_tokens.lock.wait`` (histogram, ms; ``outcome``): waiting for a token's refresh lock;
* ``zoho_tokens.tokens`` (observable gauge; ``state``: ``active``, ``needs_reconsent``,
  ``revoked``, ``revocation_pending``): counted with one query at each collection.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from zoho_tokens.health.dashboard import connections_by_state

if TYPE_CHECKING:
    from opentelemetry.metrics import Counter, Histogram

try:
    from opentelemetry import metrics as otel_metrics

    #: Whether ``opentelemetry-api`` is installed (without it, recording is a no-op).
    AVAILABLE = True
except ImportError:  # the otel extra is not installed: record nothing
    otel_metrics = None  # type: ignore[assignment]
    AVAILABLE = False

#: The name of the meter every instrument belongs to.
METER_NAME = "zoho_tokens"


def _observe_tokens(_options: Any) -> Iterable[Any]:
    assert otel_metrics is not None
    return [
        otel_metrics.Observation(count, {"state": state})
        for state, count in connections_by_state().items()
    ]


#: The counters and histograms: the attribute of :class:`_Instruments`, the instrument's
#: name, its unit and its description.
_COUNTERS = (
    ("refreshes", "zoho_tokens.refreshes", "{refresh}", "Refreshes asked of Zoho"),
    ("refusals", "zoho_tokens.refusals", "{token}", "Tokens Zoho no longer accepts"),
    ("throttles", "zoho_tokens.throttles", "{answer}", "Zoho asked us to slow down"),
    ("revocations", "zoho_tokens.revocations", "{token}", "Tokens revoked"),
    ("api_calls", "zoho_tokens.api_calls", "{call}", "Calls to Zoho APIs as a user"),
)
_HISTOGRAMS = (
    ("call_duration", "zoho_tokens.call.duration", "ms", "How long Zoho took to answer"),
    ("lock_wait", "zoho_tokens.lock.wait", "ms", "Waits for a token's refresh lock"),
)


class _Instruments:
    """The instruments, made once from the global meter provider (a proxy until the
    application sets one, which the instruments then follow)."""

    refreshes: Counter
    refusals: Counter
    throttles: Counter
    revocations: Counter
    api_calls: Counter
    call_duration: Histogram
    lock_wait: Histogram

    def __init__(self) -> None:
        assert otel_metrics is not None
        meter = otel_metrics.get_meter(METER_NAME)
        for attribute, name, unit, description in _COUNTERS:
            setattr(self, attribute, meter.create_counter(name, unit=unit, description=description))
        for attribute, name, unit, description in _HISTOGRAMS:
            instrument = meter.create_histogram(name, unit=unit, description=description)
            setattr(self, attribute, instrument)
        meter.create_observable_gauge(
            "zoho_tokens.tokens",
            callbacks=[_observe_tokens],
            unit="{token}",
            description="Connections by state",
        )


_instruments: _Instruments | None = None


def _get() -> _Instruments | None:
    global _instruments
    if not AVAILABLE:
        return None
    if _instruments is None:
        _instruments = _Instruments()
    return _instruments


def _refresh(i: _Instruments, outcome: str, detail: str, took: float | None) -> None:
    i.refreshes.add(1, {"outcome": outcome})
    if took is not None:
        i.call_duration.record(took, {"service": "accounts", "operation": "refresh"})


def _on_refreshed(i: _Instruments, outcome: str, service: str, detail: str, took: Any) -> None:
    _refresh(i, "ok", detail, took)


def _on_refused(i: _Instruments, outcome: str, service: str, detail: str, took: Any) -> None:
    i.refusals.add(1, {"reason": detail or "revoked"})
    if took is not None:  # found out by a refresh (not by a check without one)
        _refresh(i, "dead", detail, took)


def _on_throttled(i: _Instruments, outcome: str, service: str, detail: str, took: Any) -> None:
    i.throttles.add(1, {"service": service})
    _refresh(i, "throttled", detail, took)


def _on_failed(i: _Instruments, outcome: str, service: str, detail: str, took: Any) -> None:
    _refresh(i, "unavailable", detail, took)


def _on_revoked_locally(i: _Instruments, outcome: str, *_: Any) -> None:
    i.revocations.add(1, {"where": "local", "outcome": outcome})


def _on_revoked_at_zoho(i: _Instruments, outcome: str, *_: Any) -> None:
    i.revocations.add(1, {"where": "zoho", "outcome": outcome})


def _on_api_call(i: _Instruments, outcome: str, service: str, detail: str, took: Any) -> None:
    i.api_calls.add(1, {"service": service, "outcome": outcome})
    if outcome == "throttled":
        i.throttles.add(1, {"service": service})
    if took is not None:
        i.call_duration.record(took, {"service": service, "operation": "api_call"})


def _on_lock_wait(i: _Instruments, outcome: str, service: str, detail: str, took: Any) -> None:
    if took is not None:
        i.lock_wait.record(took, {"outcome": outcome})


_HANDLERS: dict[str, Callable[..., None]] = {
    "refreshed": _on_refreshed,
    "refresh_refused": _on_refused,
    "throttled": _on_throttled,
    "refresh_failed": _on_failed,
    "revoked_locally": _on_revoked_locally,
    "revoked_at_zoho": _on_revoked_at_zoho,
    "api_call": _on_api_call,
    "lock_wait": _on_lock_wait,
}


def record_metrics(
    sender: Any,
    *,
    event: str,
    outcome: str,
    service: str = "accounts",
    detail: str = "",
    duration_ms: float | None = None,
    token_ids: tuple[int, ...] = (),
    **_: Any,
) -> None:
    """Receiver of ``token_event``: add the event to the instruments (a no-op without
    ``opentelemetry-api``); a bulk event counts once per token."""
    handler = _HANDLERS.get(event)
    if handler is None:
        return
    instruments = _get()
    if instruments is not None:
        for _token in range(max(1, len(token_ids))):
            handler(instruments, outcome, service, detail, duration_ms)
