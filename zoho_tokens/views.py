"""Connect, callback and disconnect: parse the request, call one operation, redirect.

The OAuth work is done by :func:`zoho_tokens.tokens.connect.connect_with_code` and
:func:`zoho_tokens.tokens.revocation.revoke_token`; the ``state`` by :mod:`zoho_tokens.accounts.state`.
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods

from zoho_tokens.accounts.numbers import MAX_ROW_ID, strict_int
from zoho_tokens.accounts.scopes import service_labels
from zoho_tokens.accounts.state import OAuthFlow, StateError, consume_state
from zoho_tokens.conf import zoho_settings
from zoho_tokens.exceptions import (
    NoUsableTokenError,
    ZohoTokensError,
)
from zoho_tokens.health import acting
from zoho_tokens.models import ZohoToken
from zoho_tokens.tokens.connect import ConnectResult, connect_with_code
from zoho_tokens.tokens.consent import consent_redirect, finish_enhancement
from zoho_tokens.tokens.revocation import revoke_tokens
from zoho_tokens.web.login import log_in_with_zoho
from zoho_tokens.web.pages import (
    destination,
    error_page,
    failed,
    links,
    redirect_uri,
    safe_next,
    take_code,
    tell,
)

logger = logging.getLogger(__name__)

DENIED_TEMPLATE = "zoho_tokens/denied.html"
DISCONNECT_TEMPLATE = "zoho_tokens/disconnect.html"


# -- views -----------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def connect(request: HttpRequest) -> HttpResponse:
    """Send the browser to Zoho's consent page.

    A logged-in user connects their Zoho account; an anonymous visitor logs in with Zoho
    when ``ZOHO_TOKENS["LOGIN"]`` is on, and is sent to ``LOGIN_URL`` otherwise. Optional
    parameters (query or form): ``next``, remembered when it points at this site;
    ``location``, the data centre where consent starts (China's must start there);
    ``scope``, more scopes for this user, each listed in ``SCOPES`` or ``EXTRA_SCOPES``
    (see :mod:`zoho_tokens.tokens.consent`).
    """
    if not request.user.is_authenticated and not zoho_settings.LOGIN:
        return redirect_to_login(request.get_full_path())
    params = request.POST if request.method == "POST" else request.GET
    try:
        url = consent_redirect(
            request,
            location=params.get("location"),
            scope=params.get("scope"),
            next_url=safe_next(request, params.get("next")),
            redirect_uri=redirect_uri(request),
        )
    except ZohoTokensError as err:
        return failed(request, err, None)
    return HttpResponseRedirect(url)


@never_cache
@require_GET
@sensitive_variables("code")
def callback(request: HttpRequest) -> HttpResponse:
    """Where Zoho sends the browser back: check ``state``, store the token, redirect."""
    try:
        flow = consume_state(request.session, request.GET.get("state"))
    except StateError as err:
        logger.warning("Zoho callback rejected: state %s.", err.reason)
        return error_page(
            request, status=err.http_status, title=err.user_title, message=err.user_message
        )
    refusal = _refusal(request, flow)
    if refusal is not None:
        return refusal
    code = take_code(request)
    if not code and flow.enhanced_token_id is not None and request.user.is_authenticated:
        return _finish_enhancement(request, flow, flow.enhanced_token_id)
    if not code:
        return error_page(
            request,
            status=400,
            title=_("No authorisation code"),
            message=_("Zoho sent no authorisation code back. Nothing was saved."),
            next_url=flow.next_url,
        )
    if not request.user.is_authenticated and not (flow.login and zoho_settings.LOGIN):
        return error_page(
            request,
            status=400,
            title=_("You are not signed in"),
            message=_("Sign in first, then connect Zoho CRM. Nothing was saved."),
        )
    try:
        with acting("user", request.user):
            text = _finish(request, flow, code)
    except ZohoTokensError as err:
        return failed(request, err, flow.next_url)
    tell(request, messages.SUCCESS, text)
    return redirect(destination(request, flow.next_url))


def _refusal(request: HttpRequest, flow: OAuthFlow) -> HttpResponse | None:
    """The page for a callback on which Zoho reported an error (the user pressed *Deny*,
    say); None when it reported none."""
    error = request.GET.get("error")
    if not error:
        return None
    if error == "access_denied":
        service = get_text_list(
            service_labels(flow.scopes or zoho_settings.SCOPES) or ["Zoho"], _("and")
        )
        return render(
            request, DENIED_TEMPLATE, {"service": service, **links(request, flow.next_url)}
        )
    return error_page(
        request,
        status=400,
        title=_("Zoho reported an error"),
        message=_("Zoho did not authorise the connection. Nothing was saved."),
        detail=error[:100],
        next_url=flow.next_url,
    )


@sensitive_variables("code")
def _finish(request: HttpRequest, flow: OAuthFlow, code: str) -> str:
    """Connect the signed-in user's Zoho CRM, or log the visitor in with Zoho; the message
    to show. Raises the operation's :class:`ZohoTokensError`."""
    accounts_server = request.GET.get("accounts-server") or flow.accounts_server
    # Checked against Zoho's data centre codes by the operation.
    location = request.GET.get("location") or None
    result: ConnectResult
    if request.user.is_authenticated:
        result = connect_with_code(
            code,
            accounts_server=accounts_server,
            redirect_uri=flow.redirect_uri,
            user=request.user,
            location=location,
            requested_scopes=flow.scopes,
        )
        return _("Zoho CRM is connected as %(email)s.") % {"email": result.identity.email}
    result = log_in_with_zoho(
        request,
        code,
        accounts_server=accounts_server,
        redirect_uri=flow.redirect_uri,
        location=location,
    )
    return _("You are signed in with Zoho as %(email)s.") % {"email": result.identity.email}


def _finish_enhancement(request: HttpRequest, flow: OAuthFlow, token_id: int) -> HttpResponse:
    """Zoho sent the browser back from granting more scopes: record what the token has."""
    try:
        token = finish_enhancement(token_id, flow.scopes, request.user)
    except NoUsableTokenError:
        return redirect(links(request, flow.next_url)["retry_url"])
    except ZohoTokensError as err:
        return failed(request, err, flow.next_url)
    if token.missing_scopes(*flow.scopes):
        tell(request, messages.WARNING, _("Zoho did not grant all the access asked for."))
    else:
        tell(request, messages.SUCCESS, _("Zoho granted the additional access."))
    return redirect(destination(request, flow.next_url))


@never_cache
@require_http_methods(["GET", "POST"])
def disconnect(request: HttpRequest) -> HttpResponse:
    """GET: a confirmation form. POST (with CSRF): revoke the user's Zoho tokens.

    Every token is made unusable here at once, then revoked at its own accounts server
    under one deadline for them all (:func:`~zoho_tokens.tokens.revocation.revoke_tokens`);
    what Zoho did not confirm in time is remembered and retried later. A ``token`` field
    (or, for the form, query parameter) limits it to that one of the user's tokens; ``next``
    is where to go
    afterwards. Anonymous visitors are sent to ``LOGIN_URL``.
    """
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    tokens = ZohoToken.objects.disconnectable_by(user)
    token_id = request.POST.get("token") or request.GET.get("token")
    if token_id:
        # Read strictly: "²" passes str.isdigit() and twenty nines overflow a bigint.
        row_id = strict_int(token_id, minimum=1, maximum=MAX_ROW_ID)
        tokens = tokens.filter(pk=row_id) if row_id is not None else tokens.none()
    if request.method != "POST":
        next_url = safe_next(request, request.GET.get("next"))
        return render(
            request,
            DISCONNECT_TEMPLATE,
            {
                "tokens": tokens.order_by("pk"),
                "token_id": token_id or "",
                "next_url": next_url or "",
                **links(request, next_url),
            },
        )
    with acting("user", user):
        result = revoke_tokens(tokens)
    if not result.revoked:
        tell(request, messages.INFO, _("There was no Zoho CRM connection to disconnect."))
    elif result.pending:
        tell(
            request,
            messages.WARNING,
            ngettext(
                "Zoho CRM is disconnected. Zoho could not be reached to be told; this site "
                "will tell it later, there is nothing more to do.",
                "%(count)d Zoho CRM connections are disconnected. Zoho could not be reached "
                "to be told about %(pending)d of them; this site will tell it later, there "
                "is nothing more to do.",
                result.revoked,
            )
            % {"count": result.revoked, "pending": result.pending},
        )
    else:
        tell(
            request,
            messages.SUCCESS,
            ngettext(
                "Zoho CRM is disconnected.",
                "%(count)d Zoho CRM connections are disconnected.",
                result.revoked,
            )
            % {"count": result.revoked},
        )
    return redirect(destination(request, request.POST.get("next")))
