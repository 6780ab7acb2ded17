"""``zoho_tokens.accounts.client`` against the fake Zoho: the happy paths, each of Zoho's error
answers, broken and slow servers, and the accounts-server allow-list."""

from __future__ import annotations

import time
import traceback
from urllib.parse import parse_qs, urlsplit

import pytest

from zoho_tokens.accounts import client as oauth
from zoho_tokens.accounts.client import TokenGrant
from zoho_tokens.conf import DEFAULT_SCOPES
from zoho_tokens.exceptions import (
    ImproperlyConfiguredZoho,
    InvalidGrantError,
    UntrustedAccountsServerError,
    ZohoOAuthError,
    ZohoThrottledError,
    ZohoUnavailableError,
)
from zoho_tokens.testing import REVOKE_PATH, TOKEN_PATH, FakeZoho

REDIRECT_URI = "https://app.example/zoho/callback/"


@pytest.fixture
def stranger():
    """A second fake Zoho that is NOT configured anywhere: it must never hear from us."""
    with FakeZoho(client_id="fake-client-id", client_secret="fake-client-secret") as other:
        yield other


@pytest.fixture
def short_timeout(settings, fake_zoho):
    """``HTTP_TIMEOUT`` well below how long a "slow" fault waits, and still roomy for the
    calls of the test that must succeed on a busy machine (one second)."""
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "HTTP_TIMEOUT": 1.0}
    fake_zoho.slow_seconds = 5.0
    return 1.0


def exchange(fake_zoho: FakeZoho, code: str | None = None, **kwargs) -> TokenGrant:
    return oauth.exchange_code(
        code or fake_zoho.issue_code(), accounts_server=fake_zoho.url, redirect_uri=None, **kwargs
    )


def refresh(fake_zoho: FakeZoho, refresh_token: str, **kwargs) -> TokenGrant:
    return oauth.refresh_access_token(refresh_token, accounts_server=fake_zoho.url, **kwargs)


def full_text(error: BaseException) -> str:
    """Everything a log of this exception would show, causes included."""
    return "".join(traceback.format_exception(error))


# -- authorize_url ----------------------------------------------------------------------------


def test_authorize_url_asks_for_offline_access_with_consent(fake_zoho):
    url = oauth.authorize_url(state="st4te", redirect_uri=REDIRECT_URI)
    split = urlsplit(url)
    query = {key: values[0] for key, values in parse_qs(split.query).items()}
    assert f"{split.scheme}://{split.netloc}{split.path}" == fake_zoho.url + "/oauth/v2/auth"
    assert query == {
        "client_id": fake_zoho.client_id,
        "response_type": "code",
        "scope": ",".join(DEFAULT_SCOPES),
        "access_type": "offline",
        "prompt": "consent",
        "redirect_uri": REDIRECT_URI,
        "state": "st4te",
    }


def test_authorize_url_uses_the_configured_scopes(fake_zoho, settings):
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "SCOPES": "A.READ, B.READ"}
    url = oauth.authorize_url(state="s", redirect_uri=REDIRECT_URI)
    assert parse_qs(urlsplit(url).query)["scope"] == ["A.READ,B.READ"]


def test_authorize_url_on_a_given_accounts_server(fake_zoho):
    url = oauth.authorize_url(
        state="s", redirect_uri=REDIRECT_URI, accounts_server="https://accounts.zoho.eu"
    )
    assert url.startswith("https://accounts.zoho.eu/oauth/v2/auth?")


def test_authorize_url_is_accepted_by_zoho_and_comes_back_with_a_code(fake_zoho):
    callback = fake_zoho.consent(oauth.authorize_url(state="st4te", redirect_uri=REDIRECT_URI))
    query = {key: values[0] for key, values in parse_qs(urlsplit(callback).query).items()}
    assert callback.startswith(REDIRECT_URI)
    assert query["state"] == "st4te"
    assert query["accounts-server"] == fake_zoho.url
    assert query["location"] == "us"
    grant = oauth.exchange_code(
        query["code"], accounts_server=query["accounts-server"], redirect_uri=REDIRECT_URI
    )
    assert grant.refresh_token


