"""Many stored tokens at once: real refresh tokens of the fake, rows bulk-created (no OAuth
round trip per row)."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from zoho_tokens.models import ZohoToken, now_ms
from zoho_tokens.testing import FakeZoho


def store_tokens(
    fake: FakeZoho, count: int, *, prefix: str = "user", client: tuple[str, str] | None = None
) -> list[ZohoToken]:
    """``count`` active rows, each holding a live refresh token of its own fake Zoho user
    (``<prefix><n>@example.com``), for the fake's client or ``client`` (id, secret)."""
    client_id, client_secret = client or (fake.client_id, fake.client_secret)
    if client is not None:
        fake.add_client(client_id, client_secret)
    users = get_user_model().objects.bulk_create(
        [get_user_model()(username=f"{prefix}{n}") for n in range(count)]
    )
    rows = []
    for n, user in enumerate(users):
        zoho_user = fake.add_user(f"{prefix}{n}@example.com")
        access, refresh = fake.grant_tokens(zoho_user, client_id=client_id)
        row = ZohoToken(
            user_id=user.pk,
            client_id=client_id,
            accounts_server=fake.url,
            api_domain=fake.url,
            location=fake.location,
            expires_at_ms=now_ms() + 3_600_000,
        )
        row.set_user_name(zoho_user.sdk_user_name)
        row.refresh_token = refresh
        row.access_token = access
        if client is not None:
            row.client_secret = client_secret
        rows.append(row)
    return ZohoToken.objects.bulk_create(rows)


def refreshes_per_token(fake: FakeZoho) -> dict[str, int]:
    """How many refreshes the fake received for each refresh token."""
    counts: dict[str, int] = {}
    for request in fake.requests:
        if request.path == "/oauth/v2/token" and request.form.get("grant_type") == "refresh_token":
            token = request.form.get("refresh_token", "")
            counts[token] = counts.get(token, 0) + 1
    return counts
