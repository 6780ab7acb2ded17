"""The fake's HTML: the consent page, Zoho-style error pages, and a tiny form parser.

The consent page is a plain form (no JavaScript) so that a browser test can click
``#accept`` / ``#deny`` and a ``requests`` test can parse and post it with
:func:`parse_form`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from html.parser import HTMLParser

from zoho_tokens.testing.accounts.users import FakeZohoUser

__all__ = [
    "CONSENT_FIELDS",
    "CONSENT_PATH",
    "PROXY_ERROR_PAGE",
    "SERVER_ERROR_PAGE",
    "parse_form",
    "render_consent_page",
    "render_error_page",
    "render_index_page",
]

CONSENT_PATH = "/oauth/v2/auth/consent"

#: The OAuth parameters the consent form carries through, in this order.
CONSENT_FIELDS = (
    "client_id",
    "response_type",
    "scope",
    "access_type",
    "prompt",
    "redirect_uri",
    "state",
)

_STYLE = """
body { font-family: system-ui, sans-serif; background: #f4f6f8; margin: 0; }
main { max-width: 32rem; margin: 4rem auto; background: #fff; padding: 2rem;
       border-radius: 8px; box-shadow: 0 1px 4px rgba(0,0,0,.15); }
.banner { background: #fff3cd; padding: .5rem 1rem; border-radius: 4px; font-size: .9rem; }
button { font-size: 1rem; padding: .5rem 1.5rem; margin-right: 1rem; cursor: pointer; }
#accept { background: #1a73e8; color: #fff; border: none; border-radius: 4px; }
#deny { background: #fff; border: 1px solid #999; border-radius: 4px; }
code { background: #eef; padding: 0 .25rem; }
"""


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>\n"
    )


#: The product of each scope's service part (lower case), as Zoho's consent page names it.
_PRODUCTS = {
    "zohocrm": "Zoho CRM",
    "zohobooks": "Zoho Books",
    "desk": "Zoho Desk",
    "zohoprojects": "Zoho Projects",
}


def products_asked(scopes: Sequence[str]) -> str:
    """The products ``scopes`` reach, for the consent page: "Zoho CRM and Zoho Books"."""
    names = list(dict.fromkeys(_PRODUCTS.get(s.split(".")[0].lower(), "") for s in scopes))
    names = [name for name in names if name] or ["Zoho"]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def render_consent_page(
    params: Mapping[str, str],
    scopes: Sequence[str],
    users: Sequence[FakeZohoUser],
    selected: FakeZohoUser,
) -> str:
    """The page Zoho shows before it redirects back: who, which scopes, Accept or Deny."""
    hidden = "".join(
        f'<input type="hidden" name="{name}" value="{escape(params[name])}">'
        for name in CONSENT_FIELDS
        if name in params
    )
    options = "".join(
        f'<option value="{escape(user.email)}"{" selected" if user == selected else ""}>'
        f"{escape(user.full_name)} &lt;{escape(user.email)}&gt;</option>"
        for user in users
    )
    scope_items = "".join(f"<li><code>{escape(scope)}</code></li>" for scope in scopes)
    body = (
        '<p class="banner">Fake Zoho Accounts, for development and tests only.</p>'
        "<h1>Allow access?</h1>"
        f'<p>The application <code id="client-id">{escape(params.get("client_id", ""))}</code> '
        f'would like to access your <span id="products">{escape(products_asked(scopes))}'
        "</span> data:</p>"
        f'<ul id="scopes">{scope_items}</ul>'
        f'<form method="post" action="{CONSENT_PATH}" id="consent-form">{hidden}'
        f'<p><label for="user">Signed in as</label> '
        f'<select name="user" id="user">{options}</select></p>'
        '<p><button type="submit" name="action" value="accept" id="accept">Accept</button>'
        '<button type="submit" name="action" value="deny" id="deny">Deny</button></p>'
        "</form>"
    )
    return _page("Fake Zoho - Allow access", body)


def render_error_page(error: str, message: str) -> str:
    """Zoho Accounts' error page for a bad authorization request (sent with HTTP 400)."""
    body = (
        '<p class="banner">Fake Zoho Accounts, for development and tests only.</p>'
        f'<h1>{escape(message)}</h1><p>Error: <code id="error">{escape(error)}</code></p>'
    )
    return _page(f"Fake Zoho - {message}", body)


def render_index_page(url: str, client_id: str, users: Sequence[FakeZohoUser]) -> str:
    """``GET /``: what is running here, for people poking at the demo server."""
    people = "".join(
        f"<li>{escape(user.full_name)} &lt;{escape(user.email)}&gt;</li>" for user in users
    )
    body = (
        '<p class="banner">Fake Zoho Accounts, for development and tests only.</p>'
        f'<h1>Fake Zoho is running</h1><p>At <code id="url">{escape(url)}</code>, '
        f"for the client <code>{escape(client_id)}</code>.</p>"
        f'<p>Users who can consent:</p><ul id="users">{people}</ul>'
    )
    return _page("Fake Zoho", body)


#: What a misbehaving proxy in front of Zoho might answer with HTTP 200 (fault ``"html"``).
PROXY_ERROR_PAGE = _page(
    "502 Bad Gateway",
    "<h1>502 Bad Gateway</h1><p>The upstream server did not answer in time.</p><hr>nginx",
)

#: A 500 page, as an HTML-speaking front end answers it (fault ``"http_500"``).
SERVER_ERROR_PAGE = _page(
    "500 Internal Server Error",
    "<h1>500 Internal Server Error</h1><p>Something went wrong. Please try again later.</p>",
)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}
        self.buttons: dict[str, tuple[str, str]] = {}
        self._select: str | None = None
        self._in_form = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {key: value or "" for key, value in attrs}
        if tag == "form" and self.action is None:
            self.action = attr.get("action", "")
            self._in_form = True
        elif not self._in_form:
            return
        elif tag == "input" and "name" in attr:
            self.fields[attr["name"]] = attr.get("value", "")
        elif tag == "select" and "name" in attr:
            self._select = attr["name"]
        elif tag == "option" and self._select is not None:
            if "selected" in attr or self._select not in self.fields:
                self.fields[self._select] = attr.get("value", "")
        elif tag == "button" and "id" in attr and "name" in attr:
            self.buttons[attr["id"]] = (attr["name"], attr.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "form":
            self._in_form = False


def parse_form(html: str, button: str | None = None) -> tuple[str, dict[str, str]]:
    """The first form of ``html``: its action and the fields a browser would submit.

    ``button`` is the id of the submit button to press (``"accept"`` or ``"deny"``): its
    ``name=value`` pair is added to the fields, as a browser does.
    """
    parser = _FormParser()
    parser.feed(html)
    if parser.action is None:
        raise ValueError("no <form> in this page")
    fields = dict(parser.fields)
    if button is not None:
        if button not in parser.buttons:
            raise ValueError(f"no button with id {button!r} in the form")
        name, value = parser.buttons[button]
        fields[name] = value
    return parser.action, fields
