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
