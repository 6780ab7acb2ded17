"""App configuration: registers the system checks and the user-deletion receiver, and on
Django 4.2 makes SQLite take its write lock at the start of every transaction (see
:mod:`zoho_tokens.tokens.sqlite`)."""

from __future__ import annotations

from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import pre_delete
from django.utils.translation import gettext_lazy as _


class ZohoTokensConfig(AppConfig):
    """django-zoho-tokens."""

    name = "zoho_tokens"
    verbose_name = _("Zoho CRM tokens")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from zoho_tokens import checks  # noqa: F401  (registers the checks)
        from zoho_tokens.tokens.revocation import revoke_tokens_of_deleted_user

        # A user's refresh tokens are revoked at Zoho before the user goes, so that none
        # stays alive there with no row left to revoke it from.
        pre_delete.connect(
            revoke_tokens_of_deleted_user,
            sender=settings.AUTH_USER_MODEL,
            dispatch_uid="zoho_tokens.revoke_tokens_of_deleted_user",
        )

        from zoho_tokens.health.receivers import connect_receivers

        # The tokens' history and the metrics follow every token_event.
        connect_receivers()

        from django.core.signals import request_finished

        from zoho_tokens.limits.connection import close_old_limiter_connections
        from zoho_tokens.tokens.sqlite import begin_immediate

        # The limiter's own connections end with each request as Django's do (CONN_MAX_AGE).
        request_finished.connect(
            close_old_limiter_connections, dispatch_uid="zoho_tokens.close_limiter_connections"
        )

        connection_created.connect(begin_immediate, dispatch_uid="zoho_tokens.begin_immediate")
