"""The system checks: each id fires for its misconfiguration and stays quiet otherwise."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.checks import run_checks

from zoho_tokens.conf import DEFAULTS

GOOD_KEY = "Bbmh2RXvNlJHuXaeqKGhiZ8RE5GmDvI5Im6jWD3-AOg="
GOOD = {
    "CLIENT_ID": "1000.CLIENTID",
    "CLIENT_SECRET": "client-secret-value",
    "ENCRYPTION_KEYS": [GOOD_KEY],
}
REPO = Path(__file__).resolve().parent.parent


def zoho_ids(*, deploy: bool = True) -> list[str]:
    """The ids of the zoho_tokens messages ``manage.py check [--deploy]`` would print."""
    messages = run_checks(include_deployment_checks=deploy)
    return [m.id for m in messages if m.id and m.id.startswith("zoho_tokens.")]


def zoho_messages(check_id: str) -> list:
    return [m for m in run_checks(include_deployment_checks=True) if m.id == check_id]


@pytest.fixture
def configure(settings):
    """Set ``ZOHO_TOKENS`` to the good settings updated with ``changes`` (None removes)."""

    def apply(**changes):
        values = {**GOOD, **changes}
        settings.ZOHO_TOKENS = {k: v for k, v in values.items() if v is not None}

    return apply


def test_good_settings_give_no_zoho_message(configure):
    configure()
    assert zoho_ids() == []


def test_the_test_settings_give_no_zoho_message():
    assert zoho_ids() == []


def test_manage_py_check_runs_clean_with_the_test_settings():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-m", "django", "check"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


# -- E001 / E002: client credentials ---------------------------------------------------------


@pytest.mark.parametrize("value", [None, ""])
def test_e001_missing_client_id(configure, value):
    configure(CLIENT_ID=value)
    assert zoho_ids() == ["zoho_tokens.E001"]


@pytest.mark.parametrize("value", [None, ""])
def test_e002_missing_client_secret(configure, value):
    configure(CLIENT_SECRET=value)
    assert zoho_ids() == ["zoho_tokens.E002"]


def test_e001_and_e002_when_zoho_tokens_is_absent(settings):
    del settings.ZOHO_TOKENS
    assert {"zoho_tokens.E001", "zoho_tokens.E002"} <= set(zoho_ids())


# -- E003: data centre -----------------------------------------------------------------------


@pytest.mark.parametrize("value", ["mars", "usa", "", "accounts.zoho.eu"])
def test_e003_unknown_data_centre(configure, value):
    configure(DATA_CENTER=value)
    assert zoho_ids() == ["zoho_tokens.E003"]


def test_e003_names_the_valid_choices(configure):
    configure(DATA_CENTER="mars")
    (message,) = zoho_messages("zoho_tokens.E003")
    assert "'mars'" in message.msg
    assert "eu" in message.hint
    assert "uk" in message.hint


@pytest.mark.parametrize("value", ["us", "eu", "in", "au", "jp", "ca", "sa", "cn", "uk", "EU"])
def test_e003_quiet_for_every_known_data_centre(configure, value):
    configure(DATA_CENTER=value)
    assert zoho_ids() == []


# -- E004: encryption keys -------------------------------------------------------------------


@pytest.mark.parametrize(
    "keys",
    [
        ["not-a-fernet-key"],
        [GOOD_KEY, "short"],
        "not-a-fernet-key",
        [GOOD_KEY[:-2]],
    ],
)
def test_e004_malformed_encryption_key(configure, keys):
    configure(ENCRYPTION_KEYS=keys)
    assert zoho_ids() == ["zoho_tokens.E004"]


def test_e004_message_names_the_position_but_not_the_key(configure):
    bad = "looks-like-a-secret-value-1234567890"
    configure(ENCRYPTION_KEYS=[GOOD_KEY, bad])
    (message,) = zoho_messages("zoho_tokens.E004")
    assert "[1]" in message.msg
    assert bad not in message.msg
    assert bad not in (message.hint or "")
    assert GOOD_KEY not in message.msg


def test_e004_quiet_for_several_valid_keys(configure):
    configure(ENCRYPTION_KEYS=[GOOD_KEY, "x2hNMAgKoE6BJ7QE-3x3GVbJ0trv8pbPlx5y1nEDd-Q="])
    assert zoho_ids() == []


# -- E005: scopes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scopes", "missing"),
    [
        (["ZohoCRM.modules.ALL"], ["ZohoCRM.users.READ", "ZohoCRM.org.READ"]),
        (["ZohoCRM.modules.ALL", "ZohoCRM.users.READ"], ["ZohoCRM.org.READ"]),
        ("ZohoCRM.modules.ALL,ZohoCRM.org.READ", ["ZohoCRM.users.READ"]),
    ],
)
def test_e005_scopes_missing_the_user_lookup(configure, scopes, missing):
    configure(SCOPES=scopes)
    assert zoho_ids() == ["zoho_tokens.E005"]
    (message,) = zoho_messages("zoho_tokens.E005")
    assert all(scope in message.msg for scope in missing)


@pytest.mark.parametrize(
    "scopes",
    [
        ["ZohoCRM.modules.ALL", "ZohoCRM.users.READ", "ZohoCRM.org.READ"],
        "ZohoCRM.users.READ, ZohoCRM.org.READ,ZohoCRM.modules.leads.READ",
    ],
)
def test_e005_quiet_when_the_lookup_scopes_are_there(configure, scopes):
    configure(SCOPES=scopes)
    assert zoho_ids() == []


# -- E006: URL overrides ---------------------------------------------------------------------


@pytest.mark.parametrize("key", ["ACCOUNTS_URL", "API_DOMAIN", "REDIRECT_URI"])
@pytest.mark.parametrize(
    "value",
    [
        "accounts.zoho.eu",
        "ftp://accounts.zoho.eu",
        "/callback",
        8000,
        "http://[::1",
        "https://h:99999",
    ],
)
def test_e006_url_setting_that_is_not_an_http_url(configure, key, value):
    configure(**{key: value})
    assert zoho_ids() == ["zoho_tokens.E006"]
    (message,) = zoho_messages("zoho_tokens.E006")
    assert key in message.msg


@pytest.mark.parametrize("key", ["ACCOUNTS_URL", "API_DOMAIN", "REDIRECT_URI"])
@pytest.mark.parametrize(
    "value", ["https://accounts.zoho.eu/zoho/callback/", "http://127.0.0.1:8123/zoho/callback/"]
)
def test_e006_quiet_for_absolute_http_urls(configure, key, value):
    configure(**{key: value})
    # (A loopback URL gets W017 from the deploy checks: see test_checks_transport.)
    assert zoho_ids(deploy=False) == []


# -- W001: keys derived from SECRET_KEY ------------------------------------------------------


def test_w001_on_deploy_when_no_dedicated_keys(configure):
    configure(ENCRYPTION_KEYS=None)
    assert zoho_ids(deploy=True) == ["zoho_tokens.W001"]


def test_w001_only_in_deploy_checks(configure):
    configure(ENCRYPTION_KEYS=None)
    assert zoho_ids(deploy=False) == []


def test_w001_quiet_with_dedicated_keys(configure):
    configure()
    assert "zoho_tokens.W001" not in zoho_ids(deploy=True)


# -- W002: unknown keys ----------------------------------------------------------------------


def test_w002_unknown_key(configure):
    configure(CLIENTID="typo")
    (message,) = zoho_messages("zoho_tokens.W002")
    assert "'CLIENTID'" in message.msg
    assert zoho_ids() == ["zoho_tokens.W002"]


def test_w002_once_per_unknown_key(configure):
    configure(SCOPE="x", TIMEOUT=3)
    assert zoho_ids() == ["zoho_tokens.W002", "zoho_tokens.W002"]


def test_w002_quiet_for_every_known_key(configure, tmp_path):
    configure(
        **{key: value for key, value in DEFAULTS.items() if value is not None},
        REDIRECT_URI="https://example.com/zoho/callback/",
        ACCOUNTS_URL="https://accounts.zoho.com",
        API_DOMAIN="https://www.zohoapis.com",
        SDK_RESOURCE_PATH=str(tmp_path),
    )
    assert zoho_ids() == []


# -- hints: every message says what to do, fitting its case ------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"CLIENT_ID": None, "CLIENT_SECRET": None},
        {"DATA_CENTER": "mars"},
        {"ENCRYPTION_KEYS": ["not-a-key"]},
        {"ENCRYPTION_KEYS": None},
        {"SCOPES": "ZohoCRM.modules.ALL"},
        {"ACCOUNTS_URL": "/a", "API_DOMAIN": "/b", "REDIRECT_URI": "/c"},
        {"TYPO": 1},
    ],
)
def test_every_message_has_a_hint(configure, changes):
    configure(**changes)
    messages = [m for m in run_checks(include_deployment_checks=True) if m.id]
    zoho = [m for m in messages if m.id.startswith("zoho_tokens.")]
    assert zoho
    assert [m.id for m in zoho if not m.hint] == []


def test_e001_hint_names_the_environment_variable_and_the_fake(configure):
    configure(CLIENT_ID=None)
    (message,) = zoho_messages("zoho_tokens.E001")
    assert "ZOHO_CLIENT_ID" in message.hint
    assert "python -m zoho_tokens.testing" in message.hint


def test_e002_hint_names_the_environment_variable(configure):
    configure(CLIENT_SECRET=None)
    (message,) = zoho_messages("zoho_tokens.E002")
    assert "ZOHO_CLIENT_SECRET" in message.hint


def test_e004_hint_says_how_to_generate_a_key(configure):
    configure(ENCRYPTION_KEYS=["not-a-key"])
    (message,) = zoho_messages("zoho_tokens.E004")
    assert "Fernet.generate_key()" in message.hint


@pytest.mark.parametrize(
    ("key", "example"),
    [
        ("ACCOUNTS_URL", "https://accounts.zoho.eu"),
        ("API_DOMAIN", "https://www.zohoapis.eu"),
        ("REDIRECT_URI", "https://crm-tools.example.com/zoho/callback/"),
    ],
)
def test_e006_hint_gives_an_example_of_that_setting(configure, key, example):
    configure(**{key: "/relative"})
    (message,) = zoho_messages("zoho_tokens.E006")
    assert example in message.hint


def test_e006_hint_for_the_redirect_uri_names_no_accounts_server(configure):
    configure(REDIRECT_URI="/zoho/callback/")
    (message,) = zoho_messages("zoho_tokens.E006")
    assert "accounts.zoho" not in message.hint


def test_e005_hint_says_to_add_the_scopes(configure):
    configure(SCOPES="ZohoCRM.modules.ALL")
    (message,) = zoho_messages("zoho_tokens.E005")
    assert message.hint.startswith("Add them to SCOPES")
