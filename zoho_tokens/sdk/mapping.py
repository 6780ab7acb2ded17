"""Between the SDK's ``OAuthToken`` and a ``ZohoToken`` row: how a token finds its row,
which of the row's values fill the token, and what a saved token writes onto the row.

Internal: :class:`zoho_tokens.sdk.store.DjangoTokenStore` is what uses these. They follow the
SDK's own stores where they are right (the order in which tokens are matched, filling only
the fields the caller left empty) and depart from them where they are wrong.
"""

from __future__ import annotations

from django.views.decorators.debug import sensitive_variables

from zoho_tokens.accounts.destinations import trusted_api_domain
from zoho_tokens.accounts.numbers import MAX_ROW_ID, strict_int
from zoho_tokens.conf import zoho_settings
from zoho_tokens.conf.datacenters import by_api_domain
from zoho_tokens.exceptions import NoUsableTokenError, ReauthorizationRequired
from zoho_tokens.models import TokenStatus, ZohoToken, now_ms
from zoho_tokens.models.crypto import keyring
from zoho_tokens.models.fields import plain_digest
from zoho_tokens.sdk.border import OAuthToken, UserSignature
from zoho_tokens.tokens.lookups import Condition, Lookup

#: Largest id a database ``bigint`` holds; longer digit strings cannot name a row.
MAX_ID = MAX_ROW_ID


def _name_of(token: OAuthToken) -> str | None:
    signature = token.get_user_signature()
    name = signature.get_name() if signature is not None else None
    return name or None


def parse_token_id(token_id: object) -> int | None:
    """The row id named by the SDK's string id, or None when it cannot name a row."""
    return strict_int(token_id, minimum=1, maximum=MAX_ID)


def lookups_for(token: OAuthToken) -> list[Lookup]:
    """How to find the row ``token`` refers to, in the SDK's order of precedence; the first
    lookup that finds a row wins.

    User name first; then the access token, only when the token carries no client
    credentials; then the grant token, then the refresh token, only with client credentials.
    (The SDK's DBStore gets this last condition's ``and``/``or`` precedence wrong.) Like the
    SDK's stores, a grant token nobody holds still lets the refresh token match (a new code
    sent along with a known refresh token).
    """
    client_id = token.get_client_id()
    client_secret = token.get_client_secret()
    same_client: tuple[Condition, ...] = (("client_id", (client_id,)),) if client_id else ()
    name = _name_of(token)
    if name:
        return [Lookup((("user_name_digest", (plain_digest(name),)), *same_client))]
    access_token = token.get_access_token()
    if access_token and client_id is None and client_secret is None:
        return [Lookup((("access_token_digest", tuple(keyring().digests(access_token))),))]
    if not (client_id and client_secret):
        return []
    return [
        Lookup(((f"{secret}_digest", tuple(keyring().digests(value))), *same_client))
        for secret, value in (
            ("grant_token", token.get_grant_token()),
            ("refresh_token", token.get_refresh_token()),
        )
        if value
    ]


def fill_missing(token: OAuthToken, row: ZohoToken) -> OAuthToken:
    """Copy the row's values into the fields of ``token`` that are None (the SDK's rule)."""
    if token.get_id() is None:
        token.set_id(str(row.pk))
    if token.get_user_signature() is None and row.user_name:
        token.set_user_signature(UserSignature(row.user_name))
    if token.get_client_id() is None:
        token.set_client_id(row.client_id)
    if token.get_client_secret() is None:
        token.set_client_secret(row.client_secret)
    if token.get_refresh_token() is None:
        token.set_refresh_token(row.refresh_token)
    if token.get_access_token() is None:
        token.set_access_token(row.access_token)
    if token.get_grant_token() is None:
        token.set_grant_token(row.grant_token)
    if token.get_expires_in() is None and row.expires_at_ms is not None:
        # The SDK calls len() on the expiry: it must be a string.
        token.set_expires_in(str(row.expires_at_ms))
    if token.get_redirect_url() is None:
        token.set_redirect_url(row.redirect_url)
    if token.get_api_domain() is None:
        token.set_api_domain(row.api_domain)
    return token


