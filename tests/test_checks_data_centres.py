"""System checks for the per-data-centre settings and the consent mode (E002, E007-E009)."""

from __future__ import annotations

import pytest
from django.core.checks import run_checks

GOOD = {
    "CLIENT_ID": "1000.CLIENTID",
    "CLIENT_SECRET": "client-secret-value",
    "ENCRYPTION_KEYS": ["Bbmh2RXvNlJHuXaeqKGhiZ8RE5GmDvI5Im6jWD3-AOg="],
}


def ids_for(settings, **changes) -> list[str]:
    values = {**GOOD, **changes}
    settings.ZOHO_TOKENS = {key: value for key, value in values.items() if value is not None}
    return [m.id for m in run_checks() if m.id and m.id.startswith("zoho_tokens.E")]


def test_good_per_data_centre_settings_pass(settings) -> None:
    assert (
        ids_for(
            settings,
            CLIENT_SECRETS={"eu": "eu-secret", "CN": "cn-secret"},
            DATA_CENTER_OVERRIDES={"eu": {"accounts_server": "http://127.0.0.1:9"}},
            INCREMENTAL_CONSENT="enhance",
        )
        == []
    )


def test_a_secret_for_the_default_data_centre_may_come_from_client_secrets(settings) -> None:
    assert ids_for(settings, CLIENT_SECRET=None, CLIENT_SECRETS={"us": "us-secret"}) == []


def test_no_secret_for_the_default_data_centre_is_e002(settings) -> None:
    assert ids_for(settings, CLIENT_SECRET=None, CLIENT_SECRETS={"eu": "eu-secret"}) == [
        "zoho_tokens.E002"
    ]


@pytest.mark.parametrize(
    "changes",
    [
        {"CLIENT_SECRETS": {"moon": "secret"}},
        {"CLIENT_SECRETS": "eu-secret"},
        {"DATA_CENTER_OVERRIDES": {"mars": {"api_domain": "https://x.example"}}},
        {"DATA_CENTER_OVERRIDES": {"eu": {"accounts_server": "accounts.zoho.eu"}}},
        {"DATA_CENTER_OVERRIDES": {"eu": {"accounts": "https://accounts.zoho.eu"}}},
    ],
)
def test_unknown_data_centres_and_bad_overrides_are_e007(settings, changes) -> None:
    assert ids_for(settings, **changes) == ["zoho_tokens.E007"]


def test_an_overridden_data_centre_without_a_secret_is_e008(settings) -> None:
    ids = ids_for(
        settings,
        CLIENT_SECRET=None,
        CLIENT_SECRETS={"us": "us-secret"},
        DATA_CENTER_OVERRIDES={"eu": {"accounts_server": "http://127.0.0.1:9"}},
    )
    assert ids == ["zoho_tokens.E008"]


def test_an_unknown_consent_mode_is_e009(settings) -> None:
    assert ids_for(settings, INCREMENTAL_CONSENT="sometimes") == ["zoho_tokens.E009"]
