"""Log in with Zoho: an authentication backend that trusts the identity Zoho reported.

Add ``"zoho_tokens.backends.ZohoAccountBackend"`` to ``AUTHENTICATION_BACKENDS`` and set
``ZOHO_TOKENS["LOGIN"] = True``. The callback view then calls
``django.contrib.auth.authenticate(request, zoho_identity=identity)`` with the identity it
has just obtained from Zoho (a code exchange plus ``/crm/v8/users?type=CurrentUser``);
nothing a browser sends can reach this backend directly.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import BaseBackend
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from zoho_tokens.conf import zoho_settings
from zoho_tokens.oauth import ZohoIdentity

logger = logging.getLogger(__name__)

#: Why log in with Zoho found nobody; the backend stores it on ``request.zoho_login_refusal``.
REFUSAL_DISABLED = "disabled"
REFUSAL_NO_ACCOUNT = "no_account"
REFUSAL_AMBIGUOUS = "ambiguous"
REFUSAL_INACTIVE = "inactive"


@dataclass(frozen=True)
class LoginMatch:
    """The outcome of matching a Zoho email to Django users: a user, or why there is none."""

    user: Any = None
    refusal: str | None = None


def _email_field(user_model: Any) -> str:
    return str(user_model.get_email_field_name())


def match_user(email: str) -> LoginMatch:
    """The one Django user whose email is ``email`` (case-insensitive), if exactly one is.

    When nobody matches and ``ZOHO_TOKENS["LOGIN_CREATE_USERS"]`` is on, a user is created
    with that email (and it as username), with no usable password.
    """
    user_model = get_user_model()
    field = _email_field(user_model)
    candidates = list(user_model._default_manager.filter(**{f"{field}__iexact": email})[:2])
    if len(candidates) > 1:
        logger.warning("Log in with Zoho refused: several users have the Zoho user's email.")
        return LoginMatch(refusal=REFUSAL_AMBIGUOUS)
    if candidates:
        user = candidates[0]
        if not getattr(user, "is_active", True):
            return LoginMatch(refusal=REFUSAL_INACTIVE)
        return LoginMatch(user=user)
    if not zoho_settings.LOGIN_CREATE_USERS:
        return LoginMatch(refusal=REFUSAL_NO_ACCOUNT)
    return _create_user(user_model, field, email)


def _create_user(user_model: Any, email_field: str, email: str) -> LoginMatch:
    values = {email_field: email, user_model.USERNAME_FIELD: email}
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
    """Authenticates ``zoho_identity`` (a :class:`~zoho_tokens.oauth.ZohoIdentity` just
    obtained from Zoho) as the Django user with the same email, case-insensitively.

    Returns None, and sets ``request.zoho_login_refusal`` to one of ``"disabled"``,
    ``"no_account"``, ``"ambiguous"`` or ``"inactive"``, when it cannot log anybody in.
    Only works while ``ZOHO_TOKENS["LOGIN"]`` is on.
    """

    def authenticate(  # type: ignore[override]
        self, request: HttpRequest | None, zoho_identity: ZohoIdentity | None = None
    ) -> Any:
        """The user for ``zoho_identity``, or None."""
        if not isinstance(zoho_identity, ZohoIdentity) or not zoho_identity.email:
            return None
        if not zoho_settings.LOGIN:
            match = LoginMatch(refusal=REFUSAL_DISABLED)
        else:
            match = match_user(zoho_identity.email)
        if request is not None:
            request.zoho_login_refusal = match.refusal  # type: ignore[attr-defined]
        return match.user

    def get_user(self, user_id: Any) -> Any:
        """The active user ``user_id``, for the session (as ``ModelBackend`` does)."""
        user_model = get_user_model()
        try:
            user = user_model._default_manager.get(pk=user_id)
        except user_model.DoesNotExist:
            return None
        return user if getattr(user, "is_active", True) else None
