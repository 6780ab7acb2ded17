"""App configuration: registers the system checks, and on Django 4.2 makes SQLite take
its write lock at the start of every transaction (see :mod:`zoho_tokens.sqlite`)."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ZohoTokensConfig(AppConfig):
    """django-zoho-tokens."""

    name = "zoho_tokens"
    verbose_name = _("Zoho CRM tokens")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from zoho_tokens import checks  # noqa: F401  (registers the checks)
        from zoho_tokens.sqlite import begin_immediate

        connection_created.connect(begin_immediate, dispatch_uid="zoho_tokens.begin_immediate")
