"""The example project's pages."""

from __future__ import annotations

from django.apps import AppConfig


class CrmDemoConfig(AppConfig):
    """Home, the leads page, and the ``demo_user`` command."""

    name = "example_project.crm_demo"
    label = "crm_demo"
    verbose_name = "CRM demo"

    def ready(self) -> None:
        from example_project.crm_demo.mail import mail_the_user
        from zoho_tokens.signals import reconsent_required

        # When Zoho no longer accepts a connection, its owner gets a mail (printed to the
        # console in the demo); every page also shows them a banner (context.py).
        reconsent_required.connect(mail_the_user, dispatch_uid="crm_demo.mail_the_user")
