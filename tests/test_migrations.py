"""Data migrations: what they write into rows that existed before them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from zoho_tokens.conf import zoho_settings

BEFORE = [("zoho_tokens", "0001_initial")]
AFTER = [("zoho_tokens", "0002_granted_scopes")]


@pytest.mark.django_db(transaction=True)
def test_existing_rows_get_the_configured_scopes(settings) -> None:
    settings.ZOHO_TOKENS = {
        **settings.ZOHO_TOKENS,
        "SCOPES": "ZohoCRM.modules.ALL,ZohoCRM.org.READ,ZohoCRM.users.READ",
    }
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        old_model = executor.loader.project_state(BEFORE).apps.get_model("zoho_tokens", "ZohoToken")
        old_model.objects.create(user_name="ada@example.com:1", client_id="1000.X")

        executor = MigrationExecutor(connection)
        executor.migrate(AFTER)

        new_model = executor.loader.project_state(AFTER).apps.get_model("zoho_tokens", "ZohoToken")
        (row,) = new_model.objects.all()
        assert row.granted_scopes == ",".join(zoho_settings.SCOPES)
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes("zoho_tokens"))
