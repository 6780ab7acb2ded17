"""What the processes of ``tests/sdk/test_metadata.py`` run.

"spawn" imports these functions before Django is set up, so everything Django-related is
imported inside them.
"""

from __future__ import annotations

import os
from typing import Any

#: How many leads the fake serves, and how many fields each carries (with its id).
LEADS = 3


def read_leads(token_pk: int, fields: int) -> str:
    """One ``get_records`` of Leads as the token: "ok", or what was wrong with it."""
    from zohocrmsdk.src.com.zoho.crm.api.parameter_map import ParameterMap
    from zohocrmsdk.src.com.zoho.crm.api.record import GetRecordsParam, RecordOperations
    from zohocrmsdk.src.com.zoho.crm.api.record import ResponseWrapper as RecordsWrapper

    from zoho_tokens.models import ZohoToken
    from zoho_tokens.sdk.as_user import acting_as
    from zoho_tokens.testing.crm.handlers import make_wide_leads
    from zoho_tokens.testing.crm.lists import MAX_FIELDS

    # Zoho answers a list call with at most 50 of the module's fields, asked for by name.
    asked = [name for name in make_wide_leads(1, fields)[0] if name != "id"][:MAX_FIELDS]
    params = ParameterMap()
    params.add(GetRecordsParam.fields, ",".join(asked))
    with acting_as(ZohoToken.objects.get(pk=token_pk)):
        response = RecordOperations("Leads").get_records(params)
    body = response.get_object() if response is not None else None
    if not isinstance(body, RecordsWrapper):
        return f"not records: {body!r}"
    records = body.get_data()
    widths = {len(record.get_key_values()) for record in records}
    if len(records) != LEADS or widths != {len(asked) + 1}:
        return f"empty or partial: {len(records)} records of {widths} fields"
    return "ok"


def first_calls_in_rounds(
    token_pk: int, fields: int, base: str, rounds: int, barrier: Any
) -> list[str]:
    """In each round, with the others: forget the SDK, then make the user's first call on
    a new empty resource path. Returns each round's outcome ("ok" or the problem)."""
    from django.conf import settings

    from zoho_tokens.testing import reset_zoho_sdk

    outcomes = []
    for number in range(rounds):
        settings.ZOHO_TOKENS = {
            **settings.ZOHO_TOKENS,
            "SDK_RESOURCE_PATH": os.path.join(base, f"round-{number}"),
        }
        reset_zoho_sdk()
        barrier.wait(timeout=60)
        try:
            outcomes.append(read_leads(token_pk, fields))
        except Exception as err:
            outcomes.append(f"{type(err).__name__}: {err}")
    return outcomes
