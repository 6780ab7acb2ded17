"""Every Python block of README.md runs here, as it is printed there, against the strict
fake Zoho (``tests/readme.py`` finds them by their ``<!-- readme-test: LABEL -->`` marker).

The view's outcomes (connected, never connected, refresh refused, Zoho down, throttled) are
in ``tests/test_readme_view.py``.
"""

from __future__ import annotations

import pytest
from django.core import checks
from django.test import Client, override_settings
from django.urls import reverse

from tests import readme
from tests.readme import readme_site  # noqa: F401 (a fixture)
from zoho_tokens.models import ZohoToken
from zoho_tokens.signals import reauth_required

#: The labels the tests of this module (and test_readme_view.py) run.
RUN_LABELS = {
    "settings",
    "urls",
    "view",
    "view-urls",
    "login-settings",
    "signals",
    "testing",
    "testing-view",
}


def test_every_python_block_is_run_or_says_why_not() -> None:
    unmarked = [
        code[:60]
        for label, code in readme.python_blocks()
        if label is None and not readme.NOT_RUN.match(code.split("\n", 1)[0])
    ]
    assert unmarked == []


def test_every_label_names_a_test_that_runs_it() -> None:
    runners = RUN_LABELS | set(readme.RUN_ELSEWHERE.values())
    labels = {label for label, _code in readme.python_blocks() if label is not None}
    assert labels - runners == set()


def test_every_runner_has_its_block() -> None:
    labels = {label for label, _code in readme.python_blocks()}
    assert RUN_LABELS - labels == set()


# -- settings ------------------------------------------------------------------------------

ENVIRONMENT = {
    "ZOHO_CLIENT_ID": "1000.README",
    "ZOHO_CLIENT_SECRET": "readme-secret",
    "ZOHO_TOKENS_KEYS": "Bbmh2RXvNlJHuXaeqKGhiZ8RE5GmDvI5Im6jWD3-AOg=",
}


def zoho_errors() -> list[str]:
    return sorted(
        message.id or ""
        for message in checks.run_checks(tags=None)
        if (message.id or "").startswith("zoho_tokens.") and message.is_serious()
    )


def test_settings_block_passes_the_apps_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    namespace = readme.run("settings")
    with override_settings(ZOHO_TOKENS=namespace["ZOHO_TOKENS"]):
        assert zoho_errors() == []


def test_settings_block_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    configured = readme.run("settings")["ZOHO_TOKENS"]
    assert (configured["CLIENT_ID"], configured["ENCRYPTION_KEYS"]) == (
        "1000.README",
        [ENVIRONMENT["ZOHO_TOKENS_KEYS"]],
    )


def test_settings_block_without_the_environment_gives_e001_and_e002(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in (*ENVIRONMENT, "ZOHO_ACCOUNTS_URL", "ZOHO_API_DOMAIN", "ZOHO_DATA_CENTER"):
        monkeypatch.delenv(name, raising=False)
    namespace = readme.run("settings")  # no KeyError
    with override_settings(ZOHO_TOKENS=namespace["ZOHO_TOKENS"]):
        assert zoho_errors() == ["zoho_tokens.E001", "zoho_tokens.E002"]


def test_settings_block_installs_the_app_and_what_it_needs() -> None:
    apps = readme.run("settings")["INSTALLED_APPS"]
    needed = {"django.contrib.auth", "django.contrib.sessions", "django.contrib.messages"}
    assert needed | {"zoho_tokens"} <= set(apps)


def test_settings_block_names_a_login_url() -> None:
    assert readme.run("settings")["LOGIN_URL"] == "login"


def test_login_settings_block_turns_log_in_with_zoho_on(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    namespace = readme.run("login-settings", readme.run("settings"))
    assert namespace["ZOHO_TOKENS"]["LOGIN"] is True
    assert "zoho_tokens.backends.ZohoAccountBackend" in namespace["AUTHENTICATION_BACKENDS"]


# -- urls ----------------------------------------------------------------------------------


def test_urls_block_names_the_login_page_and_the_apps_views() -> None:
    module = readme.urls_module()
    with override_settings(ROOT_URLCONF=module.__name__):
        assert (reverse("login"), reverse("zoho_tokens:connect")) == (
            "/accounts/login/",
            "/zoho/connect/",
        )


def test_view_urls_block_adds_the_leads_page() -> None:
    module = readme.urls_module()
    with override_settings(ROOT_URLCONF=module.__name__):
        assert reverse("my_leads") == "/leads/"


# -- signals -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_signals_block_notifies_the_user(django_user_model) -> None:
    notified: list[tuple[object, str]] = []
    namespace = readme.run("signals", {"notify": lambda user, text: notified.append((user, text))})
    user = django_user_model.objects.create_user("ada")
    try:
        reauth_required.send(sender=ZohoToken, token=ZohoToken(user=user), error="invalid_code")
    finally:
        reauth_required.disconnect(namespace["ask_to_reconnect"], sender=ZohoToken)
    assert [who for who, _text in notified] == [user]


# -- testing -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_readme_testing_example_passes(client, django_user_model, fake_zoho):
    test = readme.run("testing")["test_connect_stores_a_token"]
    test(client, django_user_model, fake_zoho)


@pytest.mark.django_db
@pytest.mark.usefixtures("readme_site")
def test_the_readme_view_test_passes(django_user_model, fake_zoho):
    test = readme.run("testing-view")["test_my_leads_lists_the_leads"]
    test(Client(), django_user_model, fake_zoho, None)


@pytest.mark.django_db
@pytest.mark.usefixtures("readme_site")
def test_the_readme_zoho_down_test_passes(django_user_model, fake_zoho):
    test = readme.run("testing-view")["test_my_leads_when_zoho_is_down"]
    test(Client(), django_user_model, fake_zoho, None)
