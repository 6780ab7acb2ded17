"""Listeners on 127.0.0.1 that record where requests (and their tokens) went.

:class:`Wiretap` is an HTTP server that records every request it gets, exactly as it
arrived: the request line's target (absolute when it is used as a proxy), the ``Host``
header and the ``Authorization`` header. Used as an attacker's server, anything it records
is a request that left for a host that is not Zoho's; used as the session's HTTP proxy
(``proxies={"http": tap.url, "https": tap.url}``), it sees the destination of every request
whatever the host name (no DNS needed), and of every ``CONNECT`` tunnel. It answers every
request itself, as Zoho would (``200`` with a small CRM body, or the status and headers it
was given: a throttling Zoho, say, or a slow one), and refuses tunnels.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

#: What the tap answers: the shape of ``GET /crm/v8/org``.
ANSWER = json.dumps({"org": [{"zgid": "1", "primary_email": "tap@zoho.example"}]}).encode()


@dataclass(frozen=True)
class Seen:
    """One request as it arrived at the tap."""

    method: str
    target: str
    host: str | None
    authorization: str | None


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"

    def _record(self) -> None:
        self.server.seen.append(
            Seen(
                self.command,
                self.path,
                self.headers.get("Host"),
                self.headers.get("Authorization"),
            )
        )

    def _answer(self) -> None:
        self._record()
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        time.sleep(self.server.delay)
        self.send_response(self.server.status)
        for name, value in self.server.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.server.body)))
        self.end_headers()
        self.wfile.write(self.server.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _answer

    def do_CONNECT(self) -> None:
        self._record()
        self.send_response(403)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, status: int, headers: dict[str, str], body: bytes, delay: float) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.seen: list[Seen] = []
        self.status = status
        self.headers = headers
        self.body = body
        self.delay = delay


class Wiretap:
    """A recording HTTP server (or proxy) on ``127.0.0.1``; use it as a context manager.
    It answers ``status`` with ``headers`` and ``body`` (default: 200, none, :data:`ANSWER`),
    after ``delay`` seconds."""

    def __init__(
        self,
        status: int = 200,
        headers: dict[str, str] | None = None,
        body: bytes = ANSWER,
        delay: float = 0.0,
    ) -> None:
        self._server = _Server(status, headers or {}, body, delay)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> Wiretap:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def port(self) -> int:
        """The port it listens on."""
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def seen(self) -> list[Seen]:
        """Every request received, oldest first."""
        return list(self._server.seen)

    def tokens_sent_elsewhere(self, allowed_origin: str) -> list[Seen]:
        """As a proxy: the requests that carried a token to anywhere but ``allowed_origin``
        (``http://127.0.0.1:<port>``), and every tunnel (the token would go inside it)."""
        host = allowed_origin.split("://", 1)[1]
        return [
            seen
            for seen in self.seen
            if seen.method == "CONNECT"
            or (
                seen.authorization is not None
                and (not seen.target.startswith(f"{allowed_origin}/") or seen.host != host)
            )
        ]
