"""The wire under :mod:`zoho_tokens.accounts.client` and :mod:`zoho_tokens.accounts.identity`: where a secret
may be sent, one request to Zoho within one deadline, its JSON, and Zoho's OAuth errors as
this package's exceptions.

Internal: every other module reaches Zoho Accounts through :mod:`zoho_tokens.accounts.client`.
"""

from __future__ import annotations

import time
from typing import Any

import requests
import urllib3
from urllib3.util import Timeout

from zoho_tokens.conf import zoho_settings
from zoho_tokens.conf.datacenters import normalize_origin
from zoho_tokens.exceptions import (
    InvalidGrantError,
    UntrustedAccountsServerError,
    ZohoOAuthError,
    ZohoThrottledError,
    ZohoUnavailableError,
)
from zoho_tokens.exceptions.base import QUOTE_LIMIT, quoted


def trusted_accounts_server(url: str) -> str:
    """``url`` reduced to its origin, if it is a known Zoho accounts server or the configured
    ``ACCOUNTS_URL``; raises :class:`UntrustedAccountsServerError` otherwise.

    This is what keeps the client secret from going to a host named in a forged callback.
    """
    origin = normalize_origin(url or "")
    if origin not in zoho_settings.trusted_accounts_servers():
        raise UntrustedAccountsServerError(
            "The accounts server in the request is not a Zoho data centre nor the configured "
            "ACCOUNTS_URL; nothing was sent to it.",
            error="untrusted_accounts_server",
        )
    return origin


#: Local names that hold a request's secrets in the frames below our HTTP calls
#: (``request``, requests, urllib3). Django's report filter applies the names of the
#: nearest ``sensitive_variables`` caller to undecorated frames, so they are listed there.
SENT_SECRETS = ("data", "kwargs", "body", "headers", "params")

#: Bytes asked of the socket per read while streaming an answer.
CHUNK_SIZE = 16384

#: No answer of Zoho Accounts or of the CRM calls made here comes near this; a larger one
#: is not Zoho's, and is not read into memory.
MAX_ANSWER_BYTES = 4 * 1024 * 1024


#: Hints for the Zoho error codes people meet most, shown in exception messages.
ERROR_HINTS = {
    "invalid_code": "the grant code was already used or expired, or the refresh token was "
    "revoked; the user has to connect Zoho again",
    "invalid_client": "check CLIENT_ID and CLIENT_SECRET, and that the client belongs to "
    "this data centre",
    "invalid_redirect_uri": "the redirect URI must equal, character for character, the one "
    "registered for the client in Zoho's API console",
    "invalid_client_secret": "check CLIENT_SECRET",
}


def request(
    method: str, url: str, *, timeout: float | None = None, **kwargs: Any
) -> requests.Response:
    """Send one request to Zoho and read its whole answer within ``timeout`` seconds
    (default and most ``HTTP_TIMEOUT``; a caller with a deadline of its own passes what is
    left of it).

    ``requests``' own timeout bounds each socket operation, not the request: a server that
    sends a byte now and then keeps it waiting for ever. Here one deadline covers
    connecting, the headers (urllib3's ``total`` timeout) and the body, which is streamed
    with the socket's timeout lowered to what is left before each read.
    """
    host = normalize_origin(url)
    limit = zoho_settings.HTTP_TIMEOUT
    timeout = limit if timeout is None else max(0.001, min(timeout, limit))
    deadline = time.monotonic() + timeout
    try:
        response = requests.request(
            method,
            url,
            timeout=Timeout(total=timeout),  # type: ignore[arg-type]  # requests takes it as is
            allow_redirects=False,
            stream=True,
            **kwargs,
        )
        with response:
            read_body(response, deadline)
    except (requests.Timeout, DeadlineExceeded, TimeoutError) as err:
        raise ZohoUnavailableError(
            f"Zoho at {host} did not answer within {timeout:g} seconds; try again later.",
            error="timeout",
        ) from err
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as err:
        raise ZohoUnavailableError(
            f"Zoho at {host} could not be reached ({type(err).__name__}); try again later.",
            error="unreachable",
        ) from err
    if response.status_code >= 500:
        raise ZohoUnavailableError(
            f"Zoho at {host} failed with HTTP {response.status_code}; try again later.",
            error="server_error",
        )
    return response


