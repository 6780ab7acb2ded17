"""Every code block of README.md and the documentation pages is run by a test, or says why
not (``tests/readme.py`` finds them by their ``<!-- docs-test: LABEL -->`` marker); here the
settings, URL, signal and testing blocks run against the strict fake Zoho.

The tutorial's views are driven through each outcome in ``tests/test_readme_view.py``; the
tutorial as a whole, pasted into a new ``startproject``, in ``tests/browser/test_newcomer.py``.
"""

from __future__ import annotations

import sys
import types

import pytest
from django.contrib import admin
from django.core import checks
from django.test import Client, override_settings
from django.urls import include, path, reverse

from tests import readme
from tests.readme import readme_site  # noqa: F401 (a fixture)
from zoho_tokens.models import ZohoToken
from zoho_tokens.signals import reauth_required

SETTINGS_BLOCKS = ["quickstart-settings", "tutorial-settings"]


def test_every_code_block_is_run_or_says_why_not() -> None:
    unmarked = [
        block.where for block in readme.blocks() if not block.label and not block.not_run_reason
    ]
    assert unmarked == []


def test_every_label_names_a_test_that_runs_it() -> None:
    labels = {block.label for block in readme.blocks() if block.label and not block.not_run_reason}
    assert labels - set(readme.RUNNERS) == set()


def test_every_runner_has_its_block() -> None:
    labels = {block.label for block in readme.blocks()}
    assert set(readme.RUNNERS) - labels == set()


def test_every_runner_module_runs_its_labels() -> None:
    missing = [
        (label, runner)
        for label, runner in readme.RUNNERS.items()
        if f'"{label}"' not in (readme.ROOT / runner).read_text(encoding="utf-8")
    ]
    assert missing == []


def test_the_docs_pages_are_found() -> None:
    pages = {page.name for page in readme.pages()}
    assert {"README.md", "tutorial.md", "howto-production.md", "howto-testing.md"} <= pages


# -- settings ------------------------------------------------------------------------------

ENVIRONMENT = {
    "ZOHO_CLIENT_ID": "1000.README",
    "ZOHO_CLIENT_SECRET": "readme-secret",
    "ZOHO_TOKENS_KEYS": "Bbmh2RXvNlJHuXaeqKGhiZ8RE5GmDvI5Im6jWD3-AOg=",
}


def run_settings(label: str) -> dict:
    """The settings block ``label`` pasted at the end of a ``startproject`` settings.py."""
    return readme.run(label, readme.startproject_settings())


def zoho_messages(serious_only: bool = True) -> list[str]:
    return sorted(
        message.id or ""
        for message in checks.run_checks(tags=None)
        if (message.id or "").startswith("zoho_tokens.")
        and (message.is_serious() or not serious_only)
        # W003 depends on the suite's database, not on the block.
        and message.id != "zoho_tokens.W003"
    )


