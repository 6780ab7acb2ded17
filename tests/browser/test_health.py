"""The health of the connections, as people see it: the admin's dashboard at a laptop's
1280 pixels and a phone's 390, and the banner that asks a user to reconnect."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.browser.conftest import ZOHO_EMAIL, Screenshots
from tests.browser.test_example_project import connect_zoho, visit
from zoho_tokens.models import TokenEvent, TokenStatus, ZohoToken

pytestmark = pytest.mark.browser

DASHBOARD = "/admin/zoho_tokens/zohotoken/dashboard/"


def some_history() -> None:
    """Connections in every state, and two weeks of refreshes, refusals and throttles."""
    states = [TokenStatus.ACTIVE] * 6 + [TokenStatus.NEEDS_REAUTH] * 2 + [TokenStatus.REVOKED]
    rows = [
        ZohoToken(
            status=status,
            user_name=f"person{n}@example.com:700000001",
            location="eu" if n % 2 else "us",
            refresh_failure="revoked:invalid_code" if status == TokenStatus.NEEDS_REAUTH else "",
            remote_revoke_pending=status == TokenStatus.REVOKED,
        )
        for n, status in enumerate(states)
    ]
    rows = ZohoToken.objects.bulk_create(rows)
    now = timezone.now()
    events = []
    for day in range(14):
        at = now - dt.timedelta(days=day)
        happened = [(rows[n % 6], "refreshed", "ok") for n in range(6 + (day * 7) % 11)]
        if day % 4 == 1:
            happened.append((rows[6], "refresh_refused", "dead"))
        if day % 5 == 2:
            happened.append((rows[0], "throttled", "throttled"))
        events += [
            TokenEvent(token=row, kind=kind, actor="worker", outcome=outcome, at=at)
            for row, kind, outcome in happened
        ]
    TokenEvent.objects.bulk_create(events)


def page_fits(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


@pytest.mark.parametrize(
    ("width", "step"), [(1280, "admin-dashboard"), (390, "admin-dashboard-phone")]
)
def test_the_dashboard_shows_states_chart_and_attention(
    logged_in: Any, live_server: Any, screenshot: Screenshots, width: int, step: str
) -> None:
    some_history()
    logged_in.set_viewport_size({"width": width, "height": 900})

    visit(logged_in, live_server, screenshot, DASHBOARD, step)

    counts = logged_in.locator(".zt-states li .zt-count").all_inner_texts()
    assert counts == ["6", "2", "0", "1"]
    chart = logged_in.locator("svg.zt-chart")
    assert chart.is_visible()
    box = chart.bounding_box()
    # Readable on a phone: at least 34rem wide, scrolling sideways in its own box.
    assert box is not None
    assert min(width - 300, 544) <= box["width"]
    assert box["height"] > 180
    assert logged_in.locator("svg.zt-chart rect title").count() == 14 * 3
    assert logged_in.locator(".zt-attention tbody tr").count() == 3
    assert page_fits(logged_in)


def test_a_dead_connection_shows_a_banner_and_reconnecting_clears_it(
    logged_in: Any, live_server: Any, zoho: Any, screenshot: Screenshots, mailoutbox: list
) -> None:
    connect_zoho(logged_in, live_server, screenshot)
    zoho.remove_connected_app(ZOHO_EMAIL)
    _verify()

    visit(logged_in, live_server, screenshot, "/", "reconsent-banner")
    banner = logged_in.locator("#reconsent-banner")
    assert banner.is_visible()
    assert ZOHO_EMAIL in banner.inner_text()
    assert len(mailoutbox) == 1
    assert "reconnect" in mailoutbox[0].subject.lower()

    logged_in.click("#reconnect")
    logged_in.wait_for_selector("#accept")
    logged_in.click("#accept")
    logged_in.wait_for_url(f"{live_server.url}/")
    screenshot(logged_in, "reconnected")

    assert logged_in.locator("#reconsent-banner").count() == 0
    token = ZohoToken.objects.get()
    assert token.status == TokenStatus.ACTIVE

    visit(
        logged_in,
        live_server,
        screenshot,
        f"/admin/zoho_tokens/zohotoken/{token.pk}/change/",
        "admin-token-timeline",
    )
    timeline = logged_in.locator("#zoho-tokens-timeline tbody tr").all_inner_texts()
    assert [row.split("\t")[1] for row in timeline] == [
        "Connected",
        "Checked at Zoho",
        "Refresh refused by Zoho",
        "Connected",
    ]


def _verify() -> None:
    """``verify_zoho_tokens`` as cron runs it: exit status 1, one token to reconnect."""
    with pytest.raises(SystemExit) as exit:
        call_command("verify_zoho_tokens", stdout=StringIO())
    assert exit.value.code == 1
