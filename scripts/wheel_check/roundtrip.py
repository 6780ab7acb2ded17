"""Run by scripts/check_wheel.py inside the throwaway project, with the wheel installed.

Arguments: the template names the wheel ships. Compiles each, then saves a token through
``DjangoTokenStore`` and finds it again by user name and by id, and checks that none of its
secrets reached the database in plaintext. Exits non-zero, saying why, on any failure.
"""

from __future__ import annotations

import sys
import sysconfig
import time
from pathlib import Path
from typing import NoReturn

import django

django.setup()

# Imported after django.setup(): the store imports the models.
from django.db import connection  # noqa: E402
from django.template.loader import get_template  # noqa: E402
from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken  # noqa: E402
from zohocrmsdk.src.com.zoho.crm.api.user_signature import UserSignature  # noqa: E402

import zoho_tokens  # noqa: E402
from zoho_tokens.models import ZohoToken  # noqa: E402
from zoho_tokens.sdk import DjangoTokenStore  # noqa: E402

USER_NAME = "wheel.check@example.com:20000001"
CLIENT_ID = "1000.WHEELCHECKCLIENT"
CLIENT_SECRET = "wheel-check-client-secret"
REFRESH_TOKEN = "1000.wheelcheckrefresh.0123456789abcdef"
ACCESS_TOKEN = "1000.wheelcheckaccess.fedcba9876543210"


def fail(message: str) -> NoReturn:
    """Stop with ``message``."""
    sys.exit(f"round trip FAILED: {message}")


def require(condition: bool, message: str) -> None:
    """Stop with ``message`` unless ``condition`` holds."""
    if not condition:
        fail(message)


def check_installed_copy() -> None:
    """The app comes from the virtualenv's site-packages, not from a source tree."""
    site_packages = Path(sysconfig.get_paths()["purelib"]).resolve()
    where = Path(zoho_tokens.__file__).resolve()
    require(site_packages in where.parents, f"zoho_tokens imported from {where}")


def check_templates(names: list[str]) -> None:
    """Every shipped template loads and compiles (its tag libraries are present)."""
    for name in names:
        get_template(name)


def round_trip() -> None:
    """save_token, then find_token and find_token_by_id give the same token back."""
    store = DjangoTokenStore()
    # An access token valid for an hour: finding it needs no refresh, so no Zoho.
    expires_in = str(int(time.time() * 1000) + 3_600_000)
    token = OAuthToken(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        refresh_token=REFRESH_TOKEN,
        user_signature=UserSignature(USER_NAME),
    )
    token.set_access_token(ACCESS_TOKEN)
    token.set_expires_in(expires_in)
    token.set_api_domain("https://www.zohoapis.eu")
    store.save_token(token)
    token_id = token.get_id()
    if token_id is None:
        fail("save_token set no id on the token")

    found = store.find_token(OAuthToken(user_signature=UserSignature(USER_NAME)))
    if found is None:
        fail("find_token found nothing by user name")
    require(found.get_id() == token_id, f"find_token gave id {found.get_id()!r}")
    require(found.get_refresh_token() == REFRESH_TOKEN, "find_token: another refresh token")
    require(found.get_access_token() == ACCESS_TOKEN, "find_token: another access token")
    require(found.get_client_secret() == CLIENT_SECRET, "find_token: another client secret")
    require(found.get_expires_in() == expires_in, "find_token: another expiry")

    by_id = store.find_token_by_id(token_id)
    if by_id is None:
        fail("find_token_by_id found nothing")
    require(by_id.get_refresh_token() == REFRESH_TOKEN, "find_token_by_id: another token")

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {ZohoToken._meta.db_table}")  # noqa: S608 (no input)
        stored = repr(cursor.fetchall())
    for name, secret in [
        ("client secret", CLIENT_SECRET),
        ("refresh token", REFRESH_TOKEN),
        ("access token", ACCESS_TOKEN),
    ]:
        require(secret not in stored, f"the {name} is stored in plaintext")


def main() -> None:
    """Every check, in order."""
    check_installed_copy()
    check_templates(sys.argv[1:])
    round_trip()
    print(
        f"round trip passed: zoho_tokens {zoho_tokens.__version__} from {zoho_tokens.__file__}"
        f" (Django {django.get_version()})"
    )


if __name__ == "__main__":
    main()
