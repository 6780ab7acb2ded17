"""The virtual users of ``make loadtest``: browsers with tabs, driving the app over HTTP."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import requests

from bench.loadtest.fake import user_email

#: Seconds one request may take before it counts as a lost connection.
REQUEST_TIMEOUT = 120.0
#: Seconds the whole run's threads may wait for each other at a barrier.
BARRIER_TIMEOUT = 600.0


class ServerUnavailable(Exception):
    """A database server did not answer: its run is left out."""


@dataclass(frozen=True)
class Sample:
    """One request: which page, its status (None: lost), its time, and what was wrong."""

    page: str
    status: int | None
    seconds: float
    phase: str
    problem: str | None = None


@dataclass(frozen=True)
class Plan:
    """Who does what: users, loads per tab, tabs per user, leads per page, the midway act."""

    users: int
    loads: int
    tabs: int
    leads: int
    midway: Callable[[], None]


@dataclass
class Recorder:
    """Samples from every thread, and each phase's wall-clock seconds."""

    samples: list[Sample] = field(default_factory=list)
    phases: dict[str, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def get(
        self, session: requests.Session, url: str, page: str, phase: str, **kwargs: Any
    ) -> requests.Response | None:
        """GET ``url`` (redirects not followed), recording it; None when the connection
        was lost."""
        started = time.perf_counter()
        try:
            response = session.get(url, allow_redirects=False, timeout=REQUEST_TIMEOUT, **kwargs)
        except requests.RequestException as err:
            self.add(Sample(page, None, time.perf_counter() - started, phase, repr(err)))
            return None
        problem = None
        if not 200 <= response.status_code < 400:
            problem = f"HTTP {response.status_code}: {' '.join(response.text.split())[:160]}"
        self.add(Sample(page, response.status_code, time.perf_counter() - started, phase, problem))
        return response

    def add(self, sample: Sample) -> None:
        """Record one sample (thread-safe)."""
        with self.lock:
            self.samples.append(sample)

    def problem(self, sample_page: str, phase: str, text: str) -> None:
        """Record a page that answered 2xx/3xx but was wrong (an error page, no records)."""
        self.add(Sample(sample_page, 200, 0.0, phase, text))


def wait_for(url: str, process: Any, timeout: float = 120.0) -> None:
    """Return once ``url`` answers; fail if ``process`` exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with status {process.returncode}")
        try:
            requests.get(url, timeout=2)
        except requests.RequestException:
            time.sleep(0.3)
        else:
            return
    raise RuntimeError(f"{url} did not answer within {timeout:.0f}s")


def connect(recorder: Recorder, app: str, index: int) -> requests.Session | None:
    """ "Sign in with Zoho" as user ``index``; the logged-in session, or None."""
    session = requests.Session()
    answer = recorder.get(session, urljoin(app, "/zoho/connect/"), "connect", "connect")
    if answer is None or answer.status_code != 302:
        return None
    # The fake consents for the Zoho account named by login_hint.
    authorize = answer.headers["Location"] + f"&login_hint={user_email(index)}"
    answer = recorder.get(session, authorize, "authorize (fake)", "connect")
    if answer is None or answer.status_code != 302:
        return None
    answer = recorder.get(session, answer.headers["Location"], "callback", "connect")
    if answer is None or answer.status_code != 302:
        return None
    answer = recorder.get(session, urljoin(app, answer.headers["Location"]), "home", "connect")
    if answer is None or answer.status_code != 200:
        return None
    if 'id="crm-error"' in answer.text or "sessionid" not in session.cookies:
        recorder.problem("home", "connect", "not logged in after the callback")
        return None
    return session


def load_leads(recorder: Recorder, tab: requests.Session, app: str, plan: Plan, phase: str) -> None:
    """One load of "My CRM leads" in one tab, checked."""
    answer = recorder.get(tab, urljoin(app, "/leads/"), "leads", phase)
    if answer is None or answer.status_code != 200:
        return
    shown = answer.text.count('<tr class="lead">')
    if 'id="crm-error"' in answer.text:
        recorder.problem("leads", phase, "error page: Zoho CRM could not be read")
    elif 'id="reconnect-needed"' in answer.text:
        recorder.problem("leads", phase, "error page: connect Zoho CRM again")
    elif shown != plan.leads:
        recorder.problem("leads", phase, f"empty result: {shown} of {plan.leads} leads")


def drive(app: str, fake: str, plan: Plan) -> tuple[list[Sample], dict[str, float]]:
    """Connect every user at once, then load pages in every tab; the samples and phases."""
    recorder = Recorder()
    sessions: list[requests.Session | None] = [None] * plan.users
    start = threading.Barrier(plan.users)

    def connect_user(index: int) -> None:
        start.wait(timeout=BARRIER_TIMEOUT)
        sessions[index] = connect(recorder, app, index)

    started = time.perf_counter()
    _run_threads([(connect_user, (index,)) for index in range(plan.users)])
    recorder.phases["connect"] = time.perf_counter() - started

    tabs: list[requests.Session] = []
    for session in sessions:
        for _ in range(plan.tabs if session is not None else 0):
            tab = requests.Session()
            tab.cookies.update(session.cookies)  # type: ignore[union-attr]
            tabs.append(tab)
    half = plan.loads // 2
    clock: dict[str, float] = {}

    def at_midway() -> None:
        clock["before"] = time.perf_counter()
        plan.midway()
        clock["after"] = time.perf_counter()

    midway = threading.Barrier(max(len(tabs), 1), action=at_midway)

    def browse(tab: requests.Session) -> None:
        for _ in range(half):
            load_leads(recorder, tab, app, plan, "before midway")
        midway.wait(timeout=BARRIER_TIMEOUT)
        for _ in range(plan.loads - half):
            load_leads(recorder, tab, app, plan, "after midway")

    started = time.perf_counter()
    _run_threads([(browse, (tab,)) for tab in tabs])
    pause = clock.get("after", 0.0) - clock.get("before", 0.0)
    recorder.phases["pages"] = time.perf_counter() - started - pause
    return recorder.samples, recorder.phases


def _run_threads(work: list[tuple[Callable[..., None], tuple[Any, ...]]]) -> None:
    threads = [threading.Thread(target=function, args=args) for function, args in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def scan_metadata(resource_path: str) -> dict[str, int]:
    """The SDK's metadata files: how many, how many unreadable, their bytes, stray temps."""
    files = list(Path(resource_path).rglob("*.json"))
    corrupt = 0
    for path in files:
        try:
            json.loads(path.read_text())
        except (OSError, ValueError):
            corrupt += 1
    return {
        "files": len(files),
        "corrupt": corrupt,
        "bytes": sum(path.stat().st_size for path in files),
        "temporary": len(list(Path(resource_path).rglob("*.tmp"))),
    }


def log_problems(log_text: str) -> list[str]:
    """The errors in gunicorn's log: each traceback's last line, and worker timeouts."""
    problems = []
    lines = log_text.splitlines()
    for number, line in enumerate(lines):
        if "WORKER TIMEOUT" in line:
            problems.append(line.strip())
        elif line.startswith("Traceback"):
            following = lines[number + 1 :]
            last = next((text for text in following if text and not text[0].isspace()), "?")
            problems.append(last.strip()[:200])
    return problems