def test_authorize_url_without_client_id_is_a_configuration_error(settings):
    settings.ZOHO_TOKENS = {}
    with pytest.raises(ImproperlyConfiguredZoho):
        oauth.authorize_url(state="s", redirect_uri=REDIRECT_URI)


# -- exchange_code ----------------------------------------------------------------------------


def test_exchange_code_returns_the_tokens(fake_zoho):
    before = int(time.time() * 1000)
    grant = exchange(fake_zoho)
    assert fake_zoho.is_access_token_active(grant.access_token)
    assert fake_zoho.is_refresh_token_active(grant.refresh_token)
    assert grant.api_domain == fake_zoho.url
    assert before + 3_600_000 <= grant.expires_at_ms <= int(time.time() * 1000) + 3_600_000


def test_exchange_code_posts_the_authorization_code_grant(fake_zoho):
    code = fake_zoho.issue_code(redirect_uri=REDIRECT_URI)
    oauth.exchange_code(code, accounts_server=fake_zoho.url + "/", redirect_uri=REDIRECT_URI)
    (request,) = fake_zoho.requests
    assert (request.method, request.path) == ("POST", TOKEN_PATH)
    assert request.form == {
        "grant_type": "authorization_code",
        "client_id": fake_zoho.client_id,
        "client_secret": fake_zoho.client_secret,
        "code": code,
        "redirect_uri": REDIRECT_URI,
    }
    assert request.query == {}


def test_exchange_code_with_explicit_client_credentials(fake_zoho, settings):
    fake_zoho.add_client("1000.OTHER", "other-secret")
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "CLIENT_SECRET": "wrong"}
    code = fake_zoho.issue_code(client_id="1000.OTHER")
    grant = exchange(fake_zoho, code, client_id="1000.OTHER", client_secret="other-secret")
    assert grant.refresh_token


def test_exchange_code_online_access_gives_no_refresh_token(fake_zoho):
    grant = exchange(fake_zoho, fake_zoho.issue_code(offline=False))
    assert grant.refresh_token is None
    assert grant.access_token


def test_exchange_code_twice_is_invalid_code(fake_zoho):
    code = fake_zoho.issue_code()
    exchange(fake_zoho, code)
    with pytest.raises(InvalidGrantError) as caught:
        exchange(fake_zoho, code)
    assert caught.value.error == "invalid_code"


def test_exchange_of_an_expired_code_is_invalid_code(fake_zoho):
    code = fake_zoho.issue_code()
    fake_zoho.advance_time(fake_zoho.code_lifetime + 1)
    with pytest.raises(InvalidGrantError):
        exchange(fake_zoho, code)


def test_exchange_with_a_wrong_secret_is_invalid_client_secret(fake_zoho, settings):
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "CLIENT_SECRET": "not-the-secret"}
    with pytest.raises(ZohoOAuthError) as caught:
        exchange(fake_zoho)
    assert caught.value.error == "invalid_client_secret"
    assert not isinstance(caught.value, InvalidGrantError)
    assert "CLIENT_SECRET" in str(caught.value)
    assert "not-the-secret" not in full_text(caught.value)


def test_exchange_with_another_redirect_uri_is_invalid_redirect_uri(fake_zoho):
    code = fake_zoho.issue_code(redirect_uri=REDIRECT_URI)
    with pytest.raises(ZohoOAuthError) as caught:
        oauth.exchange_code(code, accounts_server=fake_zoho.url, redirect_uri=REDIRECT_URI + "x")
    assert caught.value.error == "invalid_redirect_uri"
    assert "redirect URI" in str(caught.value)


def test_exchange_throttled(fake_zoho):
    fake_zoho.fail("exchange", "throttle", times=1)
    with pytest.raises(ZohoThrottledError):
        exchange(fake_zoho)


