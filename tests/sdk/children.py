"""What child processes of the ``acting_as`` concurrency tests run (see tests/multiproc.py).

Module-level functions with lazy imports: "spawn" imports this module in a fresh
interpreter before Django is set up.
"""

from __future__ import annotations


def current_email_as(token_id: int, resource_path: str) -> str:
    """Ask the CRM who the current user is, through the SDK inside ``acting_as(token)``;
    the SDK's metadata goes to ``resource_path`` (one per process)."""
    from django.conf import settings

    from tests.sdk.helpers import current_zoho_email
    from zoho_tokens.models import ZohoToken
    from zoho_tokens.sdk.as_user import acting_as

    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, "SDK_RESOURCE_PATH": resource_path}
    with acting_as(ZohoToken(pk=token_id)):
        return current_zoho_email()
