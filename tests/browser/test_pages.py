"""The pages a person meets, as issue 24 asked for them: disconnecting through the
confirmation, "Disconnected" rather than a red "Revoked", the admin's already-revoked
message, scopes that wrap, consent pages that name the services asked, buttons after a
refused consent, the estimates form, and every example page at a phone's 390 pixels.

With ``DOCS_SCREENSHOTS=1`` in the environment, each test also refreshes its
pictures in ``docs/screenshots/``.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import ZOHO_EMAIL, Screenshots, docs_screenshot
from tests.browser.test_example_project import (
    click_and_wait,
    connect_zoho,
    open_token_admin,
    revoke_in_admin,
    visit,
)
from zoho_tokens.models import TokenStatus, ZohoToken

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
#: The red of the example's "bad" badges and buttons.
RED = "rgb(179, 38, 30)"


def overflows(page: Any) -> bool:
    """Whether the page is wider than the window (a sideways scroll bar)."""
    return bool(page.evaluate("document.documentElement.scrollWidth > window.innerWidth"))


def test_disconnect_goes_through_the_confirmation_page(
    logged_in: Any, live_server: Any, zoho: Any, screenshot: Screenshots
) -> None:
    connect_zoho(logged_in, live_server, screenshot)

    click_and_wait(
        logged_in,
        screenshot,
        ".disconnect",
        "#zoho-tokens-disconnect-form",
        "disconnect-confirmation",
    )
    docs_screenshot(logged_in, "disconnect-confirmation")

    assert ZOHO_EMAIL in logged_in.inner_text("#zoho-tokens-connections")
    assert ZohoToken.objects.get().status == TokenStatus.ACTIVE


def test_own_disconnect_shows_disconnected_not_a_red_revoked(
    logged_in: Any, live_server: Any, zoho: Any, screenshot: Screenshots
) -> None:
    connect_zoho(logged_in, live_server, screenshot)
    logged_in.click(".disconnect")
    click_and_wait(
        logged_in, screenshot, "#zoho-tokens-disconnect", "#messages", "home-disconnected"
    )
    docs_screenshot(logged_in, "home-disconnected")

    badge = logged_in.locator(".badge.status")
    assert badge.inner_text() == "Disconnected"
    assert badge.evaluate("element => getComputedStyle(element).color") != RED
    assert "Revoked" not in logged_in.inner_text("#connection")


def test_revoking_a_revoked_token_in_the_admin_says_so(
    logged_in: Any, live_server: Any, zoho: Any, screenshot: Screenshots
) -> None:
    connect_zoho(logged_in, live_server, screenshot)
    revoke_in_admin(logged_in, live_server, screenshot)

    revoke_in_admin(logged_in, live_server, screenshot)
    docs_screenshot(logged_in, "admin-already-revoked")

    assert "was already revoked" in logged_in.inner_text("ul.messagelist")


def test_granted_scopes_wrap_on_the_admin_page(
    logged_in: Any, live_server: Any, zoho: Any, screenshot: Screenshots
) -> None:
    token = connect_zoho(logged_in, live_server, screenshot)
    logged_in.set_viewport_size({"width": 1024, "height": 760})
    logged_in.goto(f"{live_server.url}/admin/zoho_tokens/zohotoken/{token.pk}/change/")
    screenshot(logged_in, "admin-token-scopes")
    docs_screenshot(logged_in, "admin-token")

    scopes = logged_in.locator(".field-scopes_granted .readonly")
    assert "ZohoBooks.estimates.ALL" in scopes.inner_text()
    assert scopes.evaluate("element => element.scrollWidth <= element.clientWidth")
    assert not overflows(logged_in)


def test_admin_pages_show_dates_in_one_format(
    logged_in: Any, live_server: Any, zoho: Any, screenshot: Screenshots
) -> None:
    token = connect_zoho(logged_in, live_server, screenshot)
    ZohoToken.objects.filter(pk=token.pk).update(last_refreshed_at=token.created_at)

    open_token_admin(logged_in, live_server, screenshot, "admin-dates", f"{token.pk}/change/")
    dates = {
        name: logged_in.inner_text(f".field-{name} .readonly")
        for name in ("created", "status_since", "last_refresh")
    }
    open_token_admin(logged_in, live_server, screenshot, "admin-list-dates")
    listed = logged_in.inner_text("#result_list .field-last_refresh")

    assert len(set(dates.values())) == 1
    assert listed == dates["last_refresh"]


def test_the_consent_page_names_the_services_asked(
    logged_in: Any, live_server: Any, zoho: Any, screenshot: Screenshots
) -> None:
    visit(logged_in, live_server, screenshot, "/", "home-not-connected")
    click_and_wait(logged_in, screenshot, "#connect", "#accept", "zoho-consent")
    docs_screenshot(logged_in, "zoho-consent")

    # The example asks for CRM and Books scopes.
    assert logged_in.inner_text("#products") == "Zoho CRM and Zoho Books"


def test_a_refused_consent_offers_buttons_that_name_the_service(
    logged_in: Any, live_server: Any, zoho: Any, screenshot: Screenshots
) -> None:
    logged_in.click("#connect")
    click_and_wait(logged_in, screenshot, "#deny", "#zoho-tokens-denied-message", "consent-denied")
    docs_screenshot(logged_in, "consent-denied")

    retry = logged_in.locator("#zoho-tokens-retry")
    assert retry.inner_text() == "Connect Zoho CRM and Zoho Books"
    assert logged_in.inner_text("#zoho-tokens-denied-title") == (
        "Zoho CRM and Zoho Books not connected"
    )
    for button in (retry, logged_in.locator("#zoho-tokens-continue")):
        border, padding = button.evaluate(
            "e => [getComputedStyle(e).borderStyle, getComputedStyle(e).paddingLeft]"
        )
        assert border == "solid"
        assert padding != "0px"


def test_the_estimates_form_picks_a_customer_by_name(
    logged_in: Any, live_server: Any, zoho: Any, screenshot: Screenshots
) -> None:
    connect_zoho(logged_in, live_server, screenshot)
    visit(logged_in, live_server, screenshot, "/books/estimates/", "estimates-form")
    docs_screenshot(logged_in, "estimates-form")

    options = logged_in.locator("#id_customer_id option").all_inner_texts()
    assert options[1:] == ["Acme Corporation", "Globex Trading Ltd", "Initech Consulting GmbH"]
    for field in ("#id_item", "#id_rate", "#id_customer_id"):
        radius = logged_in.locator(field).evaluate("e => getComputedStyle(e).borderTopLeftRadius")
        assert radius == "6px"

    logged_in.select_option("#id_customer_id", label="Globex Trading Ltd")
    logged_in.fill("#id_item", "Consulting")
    logged_in.fill("#id_rate", "250")
    logged_in.click("#create-estimate")
    logged_in.wait_for_selector("tr.estimate")

    assert "Globex Trading Ltd" in logged_in.inner_text("tr.estimate")


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/", "home"),
        ("/leads/", "leads"),
        ("/books/estimates/", "estimates"),
        ("/zoho/disconnect/", "disconnect"),
    ],
)
def test_every_page_fits_a_phone(
    logged_in: Any, live_server: Any, zoho: Any, screenshot: Screenshots, path: str, name: str
) -> None:
    connect_zoho(logged_in, live_server, screenshot)
    logged_in.set_viewport_size(PHONE)

    visit(logged_in, live_server, screenshot, path, f"phone-{name}")
    docs_screenshot(logged_in, f"phone-{name}")

    assert not overflows(logged_in)
    for link in logged_in.locator("header a, header button").all():
        box = link.bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= PHONE["width"]


def test_the_refused_consent_page_fits_a_phone(
    logged_in: Any, live_server: Any, zoho: Any, screenshot: Screenshots
) -> None:
    logged_in.set_viewport_size(PHONE)
    logged_in.click("#connect")
    click_and_wait(
        logged_in, screenshot, "#deny", "#zoho-tokens-denied-message", "phone-consent-denied"
    )

    assert not overflows(logged_in)


def sign_in_with_zoho_as(page: Any, live_server: Any, email: str) -> None:
    """Log out, then Sign in with Zoho, choosing ``email`` on the fake's consent page."""
    page.click("#logout")
    page.goto(f"{live_server.url}/")
    page.click("#sign-in-with-zoho")
    page.select_option("#user", email)
    page.click("#accept")
    page.wait_for_url(f"{live_server.url}/")


def test_the_second_zoho_user_signs_in_while_the_first_is_connected(
    logged_in: Any, live_server: Any, zoho: Any, screenshot: Screenshots
) -> None:
    zoho.add_user("linus@example.com", "Linus Example")
    connect_zoho(logged_in, live_server, screenshot)

    sign_in_with_zoho_as(logged_in, live_server, "linus@example.com")
    screenshot(logged_in, "second-user-signed-in")

    assert logged_in.inner_text("#signed-in-as") == "linus@example.com"


def test_a_disconnected_zoho_account_can_sign_in_afterwards(
    logged_in: Any, live_server: Any, zoho: Any, screenshot: Screenshots
) -> None:
    connect_zoho(logged_in, live_server, screenshot)
    logged_in.click(".disconnect")
    logged_in.click("#zoho-tokens-disconnect")
    logged_in.wait_for_selector("#messages")

    sign_in_with_zoho_as(logged_in, live_server, ZOHO_EMAIL)
    screenshot(logged_in, "disconnected-account-signed-in")

    assert logged_in.inner_text("#signed-in-as") == ZOHO_EMAIL
    assert "another account" not in logged_in.content()
