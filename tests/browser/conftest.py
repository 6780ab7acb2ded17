"""Browser tests: the example project in headless Chromium, against a fake Zoho.

They run with the example project's settings, in their own pytest run::

    pytest tests/browser --ds=tests.browser.settings

(``make test-browser`` does that when Chromium is there, and otherwise skips them with one line
saying how to get it: ``make chromium``, or ``CHROMIUM=/path/to/chromium``).
Under any other settings, such as the suite's ``tests.settings`` of a plain ``pytest``,
this folder is not collected: its pages, URLs and log-in backend are not installed there.

Every step saves a screenshot under ``artifacts/screenshots/<test name>/`` (or under
``$BROWSER_ARTIFACTS``), for looking at what a person sees when a test fails.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

BROWSER_SETTINGS = "tests.browser.settings"

if os.environ.get("DJANGO_SETTINGS_MODULE") != BROWSER_SETTINGS:
    collect_ignore_glob = ["*"]
else:
    # Playwright's sync API runs an asyncio loop in the test thread, and Django refuses ORM
    # calls from a thread with a running loop. The test code's ORM calls are plain
    # synchronous calls between page actions, so they are safe.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
#: Headless, and quiet on the network: without these Chromium tries to reach Google.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("BROWSER_ARTIFACTS", ROOT / "artifacts" / "screenshots"))

#: The Django user who logs in with a password in most scenarios.
USERNAME = "grace"
PASSWORD = "grace-password"
#: The Zoho user who consents on the fake's page, and whose Leads the fake serves.
ZOHO_EMAIL = "ada@example.com"
#: An OAuth client id shaped like Zoho's.
CLIENT_ID = "1000.BROWSERTESTSCLIENTID000000"
CLIENT_SECRET = "browser-tests-client-secret-value"
LEADS = 6
#: Each wait for a page or an element gives up after this long (milliseconds).
TIMEOUT_MS = 10_000


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's headless Chromium, driven by Playwright, for the whole run."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        # A failure, not a skip: run directly, these tests were asked for. `make test-browser`
        # checks first and skips them with one line when Chromium is missing (not under CI).
        pytest.fail(
            f"{CHROMIUM} is missing: `make chromium` installs Debian's chromium (root or "
            "sudo), or CHROMIUM=/path/to/chromium names another."
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser tab (own cookies) at a laptop-sized viewport."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    yield tab
    context.close()


@dataclass
class Screenshots:
    """Saves numbered screenshots of a page into one folder per test."""

    folder: Path
    taken: list[Path] = field(default_factory=list)

    def __call__(self, page: Any, step: str) -> Path:
        """Save ``page`` as ``NN-step.png`` and return the path."""
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{len(self.taken) + 1:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        self.taken.append(path)
        return path


#: Where the pictures of the documentation live; written only with DOCS_SCREENSHOTS=1, so
#: that an ordinary run leaves the checkout as it was.
DOCS_SCREENSHOTS = ROOT / "docs" / "screenshots"


def docs_screenshot(page: Any, name: str) -> None:
    """Save what ``page`` shows (the viewport) as ``docs/screenshots/<name>.png`` when
    ``DOCS_SCREENSHOTS=1 pytest tests/browser --ds=tests.browser.settings``; otherwise
    do nothing."""
    if os.environ.get("DOCS_SCREENSHOTS") == "1":
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(DOCS_SCREENSHOTS / f"{name}.png"))


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Screenshots:
    """``screenshot(page, "step-name")`` saves the page under artifacts/screenshots/."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")
    folder = ARTIFACTS / name
    for old in folder.glob("*.png"):
        old.unlink()
    return Screenshots(folder)


@pytest.fixture(scope="session")
def sdk_resources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of its own for the SDK's field-metadata cache."""
    return tmp_path_factory.mktemp("zoho-sdk-resources")


@pytest.fixture
def zoho(settings: Any, sdk_resources: Path) -> Iterator[Any]:
    """A fake Zoho that shows its consent page, with ``settings.ZOHO_TOKENS`` pointed at it."""
    from zoho_tokens.testing import FakeZoho, FakeZohoUser
    from zoho_tokens.testing.crm.handlers import make_leads

    fake = FakeZoho(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        users=[FakeZohoUser(ZOHO_EMAIL, "Ada Lovelace")],
        leads=make_leads(LEADS),
        auto_consent=False,
    )
    with fake:
        settings.ZOHO_TOKENS = {
            **settings.ZOHO_TOKENS,
            "CLIENT_ID": CLIENT_ID,
            "CLIENT_SECRET": CLIENT_SECRET,
            "DATA_CENTER": fake.location,
            "ACCOUNTS_URL": fake.url,
            "API_DOMAIN": fake.url,
            "HTTP_TIMEOUT": 5,
            "SDK_RESOURCE_PATH": str(sdk_resources),
        }
        yield fake


@pytest.fixture
def site_user(django_user_model: Any) -> Any:
    """A Django superuser (so the admin is open to them) who logs in with a password."""
    return django_user_model.objects.create_superuser(USERNAME, "grace@example.com", PASSWORD)


@pytest.fixture
def logged_in(page: Any, live_server: Any, site_user: Any, screenshot: Screenshots) -> Any:
    """The tab, after logging in as ``site_user`` through the login page."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", USERNAME)
    page.fill("#id_password", PASSWORD)
    screenshot(page, "login")
    page.click("#submit-login")
    page.wait_for_url(f"{live_server.url}/")
    return page
