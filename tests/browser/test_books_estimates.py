"""The example project's "My Zoho Books estimates" page, clicked through in headless Chromium."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import ZOHO_EMAIL, Screenshots
from tests.browser.test_example_project import connect_zoho

pytestmark = pytest.mark.browser


def test_an_estimate_created_on_the_page_is_the_users_own(
    logged_in: Any, live_server: Any, zoho: Any, screenshot: Screenshots
) -> None:
    connect_zoho(logged_in, live_server, screenshot)
    logged_in.click("#nav-estimates")
    logged_in.wait_for_selector("#new-estimate")
    screenshot(logged_in, "estimates-empty")

    logged_in.select_option("#id_customer_id", "460000000000101")
    logged_in.fill("#id_item", "Consulting")
    logged_in.fill("#id_rate", "250")
    logged_in.click("#create-estimate")
    logged_in.wait_for_selector("tr.estimate")
    screenshot(logged_in, "estimate-created")

    assert logged_in.inner_text("tr.estimate .created-by") == "Ada Lovelace"
    assert [e["created_by_email"] for e in zoho.books.estimates("60000000001")] == [ZOHO_EMAIL]
