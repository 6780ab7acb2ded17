"""App configuration: registers the system checks."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ZohoTokensConfig(AppConfig):
    """django-zoho-tokens."""

    name = "zoho_tokens"
    verbose_name = _("Zoho CRM tokens")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from zoho_tokens import checks  # noqa: F401  (registers the checks)
