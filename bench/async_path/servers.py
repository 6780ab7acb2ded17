"""The fake Zoho and the two servers under test, each in a process of its own."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent.parent


class FakeProcess:
    """``python -m bench.loadtest.fake``, driven through its stdin."""

    def __init__(self, users: int, latency: float, env: dict[str, str]) -> None:
        command = [
            sys.executable, "-m", "bench.loadtest.fake", "--users", str(users),
            "--leads", "1", "--fields", "5", "--api-latency", str(latency),
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command, cwd=REPO, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        ready = self.process.stdout.readline().split()
        if ready[:1] != ["READY"]:
            raise RuntimeError(f"the fake Zoho did not start: {ready}")
        self.url = ready[1]

    def ask(self, command: str) -> dict[str, Any]:
        """Send one command; its JSON answer."""
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        answer: dict[str, Any] = json.loads(self.process.stdout.readline())
        return answer

    def stop(self) -> None:
        if self.process.poll() is None:
            self.ask_quietly("quit")
            self.process.wait(timeout=30)

    def ask_quietly(self, command: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()


@dataclass
class Server:
    """A server under test: its process and its port."""

    kind: str
    process: subprocess.Popen[bytes]
    port: int

    def worker_pid(self) -> int:
        """The process that serves: gunicorn's worker (the master's child), uvicorn itself."""
        if self.kind == "wsgi":
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
            pids = children.read_text().split()
            return int(pids[0])
        return self.process.pid

    def rss_mb(self) -> float:
        """The serving process's resident memory, in MB."""
        for line in Path(f"/proc/{self.worker_pid()}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(kind: str, env: dict[str, str]) -> Server:
    """``wsgi``: gunicorn, one worker with 8 threads; ``asgi``: uvicorn, one process."""
    port = free_port()
    if kind == "wsgi":
        command = [
            sys.executable, "-m", "gunicorn", "--workers", "1", "--threads", "8",
            "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
            "bench.async_path.wsgi:application",
        ]  # fmt: skip
    else:
        command = [
            sys.executable, "-m", "uvicorn", "bench.async_path.asgi:application",
            "--port", str(port), "--log-level", "warning", "--no-access-log",
        ]  # fmt: skip
    process = subprocess.Popen(command, cwd=REPO, env=env)
    server = Server(kind, process, port)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{kind} server exited with {process.returncode}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                if kind == "wsgi":
                    time.sleep(1.0)  # gunicorn listens before its worker is up
                return server
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"{kind} server did not listen in time")


def bench_env(database: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.async_path.settings",
        "ASYNC_BENCH_DATABASE": database,
        "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p),
    }