def test_exchange_on_http_500_is_unavailable(fake_zoho):
    fake_zoho.fail("token", "http_500", times=1)
    with pytest.raises(ZohoUnavailableError) as caught:
        exchange(fake_zoho)
    assert caught.value.error == "server_error"
    assert "500" in str(caught.value)


def test_exchange_on_an_html_page_is_unavailable(fake_zoho):
    fake_zoho.fail("exchange", "html", times=1)
    with pytest.raises(ZohoUnavailableError) as caught:
        exchange(fake_zoho)
    assert caught.value.error == "malformed_response"


def test_exchange_on_malformed_json_is_unavailable(fake_zoho):
    fake_zoho.fail("exchange", "malformed", times=1)
    with pytest.raises(ZohoUnavailableError) as caught:
        exchange(fake_zoho)
    assert caught.value.error == "malformed_response"


def test_exchange_on_a_dropped_connection_is_unavailable(fake_zoho):
    fake_zoho.fail("exchange", "down", times=1)
    with pytest.raises(ZohoUnavailableError) as caught:
        exchange(fake_zoho)
    assert caught.value.error == "unreachable"


def test_exchange_times_out_after_http_timeout(fake_zoho, short_timeout):
    fake_zoho.fail("exchange", "slow", times=1)
    started = time.monotonic()
    with pytest.raises(ZohoUnavailableError) as caught:
        exchange(fake_zoho)
    assert time.monotonic() - started < fake_zoho.slow_seconds
    assert caught.value.error == "timeout"


def test_exchange_error_messages_carry_no_secret(fake_zoho):
    code = fake_zoho.issue_code()
    exchange(fake_zoho, code)
    with pytest.raises(InvalidGrantError) as caught:
        exchange(fake_zoho, code)
    text = full_text(caught.value)
    assert code not in text
    assert fake_zoho.client_secret not in text


def test_exchange_at_an_untrusted_accounts_server_sends_nothing(fake_zoho, stranger):
    code = stranger.issue_code()
    with pytest.raises(UntrustedAccountsServerError):
        oauth.exchange_code(code, accounts_server=stranger.url, redirect_uri=None)
    assert stranger.requests == []
    assert fake_zoho.requests == []


@pytest.mark.parametrize(
    "server",
    [
        "https://accounts.zoho.eu.evil.example",
        "https://evil.example",
        "https://accounts.zoho.eu@evil.example",
        "",
    ],
)
def test_exchange_refuses_lookalike_accounts_servers(fake_zoho, server):
    with pytest.raises(UntrustedAccountsServerError):
        oauth.exchange_code("code", accounts_server=server, redirect_uri=None)
    assert fake_zoho.requests == []


def test_exchange_without_client_credentials_is_a_configuration_error(fake_zoho, settings):
    settings.ZOHO_TOKENS = {"ACCOUNTS_URL": fake_zoho.url}
    with pytest.raises(ImproperlyConfiguredZoho):
        exchange(fake_zoho)
    assert fake_zoho.requests == []


# -- refresh_access_token ---------------------------------------------------------------------


def test_refresh_returns_a_new_access_token_and_no_refresh_token(fake_zoho):
    first = exchange(fake_zoho)
    grant = refresh(fake_zoho, first.refresh_token)
    assert grant.access_token != first.access_token
    assert fake_zoho.is_access_token_active(grant.access_token)
    assert grant.refresh_token is None
    assert grant.expires_at_ms > int(time.time() * 1000)


def test_refresh_posts_the_refresh_token_grant(fake_zoho):
    first = exchange(fake_zoho)
    fake_zoho.reset_counts()
    refresh(fake_zoho, first.refresh_token)
    (request,) = fake_zoho.requests
    assert request.form == {
        "grant_type": "refresh_token",
        "client_id": fake_zoho.client_id,
        "client_secret": fake_zoho.client_secret,
        "refresh_token": first.refresh_token,
    }
    assert request.query == {}


