"""``zoho_settings``: defaults, live reading, and the data-centre overrides."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import override_settings

from zoho_tokens.conf import DEFAULT_SCOPES, DEFAULTS, zoho_settings
from zoho_tokens.conf.datacenters import DATA_CENTERS
from zoho_tokens.conf.limits import LimitsSettings


@pytest.fixture
def bare(settings):
    """``ZOHO_TOKENS`` absent altogether."""
    del settings.ZOHO_TOKENS
    return settings


def configure(settings, **values):
    settings.ZOHO_TOKENS = values


@pytest.mark.parametrize("key", sorted(DEFAULTS))
def test_every_key_has_its_default_when_zoho_tokens_is_absent(bare, key):
    expected = DEFAULTS[key]
    value = getattr(zoho_settings, key)
    if key == "SCOPES":
        assert value == list(DEFAULT_SCOPES)
    elif key in {"REFRESH_MARGIN", "HTTP_TIMEOUT"}:
        assert value == float(expected)
    elif key == "EXTRA_SCOPES":
        assert value == list(expected) == []
    elif key == "LIMITS":
        assert value == LimitsSettings()
    else:
        assert value == expected


def test_documented_defaults():
    assert DEFAULTS["DATA_CENTER"] == "us"
    assert DEFAULTS["REFRESH_MARGIN"] == 60
    assert DEFAULTS["HTTP_TIMEOUT"] == 10.0
    assert DEFAULTS["STATE_MAX_AGE"] == 600
    assert DEFAULTS["LOGIN"] is False
    assert DEFAULTS["LOGIN_CREATE_USERS"] is False
    assert DEFAULTS["CONNECT_REDIRECT_URL"] == "/"


def test_default_scopes_include_what_the_user_lookup_needs():
    assert {"ZohoCRM.users.READ", "ZohoCRM.org.READ"} <= set(DEFAULT_SCOPES)


def test_an_empty_dict_gives_the_defaults(settings):
    configure(settings)
    assert zoho_settings.DATA_CENTER == "us"
    assert zoho_settings.CLIENT_ID is None


def test_values_are_read_live_under_override_settings():
    with override_settings(ZOHO_TOKENS={"CLIENT_ID": "first"}):
        assert zoho_settings.CLIENT_ID == "first"
        with override_settings(ZOHO_TOKENS={"CLIENT_ID": "second"}):
            assert zoho_settings.CLIENT_ID == "second"
        assert zoho_settings.CLIENT_ID == "first"
    assert django_settings.ZOHO_TOKENS["CLIENT_ID"] == zoho_settings.CLIENT_ID


def test_values_follow_the_settings_fixture(settings):
    configure(settings, CLIENT_SECRET="s1", HTTP_TIMEOUT=3)
    assert (zoho_settings.CLIENT_SECRET, zoho_settings.HTTP_TIMEOUT) == ("s1", 3.0)
    configure(settings, CLIENT_SECRET="s2")
    assert (zoho_settings.CLIENT_SECRET, zoho_settings.HTTP_TIMEOUT) == ("s2", 10.0)


def test_reading_never_writes_defaults_onto_django_settings(settings):
    configure(settings, CLIENT_ID="x")
    _ = (zoho_settings.SCOPES, zoho_settings.data_center, zoho_settings.HTTP_TIMEOUT)
    assert django_settings.ZOHO_TOKENS == {"CLIENT_ID": "x"}


def test_scopes_as_a_list(settings):
    configure(settings, SCOPES=["ZohoCRM.modules.ALL", "ZohoCRM.users.READ"])
    assert zoho_settings.SCOPES == ["ZohoCRM.modules.ALL", "ZohoCRM.users.READ"]


def test_scopes_as_a_tuple(settings):
    configure(settings, SCOPES=("ZohoCRM.modules.ALL",))
    assert zoho_settings.SCOPES == ["ZohoCRM.modules.ALL"]


def test_scopes_as_a_comma_separated_string(settings):
    configure(settings, SCOPES=" ZohoCRM.modules.ALL, ZohoCRM.users.READ ,,ZohoCRM.org.READ ")
    assert zoho_settings.SCOPES == ["ZohoCRM.modules.ALL", "ZohoCRM.users.READ", "ZohoCRM.org.READ"]


def test_data_center_is_case_insensitive(settings):
    configure(settings, DATA_CENTER="EU")
    assert zoho_settings.DATA_CENTER == "eu"
    assert zoho_settings.data_center == DATA_CENTERS["eu"]


@pytest.mark.parametrize("location", sorted(DATA_CENTERS))
def test_data_center_without_overrides_is_the_tables(settings, location):
    configure(settings, DATA_CENTER=location)
    assert zoho_settings.data_center == DATA_CENTERS[location]


def test_accounts_url_overrides_only_the_accounts_server(settings):
    configure(settings, DATA_CENTER="eu", ACCOUNTS_URL="http://127.0.0.1:8123/")
    dc = zoho_settings.data_center
    assert (dc.location, dc.accounts_server, dc.api_domain) == (
        "eu",
        "http://127.0.0.1:8123",
        "https://www.zohoapis.eu",
    )
    assert dc.token_url == "http://127.0.0.1:8123/oauth/v2/token"


def test_api_domain_overrides_only_the_api_domain(settings):
    configure(settings, DATA_CENTER="in", API_DOMAIN="http://127.0.0.1:8123/")
    dc = zoho_settings.data_center
    assert (dc.accounts_server, dc.api_domain) == (
        "https://accounts.zoho.in",
        "http://127.0.0.1:8123",
    )


def test_url_overrides_are_normalised(settings):
    configure(settings, ACCOUNTS_URL="HTTP://127.0.0.1:8123/path", API_DOMAIN="http://x.test/")
    assert zoho_settings.ACCOUNTS_URL == "http://127.0.0.1:8123"
    assert zoho_settings.API_DOMAIN == "http://x.test"


def test_trusted_accounts_servers_are_every_data_centre(bare):
    assert zoho_settings.trusted_accounts_servers() == {
        dc.accounts_server for dc in DATA_CENTERS.values()
    }


def test_trusted_accounts_servers_include_accounts_url(settings):
    configure(settings, ACCOUNTS_URL="http://127.0.0.1:8123/")
    assert "http://127.0.0.1:8123" in zoho_settings.trusted_accounts_servers()


def test_a_single_encryption_key_string_is_a_list_of_one(settings):
    configure(settings, ENCRYPTION_KEYS="key")
    assert zoho_settings.ENCRYPTION_KEYS == ["key"]


def test_numbers_and_flags_are_typed(settings):
    configure(settings, REFRESH_MARGIN="30", HTTP_TIMEOUT="2.5", STATE_MAX_AGE="60", LOGIN=1)
    assert zoho_settings.REFRESH_MARGIN == 30.0
    assert zoho_settings.HTTP_TIMEOUT == 2.5
    assert zoho_settings.STATE_MAX_AGE == 60
    assert zoho_settings.LOGIN is True


def test_configured_keys_lists_only_what_the_user_set(settings):
    configure(settings, CLIENT_ID="x", TYPO="y")
    assert zoho_settings.configured_keys == {"CLIENT_ID", "TYPO"}


def test_raw_gives_none_for_an_absent_key(settings):
    configure(settings, CLIENT_ID="x")
    assert zoho_settings.raw("CLIENT_ID") == "x"
    assert zoho_settings.raw("ACCOUNTS_URL") is None


@pytest.mark.parametrize("key", sorted(DEFAULTS))
def test_a_key_set_to_none_takes_its_default(settings, key):
    configure(settings)
    default = getattr(zoho_settings, key)
    configure(settings, **{key: None})
    assert getattr(zoho_settings, key) == default


# -- LIMITS: parsed once per value ----------------------------------------------------------


def test_limits_are_parsed_once_while_the_setting_is_unchanged(settings):
    configure(settings, LIMITS={"WAIT": 3})

    assert zoho_settings.LIMITS is zoho_settings.LIMITS
    assert zoho_settings.LIMITS.wait == 3


def test_limits_follow_override_settings():
    with override_settings(ZOHO_TOKENS={"LIMITS": {"ENABLED": False}}):
        assert zoho_settings.LIMITS.enabled is False
        with override_settings(ZOHO_TOKENS={"LIMITS": {"EDITION": "Enterprise"}}):
            assert (zoho_settings.LIMITS.enabled, zoho_settings.LIMITS.edition) == (
                True,
                "enterprise",
            )
        assert zoho_settings.LIMITS.enabled is False


def test_limits_changed_in_place_are_seen(settings):
    limits = {"ORGANIZATIONS": {"700": {"concurrency": 2}}}
    configure(settings, LIMITS=limits)
    assert zoho_settings.LIMITS.cap_for("700", "crm") == 2

    limits["ORGANIZATIONS"]["700"]["concurrency"] = 7

    assert zoho_settings.LIMITS.cap_for("700", "crm") == 7


def test_limits_assigned_without_a_signal_are_seen(settings):
    configure(settings, LIMITS={"WAIT": 3})
    assert zoho_settings.LIMITS.wait == 3

    # No setting_changed signal for a plain assignment to django.conf.settings' value.
    configured: dict[str, Any] = django_settings.ZOHO_TOKENS
    configured["LIMITS"] = {"WAIT": 4}

    assert zoho_settings.LIMITS.wait == 4


def test_limits_the_checks_refuse_are_refused_on_every_read(settings):
    configure(settings, LIMITS={"STORE": "redis"})

    for _ in range(2):
        with pytest.raises(ValueError, match="STORE"):
            _ = zoho_settings.LIMITS
