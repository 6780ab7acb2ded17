"""The example project's pages."""

from __future__ import annotations

from django.apps import AppConfig


class CrmDemoConfig(AppConfig):
    """Home, the leads page, and the ``demo_user`` command."""

    name = "example_project.crm_demo"
    label = "crm_demo"
    verbose_name = "CRM demo"
