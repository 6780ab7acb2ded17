"""The Celery app the worker tests start (``celery -A tests.workers.celery_app worker``).

The worker process learns the test database and ``ZOHO_TOKENS`` from the environment
(:data:`SETUP_VARIABLE`, set by :mod:`tests.workers.harness`) before Django starts, like
the children of ``tests/multiproc.py``. The tasks are what a project would write, with
:func:`zoho_tokens.api.zoho_task` around their calls.
"""

from __future__ import annotations

import json
import os
from typing import Any

from celery import Celery

SETUP_VARIABLE = "ZOHO_TOKENS_TEST_WORKER"
BROKER_URL = os.environ.get("ZOHO_TOKENS_TEST_REDIS", "redis://127.0.0.1:6379/1")


def make_app() -> Celery:
    """A Celery app on the test Redis, its results kept with their retries."""
    app = Celery("zoho_tokens_tests", broker=BROKER_URL, backend=BROKER_URL)
    app.conf.update(
        result_extended=True,
        task_acks_late=False,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        result_expires=3600,
    )
    return app


app = make_app()


def _set_up_django() -> None:
    setup = json.loads(os.environ[SETUP_VARIABLE])
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    from django.conf import settings

    settings.DATABASES["default"]["NAME"] = setup["database"]
    settings.ZOHO_TOKENS = setup["zoho_tokens"]
    import django

    django.setup()


if SETUP_VARIABLE in os.environ:
    _set_up_django()


@app.task(bind=True, name="zt.current_user", max_retries=3)
def current_user(self: Any, user_id: int, tag: str) -> dict[str, Any]:
    """The Zoho user the task's calls go out as (``tag`` marks the call at the fake)."""
    from zoho_tokens.api import RetryLater, session_for, zoho_task

    try:
        with zoho_task(user_id) as user, session_for(user) as crm:
            answer = crm.get("users", params={"type": "CurrentUser", "tag": tag})
            return {"email": answer.json()["users"][0]["email"], "retries": self.request.retries}
    except RetryLater as later:
        raise self.retry(countdown=later.seconds, exc=later) from later


@app.task(bind=True, name="zt.current_user_sdk", max_retries=3)
def current_user_sdk(self: Any, user_id: int, tag: str) -> dict[str, Any]:
    """The same through the Zoho CRM SDK and ``acting_as`` (``tag`` is not sent)."""
    from tests.sdk.helpers import current_zoho_email
    from zoho_tokens.api import RetryLater, zoho_task
    from zoho_tokens.sdk import acting_as

    try:
        with zoho_task(user_id) as user, acting_as(user):
            return {"email": current_zoho_email(), "retries": self.request.retries}
    except RetryLater as later:
        raise self.retry(countdown=later.seconds, exc=later) from later


@app.task(name="zt.ping")
def ping() -> str:
    """Answers once the worker is up."""
    return "pong"
