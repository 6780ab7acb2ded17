"""What the limiter costs a call far below the cap, in statements to the database: one to
take a slot, one to free it (the figures are written at most once a second per worker)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test.utils import CaptureQueriesContext

from tests.limits.conftest import use_limits
from zoho_tokens.limits import after_answer, call_slot
from zoho_tokens.limits.connection import connection_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_call_far_below_the_cap_is_two_statements(settings: Any) -> None:
    use_limits(settings, STORE="database", CONCURRENCY=10)

    limiter = connection_for("default")  # the database's own, or the limiter's
    with CaptureQueriesContext(limiter) as queries, call_slot("crm", "700000001"):
        pass

    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["INSERT", "DELETE"]


def test_figures_are_written_at_most_once_a_second_per_worker(settings: Any) -> None:
    headers = {"x-rate-limit-limit": "1000", "x-rate-limit-remaining": "900"}
    after_answer("books", "60000000001", 200, headers)

    with CaptureQueriesContext(connection_for("default")) as queries:
        for _ in range(5):
            after_answer("books", "60000000001", 200, headers)

    assert queries.captured_queries == []
