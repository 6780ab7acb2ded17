"""The wire under :mod:`zoho_tokens.api.session`: the Authorization header, a body read within a
deadline, and whether a request body can be sent twice."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any

import requests
from urllib3.exceptions import HTTPError as Urllib3Error

__all__ = ["ZohoAuth", "read_body", "replayable"]

_CHUNK = 64 * 1024


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
