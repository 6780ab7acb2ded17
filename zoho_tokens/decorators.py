"""``zoho_connection_required``: the view helper that turns this package's error model into
the pages a person expects.

A view that calls Zoho as the current user (``with acting_as(request.user): ...``) meets
three kinds of outcome besides success, and each has one right answer:

* the visitor is not logged in: send them to ``LOGIN_URL`` (``redirect_to_login``);
* the user has no usable Zoho token (never connected, disconnected, Zoho refused the
  refresh on this very request, a scope is missing): a
  :class:`~zoho_tokens.exceptions.NoUsableTokenError` anywhere in the view sends them to
  ``zoho_tokens:connect`` with ``next`` set to the current page, and one message saying why;
* Zoho is down, slow or throttling (:class:`~zoho_tokens.exceptions.ZohoUnavailableError`,
  :class:`~zoho_tokens.exceptions.ZohoThrottledError`): a 503 page
  (``zoho_tokens/unavailable.html``) that says nothing was changed, with ``Retry-After``
  when Zoho said how long to wait.

Async views (``async def``) are decorated alike; the decorator's own database and session
work then runs through ``sync_to_async``.

Anything else (a bug, a :class:`~zoho_tokens.exceptions.ZohoAPIError` refusing one call)
propagates as usual.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any, TypeVar, cast, overload
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from asgiref.sync import iscoroutinefunction, sync_to_async
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.utils.functional import Promise
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from zoho_tokens.accounts.numbers import MAX_RETRY_AFTER
from zoho_tokens.exceptions import (
    MissingScopeError,
    NoUsableTokenError,
    ZohoThrottledError,
    ZohoUnavailableError,
)

__all__ = ["CONNECT_MESSAGE_TAG", "UNAVAILABLE_TEMPLATE", "zoho_connection_required"]

#: The page shown (HTTP 503) when Zoho is down, slow or throttling.
UNAVAILABLE_TEMPLATE = "zoho_tokens/unavailable.html"
#: Tags the "connect Zoho to continue" message, so that it can be dropped once it is stale.
CONNECT_MESSAGE_TAG = "zoho-tokens-connect"

_View = TypeVar("_View", bound=Callable[..., HttpResponse | Awaitable[HttpResponse]])


@overload
def zoho_connection_required(view: _View, /) -> _View: ...


@overload
def zoho_connection_required(
    view: None = None,
    /,
    *,
    service: str | Promise | None = None,
    connect_url_name: str = "zoho_tokens:connect",
    login_url: str | None = None,
    template_name: str = UNAVAILABLE_TEMPLATE,
) -> Callable[[_View], _View]: ...


def zoho_connection_required(
    view: _View | None = None,
    /,
    *,
    service: str | Promise | None = None,
    connect_url_name: str = "zoho_tokens:connect",
    login_url: str | None = None,
    template_name: str = UNAVAILABLE_TEMPLATE,
) -> _View | Callable[[_View], _View]:
    """Decorate a view that calls Zoho as ``request.user``.

    Usable bare (``@zoho_connection_required``) or with options:

    ``service``
        The name of the Zoho service the page needs (``"Zoho Books"``), put before the
        message and in the title of the unavailable page. Default: none (the messages say
        "Zoho").
    ``connect_url_name``
        The URL name (or URL) of the connect view; ``?next=<this page>`` is appended.
        A :class:`~zoho_tokens.exceptions.MissingScopeError` with a ``connect_url`` goes
        there instead.
    ``login_url``
        Where anonymous visitors go (default ``settings.LOGIN_URL``).
    ``template_name``
        The 503 page (default ``zoho_tokens/unavailable.html``).
    """

    def decorate(view_func: _View) -> _View:
        if iscoroutinefunction(view_func):
            wrapper = _async_wrapper(view_func, service, connect_url_name, login_url, template_name)
            return cast(_View, wrapper)

        @wraps(view_func)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), login_url)
            _drop_stale_connect_message(request)
            try:
                response = view_func(request, *args, **kwargs)
            except NoUsableTokenError as err:
                return _send_to_connect(request, err, connect_url_name, service)
            except ZohoUnavailableError as err:
                return _unavailable(request, err, template_name, service)
            return cast(HttpResponse, response)  # a sync view: its answer, not an awaitable

        return wrapped  # type: ignore[return-value]

    if view is not None:
        return decorate(view)
    return decorate


def _async_wrapper(
    view_func: Callable[..., Any],
    service: str | Promise | None,
    connect_url_name: str,
    login_url: str | None,
    template_name: str,
) -> Callable[..., Any]:
    """The decorator for an async view: the same outcomes, the event loop never blocked
    (the user, the session's messages and the rendering go through ``sync_to_async``)."""

    @wraps(view_func)
    async def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not await sync_to_async(_is_authenticated)(request):
            return redirect_to_login(request.get_full_path(), login_url)
        await sync_to_async(_drop_stale_connect_message)(request)
        try:
            response: HttpResponse = await view_func(request, *args, **kwargs)
        except NoUsableTokenError as err:
            return await sync_to_async(_send_to_connect)(request, err, connect_url_name, service)
        except ZohoUnavailableError as err:
            return await sync_to_async(_unavailable)(request, err, template_name, service)
        return response

    return wrapped


def _is_authenticated(request: HttpRequest) -> bool:
    # request.user is lazy: evaluating it reads the session and the user from the database.
    return bool(request.user.is_authenticated)


def _with_service(service: str | Promise | None, text: str | Promise) -> str | Promise:
    if service is None:
        return text
    return _("%(service)s: %(message)s") % {"service": service, "message": text}


def _send_to_connect(
    request: HttpRequest, err: NoUsableTokenError, connect_url_name: str, service: Any
) -> HttpResponse:
    """Redirect to the connect view with ``next`` = this page, and say why (once)."""
    target = resolve_url(connect_url_name)
    # A MissingScopeError's connect_url asks for the missing scopes; only this site's.
    if (
        isinstance(err, MissingScopeError)
        and err.connect_url
        and url_has_allowed_host_and_scheme(
            err.connect_url, {request.get_host()}, require_https=request.is_secure()
        )
    ):
        target = err.connect_url
    messages.warning(
        request,
        str(_with_service(service, err.user_message)),
        extra_tags=CONNECT_MESSAGE_TAG,
        fail_silently=True,
    )
    return HttpResponseRedirect(_add_next(target, request.get_full_path()))


def _drop_stale_connect_message(request: HttpRequest) -> None:
    """Forget a "connect Zoho to continue" message still pending from an earlier visit.

    The connect view sends the browser straight on to Zoho, so that message is rendered
    only when the user comes back: on the connect views' own pages (Deny, an error), where
    it helps, or here, where it is stale (they connected) or about to be given again.
    """
    storage = getattr(request, "_messages", None)
    if storage is None:
        return
    pending = list(storage)  # marks them all as shown ...
    if not any(CONNECT_MESSAGE_TAG in message.tags.split() for message in pending):
        storage.used = False  # ... nothing to drop: leave them as they were
        return
    # Django's message storage cannot remove one message: empty the loaded ones (kept for
    # this request's pages too) and queue the others again, to be shown and stored.
    storage._loaded_messages.clear()
    for message in pending:
        if CONNECT_MESSAGE_TAG not in message.tags.split():
            storage.add(message.level, message.message, message.extra_tags)


def _add_next(url: str, next_url: str) -> str:
    """``url`` with ``next=next_url`` added, unless it already names a ``next``."""
    parts = urlsplit(url)
    if any(name == "next" for name, _value in parse_qsl(parts.query, keep_blank_values=True)):
        return url
    query = "&".join(filter(None, [parts.query, urlencode({"next": next_url})]))
    return urlunsplit(parts._replace(query=query))


def _unavailable(
    request: HttpRequest, err: ZohoUnavailableError, template_name: str, service: Any
) -> HttpResponse:
    """The friendly 503 page: nothing changed, try again later."""
    retry_after = None
    if isinstance(err, ZohoThrottledError) and err.retry_after is not None:
        # Bounded: a Retry-After of a century is no advice to a person.
        retry_after = max(1, math.ceil(min(err.retry_after, MAX_RETRY_AFTER)))
    context = {
        "title": _with_service(service, err.user_title),
        "message": err.user_message,
        "service": service,
        "throttled": isinstance(err, ZohoThrottledError),
        "retry_after": retry_after,
        "retry_minutes": math.ceil(retry_after / 60) if retry_after else None,
        "retry_url": request.get_full_path(),
    }
    response = render(request, template_name, context, status=err.http_status)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response
