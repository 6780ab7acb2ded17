"""What the limiter costs a call far below the cap, in statements to the database: the
figures are written at most once a second per worker (the slots: tests/limits/test_releaser.py)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.limits.statements import limiter_statements
from zoho_tokens.limits import after_answer
from zoho_tokens.limits.observe import settled_without_store

pytestmark = pytest.mark.django_db(transaction=True)


def test_figures_are_written_at_most_once_a_second_per_worker(settings: Any) -> None:
    headers = {"x-rate-limit-limit": "1000", "x-rate-limit-remaining": "900"}
    after_answer("books", "60000000001", 200, headers)

    with limiter_statements() as statements:
        for _ in range(5):
            after_answer("books", "60000000001", 200, headers)

    assert statements.run == []


def _writes(status: int, headers: dict[str, str], **token: Any) -> tuple[bool, int]:
    """Whether settled_without_store settles the answer, and how many statements
    after_answer then runs for it (on the caller's connection and the limiter's)."""
    settled = settled_without_store("crm", "700000009", status, headers, **token) is not None
    with limiter_statements() as statements:  # the caller's connection's included
        after_answer("crm", "700000009", status, headers, **token)
    return settled, len(statements.run)


def test_an_answer_settled_without_the_store_is_one_after_answer_writes_nothing_for() -> None:
    from zoho_tokens.models import now_ms

    plain: dict[str, str] = {}
    # The organisation's first answer: its figures are written (it shows in statuses()).
    settled, written = _writes(200, plain)
    assert not settled
    assert written > 0
    # Then a plain answer asks nothing: async code skips its thread hop.
    assert _writes(200, plain) == (True, 0)
    # A 429 asks for a back-off of every worker.
    assert _writes(429, {"Retry-After": "3"})[0] is False
    # Zoho's expiry of the token earlier than the stored one: the stored one is moved.
    stored = now_ms() + 3_600_000
    earlier = {"X-Accesstoken-Reset": "2000-01-01T00:00:00+00:00"}
    assert (
        settled_without_store("crm", "700000009", 200, earlier, token_id=1, stored_expiry_ms=stored)
        is None
    )
    # The same expiry as stored: nothing to move.
    assert (
        settled_without_store("crm", "700000009", 200, plain, token_id=1, stored_expiry_ms=stored)
        is not None
    )