def to_oauth_token(row: ZohoToken) -> OAuthToken:
    """A fully populated SDK token for ``row``."""
    return fill_missing(OAuthToken(id=str(row.pk)), row)


def _is_stale(expires_in: object) -> bool:
    expires_at_ms = strict_int(expires_in, maximum=MAX_ID)
    if expires_at_ms is None:
        return True
    return expires_at_ms - now_ms() <= zoho_settings.REFRESH_MARGIN * 1000


def hand_out(token: OAuthToken, row: ZohoToken) -> OAuthToken:
    """:func:`fill_missing`, except that a stale access token the caller holds gives way to
    the row's fresh one.

    The SDK's rule (never overwrite what the caller set) would otherwise hand an expired
    access token straight back, and the SDK would then refresh it on its own, unlocked. An
    access token the caller set without an expiry is the caller's choice and is kept.
    """
    held = token.get_access_token()
    expires_in = token.get_expires_in()
    if held and expires_in not in (None, "") and _is_stale(expires_in):
        fresh = row.access_token
        if fresh and fresh != held and row.expires_at_ms is not None:
            token.set_access_token(fresh)
            token.set_expires_in(str(row.expires_at_ms))
    return fill_missing(token, row)


def _epoch_ms(expires_in: object) -> int:
    """The SDK's expiry (epoch milliseconds, as a string) as a number a bigint column holds."""
    value = strict_int(expires_in, maximum=MAX_ID)
    if value is None:
        raise ValueError("the token's expiry is not an epoch time in milliseconds")
    return value


@sensitive_variables("refresh_token")
def apply_token(row: ZohoToken, token: OAuthToken) -> None:
    """Write the values ``token`` carries onto ``row``; what it lacks is kept.

    A new refresh token (one this row has never held) means a new consent, which makes a
    revoked or re-authorisation-needing row active again. Nothing else may: a row that is
    not active gets no secret back from a save without a new consent (the SDK saving what
    it held before the revocation, say), and the save raises instead.

    Raises:
        NoUsableTokenError: the row was revoked (``ReauthorizationRequired``: Zoho refused
            its refresh token) and ``token`` carries no new consent; nothing was written.
        UntrustedAPIDomainError: ``token`` names an API domain that is not a Zoho API
            domain of the row's data centre (nor a configured one).
    """
    refresh_token = token.get_refresh_token()
    is_new_consent = bool(refresh_token) and not row.with_refresh_digest(refresh_token or "")
    # (A new row is active.)
    if row.status != TokenStatus.ACTIVE and not is_new_consent:
        if row.status == TokenStatus.NEEDS_REAUTH:
            raise ReauthorizationRequired(row.pk)
        raise NoUsableTokenError(
            f"Zoho token {row.pk} was revoked; only a new consent (connecting Zoho again) "
            "can bring it back. Nothing was saved."
        )
    name = _name_of(token)
    if name:
        row.set_user_name(name)
    if token.get_client_id():
        row.client_id = token.get_client_id()
    if token.get_client_secret():
        row.client_secret = token.get_client_secret()
    if refresh_token:
        row.refresh_token = refresh_token
        if is_new_consent and row.status != TokenStatus.ACTIVE:
            row.set_status(TokenStatus.ACTIVE)
            row.remote_revoke_pending = False
    if token.get_access_token():
        row.access_token = token.get_access_token()
    if token.get_grant_token():
        row.grant_token = token.get_grant_token()
    expires_in = token.get_expires_in()
    if expires_in not in (None, ""):
        row.expires_at_ms = _epoch_ms(expires_in)
    if token.get_redirect_url():
        row.redirect_url = token.get_redirect_url()
    api_domain = token.get_api_domain()
    if api_domain:
        row.api_domain = api_domain.rstrip("/")
    if not row.accounts_server:
        # A token saved by the SDK names only its API domain; its accounts server follows
        # from the data-centre table, else from the configured default.
        data_center = by_api_domain(row.api_domain or "") or zoho_settings.data_center
        row.accounts_server = data_center.accounts_server
        row.location = data_center.location
    if api_domain:
        # Never stored unless it is Zoho's (or configured): the access token goes there.
        row.api_domain = trusted_api_domain(row.api_domain or "", row.location)
