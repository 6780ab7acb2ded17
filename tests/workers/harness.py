"""Start a real Celery worker against the test database and the fake Zoho, send it tasks.

The worker is a separate process group (``celery worker``, its pool's processes or
threads under it) on a queue of its own in Redis db 1, so that runs never pick up each
other's tasks; :meth:`Worker.kill` sends it SIGKILL, as an out-of-memory killer would.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from celery import Celery
from celery.result import AsyncResult

from tests.workers.celery_app import SETUP_VARIABLE, make_app

REPO = Path(__file__).resolve().parent.parent.parent

#: Seconds a worker may take to start (importing Django and the SDK on a busy machine).
START_TIMEOUT = 90.0


class Worker:
    """A running ``celery worker``; its tasks are sent with :meth:`send`."""

    def __init__(self, process: subprocess.Popen[bytes], queue: str, client: Celery) -> None:
        self.process = process
        self.queue = queue
        self.client = client

    def send(self, name: str, *args: Any) -> AsyncResult:
        """Send task ``name`` (see ``tests/workers/celery_app.py``) to this worker."""
        return self.client.send_task(name, args=args, queue=self.queue)

    def wait_ready(self) -> None:
        """Wait until the worker answers a ping task."""
        self.send("zt.ping").get(timeout=START_TIMEOUT)

    def kill(self) -> None:
        """SIGKILL the worker and its pool, at once."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        """Ask the worker to stop (SIGTERM: warm shutdown), killing it if it lingers."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


@contextmanager
def celery_worker(pool: str, concurrency: int, *, ready: bool = True) -> Iterator[Worker]:
    """A worker with ``pool`` (``prefork``, ``threads``, ``solo``) of ``concurrency``,
    pointed at this test's database and ``settings.ZOHO_TOKENS``."""
    from django.conf import settings
    from django.db import connection

    queue = f"zoho-tokens-test-{uuid.uuid4().hex}"
    setup = {"database": str(connection.settings_dict["NAME"]), "zoho_tokens": settings.ZOHO_TOKENS}
    env = {**os.environ, SETUP_VARIABLE: json.dumps(setup), "PYTHONPATH": str(REPO)}
    command = [
        sys.executable, "-m", "celery", "-A", "tests.workers.celery_app", "worker",
        "--pool", pool, "--concurrency", str(concurrency), "--queues", queue,
        "--without-heartbeat", "--without-gossip", "--without-mingle", "--loglevel", "WARNING",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=REPO, env=env, start_new_session=True)
    client = make_app()
    worker = Worker(process, queue, client)
    try:
        if ready:
            worker.wait_ready()
        yield worker
    finally:
        worker.stop()
        client.close()


def wait_for(results: list[AsyncResult], *, timeout: float = 180.0) -> None:
    """Wait until every result is ready (success or failure)."""
    deadline = time.monotonic() + timeout
    while not all(result.ready() for result in results):
        if time.monotonic() > deadline:
            done = sum(result.ready() for result in results)
            raise TimeoutError(f"only {done} of {len(results)} tasks finished in time")
        time.sleep(0.1)


def wait_until_done(results: list[AsyncResult], count: int, *, timeout: float = 180.0) -> None:
    """Wait until at least ``count`` of ``results`` are ready."""
    deadline = time.monotonic() + timeout
    while sum(result.ready() for result in results) < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"fewer than {count} tasks finished in time")
        time.sleep(0.02)
