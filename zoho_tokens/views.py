"""Connect, callback and disconnect: parse the request, call one operation, redirect.

The OAuth work is done by :func:`zoho_tokens.connect.connect_with_code` and
:func:`zoho_tokens.revocation.revoke_token`; the ``state`` by :mod:`zoho_tokens.oauth_state`.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import authenticate, login
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from zoho_tokens import backends, oauth
from zoho_tokens.conf import zoho_settings
from zoho_tokens.connect import connect_with_code
from zoho_tokens.exceptions import (
    InvalidGrantError,
    UntrustedAccountsServerError,
    ZohoOAuthError,
    ZohoThrottledError,
    ZohoUnavailableError,
)
from zoho_tokens.models import ZohoToken
from zoho_tokens.oauth_state import OAuthFlow, StateError, consume_state, issue_state
from zoho_tokens.revocation import revoke_token

logger = logging.getLogger(__name__)

ERROR_TEMPLATE = "zoho_tokens/error.html"
DENIED_TEMPLATE = "zoho_tokens/denied.html"
DISCONNECT_TEMPLATE = "zoho_tokens/disconnect.html"

#: What the error page says about a rejected ``state``, by :class:`StateError` reason.
STATE_MESSAGES = {
    "missing": gettext_lazy(
        "This request to connect Zoho CRM came without its security token (state), so it "
        "cannot be trusted. Nothing was saved."
    ),
    "unknown": gettext_lazy(
        "This request to connect Zoho CRM was not started from this browser session (its "
        "security token is unknown here: forged, or opened in another browser). Nothing "
        "was saved."
    ),
    "used": gettext_lazy(
        "This link to connect Zoho CRM was already used once and cannot be used again. "
        "Nothing more was saved."
    ),
    "expired": gettext_lazy(
        "This request to connect Zoho CRM expired: it has to be completed within "
        "%(minutes)d minutes. Nothing was saved."
    ),
}

#: What the page says when log in with Zoho finds nobody, by the backend's refusal reason.
LOGIN_REFUSALS = {
    backends.REFUSAL_NO_ACCOUNT: gettext_lazy(
        "No account on this site uses the email address of the Zoho user %(email)s, so you "
        "were not signed in. Sign in another way, or ask an administrator for an account."
    ),
    backends.REFUSAL_AMBIGUOUS: gettext_lazy(
        "Several accounts on this site use the email address of the Zoho user %(email)s, so "
        "you were not signed in. Ask an administrator to sort these accounts out."
    ),
    backends.REFUSAL_INACTIVE: gettext_lazy(
        "The account on this site for the Zoho user %(email)s is disabled, so you were not "
        "signed in."
    ),
    backends.REFUSAL_DISABLED: gettext_lazy("Signing in with Zoho is not enabled on this site."),
}


# -- helpers ---------------------------------------------------------------------------------


def _safe_next(request: HttpRequest, url: str | None) -> str | None:
    """``url`` if it points at this site, else None."""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return None


def _destination(request: HttpRequest, next_url: str | None) -> str:
    return _safe_next(request, next_url) or resolve_url(zoho_settings.CONNECT_REDIRECT_URL)


def _redirect_uri(request: HttpRequest) -> str:
    return zoho_settings.REDIRECT_URI or request.build_absolute_uri(reverse("zoho_tokens:callback"))


def _error_page(
    request: HttpRequest,
    *,
    status: int,
    title: Any,
    message: Any,
    detail: str = "",
    next_url: str | None = None,
) -> HttpResponse:
    context = {"title": title, "message": message, "detail": detail, **_links(request, next_url)}
    return render(request, ERROR_TEMPLATE, context, status=status)


def _take_code(request: HttpRequest) -> str | None:
    """The grant code of the callback, removed from the request.

    Django's error reporting (the ``django.request`` log, admin error emails) shows a
    failed request's full URL and GET parameters. A code whose exchange failed may still be
    valid at Zoho for a minute or two, so once read it is scrubbed from what they see.
    """
    code = request.GET.get("code")
    if code is not None:
        scrubbed = request.GET.copy()
        scrubbed.pop("code")
        request.META["QUERY_STRING"] = scrubbed.urlencode()
        request.GET = QueryDict(request.META["QUERY_STRING"])
    return code


def _tell(request: HttpRequest, level: int, text: str) -> None:
    # Silently skipped when the project does not use django.contrib.messages.
    messages.add_message(request, level, text, fail_silently=True)


def _links(request: HttpRequest, next_url: str | None) -> dict[str, str]:
    """Where the pages' "connect again" and "continue" links go."""
    retry_url = reverse("zoho_tokens:connect")
    next_url = _safe_next(request, next_url)
    if next_url:
        retry_url = f"{retry_url}?{urlencode({'next': next_url})}"
    return {"retry_url": retry_url, "continue_url": _destination(request, next_url)}


