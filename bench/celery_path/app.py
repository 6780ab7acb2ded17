"""The Celery app the benchmark's worker runs (``celery -A bench.celery_path.app worker``).

``CELERY_BENCH_SUBJECT`` chooses what its one task does: ``acting_as`` (``zoho_task`` and
``acting_as`` around the SDK call, the tokens in the database) or ``sdk_alone`` (the SDK
with an in-memory store holding the same tokens: the cost of the SDK and of Zoho alone).
The worker uses the threads pool: one process, so one SDK initializer for either subject.
"""

from __future__ import annotations

import os
from typing import Any

from celery import Celery

BROKER_URL = os.environ.get("ZOHO_TOKENS_TEST_REDIS", "redis://127.0.0.1:6379/1")
SUBJECT = os.environ.get("CELERY_BENCH_SUBJECT", "")

app = Celery("zoho_tokens_bench", broker=BROKER_URL, backend=BROKER_URL)
app.conf.update(worker_prefetch_multiplier=4, result_expires=600)

_rows: dict[int, Any] = {}


def _set_up() -> None:
    import django

    django.setup()
    from bench.request_path.sdk_alone import prepare
    from zoho_tokens.models import ZohoToken

    rows = list(ZohoToken.objects.order_by("user_id"))
    _rows.update({row.user_id: row for row in rows})
    fake_url = os.environ["ASYNC_BENCH_ZOHO"]
    if SUBJECT == "sdk_alone":
        # Indexed by position, as bench.request_path's in-memory store is.
        prepare(True, fake_url, rows)
    else:
        prepare(False, fake_url, rows)


if SUBJECT:
    _set_up()


def _current_user_email() -> str:
    from tests.sdk.helpers import current_zoho_email

    return current_zoho_email()


@app.task(name="bench.who")
def who(user_id: int) -> str:
    """The Zoho user the task's SDK call went out as."""
    if SUBJECT == "sdk_alone":
        from bench.request_path.sdk_alone import memory_sdk_user

        position = list(_rows).index(user_id)
        memory_sdk_user(os.environ["ASYNC_BENCH_ZOHO"], position, _rows[user_id])
        return _current_user_email()
    from zoho_tokens.api import zoho_task
    from zoho_tokens.sdk import acting_as

    with zoho_task(user_id) as user, acting_as(user):
        return _current_user_email()


@app.task(name="bench.ping")
def ping() -> str:
    return "pong"
