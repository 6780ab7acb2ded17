"""The checks a newcomer's wiring mistakes meet (W021, W022, E003's suggestion, E004's
advice once): each names what is wrong and the one thing to do."""

from __future__ import annotations

import pytest

from tests import test_checks
from tests.test_checks import GOOD_KEY, zoho_ids, zoho_messages

#: The fixture of test_checks: ``configure(**changes)`` sets good settings with changes.
configure = test_checks.configure

#: This module as a URLconf without the app's URLs.
urlpatterns: list = []

# -- W021: REDIRECT_URI's path is the callback view's ---------------------------------------


@pytest.mark.parametrize(
    "uri",
    [
        "https://crm.example.com/zoho/callback",  # the trailing slash missing
        "https://crm.example.com/oauth/callback/",
        "https://crm.example.com/",
    ],
)
def test_w021_a_redirect_uri_that_is_not_the_callback(configure, uri):
    configure(REDIRECT_URI=uri)
    assert zoho_ids() == ["zoho_tokens.W021"]


def test_w021_names_both_paths(configure):
    configure(REDIRECT_URI="https://crm.example.com/zoho/callback")
    (message,) = zoho_messages("zoho_tokens.W021")
    assert "'/zoho/callback'" in message.msg
    assert "'/zoho/callback/'" in message.msg
    assert "trailing slash" in message.hint


@pytest.mark.parametrize(
    "uri",
    ["https://crm.example.com/zoho/callback/", "https://example.com/tools/zoho/callback/"],
)
def test_w021_quiet_for_the_callback_also_under_a_prefix(configure, uri):
    configure(REDIRECT_URI=uri)
    assert zoho_ids() == []


def test_w021_quiet_when_the_app_urls_are_not_included(configure, settings):
    settings.ROOT_URLCONF = __name__  # its urlpatterns: none
    configure(REDIRECT_URI="https://crm.example.com/elsewhere/")
    assert "zoho_tokens.W021" not in zoho_ids()


# -- W022: LOGIN without the backend -----------------------------------------------------------


def test_w022_login_without_the_zoho_backend(configure, settings):
    settings.AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
    configure(LOGIN=True)
    (message,) = zoho_messages("zoho_tokens.W022")
    assert "zoho_tokens.backends.ZohoAccountBackend" in message.hint


def test_w022_quiet_with_the_backend(configure, settings):
    settings.AUTHENTICATION_BACKENDS = [
        "django.contrib.auth.backends.ModelBackend",
        "zoho_tokens.backends.ZohoAccountBackend",
    ]
    configure(LOGIN=True)
    assert zoho_ids() == []


def test_w022_quiet_when_login_is_off(configure, settings):
    settings.AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
    configure(LOGIN=False)
    assert zoho_ids() == []


# -- E003/E007: did you mean ...? --------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "meant"), [(" eu", "eu"), ("EU ", "eu"), ("zoho.eu", "eu"), (".com.au", "au")]
)
def test_e003_suggests_the_code_meant(configure, value, meant):
    configure(DATA_CENTER=value)
    (message,) = zoho_messages("zoho_tokens.E003")
    assert message.msg.endswith(f"did you mean {meant!r}?")


def test_e003_suggests_nothing_for_a_value_like_no_code(configure):
    configure(DATA_CENTER="mars")
    (message,) = zoho_messages("zoho_tokens.E003")
    assert "did you mean" not in message.msg


def test_e007_suggests_the_code_meant(configure):
    configure(CLIENT_SECRETS={" in": "secret"})
    (message,) = zoho_messages("zoho_tokens.E007")
    assert message.msg.endswith("did you mean 'in'?")


# -- E004: the key command, once ----------------------------------------------------------------


def test_e004_names_the_key_command_once(configure):
    configure(ENCRYPTION_KEYS=[GOOD_KEY, "short"])
    (message,) = zoho_messages("zoho_tokens.E004")
    text = f"{message.msg} {message.hint}"
    assert text.count("Fernet.generate_key()") == 1
    assert "rotate_zoho_token_keys" in message.hint
