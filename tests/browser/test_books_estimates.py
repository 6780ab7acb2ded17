"""The example project's "My Zoho Books estimates" page, clicked through in headless Chromium."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import ZOHO_EMAIL, Screenshots
from tests.browser.test_example_project import click_and_wait, connect_zoho

pytestmark = pytest.mark.browser


def test_an_estimate_created_on_the_page_is_the_users_own(
    logged_in: Any, live_server: Any, zoho: Any, screenshot: Screenshots
) -> None:
    connect_zoho(logged_in, live_server, screenshot)
    click_and_wait(logged_in, screenshot, "#nav-estimates", "#new-estimate", "estimates-empty")

    logged_in.select_option("#id_customer_id", "460000000000101")
    logged_in.fill("#id_item", "Consulting")
    logged_in.fill("#id_rate", "250")
    click_and_wait(logged_in, screenshot, "#create-estimate", "tr.estimate", "estimate-created")

    assert logged_in.inner_text("tr.estimate .created-by") == "Ada Lovelace"
    assert [e["created_by_email"] for e in zoho.books.estimates("60000000001")] == [ZOHO_EMAIL]
