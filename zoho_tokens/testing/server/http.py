"""HTTP plumbing for the fake Zoho: a threaded server on a loopback socket.

This module knows nothing about Zoho. It turns each HTTP request into an
:class:`HttpRequest`, hands it to an application callable, and writes back the
:class:`HttpResponse` it returns (or drops the connection, for fault injection).

It is built on the standard library only (``http.server``) so that the fake has no
dependencies of its own, and it is written so that :meth:`LoopbackServer.stop` always
returns promptly: handler threads are daemons, long waits go through
:meth:`LoopbackServer.sleep` (which wakes up at shutdown), and every open connection is
shut down when the server stops, so no client is left waiting on a dead server.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["App", "HttpRequest", "HttpResponse", "LoopbackServer", "RequestParams"]

logger = logging.getLogger(__name__)

#: Only ever bind here: the fake must never be reachable from another machine.
LOOPBACK = "127.0.0.1"

JSON_CONTENT_TYPE = "application/json;charset=UTF-8"
HTML_CONTENT_TYPE = "text/html;charset=UTF-8"


def _first_values(parsed: Mapping[str, list[str]]) -> dict[str, str]:
    """Keep the first value of each parameter, as most servers (and Zoho) do."""
    return {key: values[0] for key, values in parsed.items() if values}


class RequestParams:
    """The :attr:`params` of a request that has a ``query`` and a ``form``."""

    query: dict[str, str]
    form: dict[str, str]

    @property
    def params(self) -> dict[str, str]:
        """Query and form parameters together; the form wins on a clash."""
        return {**self.query, **self.form}


@dataclass
class HttpRequest(RequestParams):
    """One parsed request, as the application sees it."""

    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    headers: dict[str, str]
    body: bytes = b""

    def header(self, name: str, default: str | None = None) -> str | None:
        """A request header, looked up case-insensitively."""
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted:
                return value
        return default


@dataclass
class HttpResponse:
    """What the application answers. ``drop=True`` closes the connection unanswered."""

    status: int = 200
    body: bytes = b""
    content_type: str | None = JSON_CONTENT_TYPE
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False
    #: Seconds between the body's bytes; 0 sends it at once.
    trickle: float = 0.0

    @classmethod
    def json(cls, payload: Any, status: int = 200) -> HttpResponse:
        """A JSON answer, encoded the way Zoho does (UTF-8, compact)."""
        return cls(status=status, body=json.dumps(payload).encode("utf-8"))

    @classmethod
    def html(cls, text: str, status: int = 200) -> HttpResponse:
        """An HTML page."""
        return cls(status=status, body=text.encode("utf-8"), content_type=HTML_CONTENT_TYPE)

    @classmethod
    def redirect(cls, location: str) -> HttpResponse:
        """A 302 redirect, as Zoho Accounts sends back to the OAuth client."""
        return cls(status=302, content_type=None, headers={"Location": location})

    @classmethod
    def dropped(cls) -> HttpResponse:
        """Close the connection without sending a single byte back."""
        return cls(status=0, content_type=None, drop=True)


#: The application: receives a request, returns what to answer.
App = Callable[[HttpRequest], HttpResponse]


class _Handler(BaseHTTPRequestHandler):
    """Adapts ``http.server`` to an :data:`App`. One instance per connection."""

    # HTTP/1.0: one request per connection. Keep-alive would leave handler threads blocked
    # on idle sockets, which is exactly what must not delay shutdown.
    protocol_version = "HTTP/1.0"
    server: _Server
    server_version = "FakeZoho/1.0"
    sys_version = ""

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def _read_request(self) -> HttpRequest:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        form: dict[str, str] = {}
        content_type = (self.headers.get("Content-Type") or "").lower()
        if body and content_type.startswith("application/x-www-form-urlencoded"):
            form = _first_values(parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True))
        return HttpRequest(
            method=self.command,
            path=url.path,
            query=_first_values(parse_qs(url.query, keep_blank_values=True)),
            form=form,
            headers=dict(self.headers.items()),
            body=body,
        )

    def _handle(self) -> None:
        request = self._read_request()
        try:
            response = self.server.app(request)
        except Exception:
            # A bug in the fake must show up as a loud 500, not as a hung client.
            logger.exception("fake Zoho failed on %s %s", request.method, request.path)
            response = HttpResponse.html("<h1>500 Fake Zoho internal error</h1>", status=500)
        if response.drop or self.server.stopping.is_set():
            self.close_connection = True
            self._abort()
            return
        self.send_response(response.status)
        if response.content_type:
            self.send_header("Content-Type", response.content_type)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command == "HEAD":
            return
        if response.trickle <= 0:
            self.wfile.write(response.body)
            return
        for index in range(len(response.body)):
            self.wfile.write(response.body[index : index + 1])
            self.wfile.flush()
            if self.server.stopping.wait(response.trickle):
                return

    def _abort(self) -> None:
        """Close the socket now, so the client sees a dropped connection, not a reply."""
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.log_requests:
            logger.info("%s - %s", self.address_string(), format % args)


class _Server(ThreadingHTTPServer):
    """A ``ThreadingHTTPServer`` that tracks its open connections so it can cut them."""

    daemon_threads = True
    # socketserver's default backlog of 5 makes concurrency tests with many workers stall
    # on SYN retries; accept them all at once instead.
    request_queue_size = 128
    # Never join handler threads on close: a handler sleeping in a "slow" fault must not
    # hold up stop().
    block_on_close = False

    def __init__(self, address: tuple[str, int], app: App, log_requests: bool) -> None:
        super().__init__(address, _Handler)
        self.app = app
        self.log_requests = log_requests
        self.stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def cut_connections(self) -> None:
        """Shut down every connection still open (their handler threads then finish)."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hung up, or a connection we cut at shutdown, is not an error.
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError):
            return
        super().handle_error(request, client_address)


class LoopbackServer:
    """Serve an :data:`App` on ``127.0.0.1`` from a background thread.

    ``port=0`` (the default) lets the operating system pick a free port, so any number of
    servers can run side by side.
    """

    def __init__(self, app: App, port: int = 0, *, log_requests: bool = False) -> None:
        self._app = app
        self._port = port
        self._log_requests = log_requests
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """True between :meth:`start` and :meth:`stop`."""
        return self._server is not None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``; only available while running."""
        if self._server is None:
            raise RuntimeError("the server is not running; call start() first")
        return f"http://{LOOPBACK}:{self._server.server_port}"

    def start(self) -> None:
        """Bind the socket and start serving in a daemon thread."""
        if self._server is not None:
            raise RuntimeError("the server is already running")
        server = _Server((LOOPBACK, self._port), self._app, self._log_requests)
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fake-zoho-{server.server_address[1]}",
            daemon=True,
        )
        thread.start()
        self._server, self._thread = server, thread

    def stop(self) -> None:
        """Stop serving, wake sleeping handlers, cut open connections, close the socket."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._server = self._thread = None
        server.stopping.set()
        server.shutdown()
        server.cut_connections()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def sleep(self, seconds: float) -> bool:
        """Wait up to ``seconds``; return False early if the server is stopping."""
        server = self._server
        if server is None or seconds <= 0:
            return server is not None
        return not server.stopping.wait(seconds)
