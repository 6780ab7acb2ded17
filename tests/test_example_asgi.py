"""The example project under an ASGI server (uvicorn): its async page reads the user's
Zoho Books invoices with ``asession_for``, as the user who connected."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from zoho_tokens.testing import FakeZoho

ROOT = Path(__file__).resolve().parent.parent
MANAGE = ROOT / "example_project" / "manage.py"

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_listening(port: int, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "uvicorn exited"
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError("uvicorn did not listen in time")


@pytest.fixture
def fake() -> Iterator[FakeZoho]:
    with FakeZoho(client_id="asgi-client", client_secret="asgi-secret") as fake:
        yield fake


@pytest.fixture
def site(fake: FakeZoho, tmp_path: Path) -> Iterator[str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("ZOHO_")}
    env.update(
        DJANGO_SETTINGS_MODULE="example_project.settings",
        EXAMPLE_DATABASE=str(tmp_path / "example.sqlite3"),
        ZOHO_CLIENT_ID=fake.client_id,
        ZOHO_CLIENT_SECRET=fake.client_secret,
        ZOHO_ACCOUNTS_URL=fake.url,
        ZOHO_API_DOMAIN=fake.url,
        PYTHONPATH=str(ROOT),
    )
    for args in (
        ("migrate", "--noinput", "-v", "0"),
        ("demo_user", "--username", "demo", "--password", "demo"),
    ):
        subprocess.run([sys.executable, str(MANAGE), *args], env=env, cwd=ROOT, check=True)
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "example_project.asgi:application", "--port", str(port), "--log-level", "warning"]  # fmt: skip
    process = subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True)
    try:
        wait_listening(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def logged_in(site: str) -> requests.Session:
    browser = requests.Session()
    page = browser.get(f"{site}/accounts/login/", timeout=10).text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None
    browser.post(
        f"{site}/accounts/login/",
        data={"username": "demo", "password": "demo", "csrfmiddlewaretoken": token.group(1)},
        headers={"Referer": f"{site}/accounts/login/"},
        timeout=10,
    )
    return browser


def test_the_async_page_reads_the_users_books_invoices_under_uvicorn(
    site: str, fake: FakeZoho
) -> None:
    browser = logged_in(site)
    before = browser.get(f"{site}/books/invoices/", allow_redirects=False, timeout=10)
    # Connecting: the fake consents at once and sends the browser back to the callback.
    browser.get(
        before.headers["Location"].replace("/zoho/connect/", f"{site}/zoho/connect/"), timeout=20
    )
    page = browser.get(f"{site}/books/invoices/", timeout=20)

    assert before.status_code == 302
    assert "/zoho/connect/" in before.headers["Location"]
    assert page.status_code == 200
    assert 'id="invoices"' in page.text
    # The connect view sent the browser back to the page (next=), and then it came again.
    callers = [call.user_email for call in fake.books.calls if call.path.endswith("/invoices")]
    assert callers == [fake.users[0].email] * 2


def test_the_async_page_sends_anonymous_visitors_to_log_in(site: str) -> None:
    answer = requests.get(f"{site}/books/invoices/", allow_redirects=False, timeout=10)

    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/accounts/login/")
