"""Metrics through the OpenTelemetry API, read with the SDK's in-memory reader after a
scripted run; and the log records of the same operations, with the same fields."""

from __future__ import annotations

import logging
from collections import Counter

import pytest
from opentelemetry import metrics
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from tests.conftest import ALICE_ZOHO_EMAIL
from zoho_tokens.api import session_for
from zoho_tokens.exceptions import ReauthorizationRequired, ZohoThrottledError
from zoho_tokens.health import METER_NAME
from zoho_tokens.models import ZohoToken
from zoho_tokens.tokens.refresh import ensure_fresh
from zoho_tokens.tokens.revocation import revoke_token

pytestmark = pytest.mark.django_db(transaction=True)

_READER = InMemoryMetricReader()


@pytest.fixture(scope="module")
def reader() -> InMemoryMetricReader:
    """The SDK's in-memory reader on the global meter provider, as an application sets it
    (once per process: OpenTelemetry refuses a second global provider)."""
    metrics.set_meter_provider(MeterProvider(metric_readers=[_READER]))
    return _READER


def figures(reader: InMemoryMetricReader) -> dict[tuple[str, frozenset], float]:
    """(instrument, attributes) -> its value (a sum, a gauge, or a histogram's count)."""
    found: dict[tuple[str, frozenset], float] = {}
    data = reader.get_metrics_data()
    for resource in data.resource_metrics if data else []:
        for scope in resource.scope_metrics:
            if scope.scope.name != METER_NAME:
                continue
            for metric in scope.metrics:
                for point in metric.data.data_points:
                    value = getattr(point, "value", None)
                    if value is None:
                        value = getattr(point, "count")  # noqa: B009  (a histogram's)
                    found[(metric.name, frozenset(point.attributes.items()))] = value
    return found


def delta(before: dict, after: dict) -> Counter:
    names = {"zoho_tokens.tokens"}
    return Counter(
        {
            key: value - (0 if key[0] in names else before.get(key, 0))
            for key, value in after.items()
            if value != before.get(key, 0) or key[0] in names
        }
    )


def expire(token: ZohoToken) -> ZohoToken:
    ZohoToken.objects.filter(pk=token.pk).update(expires_at_ms=0, refresh_backoff_until=None)
    return ZohoToken.objects.get(pk=token.pk)


def test_a_scripted_run_shows_in_the_figures(reader, fake_zoho, alice, django_user_model):
    before = figures(reader)
    token = alice.zoho_tokens.get()
    session = session_for(alice, "crm")
    session.get("Leads", params={"fields": "Last_Name"})  # one call, ok
    session.get("Leads", params={"fields": "Last_Name"})  # and another
    ensure_fresh(expire(token))  # a refresh
    fake_zoho.fail("refresh", "throttle", times=1)
    with pytest.raises(ZohoThrottledError):
        ensure_fresh(expire(token))  # a throttle
    fake_zoho.remove_connected_app(ALICE_ZOHO_EMAIL)
    with pytest.raises(ReauthorizationRequired):
        ensure_fresh(expire(token))  # a refusal: the token is dead
    revoke_token(token)

    got = delta(before, figures(reader))

    def value(name: str, **attributes: str) -> float:
        return got[(name, frozenset(attributes.items()))]

    assert value("zoho_tokens.api_calls", service="crm", outcome="ok") == 2
    assert value("zoho_tokens.refreshes", outcome="ok") == 1
    assert value("zoho_tokens.refreshes", outcome="throttled") == 1
    assert value("zoho_tokens.refreshes", outcome="dead") == 1
    assert value("zoho_tokens.throttles", service="accounts") == 1
    assert value("zoho_tokens.refusals", reason="revoked") == 1
    assert value("zoho_tokens.revocations", where="local", outcome="ok") == 1
    # Zoho no longer knew the refresh token: that counts as revoked there too.
    assert value("zoho_tokens.revocations", where="zoho", outcome="ok") == 1
    assert value("zoho_tokens.call.duration", service="crm", operation="api_call") == 2
    assert value("zoho_tokens.call.duration", service="accounts", operation="refresh") == 3
    assert value("zoho_tokens.lock.wait", outcome="ok") == 3
    assert value("zoho_tokens.tokens", state="active") == 0
    assert value("zoho_tokens.tokens", state="revoked") == 1


def test_the_log_records_carry_the_same_fields_and_no_secret(fake_zoho, alice, caplog):
    token = alice.zoho_tokens.get()
    secrets = [token.refresh_token, fake_zoho.client_secret]
    caplog.set_level(logging.DEBUG, logger="zoho_tokens")
    session_for(alice, "crm").get("Leads", params={"fields": "Last_Name"})
    ensure_fresh(expire(token))
    fresh = ZohoToken.objects.get(pk=token.pk)
    secrets.append(fresh.access_token)
    fake_zoho.remove_connected_app(ALICE_ZOHO_EMAIL)
    with pytest.raises(ReauthorizationRequired):
        ensure_fresh(expire(token))

    records = [r for r in caplog.records if hasattr(r, "outcome")]
    assert {(r.service, r.outcome) for r in records} >= {
        ("crm", "ok"),
        ("accounts", "ok"),
        ("accounts", "dead"),
    }
    assert all(r.token_id == token.pk and r.duration_ms is not None for r in records)
    text = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert all(secret and secret not in text for secret in secrets)


def test_without_opentelemetry_the_metrics_are_a_no_op():
    import subprocess
    import sys

    script = (
        "import sys; sys.modules['opentelemetry'] = None\n"
        "import django; from django.conf import settings\n"
        "settings.configure(INSTALLED_APPS=['django.contrib.contenttypes', "
        "'django.contrib.auth', 'zoho_tokens'], DATABASES={'default': {'ENGINE': "
        "'django.db.backends.sqlite3', 'NAME': ':memory:'}})\n"
        "django.setup()\n"
        "from zoho_tokens.health import metrics\n"
        "assert metrics.otel_metrics is None\n"
        "metrics.record_metrics(None, event='refreshed', outcome='ok', duration_ms=3.0)\n"
        "print('no-op')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )

    assert done.stdout.strip() == "no-op", done.stderr