def test_refresh_of_a_revoked_token_is_invalid_code(fake_zoho):
    first = exchange(fake_zoho)
    fake_zoho.revoke(first.refresh_token)
    with pytest.raises(InvalidGrantError):
        refresh(fake_zoho, first.refresh_token)


def test_refresh_with_a_wrong_secret_is_invalid_client_secret(fake_zoho):
    first = exchange(fake_zoho)
    with pytest.raises(ZohoOAuthError) as caught:
        refresh(fake_zoho, first.refresh_token, client_secret="wrong-secret")
    assert caught.value.error == "invalid_client_secret"


def test_refresh_past_zohos_limit_is_throttled(fake_zoho):
    first = exchange(fake_zoho)
    fake_zoho.refresh_limit = 2
    refresh(fake_zoho, first.refresh_token)
    refresh(fake_zoho, first.refresh_token)
    with pytest.raises(ZohoThrottledError) as caught:
        refresh(fake_zoho, first.refresh_token)
    assert first.refresh_token not in full_text(caught.value)


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("http_500", "server_error"),
        ("html", "malformed_response"),
        ("malformed", "malformed_response"),
        ("down", "unreachable"),
    ],
)
def test_refresh_on_a_broken_zoho_is_unavailable(fake_zoho, kind, error):
    first = exchange(fake_zoho)
    fake_zoho.fail("refresh", kind, times=1)
    with pytest.raises(ZohoUnavailableError) as caught:
        refresh(fake_zoho, first.refresh_token)
    assert caught.value.error == error
    assert first.refresh_token not in full_text(caught.value)


def test_refresh_times_out_after_http_timeout(fake_zoho, short_timeout):
    first = exchange(fake_zoho)
    fake_zoho.fail("refresh", "slow", times=1)
    started = time.monotonic()
    with pytest.raises(ZohoUnavailableError) as caught:
        refresh(fake_zoho, first.refresh_token)
    assert time.monotonic() - started < fake_zoho.slow_seconds
    assert caught.value.error == "timeout"


def test_refresh_at_an_untrusted_accounts_server_sends_nothing(fake_zoho, stranger):
    with pytest.raises(UntrustedAccountsServerError):
        oauth.refresh_access_token("1000.rt.x", accounts_server=stranger.url)
    assert stranger.requests == []


# -- revoke_refresh_token ---------------------------------------------------------------------


def test_revoke_kills_the_refresh_token_and_its_access_tokens(fake_zoho):
    first = exchange(fake_zoho)
    oauth.revoke_refresh_token(first.refresh_token, accounts_server=fake_zoho.url)
    assert not fake_zoho.is_refresh_token_active(first.refresh_token)
    assert not fake_zoho.is_access_token_active(first.access_token)
    assert fake_zoho.count(REVOKE_PATH, method="POST", token=first.refresh_token) == 1


def test_revoke_of_a_token_zoho_no_longer_knows_is_done(fake_zoho):
    oauth.revoke_refresh_token("1000.rtunknown.0", accounts_server=fake_zoho.url)
    assert fake_zoho.count(REVOKE_PATH) == 1


@pytest.mark.parametrize("kind", ["http_500", "html", "html_400", "malformed", "down"])
def test_revoke_on_a_broken_zoho_is_unavailable_and_hides_the_token(fake_zoho, kind):
    first = exchange(fake_zoho)
    fake_zoho.fail("revoke", kind, times=1)
    with pytest.raises(ZohoUnavailableError) as caught:
        oauth.revoke_refresh_token(first.refresh_token, accounts_server=fake_zoho.url)
    assert first.refresh_token not in full_text(caught.value)
    assert fake_zoho.is_refresh_token_active(first.refresh_token)


