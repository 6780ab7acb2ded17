"""What a person sees in the example project, clicked through in headless Chromium.

The consent page is the fake Zoho's real HTML page, and every button is a real click; the
fake Zoho and the live server are real HTTP servers on 127.0.0.1.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from tests.browser.conftest import CLIENT_ID, LEADS, ZOHO_EMAIL, Screenshots
from zoho_tokens.models import TokenStatus, ZohoToken

pytestmark = pytest.mark.browser


def visit(page: Any, live_server: Any, screenshot: Screenshots, path: str, step: str) -> Any:
    """Go to ``path`` of the live server and screenshot the page; returns the response."""
    response = page.goto(f"{live_server.url}{path}")
    screenshot(page, step)
    return response


def click_and_wait(
    page: Any, screenshot: Screenshots, click: str, wait_for: str, step: str
) -> None:
    """Click ``click``, wait for ``wait_for`` to appear, and screenshot the page as ``step``."""
    page.click(click)
    page.wait_for_selector(wait_for)
    screenshot(page, step)


def connect_zoho(page: Any, live_server: Any, screenshot: Screenshots) -> ZohoToken:
    """From the home page: Connect Zoho CRM, Accept on the consent page, back home.

    Returns the token the site stored.
    """
    visit(page, live_server, screenshot, "/", "home-not-connected")
    click_and_wait(page, screenshot, "#connect", "#accept", "zoho-consent")
    page.click("#accept")
    page.wait_for_url(f"{live_server.url}/")
    screenshot(page, "home-connected")
    return ZohoToken.objects.get()


def open_admin(page: Any, url: str) -> None:
    """Open an admin page at a laptop's 1280 pixels, which every changelist column fits."""
    page.set_viewport_size({"width": 1280, "height": 760})
    page.goto(url)


def open_token_admin(
    page: Any, live_server: Any, screenshot: Screenshots, step: str, path: str = ""
) -> None:
    """Open ``path`` under the tokens' admin (the changelist by default), then screenshot it."""
    open_admin(page, f"{live_server.url}/admin/zoho_tokens/zohotoken/{path}")
    screenshot(page, step)


def assert_the_changelist_fits(page: Any) -> None:
    """The changelist's table is no wider than its box: no column is cut off."""
    results = "document.querySelector('#changelist-form .results')"
    assert page.evaluate(f"{results}.scrollWidth <= {results}.clientWidth")


def assert_revoked_here_and_at_zoho(zoho: Any, refresh_token: str) -> None:
    """The site's token is revoked, and so is its refresh token at the fake Zoho."""
    assert ZohoToken.objects.get().status == TokenStatus.REVOKED
    assert not zoho.is_refresh_token_active(refresh_token)


def revoke_in_admin(page: Any, live_server: Any, screenshot: Screenshots) -> None:
    """Tick every token on the admin changelist and run "Revoke selected tokens"."""
    open_admin(page, f"{live_server.url}/admin/zoho_tokens/zohotoken/")
    page.check("#action-toggle")
    page.select_option("select[name=action]", "revoke_selected")
    click_and_wait(
        page,
        screenshot,
        "button[name=index]",
        "#zoho-tokens-confirm-revoke",
        "admin-revoke-confirmation",
    )
    click_and_wait(
        page, screenshot, "#zoho-tokens-confirm-revoke", "ul.messagelist", "admin-revoked"
    )


def connect_then_revoke_in_admin(page: Any, live_server: Any, screenshot: Screenshots) -> None:
    """The user connects Zoho CRM, then an admin revokes the token from the changelist."""
    connect_zoho(page, live_server, screenshot)
    revoke_in_admin(page, live_server, screenshot)


def test_connecting_shows_connected_as_the_zoho_user(
    logged_in: Any, live_server: Any, zoho: Any, screenshot: Screenshots
) -> None:
    connect_zoho(logged_in, live_server, screenshot)

    assert f"Connected as {ZOHO_EMAIL}" in logged_in.inner_text("#connection")


def test_connected_home_shows_data_centre_and_active_status(
    logged_in: Any, live_server: Any, zoho: Any, screenshot: Screenshots
) -> None:
    connect_zoho(logged_in, live_server, screenshot)

    assert logged_in.inner_text(".data-centre").startswith("US")
    assert logged_in.inner_text(".badge.status") == "Active"


