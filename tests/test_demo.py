"""``make demo``: the runner starts the example project and the fake Zoho, and stops both.

One demo is started for the module (it takes a while to migrate and start); the last test
stops it with Ctrl-C.
"""

from __future__ import annotations

import os
import re
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 120
#: After its banner the demo has nothing more to say until a request comes in.
QUIET_AFTER_BANNER_SECONDS = 2.0
BANNER_END = "Press Ctrl-C to stop."

# One demo at a time: it prepares its database in example_project/ afresh on every start, so
# two pytest-xdist workers each starting this module's demo would delete each other's.
pytestmark = pytest.mark.xdist_group("demo")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Demo:
    process: subprocess.Popen[bytes]
    port: int
    zoho_port: int
    #: Everything printed up to and including the banner's last line.
    startup: str
    #: What was printed in the QUIET_AFTER_BANNER_SECONDS after it.
    after_banner: str

    @property
    def site(self) -> str:
        return f"http://127.0.0.1:{self.port}/"


def read_for(process: subprocess.Popen[bytes], seconds: float, until: str | None = None) -> str:
    """What ``process`` prints within ``seconds`` (stopping early once ``until`` appears)."""
    assert process.stdout is not None
    fd = process.stdout.fileno()
    seen = b""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        if until is not None and until.encode() in seen and seen.endswith(b"\n"):
            # The banner's closing rule comes on the line after BANNER_END.
            tail = seen.split(until.encode(), 1)[1]
            if tail.count(b"\n") >= 2:
                break
        ready, _, _ = select.select([fd], [], [], min(left, 0.2))
        if ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            seen += chunk
    return seen.decode(errors="replace")


@pytest.fixture(scope="module")
def demo() -> Iterator[Demo]:
    port, zoho_port = free_port(), free_port()
    # Without Zoho credentials in the environment the demo uses its fake Zoho.
    env = {name: value for name, value in os.environ.items() if not name.startswith("ZOHO_")}
    process = subprocess.Popen(
        [sys.executable, "scripts/demo.py", "--port", str(port), "--zoho-port", str(zoho_port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        startup = read_for(process, STARTUP_SECONDS, until=BANNER_END)
        assert BANNER_END in startup, f"the demo never said it was running:\n{startup}"
        after_banner = read_for(process, QUIET_AFTER_BANNER_SECONDS)
        yield Demo(process, port, zoho_port, startup, after_banner)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
            process.communicate(timeout=30)


def test_the_demo_prints_the_url_and_the_login_after_the_servers_start_up_lines(demo):
    banner_at = demo.startup.index("The example project is running at")

    assert demo.site in demo.startup[banner_at:]
    assert "'demo', password 'demo'" in demo.startup[banner_at:]
    # Django 6.1 says "Starting WSGI development server at", earlier ones "Starting development ..."
    assert demo.startup.index("development server at") < banner_at


def test_the_demo_prints_nothing_after_its_banner_until_a_request_comes(demo):
    assert demo.after_banner.strip() == ""


def test_the_demo_serves_the_example_project_and_the_fake_zohos_consent_page(demo):
    login_page = requests.get(f"{demo.site}accounts/login/", timeout=10)
    admin_login = requests.get(f"{demo.site}admin/login/", timeout=10)
    connect = requests.get(f"{demo.site}zoho/connect/", allow_redirects=False, timeout=10)

    assert login_page.status_code == 200
    assert admin_login.status_code == 200
    # Anonymous visitors are sent on to sign in through the fake Zoho's consent page.
    consent_url = connect.headers["Location"]
    assert consent_url.startswith(f"http://127.0.0.1:{demo.zoho_port}/oauth/v2/auth?")
    consent_page = requests.get(consent_url, timeout=10).text
    assert re.search(r'id="accept"', consent_page)
    assert re.search(r'id="deny"', consent_page)


def test_ctrl_c_stops_the_fake_zoho_and_the_development_server(demo):
    os.killpg(demo.process.pid, signal.SIGINT)
    output, _ = demo.process.communicate(timeout=30)

    assert demo.process.returncode == 0
    assert b"Stopped the fake Zoho and the development server." in output
    for used in (demo.port, demo.zoho_port):  # nothing listens any more
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", used)) != 0
