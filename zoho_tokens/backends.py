"""Log in with Zoho: an authentication backend that trusts the identity Zoho reported.

Add ``"zoho_tokens.backends.ZohoAccountBackend"`` to ``AUTHENTICATION_BACKENDS`` and set
``ZOHO_TOKENS["LOGIN"] = True``. The callback then runs :mod:`zoho_tokens.web.login`, which
matches the identity it has just obtained from Zoho (a code exchange plus
``/crm/v8/users?type=CurrentUser``) with :func:`match_user` and logs the user in through
this backend; nothing a browser sends can reach this backend directly.
"""

from __future__ import annotations

import logging
import string
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import BaseBackend
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from zoho_tokens.accounts.identity import ZohoIdentity
from zoho_tokens.conf import zoho_settings

__all__ = ["LoginMatch", "ZohoAccountBackend", "match_user"]

logger = logging.getLogger(__name__)

#: Why log in with Zoho found nobody (the ``reason`` of
#: :class:`~zoho_tokens.exceptions.LoginRefusedError`).
REFUSAL_DISABLED = "disabled"
REFUSAL_NO_ACCOUNT = "no_account"
REFUSAL_AMBIGUOUS = "ambiguous"
REFUSAL_INACTIVE = "inactive"

# A-Z to a-z and nothing else: see _normalize_email.
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


@dataclass(frozen=True)
class LoginMatch:
    """The outcome of matching a Zoho email to Django users: a user, or why there is none."""

    user: Any = None
    refusal: str | None = None


def _normalize_email(email: str) -> str:
    """``email`` with ASCII letters lower-cased and every other character left as it is.

    This is the only normalisation log in with Zoho applies before comparing addresses,
    in Python, character for character. ASCII case is ignored because people type
    ``Ada@Example.COM`` for ``ada@example.com`` and mail systems treat them alike. Nothing
    else is folded: Unicode case folding and compatibility normalisation are what make
    the long s (U+017F) equal ``s``, the dotless i (U+0131) equal ``i`` and full-width letters equal
    ASCII, which would let a look-alike Zoho address sign in as someone else. (Django's
    password reset compares loosely since CVE-2019-19844 because it then mails the
    *stored* address; here the comparison itself opens the session, so it is strict.)
    """
    return email.translate(_ASCII_LOWER)


def _email_field(user_model: Any) -> str:
    return str(user_model.get_email_field_name())


def match_user(email: str) -> LoginMatch:
    """The one Django user whose email is ``email`` up to ASCII case, if exactly one is.

    The database only narrows the candidates (its case-insensitive match finds every
    address that differs in ASCII case, and look-alikes too, depending on its collation);
    the decision is :func:`_normalize_email` equality in Python, so the collation never
    decides who signs in. When nobody matches exactly and
    ``ZOHO_TOKENS["LOGIN_CREATE_USERS"]`` is on, a new user is created with that email
    (and it as username), with no usable password: a look-alike address gets an account
    of its own, never someone else's.
    """
    user_model = get_user_model()
    field = _email_field(user_model)
    wanted = _normalize_email(email)
    candidates = list(user_model._default_manager.filter(**{f"{field}__iexact": email}))
    exact = [user for user in candidates if _normalize_email(getattr(user, field) or "") == wanted]
    if len(exact) > 1:
        logger.warning("Log in with Zoho refused: several users have the Zoho user's email.")
        return LoginMatch(refusal=REFUSAL_AMBIGUOUS)
    if exact:
        if not getattr(exact[0], "is_active", True):
            return LoginMatch(refusal=REFUSAL_INACTIVE)
        return LoginMatch(user=exact[0])
    if candidates:
        logger.warning(
            "Log in with Zoho: %d user(s) have an email that only looks like the Zoho "
            "user's; none of them is signed in.",
            len(candidates),
        )
    if not zoho_settings.LOGIN_CREATE_USERS:
        return LoginMatch(refusal=REFUSAL_NO_ACCOUNT)
    return _create_user(user_model, field, email)


def _fits(user_model: Any, field_name: str, value: str) -> bool:
    """Whether ``value`` fits the column of ``field_name`` (PostgreSQL and MariaDB refuse a
    longer value; SQLite would store it)."""
    max_length = getattr(user_model._meta.get_field(field_name), "max_length", None)
    return max_length is None or len(value) <= max_length


def _create_user(user_model: Any, email_field: str, email: str) -> LoginMatch:
    values = {email_field: email, user_model.USERNAME_FIELD: email}
    if not all(_fits(user_model, name, email) for name in values):
        # Django's username holds 150 characters, an address up to 254: no account is
        # made, rather than a database error on some databases and a cut name on others.
        logger.warning(
            "Log in with Zoho could not create a user: the email address (%d characters) "
            "does not fit the user model's fields.",
            len(email),
        )
        return LoginMatch(refusal=REFUSAL_NO_ACCOUNT)
    try:
        with transaction.atomic():
            user = user_model._default_manager.create_user(**values)
    except IntegrityError:
        # Someone already has this email as username (with another email address): that
        # account is not this Zoho user's to take over.
        logger.warning("Log in with Zoho could not create a user: the username is taken.")
        return LoginMatch(refusal=REFUSAL_NO_ACCOUNT)
    logger.info("Log in with Zoho created Django user %s.", user.pk)
    return LoginMatch(user=user)


class ZohoAccountBackend(BaseBackend):
    """Authenticates ``zoho_identity`` (a :class:`~zoho_tokens.accounts.client.ZohoIdentity` just
    obtained from Zoho) as the Django user with the same email (see :func:`match_user`).

    Returns None when it cannot log anybody in; :func:`zoho_tokens.web.login.log_in_with_zoho`
    calls :func:`match_user` itself to say why. Only works while ``ZOHO_TOKENS["LOGIN"]``
    is on. It must be in ``AUTHENTICATION_BACKENDS`` so that the session it opens is kept.
    """

    def authenticate(  # type: ignore[override]
        self, request: HttpRequest | None, zoho_identity: ZohoIdentity | None = None
    ) -> Any:
        """The user for ``zoho_identity``, or None."""
        if not isinstance(zoho_identity, ZohoIdentity) or not zoho_identity.email:
            return None
        if not zoho_settings.LOGIN:
            return None
        return match_user(zoho_identity.email).user

    def get_user(self, user_id: Any) -> Any:
        """The active user ``user_id``, for the session (as ``ModelBackend`` does)."""
        user_model = get_user_model()
        try:
            user = user_model._default_manager.get(pk=user_id)
        except user_model.DoesNotExist:
            return None
        return user if getattr(user, "is_active", True) else None
