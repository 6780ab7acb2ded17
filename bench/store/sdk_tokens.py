"""The SDK's ``OAuthToken``, built as the SDK builds it for each call the bench times: the
one place the bench makes one."""

from __future__ import annotations

from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
from zohocrmsdk.src.com.zoho.crm.api.user_signature import UserSignature

from bench import data
from bench.data import TokenData


def by_user_name(user_name: str) -> OAuthToken:
    """What the SDK hands ``find_token`` to look a user's token up: the user alone."""
    return OAuthToken(user_signature=UserSignature(user_name))


def by_refresh_token(refresh_token: str) -> OAuthToken:
    """What the SDK hands ``find_token`` for a token the app built from a refresh token."""
    return OAuthToken(
        client_id=data.CLIENT_ID,
        client_secret=data.CLIENT_SECRET,
        refresh_token=refresh_token,
    )


def refreshed(row: TokenData, token_id: str, round_: int) -> OAuthToken:
    """The token the SDK saves after a refresh: found by id, new access token and expiry."""
    token = OAuthToken(
        id=token_id,
        user_signature=UserSignature(row.user_name),
        client_id=data.CLIENT_ID,
        client_secret=data.CLIENT_SECRET,
        refresh_token=row.refresh_token,
        access_token=data.new_access_token(row.number, round_),
        redirect_url=data.REDIRECT_URL,
        api_domain=data.API_DOMAIN,
    )
    token.set_expires_in(str(row.expires_at_ms + round_))
    return token