class DeadlineExceeded(Exception):
    """The answer's body did not arrive before the request's deadline."""


def read_body(response: requests.Response, deadline: float) -> None:
    """Read the body of a streamed ``response`` into it (``response.content``), failing
    with :class:`DeadlineExceeded` once ``deadline`` (``time.monotonic()``) has passed."""
    raw = response.raw
    connection = getattr(raw, "connection", None)
    sock = getattr(connection, "sock", None)
    # read1 returns what one receive brings; urllib3 1.x lacks it, and reading a byte at a
    # time from its buffered file is the way to never block for more than one receive.
    read = getattr(raw, "read1", None) or (lambda size: raw.read(1))
    body = bytearray()
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise DeadlineExceeded
        if sock is not None:
            sock.settimeout(remaining)
        try:
            chunk = read(CHUNK_SIZE)
        except (urllib3.exceptions.ReadTimeoutError, TimeoutError) as err:
            raise DeadlineExceeded from err
        if not chunk:
            break
        body += chunk
        if len(body) > MAX_ANSWER_BYTES:
            raise requests.exceptions.ContentDecodingError("the answer is implausibly large")
    response._content = bytes(body)  # what response.content / .json() read
    response._content_consumed = True  # type: ignore[attr-defined]


def json_of(response: requests.Response) -> dict[str, Any]:
    """The answer's JSON object; ``ZohoUnavailableError`` for anything else (an HTML page)."""
    host = normalize_origin(response.url or "")
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise ZohoUnavailableError(
            f"Zoho at {host} answered HTTP {response.status_code} with something that is not "
            "its JSON (a proxy or maintenance page?); try again later.",
            error="malformed_response",
        )
    return body


def raise_for_error(body: dict[str, Any], host: str) -> None:
    """Raise the exception for Zoho's ``error`` in ``body``, if it names one."""
    error = body.get("error")
    if not error:
        return
    # Zoho's words, bounded: they reach messages, log lines and the refresh_failure column.
    shown = quoted(error)
    error = str(error)[:QUOTE_LIMIT]
    description = str(body.get("error_description") or "")[:QUOTE_LIMIT]
    if error == "invalid_code":
        raise InvalidGrantError(
            f"Zoho at {host} answered invalid_code: {ERROR_HINTS['invalid_code']}.", error=error
        )
    # Zoho's OAuth errors are lower-case codes (``invalid_client`` ...). Its throttle answer
    # is ``"status": "failure"`` with a human sentence as ``error`` ("Access Denied"), and
    # that sentence is translated into the caller's language ("拒绝访问"): never match the
    # English text alone, and never take a throttle for a dead token.
    is_code = error.isascii() and error.replace("_", "").isalnum() and error.islower()
    if (
        (body.get("status") == "failure" and not is_code)
        or error.lower() == "access denied"
        or "throttle" in description.lower()
    ):
        raise ZohoThrottledError(
            f"Zoho at {host} is throttling this token (at most 10 access tokens per refresh "
            "token in 10 minutes); wait a few minutes before trying again.",
            error=error,
        )
    hint = ERROR_HINTS.get(error, "see Zoho's OAuth documentation")
    if error in ("invalid_client", "invalid_client_secret"):  # the latter: a wrong secret
        data_center = zoho_settings.data_center_of_accounts_server(host)
        if data_center is not None:
            # A client's secret may differ per data centre: say which one was used.
            hint = (
                f"check CLIENT_ID and the client secret of the data centre "
                f"{data_center.location!r} (CLIENT_SECRETS[{data_center.location!r}], else "
                "CLIENT_SECRET), and that the client is enabled for that data centre"
            )
    raise ZohoOAuthError(f"Zoho at {host} answered {shown}: {hint}.", error=error)
