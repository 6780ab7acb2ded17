"""Many users' tasks on a real Celery worker, tokens killed and expiring midway.

One run: ``users`` Django users connected through the fake Zoho; ``tasks`` tasks sent in
two waves, each asking Zoho who its user is (through ``session_for`` and, one in five,
the SDK with ``acting_as``). Once a quarter of them are done: the access tokens of a third
of the users are killed at Zoho, those of another third expire (in the database), and the
last user disconnects. The first CRM calls are throttled with a ``Retry-After``.

:func:`run` returns what the checks read: the outcome of every task, and the fake's record.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model

from tests.workers.harness import Worker, wait_for, wait_until_done
from zoho_tokens.models import ZohoToken, now_ms
from zoho_tokens.testing import TOKEN_PATH, FakeZoho
from zoho_tokens.tokens.connect import connect_with_code
from zoho_tokens.tokens.revocation import revoke_token

#: How many of the first CRM calls Zoho throttles, and the Retry-After it sends.
THROTTLED = 3
RETRY_AFTER = 2


@dataclass(frozen=True)
class Size:
    users: int
    tasks: int


#: The CI run, and the full one (make loadtest).
SMALL = Size(users=10, tasks=150)
FULL = Size(users=50, tasks=1000)


@dataclass
class Outcome:
    """One task: whose it was, what it returned or raised, and how often it was retried."""

    user_index: int
    tag: str
    sent_after_disconnect: bool
    email: str | None
    error: str | None
    retries: int


@dataclass
class Run:
    """What a run did."""

    size: Size
    emails: list[str]
    rows: list[ZohoToken]
    refresh_tokens: list[str]
    outcomes: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def disconnected(self) -> int:
        return self.size.users - 1

    def refreshes_of(self, fake: FakeZoho, index: int) -> int:
        token = self.refresh_tokens[index]
        return fake.count(TOKEN_PATH, grant_type="refresh_token", refresh_token=token)


def connect_users(fake: FakeZoho, count: int) -> Run:
    """``count`` users, each connected as a Zoho user of their own."""
    emails, rows = [], []
    for index in range(count):
        email = f"worker{index}@zoho.example"
        fake.add_user(email, f"Worker {index}")
        user = get_user_model().objects.create_user(f"worker{index}", f"w{index}@example.com")
        code = fake.issue_code(user=email)
        row = connect_with_code(code, accounts_server=fake.url, redirect_uri=None, user=user).token
        emails.append(email)
        rows.append(row)
    refresh_tokens = [row.refresh_token or "" for row in rows]
    return Run(Size(count, 0), emails, rows, refresh_tokens)


def run(fake: FakeZoho, worker: Worker, size: Size) -> Run:
    """Send ``size.tasks`` tasks of ``size.users`` users; break tokens midway; wait."""
    report = connect_users(fake, size.users)
    report.size = size
    fake.reset_counts()
    fake.crm_retry_after = RETRY_AFTER
    fake.fail("crm", "throttle", times=THROTTLED)
    started = time.monotonic()
    half = size.tasks // 2
    first = [_send(worker, report, n) for n in range(half)]
    wait_until_done([result for result, _ in first], size.tasks // 4)
    _break_tokens(fake, report)
    second = [_send(worker, report, n, after_disconnect=True) for n in range(half, size.tasks)]
    sent = first + second
    wait_for([result for result, _ in sent])
    report.seconds = time.monotonic() - started
    report.outcomes = [_outcome(result, outcome) for result, outcome in sent]
    return report


def _send(worker: Worker, report: Run, n: int, *, after_disconnect: bool = False) -> Any:
    index = n % report.size.users
    tag = f"{index}-{n}"
    # The first tasks use session_for only: the throttled calls are theirs.
    name = "zt.current_user_sdk" if n >= 20 and n % 5 == 0 else "zt.current_user"
    result = worker.send(name, report.rows[index].user_id, tag)
    return result, Outcome(index, tag, after_disconnect, None, None, 0)


def _break_tokens(fake: FakeZoho, report: Run) -> None:
    third = report.size.users // 3
    for row in ZohoToken.objects.filter(pk__in=[r.pk for r in report.rows[:third]]):
        fake.revoke(row.access_token or "")  # killed at Zoho before their expiry
    expiring = [r.pk for r in report.rows[third : 2 * third]]
    ZohoToken.objects.filter(pk__in=expiring).update(expires_at_ms=now_ms() - 1000)
    revoke_token(ZohoToken.objects.get(pk=report.rows[report.disconnected].pk))


def _outcome(result: Any, outcome: Outcome) -> Outcome:
    value = result.get(propagate=False)
    if result.successful():
        outcome.email = value["email"]
        outcome.retries = value["retries"]
    else:
        outcome.error = f"{type(value).__name__}: {value}"
        outcome.retries = result.retries or 0
    return outcome