def _zoho_failed(request: HttpRequest, err: ZohoOAuthError, flow: OAuthFlow) -> HttpResponse:
    """The page for a failed exchange or identification; nothing was stored."""
    logger.warning("Connecting Zoho CRM failed: %s", err)
    if isinstance(err, UntrustedAccountsServerError):
        status, title = 400, _("Unknown Zoho data centre")
        message = _(
            "The request named an accounts server that is not a Zoho data centre. Nothing was "
            "sent to it and nothing was saved."
        )
    elif isinstance(err, InvalidGrantError):
        status, title = 400, _("Zoho did not accept the authorisation")
        message = _(
            "The authorisation code was already used or has expired. Nothing was saved; "
            "please connect Zoho CRM again."
        )
    elif isinstance(err, ZohoThrottledError):
        status, title = 503, _("Zoho asks us to slow down")
        message = _("Zoho is throttling requests. Nothing was saved; try again in a few minutes.")
    elif isinstance(err, ZohoUnavailableError):
        status, title = 502, _("Zoho is not available")
        message = _(
            "Zoho could not be reached or gave an unexpected answer. Nothing was saved, and "
            "any earlier connection is unchanged; try again later."
        )
    else:
        status, title = 502, _("Zoho refused the connection")
        message = _(
            "Zoho refused to complete the connection. Nothing was saved, and any earlier "
            "connection is unchanged."
        )
    return _error_page(
        request,
        status=status,
        title=title,
        message=message,
        detail=str(err),
        next_url=flow.next_url,
    )


# -- views -----------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def connect(request: HttpRequest) -> HttpResponse:
    """Send the browser to Zoho's consent page.

    A logged-in user connects their Zoho CRM; an anonymous visitor logs in with Zoho when
    ``ZOHO_TOKENS["LOGIN"]`` is on, and is sent to ``LOGIN_URL`` otherwise. ``next`` (query
    or form) is remembered when it points at this site.
    """
    if not request.user.is_authenticated and not zoho_settings.LOGIN:
        return redirect_to_login(request.get_full_path())
    redirect_uri = _redirect_uri(request)
    accounts_server = zoho_settings.data_center.accounts_server
    state = issue_state(
        request.session,
        next_url=_safe_next(request, request.POST.get("next") or request.GET.get("next")),
        login=not request.user.is_authenticated,
        redirect_uri=redirect_uri,
        accounts_server=accounts_server,
    )
    return HttpResponseRedirect(
        oauth.authorize_url(state=state, redirect_uri=redirect_uri, accounts_server=accounts_server)
    )


