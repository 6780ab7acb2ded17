"""``python -m zoho_tokens.testing``: the demo server.

Run without Django: ``python -m pytest tests/testing -p no:django --confcutdir=tests/testing``.
"""

from __future__ import annotations

import re
import subprocess
import sys

import requests


def test_cli_serves_until_terminated(http: requests.Session) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "zoho_tokens.testing", "--port", "0", "--client-id", "cli-id"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        first_line = process.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+", first_line)
        assert url is not None, first_line
        response = http.get(url.group() + "/", timeout=5)
        assert response.status_code == 200
        assert "cli-id" in response.text
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0


def _run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "zoho_tokens.testing", *args],
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_a_busy_port_is_one_line_that_says_how_to_pick_another() -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        result = _run_cli("--port", str(port), "--quiet")

    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"Port {port} is already in use (another fake Zoho?); pick another with "
        f"--port {port + 1}, or --port 0 for any free one."
    ]
    assert "Traceback" not in result.stderr + result.stdout


def test_the_demo_fake_has_a_second_zoho_user(http: requests.Session) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "zoho_tokens.testing", "--port", "0", "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        users = next(
            line for line in iter(process.stdout.readline, "") if line.startswith("Users:")
        )
        assert users.startswith("Users: ada@example.com, grace@example.com;")
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0
