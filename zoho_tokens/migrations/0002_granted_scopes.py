"""Granted scopes per token; existing rows get the scopes configured now.

Rows connected before this migration were asked for ``ZOHO_TOKENS["SCOPES"]`` (nothing
recorded what Zoho granted), so that is the best knowledge there is; the next consent
records what Zoho really granted.
"""

from django.db import migrations, models


def fill_with_configured_scopes(apps, schema_editor):
    from zoho_tokens.conf import zoho_settings
    from zoho_tokens.accounts.scopes import scopes_text

    token_model = apps.get_model("zoho_tokens", "ZohoToken")
    token_model.objects.using(schema_editor.connection.alias).filter(granted_scopes="").update(
        granted_scopes=scopes_text(zoho_settings.SCOPES)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("zoho_tokens", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="zohotoken",
            name="granted_scopes",
            field=models.TextField(
                blank=True,
                default="",
                help_text="The scopes Zoho granted this token, comma-separated.",
                verbose_name="granted scopes",
            ),
        ),
        migrations.RunPython(fill_with_configured_scopes, migrations.RunPython.noop),
    ]