def test_leads_page_lists_the_leads_read_through_the_sdk(
    logged_in: Any, live_server: Any, zoho: Any, screenshot: Screenshots
) -> None:
    connect_zoho(logged_in, live_server, screenshot)

    visit(logged_in, live_server, screenshot, "/leads/", "leads")

    names = logged_in.locator("#leads tr.lead td:first-child").all_inner_texts()
    assert names == [f"{lead['First_Name']} {lead['Last_Name']}" for lead in zoho.leads]
    assert len(names) == LEADS
    assert zoho.crm_calls[-1].user_email == ZOHO_EMAIL


def test_admin_changelist_shows_the_token_without_its_secrets(
    logged_in: Any, live_server: Any, zoho: Any, screenshot: Screenshots
) -> None:
    token = connect_zoho(logged_in, live_server, screenshot)

    open_token_admin(logged_in, live_server, screenshot, "admin-changelist")
    html = logged_in.content()

    assert token.user_name in logged_in.inner_text("#result_list")
    assert_the_changelist_fits(logged_in)
    assert token.refresh_token not in html
    assert token.access_token not in html
    assert token.client_secret not in html


def test_admin_token_page_shows_secrets_masked(
    logged_in: Any, live_server: Any, zoho: Any, screenshot: Screenshots
) -> None:
    token = connect_zoho(logged_in, live_server, screenshot)

    open_token_admin(logged_in, live_server, screenshot, "admin-token", f"{token.pk}/change/")
    text = logged_in.inner_text("#content")

    assert token.masked("refresh_token") in text
    assert token.refresh_token not in logged_in.content()


def test_admin_revoke_action_revokes_the_token_here_and_at_zoho(
    logged_in: Any, live_server: Any, zoho: Any, screenshot: Screenshots
) -> None:
    refresh_token = connect_zoho(logged_in, live_server, screenshot).refresh_token

    revoke_in_admin(logged_in, live_server, screenshot)

    assert "Revoked" in logged_in.inner_text("#result_list")
    assert_revoked_here_and_at_zoho(zoho, refresh_token)


def test_home_shows_disconnected_after_admin_revocation(
    logged_in: Any, live_server: Any, zoho: Any, screenshot: Screenshots
) -> None:
    connect_then_revoke_in_admin(logged_in, live_server, screenshot)

    visit(logged_in, live_server, screenshot, "/", "home-revoked")

    assert logged_in.inner_text(".badge.status") == "Disconnected"
    assert logged_in.is_visible(".reconnect")


def test_leads_page_sends_to_zoho_after_admin_revocation(
    logged_in: Any, live_server: Any, zoho: Any, screenshot: Screenshots
) -> None:
    connect_then_revoke_in_admin(logged_in, live_server, screenshot)
    calls_before = len(zoho.crm_calls)

    logged_in.goto(f"{live_server.url}/leads/")
    logged_in.wait_for_selector("#accept")
    screenshot(logged_in, "leads-to-consent")

    assert logged_in.url.startswith(zoho.url)
    assert len(zoho.crm_calls) == calls_before


def test_disconnect_button_revokes_the_connection(
    logged_in: Any, live_server: Any, zoho: Any, screenshot: Screenshots
) -> None:
    refresh_token = connect_zoho(logged_in, live_server, screenshot).refresh_token

    click_and_wait(
        logged_in, screenshot, ".disconnect", "#zoho-tokens-disconnect", "disconnect-confirmation"
    )
    click_and_wait(
        logged_in, screenshot, "#zoho-tokens-disconnect", "#messages", "home-disconnected"
    )

    assert "disconnected" in logged_in.inner_text("#messages")
    assert_revoked_here_and_at_zoho(zoho, refresh_token)


def test_denying_consent_shows_a_friendly_message_and_stores_nothing(
    logged_in: Any, live_server: Any, zoho: Any, screenshot: Screenshots
) -> None:
    click_and_wait(logged_in, screenshot, "#connect", "#deny", "zoho-consent")
    click_and_wait(logged_in, screenshot, "#deny", "#zoho-tokens-denied-message", "consent-denied")

    assert "nothing was saved" in logged_in.inner_text("#zoho-tokens-denied-message")
    assert not ZohoToken.objects.exists()


