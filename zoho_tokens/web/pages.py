"""What the views of :mod:`zoho_tokens.views` answer with: the error page, the links on the
pages, messages, and the checks on what the browser sent (a safe ``next``, the grant code).

Internal: the views are the edge; these helpers keep each of them short.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from zoho_tokens.conf import zoho_settings
from zoho_tokens.exceptions import ConnectionNotSavedError, ZohoOAuthError, ZohoTokensError

# Logged as the views' own: the log names the edge where the request failed.
logger = logging.getLogger("zoho_tokens.views")

ERROR_TEMPLATE = "zoho_tokens/error.html"

#: The longest ``next`` URL kept: it is stored in the session (a cookie, with cookie-based
#: sessions) until the callback. Longer ones are dropped, as unsafe ones are.
MAX_NEXT_LENGTH = 2048

#: The longest grant code read from a callback: Zoho's are about 70 characters
#: (``1000.<32 hex>.<32 hex>``); a longer one is not Zoho's and is not sent anywhere.
MAX_CODE_LENGTH = 512


def safe_next(request: HttpRequest, url: str | None) -> str | None:
    """``url`` if it points at this site (and is at most :data:`MAX_NEXT_LENGTH`
    characters), else None."""
    if (
        url
        and len(url) <= MAX_NEXT_LENGTH
        and url_has_allowed_host_and_scheme(
            url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return url
    return None


def destination(request: HttpRequest, next_url: str | None) -> str:
    """Where to go after the page: ``next_url`` if safe, else ``CONNECT_REDIRECT_URL``."""
    return safe_next(request, next_url) or resolve_url(zoho_settings.CONNECT_REDIRECT_URL)


def redirect_uri(request: HttpRequest) -> str:
    """The redirect URI sent to Zoho: ``REDIRECT_URI``, else the callback's absolute URL."""
    return zoho_settings.REDIRECT_URI or request.build_absolute_uri(reverse("zoho_tokens:callback"))


def error_page(
    request: HttpRequest,
    *,
    status: int,
    title: Any,
    message: Any,
    detail: str = "",
    next_url: str | None = None,
) -> HttpResponse:
    """The error page, with its "connect again" and "continue" links."""
    context = {"title": title, "message": message, "detail": detail, **links(request, next_url)}
    return render(request, ERROR_TEMPLATE, context, status=status)


def take_code(request: HttpRequest) -> str | None:
    """The grant code of the callback, removed from the request.

    Django's error reporting (the ``django.request`` log, admin error emails) shows a
    failed request's full URL and GET parameters. A code whose exchange failed may still be
    valid at Zoho for a minute or two, so once read it is scrubbed from what they see.
    A code longer than :data:`MAX_CODE_LENGTH` is scrubbed too, and read as no code.
    """
    code = request.GET.get("code")
    if code is not None:
        scrubbed = request.GET.copy()
        scrubbed.pop("code")
        request.META["QUERY_STRING"] = scrubbed.urlencode()
        request.GET = QueryDict(request.META["QUERY_STRING"])
    return code if code is None or len(code) <= MAX_CODE_LENGTH else None


def tell(request: HttpRequest, level: int, text: str) -> None:
    """Show ``text`` to the user through ``django.contrib.messages``."""
    # Silently skipped when the project does not use django.contrib.messages.
    messages.add_message(request, level, text, fail_silently=True)


def links(request: HttpRequest, next_url: str | None) -> dict[str, str]:
    """Where the pages' "connect again" and "continue" links go."""
    retry_url = reverse("zoho_tokens:connect")
    next_url = safe_next(request, next_url)
    if next_url:
        retry_url = f"{retry_url}?{urlencode({'next': next_url})}"
    return {"retry_url": retry_url, "continue_url": destination(request, next_url)}


def failed(request: HttpRequest, err: ZohoTokensError, next_url: str | None) -> HttpResponse:
    """The page for a callback that could not finish: the error says how it is shown."""
    if isinstance(err, ConnectionNotSavedError) or err.http_status == 500:
        # An operator's problem (the database refused, a setting is missing): logged with
        # the traceback, so that error mails reach the admins; the frames holding secrets
        # are marked sensitive.
        logger.error("Connecting Zoho failed: %s", err, exc_info=err, extra={"request": request})
    else:
        logger.warning("Connecting Zoho failed: %s", err)
    return error_page(
        request,
        status=err.http_status,
        title=err.user_title,
        message=err.user_message,
        # Zoho's own reason (its error code, a timeout) helps the user and support.
        detail=str(err) if isinstance(err, ZohoOAuthError) else "",
        next_url=next_url,
    )
