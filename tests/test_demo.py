"""``make demo``: the runner starts the example project and the fake Zoho, and stops both."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 120


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def read_until_banner(process: subprocess.Popen[str]) -> str:
    """What the demo printed up to the line that gives its URL."""
    assert process.stdout is not None
    seen: list[str] = []
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
        seen.append(line)
        if "Press Ctrl-C to stop." in line:
            return "".join(seen)
    raise AssertionError("the demo never said it was running:\n" + "".join(seen))


def test_the_demo_runs_the_example_project_against_the_fake_zoho_until_ctrl_c():
    port, zoho_port = free_port(), free_port()
    # Without Zoho credentials in the environment the demo uses its fake Zoho.
    env = {name: value for name, value in os.environ.items() if not name.startswith("ZOHO_")}
    process = subprocess.Popen(
        [sys.executable, "scripts/demo.py", "--port", str(port), "--zoho-port", str(zoho_port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        banner = read_until_banner(process)
        site = f"http://127.0.0.1:{port}/"
        assert site in banner
        assert "'demo', password 'demo'" in banner

        login_page = requests.get(f"{site}accounts/login/", timeout=10)
        admin_login = requests.get(f"{site}admin/login/", timeout=10)
        connect = requests.get(f"{site}zoho/connect/", allow_redirects=False, timeout=10)

        assert login_page.status_code == 200
        assert admin_login.status_code == 200
        # Anonymous visitors are sent on to sign in through the fake Zoho's consent page.
        consent_url = connect.headers["Location"]
        assert consent_url.startswith(f"http://127.0.0.1:{zoho_port}/oauth/v2/auth?")
        consent_page = requests.get(consent_url, timeout=10).text
        assert re.search(r'id="accept"', consent_page)
        assert re.search(r'id="deny"', consent_page)
    finally:
        os.killpg(process.pid, signal.SIGINT)
        output, _ = process.communicate(timeout=30)

    assert process.returncode == 0
    assert "Stopped the fake Zoho and the development server." in output
    for used in (port, zoho_port):  # nothing listens any more
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", used)) != 0
