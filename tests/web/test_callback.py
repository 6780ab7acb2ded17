"""The callback view, against the fake Zoho over its real socket: the happy path, every
rejection, and Zoho failing."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from zoho_tokens.models import TokenStatus, ZohoToken
from zoho_tokens.testing import Endpoint, FakeZoho, FakeZohoUser, FaultKind

pytestmark = pytest.mark.django_db

CALLBACK_URI = "http://testserver/zoho/callback/"


def start(client: Client, next_url: str | None = None) -> str:
    """Run the connect view; return the authorization URL it redirected to."""
    suffix = f"?{urlencode({'next': next_url})}" if next_url else ""
    return client.get(f"/zoho/connect/{suffix}")["Location"]


def consented(client: Client, fake_zoho: FakeZoho, next_url: str | None = None) -> str:
    """Connect, consent at the fake: the callback URL Zoho sends the browser to."""
    return fake_zoho.consent(start(client, next_url))


def with_params(url: str, **changes: str | None) -> str:
    """``url`` with query parameters replaced (or removed, for None)."""
    split = urlsplit(url)
    query = {key: values[0] for key, values in parse_qs(split.query).items()}
    for key, value in changes.items():
        key = key.replace("_", "-")
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    return split._replace(query=urlencode(query)).geturl()


def token_requests(fake_zoho: FakeZoho) -> int:
    return fake_zoho.count("/oauth/v2/token")


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# -- the happy path --------------------------------------------------------------------------


def test_callback_stores_the_token_for_the_logged_in_user(
    client: Client, fake_zoho: FakeZoho, user
) -> None:
    client.get(consented(client, fake_zoho))

    row = ZohoToken.objects.get()
    assert row.user == user
    assert row.user_name == fake_zoho.consenting_user.sdk_user_name
    assert row.status == TokenStatus.ACTIVE


def test_callback_stores_a_refresh_token_that_is_live_at_zoho(
    client: Client, fake_zoho: FakeZoho
) -> None:
    client.get(consented(client, fake_zoho))

    assert fake_zoho.is_refresh_token_active(ZohoToken.objects.get().refresh_token)


def test_callback_records_the_accounts_server_api_domain_and_location(
    client: Client, fake_zoho: FakeZoho
) -> None:
    client.get(consented(client, fake_zoho))

    row = ZohoToken.objects.get()
    assert row.accounts_server == fake_zoho.url
    assert row.api_domain == fake_zoho.url
    assert row.location == fake_zoho.location


def test_callback_redirects_to_the_default_url_with_a_message(
    client: Client, fake_zoho: FakeZoho
) -> None:
    response = client.get(consented(client, fake_zoho))

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert messages_of(response) == [f"Zoho CRM is connected as {fake_zoho.consenting_user.email}."]


def test_callback_redirects_to_the_configured_default_url(
    client: Client, fake_zoho: FakeZoho, settings
) -> None:
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "CONNECT_REDIRECT_URL": "/crm/"}

    response = client.get(consented(client, fake_zoho))

    assert response["Location"] == "/crm/"


def test_callback_redirects_to_a_safe_next(client: Client, fake_zoho: FakeZoho) -> None:
    response = client.get(consented(client, fake_zoho, next_url="/crm/leads/"))

    assert response["Location"] == "/crm/leads/"


def test_callback_ignores_an_unsafe_next(client: Client, fake_zoho: FakeZoho) -> None:
    response = client.get(consented(client, fake_zoho, next_url="https://evil.example/phish"))

    assert response["Location"] == "/"


def test_callback_exchanges_with_the_same_redirect_uri_it_sent(
    client: Client, fake_zoho: FakeZoho
) -> None:
    client.get(consented(client, fake_zoho))

    (exchange,) = [
        r for r in fake_zoho.requests if r.params.get("grant_type") == "authorization_code"
    ]
    assert exchange.params["redirect_uri"] == CALLBACK_URI


def test_callback_exchanges_with_the_configured_redirect_uri(
    client: Client, fake_zoho: FakeZoho, settings
) -> None:
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "REDIRECT_URI": CALLBACK_URI + "?via=conf"}
    callback = consented(client, fake_zoho)

    client.get(with_params(callback, via=None))

    (exchange,) = [
        r for r in fake_zoho.requests if r.params.get("grant_type") == "authorization_code"
    ]
    assert exchange.params["redirect_uri"] == CALLBACK_URI + "?via=conf"


def test_callback_identifies_the_zoho_user_on_the_returned_api_domain(
    client: Client, fake_zoho: FakeZoho
) -> None:
    client.get(consented(client, fake_zoho))

    assert [call.path for call in fake_zoho.crm_calls] == ["/crm/v8/users", "/crm/v8/org"]


def test_each_logged_in_user_gets_their_own_token(
    client: Client, fake_zoho: FakeZoho, user, bob
) -> None:
    fake_zoho.add_user("bob.zoho@example.com", "Bob Zoho")
    client.get(consented(client, fake_zoho))
    bob.client.get(fake_zoho.consent(start(bob.client), user="bob.zoho@example.com"))

    assert ZohoToken.objects.get(user=user).email == fake_zoho.consenting_user.email
    assert ZohoToken.objects.get(user=bob.user).email == "bob.zoho@example.com"


def test_reconnecting_updates_the_same_row(client: Client, fake_zoho: FakeZoho) -> None:
    client.get(consented(client, fake_zoho))
    client.get(consented(client, fake_zoho))

    assert ZohoToken.objects.count() == 1


def test_reconnecting_revokes_the_superseded_refresh_token_at_zoho(
    client: Client, fake_zoho: FakeZoho
) -> None:
    client.get(consented(client, fake_zoho))
    first = ZohoToken.objects.get().refresh_token
    client.get(consented(client, fake_zoho))

    assert ZohoToken.objects.get().refresh_token != first
    assert not fake_zoho.is_refresh_token_active(first)
    assert fake_zoho.is_refresh_token_active(ZohoToken.objects.get().refresh_token)


# -- rejected state --------------------------------------------------------------------------


def test_callback_without_state_is_rejected(client: Client, fake_zoho: FakeZoho) -> None:
    response = client.get(with_params(consented(client, fake_zoho), state=None))

    assert response.status_code == 400
    assert "This link to connect Zoho is incomplete" in response.content.decode()


def test_callback_with_a_forged_state_is_rejected(client: Client, fake_zoho: FakeZoho) -> None:
    response = client.get(with_params(consented(client, fake_zoho), state="forged-state-value"))

    assert response.status_code == 400
    assert "was not started from this browser" in response.content.decode()


def test_callback_with_another_sessions_state_is_rejected(
    client: Client, fake_zoho: FakeZoho, user
) -> None:
    callback = consented(client, fake_zoho)
    attacker = Client()
    attacker.force_login(user)

    response = attacker.get(callback)

    assert response.status_code == 400
    assert ZohoToken.objects.count() == 0


def test_callback_with_a_replayed_state_is_rejected(client: Client, fake_zoho: FakeZoho) -> None:
    callback = consented(client, fake_zoho)
    client.get(callback)
    replay = with_params(callback, code=fake_zoho.issue_code(redirect_uri=CALLBACK_URI))

    response = client.get(replay)

    assert response.status_code == 400
    assert "was already used once" in response.content.decode()


def test_a_replayed_state_exchanges_nothing(client: Client, fake_zoho: FakeZoho) -> None:
    callback = consented(client, fake_zoho)
    client.get(callback)
    client.get(with_params(callback, code=fake_zoho.issue_code(redirect_uri=CALLBACK_URI)))

    assert token_requests(fake_zoho) == 1


def test_callback_with_an_expired_state_is_rejected(
    client: Client, fake_zoho: FakeZoho, settings
) -> None:
    import time

    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "STATE_MAX_AGE": 1}
    callback = consented(client, fake_zoho)
    time.sleep(1.1)

    response = client.get(callback)

    assert response.status_code == 400
    assert "expired" in response.content.decode()


def test_rejected_states_write_nothing_and_exchange_nothing(
    client: Client, fake_zoho: FakeZoho
) -> None:
    callback = consented(client, fake_zoho)
    client.get(with_params(callback, state=None))
    client.get(with_params(callback, state="forged"))

    assert ZohoToken.objects.count() == 0
    assert token_requests(fake_zoho) == 0


# -- Zoho's answer is not a code ---------------------------------------------------------------


def test_denied_consent_shows_a_friendly_page(client: Client, fake_zoho: FakeZoho) -> None:
    callback = fake_zoho.consent(start(client), accept=False)

    response = client.get(callback)

    assert response.status_code == 200
    assert "You did not allow access to your Zoho CRM" in response.content.decode()


def test_denied_consent_names_the_service_asked_for(
    client: Client, fake_zoho: FakeZoho, settings
) -> None:
    settings.ZOHO_TOKENS = {
        **settings.ZOHO_TOKENS,
        "SCOPES": ["ZohoBooks.settings.READ", "ZohoBooks.estimates.ALL"],
    }

    body = client.get(fake_zoho.consent(start(client), accept=False)).content.decode()

    assert "Zoho Books not connected" in body
    assert "You did not allow access to your Zoho Books" in body
    assert "Zoho CRM" not in body


def test_denied_consent_offers_buttons(client: Client, fake_zoho: FakeZoho) -> None:
    body = client.get(fake_zoho.consent(start(client), accept=False)).content.decode()

    assert 'id="zoho-tokens-retry" class="button">Connect Zoho CRM</a>' in body
    assert 'id="zoho-tokens-continue" class="button secondary">Continue</a>' in body


def test_denied_consent_writes_nothing(client: Client, fake_zoho: FakeZoho) -> None:
    client.get(fake_zoho.consent(start(client), accept=False))

    assert ZohoToken.objects.count() == 0
    assert token_requests(fake_zoho) == 0


def test_another_error_from_zoho_is_reported(client: Client, fake_zoho: FakeZoho) -> None:
    callback = with_params(consented(client, fake_zoho), code=None, error="server_error")

    response = client.get(callback)

    assert response.status_code == 400
    assert "server_error" in response.content.decode()
    assert ZohoToken.objects.count() == 0


def test_callback_without_code_is_rejected(client: Client, fake_zoho: FakeZoho) -> None:
    response = client.get(with_params(consented(client, fake_zoho), code=None))

    assert response.status_code == 400
    assert "no authorisation code" in response.content.decode()
    assert token_requests(fake_zoho) == 0


def test_a_spoofed_accounts_server_receives_no_request(client: Client, fake_zoho: FakeZoho) -> None:
    with FakeZoho(client_id=fake_zoho.client_id, client_secret=fake_zoho.client_secret) as impostor:
        callback = with_params(consented(client, fake_zoho), accounts_server=impostor.url)

        response = client.get(callback)

        assert response.status_code == 400
        assert impostor.requests == []
    assert "not a Zoho data centre" in response.content.decode()
    assert ZohoToken.objects.count() == 0
    assert token_requests(fake_zoho) == 0


@pytest.mark.parametrize(
    "accounts_server",
    ["https://accounts.zoho.com.evil.example", "https://evil.example/accounts.zoho.com"],
)
def test_a_look_alike_accounts_server_is_rejected(
    client: Client, fake_zoho: FakeZoho, accounts_server: str
) -> None:
    response = client.get(
        with_params(consented(client, fake_zoho), accounts_server=accounts_server)
    )

    assert response.status_code == 400
    assert ZohoToken.objects.count() == 0


def test_callback_without_accounts_server_uses_the_one_the_flow_started_at(
    client: Client, fake_zoho: FakeZoho
) -> None:
    response = client.get(with_params(consented(client, fake_zoho), accounts_server=None))

    assert response.status_code == 302
    assert ZohoToken.objects.get().accounts_server == fake_zoho.url


def test_callback_refuses_post(client: Client, fake_zoho: FakeZoho) -> None:
    assert client.post("/zoho/callback/").status_code == 405


# -- Zoho failing ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        ("invalid_code", 400),
        ("http_500", 503),
        ("html", 503),
        ("malformed", 503),
        ("down", 503),
        ("throttle", 503),
    ],
)
def test_a_failed_exchange_shows_an_error_page_and_stores_nothing(
    client: Client, fake_zoho: FakeZoho, kind: FaultKind, status: int
) -> None:
    callback = consented(client, fake_zoho)
    fake_zoho.fail("exchange", kind)

    response = client.get(callback)

    assert response.status_code == status
    assert "Nothing was " in response.content.decode()
    assert ZohoToken.objects.count() == 0


def test_an_exchange_timeout_shows_an_error_page(
    client: Client, fake_zoho: FakeZoho, settings
) -> None:
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "HTTP_TIMEOUT": 0.3}
    fake_zoho.slow_seconds = 1.0
    callback = consented(client, fake_zoho)
    fake_zoho.fail("exchange", "slow")

    response = client.get(callback)

    assert response.status_code == 503
    assert "did not answer within" in response.content.decode()
    assert ZohoToken.objects.count() == 0


def test_a_wrong_client_secret_shows_that_zoho_refused(
    client: Client, fake_zoho: FakeZoho, settings
) -> None:
    callback = consented(client, fake_zoho)
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "CLIENT_SECRET": "not-the-secret"}

    response = client.get(callback)

    assert response.status_code == 502
    assert "invalid_client" in response.content.decode()
    assert ZohoToken.objects.count() == 0


def test_an_unusable_code_says_to_connect_again(client: Client, fake_zoho: FakeZoho) -> None:
    callback = consented(client, fake_zoho)
    fake_zoho.fail("exchange", "invalid_code")

    response = client.get(callback)

    assert "already used or has expired" in response.content.decode()


def test_a_failed_identification_stores_nothing_and_revokes_the_fresh_token(
    client: Client, fake_zoho: FakeZoho
) -> None:
    callback = consented(client, fake_zoho)
    fake_zoho.fail("crm", "http_500")

    response = client.get(callback)

    assert response.status_code == 503
    assert ZohoToken.objects.count() == 0
    assert [rt.active for rt in fake_zoho.refresh_tokens] == [False]


@pytest.mark.parametrize(("endpoint", "kind"), [("exchange", "down"), ("crm", "malformed")])
def test_a_failed_reconnect_leaves_the_earlier_token_as_it_was(
    client: Client, fake_zoho: FakeZoho, endpoint: Endpoint, kind: FaultKind
) -> None:
    client.get(consented(client, fake_zoho))
    before = ZohoToken.objects.get()
    callback = consented(client, fake_zoho)
    fake_zoho.fail(endpoint, kind)

    client.get(callback)

    after = ZohoToken.objects.get()
    assert after.refresh_token == before.refresh_token
    assert after.access_token == before.access_token
    assert after.status == TokenStatus.ACTIVE
    assert fake_zoho.is_refresh_token_active(after.refresh_token)


def test_the_error_page_offers_to_connect_again_with_the_same_next(
    client: Client, fake_zoho: FakeZoho
) -> None:
    callback = consented(client, fake_zoho, next_url="/crm/")
    fake_zoho.fail("exchange", "down")

    response = client.get(callback)

    assert 'href="/zoho/connect/?next=%2Fcrm%2F"' in response.content.decode()


def test_the_error_page_shows_no_secret(client: Client, fake_zoho: FakeZoho) -> None:
    callback = consented(client, fake_zoho)
    fake_zoho.fail("exchange", "malformed")

    body = client.get(callback).content.decode()

    assert fake_zoho.client_secret not in body
    assert parse_qs(urlsplit(callback).query)["code"][0] not in body


def test_callback_names_the_token_after_the_zoho_user_who_consented(
    client: Client, fake_zoho: FakeZoho
) -> None:
    fake_zoho.add_user(FakeZohoUser("eve@example.eu", "Eve Europa", zgid="800000002"))
    client.get(fake_zoho.consent(start(client), user="eve@example.eu"))

    assert ZohoToken.objects.get().user_name == "eve@example.eu:800000002"


# -- templates -------------------------------------------------------------------------------


def test_the_error_page_is_a_complete_html_page(client: Client, fake_zoho: FakeZoho) -> None:
    body = client.get(with_params(consented(client, fake_zoho), state="forged")).content.decode()

    assert body.lstrip().startswith("<!DOCTYPE html>")
    assert "<title>This link cannot be used</title>" in body


def test_the_pages_can_be_put_in_the_sites_own_layout(
    client: Client, fake_zoho: FakeZoho, settings, tmp_path
) -> None:
    (tmp_path / "zoho_tokens").mkdir()
    (tmp_path / "site_base.html").write_text(
        "<html><body><nav>My site</nav>{% block content %}{% endblock %}</body></html>"
    )
    (tmp_path / "zoho_tokens" / "base.html").write_text(
        '{% extends "site_base.html" %}'
        "{% block content %}{% block zoho_tokens_content %}{% endblock %}{% endblock %}"
    )
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [str(tmp_path)]}]

    body = client.get(with_params(consented(client, fake_zoho), state="forged")).content.decode()

    assert body.startswith("<html><body><nav>My site</nav>")
    assert "was not started from this browser" in body


def test_a_failed_callback_scrubs_the_grant_code_from_what_error_reports_show(
    client: Client, fake_zoho: FakeZoho
) -> None:
    fake_zoho.fail("exchange", "http_500")
    callback_url = fake_zoho.consent(client.get("/zoho/connect/")["Location"])
    code = parse_qs(urlsplit(callback_url).query)["code"][0]

    response = client.get(callback_url)

    assert response.status_code == 503
    request = response.wsgi_request
    assert code not in request.get_full_path()
    assert "code" not in request.GET
    assert request.GET.get("state")  # the rest of the query is still there


# -- what the pages say ----------------------------------------------------------------------


@pytest.mark.parametrize("state", [None, "forged-state-value"])
def test_a_rejected_link_page_never_says_state_or_forged(
    client: Client, fake_zoho: FakeZoho, state: str | None
) -> None:
    body = client.get(with_params(consented(client, fake_zoho), state=state)).content.decode()

    page_text = body.split("<main", 1)[1].lower()
    assert "state" not in page_text
    assert "forged" not in page_text
    assert "start connecting zoho again" in page_text


@pytest.mark.parametrize("location", ["x" * 40, "us\x00", "mars"])
def test_a_hostile_location_gets_a_page_and_nothing_is_exchanged(
    client: Client, fake_zoho: FakeZoho, location: str
) -> None:
    response = client.get(with_params(consented(client, fake_zoho), location=location))

    assert response.status_code == 400
    assert "data centre this site does not know" in response.content.decode()
    assert token_requests(fake_zoho) == 0


def test_a_zoho_email_with_a_nul_gets_a_page_and_its_token_revoked(
    client: Client, fake_zoho: FakeZoho
) -> None:
    fake_zoho.add_user("alice\x00@example.com", "Alice Hostile")
    response = client.get(fake_zoho.consent(start(client), user="alice\x00@example.com"))

    assert response.status_code == 502
    assert "email address this site cannot use" in response.content.decode()
    assert [refresh.active for refresh in fake_zoho.refresh_tokens] == [False]


def test_an_absurd_expiry_gets_a_page_and_keeps_the_earlier_token(
    client: Client, fake_zoho: FakeZoho
) -> None:
    client.get(consented(client, fake_zoho))
    earlier = ZohoToken.objects.get()
    fake_zoho.access_token_lifetime = 10**17

    response = client.get(consented(client, fake_zoho))

    assert response.status_code == 503
    assert ZohoToken.objects.get().refresh_token == earlier.refresh_token
    assert sum(1 for refresh in fake_zoho.refresh_tokens if refresh.active) == 1


def test_connecting_a_zoho_account_another_user_holds_says_so(
    client: Client, fake_zoho: FakeZoho, user, bob
) -> None:
    bob.client.get(consented(bob.client, fake_zoho))

    response = client.get(consented(client, fake_zoho))

    assert response.status_code == 409
    assert "connected to another account on this site" in response.content.decode()
    assert ZohoToken.objects.get().user == bob.user
