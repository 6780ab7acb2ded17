"""What the limiter costs a call far below the cap, in statements to the database: the
figures are written at most once a second per worker (the slots: tests/limits/test_releaser.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test.utils import CaptureQueriesContext

from zoho_tokens.limits import after_answer
from zoho_tokens.limits.connection import connection_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_figures_are_written_at_most_once_a_second_per_worker(settings: Any) -> None:
    headers = {"x-rate-limit-limit": "1000", "x-rate-limit-remaining": "900"}
    after_answer("books", "60000000001", 200, headers)

    with CaptureQueriesContext(connection_for("default")) as queries:
        for _ in range(5):
            after_answer("books", "60000000001", 200, headers)

    assert queries.captured_queries == []
