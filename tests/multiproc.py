"""Run calls in separate processes against the test database, all starting together.

The concurrency tests need what web and task workers have in production: separate
processes, each with its own database connection. Children are started with the "spawn"
method (a fresh interpreter, nothing inherited but what is passed), call
``django.setup()`` with the suite's settings, point the default database at the test
database the parent created, and wait on a barrier so that their calls overlap.

The functions they run live here, at module level, so that "spawn" can import them.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import queue
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

#: Seconds a whole run may take before the children are killed and the test fails.
#: Generous: starting sixteen interpreters on a busy two-core machine takes half a minute.
RUN_TIMEOUT = 300.0


@dataclass(frozen=True)
class Outcome:
    """What one child's call returned (or raised), and when it ran (epoch seconds)."""

    index: int
    value: Any
    error: str | None
    started: float
    finished: float


@dataclass(frozen=True)
class ChildSetup:
    """What a child needs to work like the parent: its database and its ZOHO_TOKENS."""

    database_name: str
    zoho_tokens: dict[str, Any]

    @classmethod
    def from_parent(cls) -> ChildSetup:
        """The parent's current settings (after pytest-django created the test database)."""
        from django.conf import settings
        from django.db import connection

        return cls(
            database_name=str(connection.settings_dict["NAME"]),
            zoho_tokens=dict(settings.ZOHO_TOKENS),
        )


#: One call for a child: a function of this module and its arguments.
Call = tuple[Callable[..., Any], tuple[Any, ...]]


def run_together(
    setup: ChildSetup, calls: Sequence[Call], *, timeout: float = RUN_TIMEOUT
) -> list[Outcome]:
    """Make each ``(function, args)`` call of ``calls`` in its own process, all released
    at the same moment; return the outcomes in the order of ``calls``."""
    return start_together(setup, calls, timeout=timeout).outcomes()


