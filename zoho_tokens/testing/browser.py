"""Playing the browser against the fake Zoho: open an authorization URL, consent or deny.

These are the bodies of :meth:`FakeZoho.consent`; they talk to the fake over its socket with
``requests``, as a browser would, and never touch its state directly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlsplit

from zoho_tokens.testing.accounts import consent as pages
from zoho_tokens.testing.accounts.handlers import AUTH_PATH
from zoho_tokens.testing.accounts.users import FakeZohoUser

if TYPE_CHECKING:
    import requests

    from zoho_tokens.testing.fake import FakeZoho

__all__ = ["FakeZohoError", "follow_consent"]


class FakeZohoError(RuntimeError):
    """The fake answered a helper's request in a way the helper could not use."""


def follow_consent(
    fake: FakeZoho,
    authorize_url: str,
    *,
    accept: bool,
    user: FakeZohoUser | str | None,
    timeout: float,
) -> str:
    """The callback URL the fake redirects to from ``authorize_url`` (see ``FakeZoho.consent``)."""
    import requests  # a project dependency; only this helper needs it

    split = urlsplit(authorize_url)
    if f"{split.scheme}://{split.netloc}" != fake.url or split.path != AUTH_PATH:
        raise ValueError(f"{authorize_url!r} is not this fake's {fake.auth_url}")
    with requests.Session() as session:
        # Never let an HTTP(S)_PROXY from the environment see loopback traffic.
        session.trust_env = False
        if accept and user is None:
            response = _open_and_accept(session, fake.url, authorize_url, timeout)
        else:
            form = dict(parse_qsl(split.query, keep_blank_values=True))
            form["action"] = "accept" if accept else "deny"
            email = user.email if isinstance(user, FakeZohoUser) else user
            form["user"] = email or fake.consenting_user.email
            response = session.post(
                fake.url + pages.CONSENT_PATH, data=form, allow_redirects=False, timeout=timeout
            )
    location = response.headers.get("Location")
    if response.status_code != 302 or not location:
        raise FakeZohoError(
            f"expected a redirect from the fake, got HTTP {response.status_code}: "
            f"{response.text[:200]}"
        )
    return location


def _open_and_accept(
    session: requests.Session, base_url: str, authorize_url: str, timeout: float
) -> requests.Response:
    """``GET`` the URL; if the fake shows its consent page, press Accept on it."""
    response = session.get(authorize_url, allow_redirects=False, timeout=timeout)
    if response.status_code == 200 and "consent-form" in response.text:
        action, form = pages.parse_form(response.text, button="accept")
        response = session.post(
            base_url + action, data=form, allow_redirects=False, timeout=timeout
        )
    return response
