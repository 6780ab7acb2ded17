"""The admin's Self Client form: turn a grant code from Zoho's API console into a token."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from zoho_tokens.conf import zoho_settings
from zoho_tokens.conf.datacenters import DATA_CENTERS
from zoho_tokens.exceptions import (
    ImproperlyConfiguredZoho,
    InvalidGrantError,
    ZohoOAuthError,
    ZohoTokensError,
)
from zoho_tokens.models import ZohoToken
from zoho_tokens.tokens.connect import connect_with_code

#: The choice that stands for ``ZOHO_TOKENS["ACCOUNTS_URL"]`` (a proxy, or the fake Zoho).
CONFIGURED_ACCOUNTS_URL = "accounts_url"


def data_centre_choices() -> list[tuple[str, str]]:
    """Every Zoho data centre, plus the configured ``ACCOUNTS_URL`` when there is one."""
    choices = [
        (dc.location, f"{dc.location.upper()} \u2014 {dc.accounts_server}")
        for dc in DATA_CENTERS.values()
    ]
    if zoho_settings.ACCOUNTS_URL:
        label = _("Configured ACCOUNTS_URL \u2014 %(url)s") % {"url": zoho_settings.ACCOUNTS_URL}
        choices.insert(0, (CONFIGURED_ACCOUNTS_URL, label))
    return choices


class SelfClientGrantForm(forms.Form):
    """A grant code generated in Zoho's API console (Self Client), and its data centre.

    :meth:`connect` exchanges it at once and stores the token, not linked to any Django
    user; on failure the error is added to the form and nothing is stored.
    """

    code = forms.CharField(
        label=_("Grant code"),
        max_length=1000,
        # Never echoed back: a page re-rendered after an error must not show it.
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_(
            "In Zoho's API console, open the Self Client, choose "
            "Generate Code with the scopes you need plus ZohoCRM.users.READ and "
            "ZohoCRM.org.READ, and paste the code here within its lifetime."
        ),
    )
    client_id = forms.CharField(
        label=_("Self Client id"),
        required=False,
        max_length=255,
        help_text=_(
            "The client id of the Self Client that generated the code, when it is not "
            "ZOHO_TOKENS['CLIENT_ID']."
        ),
    )
    client_secret = forms.CharField(
        label=_("Self Client secret"),
        required=False,
        max_length=1000,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("Its client secret; stored encrypted with the token."),
    )
    data_centre = forms.ChoiceField(
        label=_("Data centre"),
        help_text=_("Where the Zoho account that generated the code lives."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Built per form, because ACCOUNTS_URL is read live from the settings.
        field = cast(forms.ChoiceField, self.fields["data_centre"])
        field.choices = data_centre_choices()
        field.initial = (
            CONFIGURED_ACCOUNTS_URL if zoho_settings.ACCOUNTS_URL else zoho_settings.DATA_CENTER
        )

    @sensitive_variables("cleaned")
    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if bool(cleaned.get("client_id")) != bool(cleaned.get("client_secret")):
            raise forms.ValidationError(
                _("Give both the Self Client id and its secret, or neither.")
            )
        return cleaned

    def accounts_server_and_location(self) -> tuple[str, str]:
        """The accounts server to exchange the code at, and the data centre's location."""
        choice = self.cleaned_data["data_centre"]
        if choice == CONFIGURED_ACCOUNTS_URL:
            return zoho_settings.data_center.accounts_server, zoho_settings.data_center.location
        data_center = zoho_settings.data_center_for(choice) or DATA_CENTERS[choice]
        return data_center.accounts_server, data_center.location

    @sensitive_variables()
    def connect(self) -> ZohoToken | None:
        """Exchange the code and store the token; None (errors on the form) on failure."""
        accounts_server, location = self.accounts_server_and_location()
        try:
            # Self Client codes are generated without a redirect URI.
            result = connect_with_code(
                self.cleaned_data["code"],
                accounts_server=accounts_server,
                redirect_uri=None,
                user=None,
                location=location,
                client_id=self.cleaned_data.get("client_id") or None,
                client_secret=self.cleaned_data.get("client_secret") or None,
            )
        except InvalidGrantError:
            self.add_error(
                "code",
                _(
                    "Zoho refused this grant code (invalid_code): it was already used, it "
                    "expired, or it was generated in another data centre. Generate a new one "
                    "and paste it right away."
                ),
            )
        except ZohoOAuthError as err:
            self.add_error(
                None,
                _("Zoho could not exchange the grant code (%(error)s): %(reason)s")
                % {"error": err.error or "error", "reason": err},
            )
        except ImproperlyConfiguredZoho as err:
            self.add_error(None, str(err))
        except ZohoTokensError as err:
            # The database refused the write, or the Zoho user belongs to someone else:
            # nothing was stored and the token Zoho issued was withdrawn.
            self.add_error(None, str(err.user_message))
        else:
            return result.token
        return None
