"""What a person (and the admin's dashboard) sees: ``zoho_tokens.limits.status``."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from tests.limits.conftest import use_limits
from zoho_tokens.limits import LimitStatus, after_answer, status, statuses

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("limits_store")]

BOOKS_HEADERS = {
    "x-rate-limit-limit": "1000",
    "x-rate-limit-remaining": "900",
    "x-rate-limit-reset": "60",
}


def test_the_last_figures_are_kept_per_organisation_and_service(settings: Any) -> None:
    use_limits(settings, ORGANIZATIONS={"60000000001": {"concurrency": {"books": 5}}})
    after_answer("books", "60000000001", 200, BOOKS_HEADERS)

    books = status("60000000001", "books")

    assert (books.daily_limit, books.daily_remaining, books.cap) == (1000, 900, 5)
    assert books.resets_at is not None
    assert books.updated_at is not None
    assert status("60000000001", "crm").daily_limit is None


def test_a_figure_an_answer_leaves_out_keeps_its_last_value(settings: Any) -> None:
    after_answer("crm", "700000001", 200, {"X-API-CREDITS-REMAINING": "20000"})
    after_answer("crm", "700000001", 429, {"Retry-After": "1"})

    crm = status("700000001")

    assert crm.credits_remaining == 20000
    assert crm.throttled_count == 1
    assert crm.last_throttled_at is not None


def test_statuses_lists_every_organisation_seen_once_each(settings: Any) -> None:
    after_answer("crm", "700000001", 200, {})
    after_answer("books", "60000000001", 200, BOOKS_HEADERS)

    assert [(s.organization, s.service) for s in statuses()] == [
        ("60000000001", "books"),
        ("700000001", "crm"),
    ]


def test_a_status_is_a_frozen_dataclass() -> None:
    one = status("700000001")

    assert isinstance(one, LimitStatus)
    with pytest.raises(dataclasses.FrozenInstanceError):
        one.cap = 1  # type: ignore[misc]