def test_sign_in_with_zoho_logs_an_anonymous_visitor_in(
    page: Any, live_server: Any, zoho: Any, screenshot: Screenshots
) -> None:
    visit(page, live_server, screenshot, "/", "home-anonymous")
    click_and_wait(page, screenshot, "#sign-in-with-zoho", "#accept", "zoho-consent")
    page.click("#accept")
    page.wait_for_url(f"{live_server.url}/")
    screenshot(page, "signed-in-with-zoho")

    assert page.inner_text("#signed-in-as") == ZOHO_EMAIL
    assert f"signed in with Zoho as {ZOHO_EMAIL}" in page.inner_text("#messages")
    assert f"Connected as {ZOHO_EMAIL}" in page.inner_text("#connection")


def test_leads_page_sends_to_zoho_when_zoho_refuses_the_refresh(
    logged_in: Any, live_server: Any, zoho: Any, screenshot: Screenshots
) -> None:
    token = connect_zoho(logged_in, live_server, screenshot)
    # The user removed the app in Zoho, and the access token this site holds has expired.
    zoho.revoke(token.refresh_token)
    ZohoToken.objects.update(expires_at_ms=0)

    logged_in.goto(f"{live_server.url}/leads/")
    logged_in.wait_for_selector("#accept")
    screenshot(logged_in, "leads-reauth-consent")

    assert ZohoToken.objects.get().status == TokenStatus.NEEDS_REAUTH


def test_leads_page_is_a_friendly_503_when_zoho_is_down(
    logged_in: Any, live_server: Any, zoho: Any, screenshot: Screenshots
) -> None:
    connect_zoho(logged_in, live_server, screenshot)
    ZohoToken.objects.update(expires_at_ms=0)  # the next call must refresh ...
    zoho.fail("refresh", "down")  # ... and Zoho Accounts cannot be reached

    response = visit(logged_in, live_server, screenshot, "/leads/", "leads-zoho-unavailable")

    assert response.status == 503
    assert "Nothing was changed" in logged_in.inner_text("#zoho-tokens-unavailable-message")
    assert ZohoToken.objects.get().status == TokenStatus.ACTIVE


def test_reconnecting_from_the_leads_page_lists_the_leads_again(
    logged_in: Any, live_server: Any, zoho: Any, screenshot: Screenshots
) -> None:
    connect_then_revoke_in_admin(logged_in, live_server, screenshot)
    logged_in.goto(f"{live_server.url}/leads/")

    logged_in.click("#accept")
    logged_in.wait_for_url(f"{live_server.url}/leads/")
    screenshot(logged_in, "leads-after-reconnect")

    assert logged_in.locator("#leads tr.lead").count() == LEADS
    assert ZohoToken.objects.get().status == TokenStatus.ACTIVE
    assert logged_in.inner_text("#messages") == f"Zoho CRM is connected as {ZOHO_EMAIL}."


def test_home_shows_when_the_user_last_connected(
    logged_in: Any, live_server: Any, zoho: Any, screenshot: Screenshots
) -> None:
    connect_zoho(logged_in, live_server, screenshot)
    long_ago = datetime(2020, 1, 2, 3, 4, tzinfo=timezone.utc)
    ZohoToken.objects.update(created_at=long_ago, status_changed_at=long_ago)
    revoke_in_admin(logged_in, live_server, screenshot)

    logged_in.goto(f"{live_server.url}/")
    logged_in.click(".reconnect")
    logged_in.click("#accept")
    logged_in.wait_for_url(f"{live_server.url}/")
    screenshot(logged_in, "home-reconnected")

    connected_on = logged_in.inner_text(".connected-on")
    assert connected_on == ZohoToken.objects.get().status_changed_at.strftime("%-d %b %Y, %H:%M")
    assert "2020" not in connected_on


def test_admin_list_of_every_status_fits_a_laptop_window(
    logged_in: Any, live_server: Any, zoho: Any, screenshot: Screenshots
) -> None:
    connect_zoho(logged_in, live_server, screenshot)
    for n, (email, status) in enumerate(
        [("bo.longer.name@example.com", "expired"), ("cy@example.com", "pending")], start=2
    ):
        row = ZohoToken(client_id=CLIENT_ID, location="eu", expires_at_ms=0)
        row.access_token = "1000.at"
        row.set_user_name(f"{email}:70000000{n}")
        if status == "pending":
            row.refresh_token = "1000.rt"
            row.mark_revoked(remote_pending=True)
        row.save()

    open_token_admin(logged_in, live_server, screenshot, "admin-changelist-statuses")

    assert_the_changelist_fits(logged_in)
    assert "Access expired, refreshable" in logged_in.inner_text("#result_list")
    assert "revocation at Zoho pending" in logged_in.inner_text("#result_list")