@pytest.mark.parametrize("label", SETTINGS_BLOCKS)
def test_settings_block_passes_the_apps_checks(label, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    namespace = run_settings(label)
    with override_settings(ZOHO_TOKENS=namespace["ZOHO_TOKENS"]):
        assert zoho_messages(serious_only=False) == []


def test_tutorial_settings_block_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    configured = run_settings("tutorial-settings")["ZOHO_TOKENS"]
    assert (configured["CLIENT_ID"], configured["ENCRYPTION_KEYS"]) == (
        "1000.README",
        [ENVIRONMENT["ZOHO_TOKENS_KEYS"]],
    )


@pytest.mark.parametrize("label", SETTINGS_BLOCKS)
def test_settings_block_without_the_environment_gives_e001_and_e002(
    label, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in (*ENVIRONMENT, "ZOHO_ACCOUNTS_URL", "ZOHO_API_DOMAIN", "ZOHO_DATA_CENTER"):
        monkeypatch.delenv(name, raising=False)
    namespace = run_settings(label)  # no KeyError
    with override_settings(ZOHO_TOKENS=namespace["ZOHO_TOKENS"]):
        assert zoho_messages() == ["zoho_tokens.E001", "zoho_tokens.E002"]


@pytest.mark.parametrize("label", SETTINGS_BLOCKS)
def test_settings_block_adds_the_app_to_startprojects_apps(label) -> None:
    apps = run_settings(label)["INSTALLED_APPS"]
    assert (
        apps[: len(readme.startproject_settings()["INSTALLED_APPS"])]
        == (readme.startproject_settings()["INSTALLED_APPS"])
    )
    assert "zoho_tokens" in apps


@pytest.mark.parametrize("label", SETTINGS_BLOCKS)
def test_settings_block_names_a_login_url(label) -> None:
    assert run_settings(label)["LOGIN_URL"] == "login"


@pytest.mark.parametrize("label", SETTINGS_BLOCKS)
def test_settings_block_gives_sqlite_the_write_lock_w003_asks_for(label) -> None:
    options = run_settings(label)["DATABASES"]["default"]["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"


def test_tutorial_settings_block_asks_for_every_scope_its_services_need() -> None:
    configured = run_settings("tutorial-settings")["ZOHO_TOKENS"]
    needed = {scope for scopes in configured["SERVICES"].values() if scopes for scope in scopes}
    assert needed - set(configured["SCOPES"]) == set()


def test_quickstart_settings_block_lands_connected_users_on_a_page_it_has() -> None:
    configured = run_settings("quickstart-settings")
    with override_settings(ROOT_URLCONF=quickstart_urls_module().__name__):
        assert reverse(configured["ZOHO_TOKENS"]["CONNECT_REDIRECT_URL"]) == "/admin/"


def test_tutorial_settings_block_lands_connected_users_on_its_page() -> None:
    configured = run_settings("tutorial-settings")
    urls = readme.urls_module()
    with override_settings(ROOT_URLCONF=urls.__name__):
        assert reverse(configured["ZOHO_TOKENS"]["CONNECT_REDIRECT_URL"]) == "/leads/"
        assert reverse(configured["LOGIN_REDIRECT_URL"]) == "/leads/"


def test_login_settings_block_turns_log_in_with_zoho_on(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    namespace = readme.run("login-settings", run_settings("tutorial-settings"))
    assert namespace["ZOHO_TOKENS"]["LOGIN"] is True
    assert "zoho_tokens.backends.ZohoAccountBackend" in namespace["AUTHENTICATION_BACKENDS"]


@pytest.mark.django_db
def test_login_page_block_offers_sign_in_with_zoho(settings) -> None:
    from django.contrib.auth import views as auth_views

    module = types.ModuleType("login_page_urls")
    pattern = readme.run("login-page", {"path": path, "auth_views": auth_views})
    module.urlpatterns = [  # type: ignore[attr-defined]
        eval(readme.block("login-page"), pattern),  # the block is one expression
        path("zoho/", include("zoho_tokens.urls")),
    ]
    sys.modules[module.__name__] = module
    settings.ROOT_URLCONF = module.__name__

    page = Client().get("/accounts/login/?next=/leads/")

    assert 'href="/zoho/connect/?next=/leads/"' in page.content.decode()


# -- urls: "quickstart-urls", and "tutorial-urls" (which readme.urls_module() runs) --------


def test_tutorial_urls_block_names_the_login_page_the_apps_views_and_its_pages() -> None:
    module = readme.urls_module()
    with override_settings(ROOT_URLCONF=module.__name__):
        assert [
            reverse(name) for name in ("login", "zoho_tokens:connect", "leads", "estimates")
        ] == [
            "/accounts/login/",
            "/zoho/connect/",
            "/leads/",
            "/estimates/",
        ]


def quickstart_urls_module() -> types.ModuleType:
    """startproject's urls.py with the quick start's block added: module ``quickstart_urls``."""
    module = types.ModuleType("quickstart_urls")
    module.urlpatterns = [path("admin/", admin.site.urls)]  # type: ignore[attr-defined]
    readme.run("quickstart-urls", module.__dict__)
    sys.modules[module.__name__] = module
    return module


def test_quickstart_urls_block_adds_to_startprojects_urls() -> None:
    module = quickstart_urls_module()
    with override_settings(ROOT_URLCONF=module.__name__):
        assert [reverse(name) for name in ("admin:index", "login", "zoho_tokens:connect")] == [
            "/admin/",
            "/accounts/login/",
            "/zoho/connect/",
        ]


@pytest.mark.django_db
@pytest.mark.parametrize("urls", [quickstart_urls_module, readme.urls_module])
def test_the_login_page_the_docs_give_logs_in_a_user_who_is_not_staff(
    urls, django_user_model, settings
) -> None:
    settings.ROOT_URLCONF = urls().__name__
    django_user_model.objects.create_user("ada", password="try-zoho-tokens")
    client = Client()

    page = client.get("/accounts/login/?next=/zoho/connect/")
    answer = client.post(
        "/accounts/login/",
        {"username": "ada", "password": "try-zoho-tokens", "next": "/zoho/connect/"},
    )

    assert (page.status_code, answer.status_code, answer["Location"]) == (
        200,
        302,
        "/zoho/connect/",
    )


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
def test_the_testing_example_passes(client, django_user_model, fake_zoho):
    test = readme.run("testing")["test_connect_stores_a_token"]
    test(client, django_user_model, fake_zoho)


@pytest.mark.django_db
@pytest.mark.usefixtures("readme_site")
def test_the_view_test_passes(django_user_model, fake_zoho):
    test = readme.run("testing-view")["test_my_leads_lists_the_leads"]
    test(Client(), django_user_model, fake_zoho, None)


@pytest.mark.django_db
@pytest.mark.usefixtures("readme_site")
def test_the_zoho_down_test_passes(django_user_model, fake_zoho):
    test = readme.run("testing-view")["test_my_leads_when_zoho_is_down"]
    test(Client(), django_user_model, fake_zoho, None)
