"""Mailing the user when Zoho no longer accepts their connection (the recipe of
docs/operating.md): a receiver of ``zoho_tokens.signals.reconsent_required``."""

from __future__ import annotations

from typing import Any

from django.core.mail import send_mail
from django.db import transaction

from zoho_tokens.models import ZohoToken

REASONS = {
    "revoked": "the app was removed from your Zoho account, your Zoho password changed, or "
    "you connected it too many times elsewhere",
    "client_deleted": "the app's access to Zoho was withdrawn by our administrators",
}


def mail_the_user(sender: Any, token: ZohoToken, reason: str, **kwargs: Any) -> None:
    """Tell the token's owner, once the change is committed, how to connect again."""
    user = token.user
    if user is None or not user.email:
        return
    body = (
        f"Hello {user.get_username()},\n\nZoho no longer accepts this site's connection to "
        f"your Zoho account {token.email} ({REASONS.get(reason, reason)}).\n"
        'Sign in and press "Reconnect Zoho CRM" to carry on.\n'
    )
    transaction.on_commit(
        lambda: send_mail("Please reconnect Zoho CRM", body, None, [user.email], fail_silently=True)
    )
