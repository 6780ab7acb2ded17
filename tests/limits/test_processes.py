"""The cap holds across processes: workers in separate interpreters, each with its own
database connection (or Redis connection), share one organisation's slots.

The fake Zoho counts the calls in flight per organisation and refuses any beyond its cap
with a 429; with the same cap configured here, it must never refuse one.
"""

from __future__ import annotations

import multiprocessing
import time
from typing import Any

import pytest
from django.conf import settings as django_settings

from tests.api.conftest import connect
from tests.limits.children import leads_calls, take_a_slot_and_die
from tests.limits.conftest import use_limits
from tests.multiproc import ChildSetup, run_together
from zoho_tokens.exceptions import ZohoThrottledError
from zoho_tokens.limits import call_slot
from zoho_tokens.testing import FakeZoho
from zoho_tokens.testing.accounts.users import DEFAULT_ZGID

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.slow,
    pytest.mark.usefixtures("limits_store"),
]

PROCESSES = 6
CAP = 3


def test_workers_in_separate_processes_never_exceed_the_organisations_cap(
    fake_zoho: FakeZoho, settings: Any
) -> None:
    tokens = [connect(fake_zoho, f"user{index}").pk for index in range(4)]
    fake_zoho.limits.concurrency_cap = CAP
    fake_zoho.limits.latency = 0.2
    fake_zoho.limits.reset()
    use_limits(settings, CONCURRENCY=CAP, WAIT=60)
    # The wait for a slot is part of the call's one time limit (main's Deadline): on two
    # busy cores, 6 processes queueing for 3 slots may take longer than the suite's 2 s.
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "HTTP_TIMEOUT": 60}
    setup = ChildSetup.from_parent()
    caches = dict(django_settings.CACHES)

    outcomes = run_together(setup, [(leads_calls, (tokens, 1, caches))] * PROCESSES)

    assert [o.error for o in outcomes] == [None] * PROCESSES
    assert sum(o.value["served"] for o in outcomes) == PROCESSES * len(tokens)
    key = f"crm:{DEFAULT_ZGID}"
    assert fake_zoho.limits.refused[key] == 0
    assert fake_zoho.limits.max_in_flight(key) == CAP


def test_a_slot_held_by_a_worker_that_died_frees_itself(fake_zoho: FakeZoho, settings: Any) -> None:
    use_limits(settings, CONCURRENCY=1, WAIT=0)
    context = multiprocessing.get_context("spawn")
    dying = context.Process(
        target=take_a_slot_and_die,
        args=(ChildSetup.from_parent(), dict(django_settings.CACHES), 2),
    )
    dying.start()
    dying.join(timeout=120)
    assert dying.exitcode == 0

    with pytest.raises(ZohoThrottledError), call_slot("crm", DEFAULT_ZGID):
        pass
    time.sleep(3.1)
    with call_slot("crm", DEFAULT_ZGID) as slot:
        assert slot is not None