def test_revoke_times_out_without_quoting_the_token(fake_zoho, short_timeout):
    first = exchange(fake_zoho)
    fake_zoho.fail("revoke", "slow", times=1)
    with pytest.raises(ZohoUnavailableError) as caught:
        oauth.revoke_refresh_token(first.refresh_token, accounts_server=fake_zoho.url)
    assert caught.value.error == "timeout"
    assert first.refresh_token not in full_text(caught.value)


def test_revoke_at_an_untrusted_accounts_server_sends_nothing(fake_zoho, stranger):
    first = exchange(fake_zoho)
    with pytest.raises(UntrustedAccountsServerError):
        oauth.revoke_refresh_token(first.refresh_token, accounts_server=stranger.url)
    assert stranger.requests == []


# -- identify ---------------------------------------------------------------------------------


def test_identify_names_the_user_as_the_sdk_does(fake_zoho):
    user = fake_zoho.consenting_user
    grant = exchange(fake_zoho)
    identity = oauth.identify(grant.access_token, api_domain=grant.api_domain)
    assert (identity.email, identity.org_id) == (user.email, user.zgid)
    assert identity.user_name == user.sdk_user_name


def test_identify_sends_the_access_token_as_zoho_oauthtoken(fake_zoho):
    grant = exchange(fake_zoho)
    oauth.identify(grant.access_token, api_domain=fake_zoho.url)
    paths = [(call.path, call.access_token) for call in fake_zoho.crm_calls]
    assert paths == [("/crm/v8/users", grant.access_token), ("/crm/v8/org", grant.access_token)]
    assert fake_zoho.count("/crm/v8/users", type="CurrentUser") == 1


def test_identify_with_a_dead_access_token_is_refused(fake_zoho):
    grant = exchange(fake_zoho)
    fake_zoho.expire_access_tokens()
    with pytest.raises(ZohoOAuthError) as caught:
        oauth.identify(grant.access_token, api_domain=fake_zoho.url)
    assert grant.access_token not in full_text(caught.value)


def test_identify_without_the_user_scopes_is_refused(fake_zoho):
    grant = exchange(fake_zoho, fake_zoho.issue_code(scopes=["ZohoCRM.modules.ALL"]))
    with pytest.raises(ZohoOAuthError) as caught:
        oauth.identify(grant.access_token, api_domain=fake_zoho.url)
    assert "ZohoCRM.users.READ" in str(caught.value)


@pytest.mark.parametrize("kind", ["http_500", "html", "malformed", "down"])
def test_identify_on_a_broken_crm_is_unavailable(fake_zoho, kind):
    grant = exchange(fake_zoho)
    fake_zoho.fail("crm", kind, times=1)
    with pytest.raises(ZohoUnavailableError):
        oauth.identify(grant.access_token, api_domain=fake_zoho.url)


def test_identify_times_out_after_http_timeout(fake_zoho, short_timeout):
    grant = exchange(fake_zoho)
    fake_zoho.fail("crm", "slow", times=1)
    started = time.monotonic()
    with pytest.raises(ZohoUnavailableError) as caught:
        oauth.identify(grant.access_token, api_domain=fake_zoho.url)
    assert time.monotonic() - started < fake_zoho.slow_seconds
    assert grant.access_token not in full_text(caught.value)


# -- TokenGrant -------------------------------------------------------------------------------


def test_token_grant_repr_and_str_show_no_token(fake_zoho):
    grant = exchange(fake_zoho)
    for text in (repr(grant), str(grant)):
        assert grant.access_token not in text
        assert grant.refresh_token not in text
    assert "refresh_token=yes" in repr(grant)


@pytest.mark.parametrize(
    "server", ["https://accounts.zoho.eu:99999", "https://accounts.zoho.eu:abc", "http://[::1"]
)
def test_a_malformed_accounts_server_is_untrusted_not_a_crash(fake_zoho, server):
    with pytest.raises(UntrustedAccountsServerError):
        oauth.exchange_code("code", accounts_server=server, redirect_uri=None)
    assert fake_zoho.requests == []
