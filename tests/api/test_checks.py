"""The system check of ``ZOHO_TOKENS["SERVICES"]`` (W016, E016)."""

from __future__ import annotations

from zoho_tokens.api.services import SERVICES
from zoho_tokens.checks import check_services


def ids(settings, **zoho_tokens) -> list[str]:
    settings.ZOHO_TOKENS = {**settings.ZOHO_TOKENS, **zoho_tokens}
    return [message.id for message in check_services()]


def test_the_default_crm_service_has_its_scopes_by_default(settings) -> None:
    assert ids(settings) == []


def test_a_used_service_lacking_a_scope_is_warned_about(settings) -> None:
    messages_ids = ids(settings, SERVICES=["crm", "books"])

    assert messages_ids == ["zoho_tokens.W016"]


def test_the_warning_names_the_missing_scope(settings) -> None:
    settings.ZOHO_TOKENS = {
        **settings.ZOHO_TOKENS,
        "SERVICES": {"books": ["ZohoBooks.invoices.READ"]},
    }

    assert "ZohoBooks.invoices.READ" in check_services()[0].msg


def test_a_service_whose_scopes_are_all_asked_for_passes(settings) -> None:
    scopes = [*SERVICES["crm"].scopes, "ZohoBooks.invoices.READ"]

    assert (
        ids(settings, SCOPES=scopes, SERVICES={"crm": None, "books": ["ZohoBooks.invoices.READ"]})
        == []
    )


def test_an_unknown_service_is_an_error(settings) -> None:
    assert ids(settings, SERVICES=["crm", "mail"]) == ["zoho_tokens.E016"]