def start_together(
    setup: ChildSetup, calls: Sequence[Call], *, timeout: float = RUN_TIMEOUT
) -> Running:
    """Like :func:`run_together`, but return at once: the parent can act while the
    children run, then collect their outcomes with :meth:`Running.outcomes`."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(len(calls))
    results = context.Queue()
    children = [
        context.Process(
            target=_child,
            args=(setup, barrier, results, index, function, args),
            name=f"zoho-tokens-test-{index}",
        )
        for index, (function, args) in enumerate(calls)
    ]
    for child in children:
        child.start()
    # The barrier and queue must outlive this call: a child that starts after they were
    # garbage-collected cannot attach to them.
    return Running(children, barrier, results, time.monotonic() + timeout)


class Running:
    """Children started by :func:`start_together`."""

    def __init__(self, children: list[Any], barrier: Any, results: Any, deadline: float) -> None:
        self.children = children
        self.barrier = barrier
        self.results = results
        self.deadline = deadline

    def wait_until(self, condition: Callable[[], bool]) -> None:
        """Poll ``condition`` until it holds; fail at the deadline, or at once when every
        child has exited (their outcomes then say why)."""
        while not condition():
            if not any(child.is_alive() for child in self.children):
                raise RuntimeError(f"the condition never held: {self.outcomes()}")
            if time.monotonic() > self.deadline:
                raise TimeoutError("the condition did not hold in time")
            time.sleep(0.02)

    def outcomes(self) -> list[Outcome]:
        """Wait for every child's outcome (until the deadline); the children are always
        reaped, and killed if they outlive it."""
        outcomes: dict[int, Outcome] = {}
        try:
            while len(outcomes) < len(self.children):
                remaining = self.deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"only {len(outcomes)} of {len(self.children)} processes answered in time"
                    )
                try:
                    outcome = self.results.get(timeout=min(remaining, 1.0))
                except queue.Empty:
                    if not any(child.is_alive() for child in self.children):
                        raise RuntimeError(
                            f"every process exited, but only {len(outcomes)} answered"
                        ) from None
                    continue
                outcomes[outcome.index] = outcome
        finally:
            for child in self.children:
                child.join(timeout=max(self.deadline - time.monotonic(), 5))
                if child.is_alive():
                    child.kill()
                    child.join(timeout=5)
        return [outcomes[index] for index in range(len(self.children))]


def _child(
    setup: ChildSetup,
    barrier: Any,
    results: Any,
    index: int,
    function: Callable[..., Any],
    args: tuple[Any, ...],
) -> None:
    started = time.time()
    try:
        _set_up_django(setup)
        from django.db import connection

        connection.ensure_connection()  # connect before the start, not in the race
        _warm_up()
        barrier.wait(timeout=RUN_TIMEOUT)
        started = time.time()
        value = function(*args)
        results.put(Outcome(index, value, None, started, time.time()))
    except BaseException as err:  # reported to the parent, which fails the test
        barrier.abort()  # don't keep the others waiting for a child that will not come
        results.put(Outcome(index, None, f"{type(err).__name__}: {err}", started, time.time()))
    finally:
        from django.db import connections

        connections.close_all()


def _set_up_django(setup: ChildSetup) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    from django.conf import settings

    # Before django.setup(), so that no connection is made to the non-test database.
    settings.DATABASES["default"]["NAME"] = setup.database_name
    settings.ZOHO_TOKENS = setup.zoho_tokens
    import django

    django.setup()


def _warm_up() -> None:
    """Import what the calls use before the start: sixteen interpreters importing the SDK
    at once on a small machine take seconds, which would spread the calls out."""
    for module in (
        "zohocrmsdk.src.com.zoho.api.authenticator.oauth_token",
        "zohocrmsdk.src.com.zoho.crm.api.user_signature",
        "zoho_tokens.sdk.store",
    ):
        importlib.import_module(module)


def run_threads(target: Callable[[int], None], count: int, *, timeout: float | None = None) -> None:
    """Run ``target(index)`` for each index below ``count``, each in a thread of its own that
    closes its database connections when done; wait for every thread (each up to ``timeout``).
    """
    import threading

    from django.db import connections

    def run(index: int) -> None:
        try:
            target(index)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)


def run_in_threads(
    function: Callable[..., Any], args: tuple[Any, ...], count: int, *, timeout: float = RUN_TIMEOUT
) -> list[Outcome]:
    """Make ``count`` calls of ``function(*args)`` in threads of this process, each with its
    own database connection, all released at the same moment.

    Much quicker to start than processes; for tests about waits rather than about
    separate interpreters. The database rows must be committed (``transaction=True``).
    """
    import threading

    barrier = threading.Barrier(count)
    outcomes: list[Outcome | None] = [None] * count

    def call(index: int) -> None:
        from django.db import connection

        started = time.time()
        try:
            connection.ensure_connection()  # connect before the start, not in the race
            barrier.wait(timeout=timeout)
            started = time.time()
            value = function(*args)
            outcomes[index] = Outcome(index, value, None, started, time.time())
        except BaseException as err:  # reported to the caller, which fails the test
            barrier.abort()
            error = f"{type(err).__name__}: {err}"
            outcomes[index] = Outcome(index, None, error, started, time.time())

    run_threads(call, count, timeout=timeout)
    if any(outcome is None for outcome in outcomes):
        raise TimeoutError(f"only some threads finished in time: {outcomes}")
    return [outcome for outcome in outcomes if outcome is not None]


# -- what the children run ---------------------------------------------------------------


def find_access_token(user_name: str) -> str | None:
    """``DjangoTokenStore().find_token`` for a token known by its user name, as the SDK
    calls it; returns the access token it hands out."""
    from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
    from zohocrmsdk.src.com.zoho.crm.api.user_signature import UserSignature

    from zoho_tokens.sdk.store import DjangoTokenStore

    token = DjangoTokenStore().find_token(OAuthToken(user_signature=UserSignature(user_name)))
    return token.get_access_token() if token is not None else None


def find_access_token_by_id(token_id: str) -> str | None:
    """``DjangoTokenStore().find_token_by_id``; returns the access token it hands out."""
    from zoho_tokens.sdk.store import DjangoTokenStore

    token = DjangoTokenStore().find_token_by_id(token_id)
    return token.get_access_token() if token is not None else None


def save_token(fields: dict[str, str]) -> str:
    """``DjangoTokenStore().save_token`` of a token built from ``fields`` (``OAuthToken``
    keyword arguments, plus ``user_name`` and ``expires_in``); returns the id it got."""
    from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
    from zohocrmsdk.src.com.zoho.crm.api.user_signature import UserSignature

    from zoho_tokens.sdk.store import DjangoTokenStore

    fields = dict(fields)
    user_name = fields.pop("user_name")
    expires_in = fields.pop("expires_in")
    token = OAuthToken(user_signature=UserSignature(user_name), **fields)
    token.set_expires_in(expires_in)
    DjangoTokenStore().save_token(token)
    return token.get_id()


def connect_through_callback(username: str, password: str, zoho_email: str) -> tuple[int, str]:
    """A Django user logs in and connects Zoho as ``zoho_email``, through the connect and
    callback views and the fake Zoho's consent; returns the callback's status and where it
    redirected."""
    import requests
    from django.test import Client

    client = Client()
    if not client.login(username=username, password=password):
        raise RuntimeError(f"{username} could not log in")
    authorize_url = client.get("/zoho/connect/")["Location"]
    with requests.Session() as browser:
        browser.trust_env = False  # loopback only: no proxy from the environment
        consent = browser.get(
            authorize_url, params={"login_hint": zoho_email}, allow_redirects=False, timeout=60
        )
    response = client.get(consent.headers["Location"])
    return response.status_code, response.get("Location", "")
