"""The deploy checks for the fake Zoho's settings reaching production (E017, W017, W018).

Attack: the fake's values (``python -m zoho_tokens.testing`` prints them) pasted into a
production settings file send the client secret and every refresh token over plain HTTP.
With ``DEBUG = False``, ``manage.py check --deploy`` now says so.
"""

from __future__ import annotations

import pytest

from tests.test_checks import GOOD, zoho_ids, zoho_messages
from zoho_tokens.conf.transport import FAKE_CLIENT_ID, is_loopback
from zoho_tokens.testing import FakeZoho


@pytest.fixture
def configure(settings):
    """``ZOHO_TOKENS`` = the good settings with ``changes``; ``DEBUG`` off, as in production."""

    def apply(**changes):
        settings.DEBUG = False
        settings.ZOHO_TOKENS = {**GOOD, **changes}

    return apply


PLAIN_REMOTE = ["http://accounts.example.com", "http://10.0.0.5:8080", "http://[2001:db8::1]"]
LOOPBACK = [
    "http://127.0.0.1:8765",
    "http://localhost:8765",
    "https://localhost",
    "http://127.1.2.3",
    "http://[::1]:9000",
    "http://zoho.localhost",
]


@pytest.mark.parametrize("key", ["ACCOUNTS_URL", "API_DOMAIN"])
@pytest.mark.parametrize("url", PLAIN_REMOTE)
def test_e017_plain_http_to_another_machine(configure, key, url):
    configure(**{key: url})

    assert zoho_ids() == ["zoho_tokens.E017"]
    (message,) = zoho_messages("zoho_tokens.E017")
    assert key in message.msg
    assert "https://" in message.hint


@pytest.mark.parametrize("name", ["accounts_server", "api_domain"])
def test_e017_plain_http_in_a_data_centre_override(configure, name):
    configure(DATA_CENTER_OVERRIDES={"eu": {name: "http://zoho-proxy.example.com"}})

    (message,) = zoho_messages("zoho_tokens.E017")
    assert "DATA_CENTER_OVERRIDES" in message.msg
    assert name in message.msg


@pytest.mark.parametrize("url", LOOPBACK)
def test_w017_a_loopback_url(configure, url):
    configure(ACCOUNTS_URL=url)

    assert zoho_ids() == ["zoho_tokens.W017"]


def test_w018_the_fakes_client_id(configure):
    configure(CLIENT_ID=FAKE_CLIENT_ID)

    assert zoho_ids() == ["zoho_tokens.W018"]


def test_the_fakes_printed_settings_get_every_warning(configure):
    fake = FakeZoho()  # not started: only its values are read
    configure(CLIENT_ID=fake.client_id, ACCOUNTS_URL="http://127.0.0.1:8765")

    assert sorted(zoho_ids()) == ["zoho_tokens.W017", "zoho_tokens.W018"]


@pytest.mark.parametrize("url", ["https://accounts.zoho.eu", "https://proxy.example.com"])
def test_https_to_another_machine_is_quiet(configure, url):
    configure(ACCOUNTS_URL=url, DATA_CENTER_OVERRIDES={"eu": {"api_domain": url}})

    assert zoho_ids() == []


def test_quiet_while_debug_is_on(configure, settings):
    configure(ACCOUNTS_URL="http://accounts.example.com", CLIENT_ID=FAKE_CLIENT_ID)
    settings.DEBUG = True

    assert zoho_ids() == []


def test_quiet_without_deploy(configure):
    configure(ACCOUNTS_URL="http://accounts.example.com", CLIENT_ID=FAKE_CLIENT_ID)

    assert zoho_ids(deploy=False) == []


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1.example.com", "localhost.example.com", "0x7f000001", "10.0.0.1", "::2", ""],
)
def test_lookalikes_of_loopback_are_not_loopback(host):
    assert not is_loopback(host)
