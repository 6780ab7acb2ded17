"""The processes of ``make demo`` (``scripts/demo.py``): free ports, the servers started in
process groups of their own, their output relayed, ``manage.py`` run, and the servers stopped.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MANAGE = ROOT / "example_project" / "manage.py"
LOOPBACK = "127.0.0.1"
STARTUP_TIMEOUT = 30.0
#: The banner comes after the development server's start-up lines: it waits for the line
#: that ends them (``runserver`` prints it once it listens), and then for the warning about
#: production servers that Django 5.2 and later print next (at most WARNING_SECONDS: Django
#: 4.2 prints none).
STARTED_LINE = "Quit the server with"
WARNING_LAST_LINE = "howto/deployment/"
STARTED_SECONDS = 30.0
WARNING_SECONDS = 2.0


class DemoError(Exception):
    """Something the person running the demo has to fix; the message says what."""


def port_is_free(port: int) -> bool:
    """Whether nothing listens on ``127.0.0.1:port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As the servers themselves bind: a port whose last connections linger in
        # TIME_WAIT (a demo stopped a moment ago) is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


def first_free_port(ports: Iterable[int]) -> int:
    """The first port of ``ports`` that is free."""
    candidates = list(ports)
    for port in candidates:
        if port_is_free(port):
            return port
    raise DemoError(
        f"ports {candidates[0]}-{candidates[-1]} are all in use; stop what uses them, "
        "or pass --port / --zoho-port"
    )


def wait_until_listening(port: int, process: subprocess.Popen[bytes], name: str) -> None:
    """Return once ``port`` accepts connections; fail if ``process`` exits first."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise DemoError(f"{name} exited with status {process.returncode} while starting")
        try:
            socket.create_connection((LOOPBACK, port), timeout=0.5).close()
        except OSError:
            time.sleep(0.2)
        else:
            return
    raise DemoError(f"{name} did not listen on port {port} within {STARTUP_TIMEOUT:.0f}s")


def manage(*args: str, env: dict[str, str]) -> str:
    """Run ``example_project/manage.py`` with ``args``; return its output, raise on failure."""
    result = subprocess.run(
        [sys.executable, str(MANAGE), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise DemoError(f"manage.py {args[0]} failed (status {result.returncode})")
    return result.stdout


def start(
    command: Sequence[str], env: dict[str, str], *, quiet: bool = False
) -> subprocess.Popen[bytes]:
    """Start a server in a process group of its own (see the module docstring).

    ``quiet`` drops its standard output (errors still show).
    """
    return _popen(command, env, stdout=subprocess.DEVNULL if quiet else None)


def _popen(command: Sequence[str], env: dict[str, str], **streams: Any) -> subprocess.Popen[bytes]:
    """``command`` in a process group of its own, in the project's folder."""
    return subprocess.Popen(list(command), env=env, cwd=ROOT, start_new_session=True, **streams)


class Relay:
    """Copies a server's output (stdout and stderr) to ours, noting when it started up."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.started = threading.Event()
        self.warned = threading.Event()
        self._process = process
        threading.Thread(target=self._copy, daemon=True).start()

    def _copy(self) -> None:
        assert self._process.stdout is not None
        for raw in self._process.stdout:
            sys.stdout.write(raw.decode(errors="replace"))
            sys.stdout.flush()
            if STARTED_LINE.encode() in raw:
                self.started.set()
            elif self.started.is_set() and WARNING_LAST_LINE.encode() in raw:
                self.warned.set()

    def wait_for_start_up_lines(self) -> None:
        """Return once the server has printed its start-up lines (see ``STARTED_LINE``)."""
        if self.started.wait(timeout=STARTED_SECONDS):
            self.warned.wait(timeout=WARNING_SECONDS)


def start_relayed(
    command: Sequence[str], env: dict[str, str]
) -> tuple[subprocess.Popen[bytes], Relay]:
    """Start a server like :func:`start`, its output copied to ours through a :class:`Relay`."""
    process = _popen(command, env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return process, Relay(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group, and SIGKILL it if it is still there after 5 seconds."""
    if process.poll() is not None:
        return
    for sig, grace in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue
        return