@never_cache
@require_GET
def callback(request: HttpRequest) -> HttpResponse:
    """Where Zoho sends the browser back: check ``state``, store the token, redirect."""
    try:
        flow = consume_state(request.session, request.GET.get("state"))
    except StateError as err:
        logger.warning("Zoho callback rejected: state %s.", err.reason)
        message = str(STATE_MESSAGES[err.reason])
        if err.reason == "expired":
            message = message % {"minutes": max(1, zoho_settings.STATE_MAX_AGE // 60)}
        return _error_page(
            request, status=400, title=_("This link cannot be used"), message=message
        )

    error = request.GET.get("error")
    if error:
        if error == "access_denied":
            return render(request, DENIED_TEMPLATE, _links(request, flow.next_url))
        return _error_page(
            request,
            status=400,
            title=_("Zoho reported an error"),
            message=_("Zoho did not authorise the connection. Nothing was saved."),
            detail=error[:100],
            next_url=flow.next_url,
        )

    code = _take_code(request)
    if not code:
        return _error_page(
            request,
            status=400,
            title=_("No authorisation code"),
            message=_("Zoho sent no authorisation code back. Nothing was saved."),
            next_url=flow.next_url,
        )
    accounts_server = request.GET.get("accounts-server") or flow.accounts_server
    location = request.GET.get("location") or None

    if request.user.is_authenticated:
        try:
            row = connect_with_code(
                code,
                accounts_server=accounts_server,
                redirect_uri=flow.redirect_uri,
                user=request.user,
                location=location,
            )
        except ZohoOAuthError as err:
            return _zoho_failed(request, err, flow)
        _tell(
            request,
            messages.SUCCESS,
            _("Zoho CRM is connected as %(email)s.") % {"email": row.email or row},
        )
        return redirect(_destination(request, flow.next_url))

    if not (flow.login and zoho_settings.LOGIN):
        return _error_page(
            request,
            status=400,
            title=_("You are not signed in"),
            message=_("Sign in first, then connect Zoho CRM. Nothing was saved."),
        )
    return _log_in_with_zoho(request, flow, code, accounts_server, location)


def _log_in_with_zoho(
    request: HttpRequest, flow: OAuthFlow, code: str, accounts_server: str, location: str | None
) -> HttpResponse:
    """Store the token, then log in the Django user whose email is the Zoho user's."""
    started = timezone.now()
    try:
        row = connect_with_code(
            code, accounts_server=accounts_server, redirect_uri=flow.redirect_uri, location=location
        )
    except ZohoOAuthError as err:
        return _zoho_failed(request, err, flow)
    email, _sep, org_id = (row.user_name or "").rpartition(":")
    user = authenticate(request, zoho_identity=oauth.ZohoIdentity(email=email, org_id=org_id))
    if user is None:
        _discard_if_orphan(row, started)
        refusal = getattr(request, "zoho_login_refusal", None) or backends.REFUSAL_NO_ACCOUNT
        return _error_page(
            request,
            status=403,
            title=_("Not signed in"),
            message=LOGIN_REFUSALS.get(refusal, LOGIN_REFUSALS[backends.REFUSAL_NO_ACCOUNT])
            % {"email": email},
            next_url=flow.next_url,
        )
    login(request, user)
    row.user = user
    row.save(update_fields=["user", "updated_at"])
    _tell(
        request,
        messages.SUCCESS,
        _("You are signed in with Zoho as %(email)s.") % {"email": email},
    )
    return redirect(_destination(request, flow.next_url))


def _discard_if_orphan(row: ZohoToken, started: Any) -> None:
    """Revoke and delete a token this log-in attempt created for nobody.

    A row that existed before (another user's connection, an org-level token) is left as
    it is. When Zoho cannot be reached the revoked row stays, so that the pending remote
    revocation can be retried.
    """
    if row.user_id is not None or row.created_at < started:
        return
    result = revoke_token(row)
    if result.remote_done:
        ZohoToken.objects.filter(pk=row.pk).delete()


@never_cache
@require_http_methods(["GET", "POST"])
def disconnect(request: HttpRequest) -> HttpResponse:
    """GET: a confirmation form. POST (with CSRF): revoke the user's Zoho tokens.

    Each token is made unusable here at once and revoked at its own accounts server; when
    Zoho cannot be reached the remote revocation is remembered and retried later. A
    ``token`` field limits it to that one of the user's tokens; ``next`` is where to go
    afterwards. Anonymous visitors are sent to ``LOGIN_URL``.
    """
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    tokens = ZohoToken.objects.disconnectable_by(user)
    if request.method != "POST":
        next_url = _safe_next(request, request.GET.get("next"))
        return render(
            request,
            DISCONNECT_TEMPLATE,
            {"tokens": tokens.order_by("pk"), "next_url": next_url or ""},
        )
    token_id = request.POST.get("token")
    if token_id:
        tokens = tokens.filter(pk=token_id) if token_id.isdigit() else tokens.none()
    results = [revoke_token(token) for token in tokens.order_by("pk")]
    pending = sum(1 for result in results if not result.remote_done)
    if not results:
        _tell(request, messages.INFO, _("There was no Zoho CRM connection to disconnect."))
    elif pending:
        _tell(
            request,
            messages.WARNING,
            ngettext(
                "Zoho CRM is disconnected here, but Zoho could not be reached: the "
                "revocation at Zoho is pending and will be retried.",
                "Zoho CRM is disconnected here, but Zoho could not be reached: %(count)d "
                "revocations at Zoho are pending and will be retried.",
                pending,
            )
            % {"count": pending},
        )
    else:
        _tell(
            request,
            messages.SUCCESS,
            ngettext(
                "Zoho CRM is disconnected, and access was revoked at Zoho.",
                "Zoho CRM is disconnected: %(count)d connections were revoked at Zoho.",
                len(results),
            )
            % {"count": len(results)},
        )
    return redirect(_destination(request, request.POST.get("next")))
