"""The wire under :mod:`zoho_tokens.api.session`: the adapter that lets a request leave only
for the session's Zoho hosts, the Authorization header, a body read within a deadline, and
whether a request body can be sent twice."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any

import requests
from requests.adapters import BaseAdapter
from urllib3.exceptions import HTTPError as Urllib3Error

from zoho_tokens.accounts.destinations import checked_destination

__all__ = ["DestinationGuard", "ZohoAuth", "read_body", "replayable"]

_CHUNK = 64 * 1024


class DestinationGuard(BaseAdapter):
    """The only way out of a ``ZohoSession``: ``inner`` (the adapter that sends) receives a
    request only when its URL, as prepared and at the moment it is sent, is on one of the
    ``allowed`` origins (:func:`~zoho_tokens.accounts.destinations.checked_destination`).

    Every send goes through here: ``Session.send`` asks the session for its adapter (which
    always answers with a guard, around an adapter the caller mounted too), and the answers
    it returns name the guard as their ``connection``, so a response hook that sends again
    (``r.connection.send(...)``, with a URL it rewrote) is checked too.
    """

    def __init__(self, inner: BaseAdapter, allowed: frozenset[str]) -> None:
        super().__init__()
        self.inner = inner
        self.allowed = allowed

    def send(
        self, request: requests.PreparedRequest, *args: Any, **kwargs: Any
    ) -> requests.Response:
        """Refuse (:class:`~zoho_tokens.exceptions.UntrustedHostError`) or send ``request``."""
        checked_destination(request.url or "", self.allowed)
        response = self.inner.send(request, *args, **kwargs)
        # Hooks that send again through r.connection come back through the check.
        response.connection = self  # type: ignore[assignment]  # typed as HTTPAdapter
        return response

    def close(self) -> None:
        """Close the adapter inside."""
        self.inner.close()


class ZohoAuth(requests.auth.AuthBase):
    """Sets ``Authorization: Zoho-oauthtoken ...``; its repr shows no token."""

    def __init__(self, access_token: str) -> None:
        self._access_token = access_token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Zoho-oauthtoken {self._access_token}"
        return request

    def __repr__(self) -> str:
        return "<Zoho-oauthtoken>"


def read_body(response: requests.Response, deadline: float) -> None:
    """Read the whole body before ``deadline`` (each socket read waits only what is left)."""
    raw = response.raw
    chunks: list[bytes] = []
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("the answer took too long")
            sock = getattr(getattr(raw, "connection", None), "sock", None)
            if sock is not None:
                sock.settimeout(remaining)
            chunk = raw.read1(_CHUNK, decode_content=True)
            if not chunk:
                break
            chunks.append(chunk)
    except Urllib3Error as err:
        raw.close()
        if "timed out" in str(err).lower():
            raise TimeoutError("the answer took too long") from err
        raise
    except BaseException:
        raw.close()
        raise
    response._content = b"".join(chunks)
    response._content_consumed = True  # type: ignore[attr-defined]
    # The body was read whole: this hands the connection back to the pool for reuse.
    response.close()


def replayable(kwargs: Mapping[str, Any]) -> bool:
    """Whether the request body can be sent a second time (not a file, not a generator)."""
    for name in ("data", "files"):
        value = kwargs.get(name)
        if value is None or isinstance(value, str | bytes | Mapping | list | tuple):
            continue
        if hasattr(value, "read") or isinstance(value, Iterable):
            return False
    return True
