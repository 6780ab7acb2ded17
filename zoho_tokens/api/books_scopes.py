"""The scope a Zoho Books call needs, and whether a token's granted scopes cover it.

Books answers code 57 ("You are not authorized to perform this operation") alike for a dead
access token, a scope the token was not granted and a role that does not allow the call.
Comparing the call's scope with the token's ``granted_scopes`` tells the second apart, so
the error can name the scope to add to ``ZOHO_TOKENS["SCOPES"]`` instead of guessing.

Books' scopes are ``ZohoBooks.<module>.<CREATE|READ|UPDATE|DELETE|ALL>`` (and
``ZohoBooks.fullaccess.all``); the module of each resource is from Books' API reference
(https://www.zoho.com/books/api/v3/oauth/#scopes), where "OAuth Scope" heads every call.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from zoho_tokens.accounts.scopes import covers

__all__ = ["BooksScope", "books_scope_for", "is_granted"]

#: The first path segment after ``/books/v3/`` -> the scope's module.
_MODULES = {
    "organizations": "settings",
    "users": "settings",
    "items": "settings",
    "taxes": "settings",
    "currencies": "settings",
    "settings": "settings",
    "contacts": "contacts",
    "estimates": "estimates",
    "invoices": "invoices",
    "recurringinvoices": "invoices",
    "customerpayments": "customerpayments",
    "creditnotes": "creditnotes",
    "projects": "projects",
    "expenses": "expenses",
    "recurringexpenses": "expenses",
    "salesorders": "salesorders",
    "purchaseorders": "purchaseorders",
    "bills": "bills",
    "recurringbills": "bills",
    "vendorcredits": "debitnotes",
    "vendorpayments": "vendorpayments",
    "bankaccounts": "banking",
    "banktransactions": "banking",
    "bankrules": "banking",
    "chartofaccounts": "accountants",
    "journals": "accountants",
}
_OPERATIONS = {
    "GET": "READ",
    "POST": "CREATE",
    "PUT": "UPDATE",
    "PATCH": "UPDATE",
    "DELETE": "DELETE",
}


@dataclass(frozen=True)
class BooksScope:
    """The scope one Books call needs: ``ZohoBooks.<module>.<operation>``."""

    module: str
    operation: str

    @property
    def name(self) -> str:
        """The narrowest scope that allows the call, e.g. ``ZohoBooks.estimates.CREATE``."""
        return f"ZohoBooks.{self.module}.{self.operation}"

    @property
    def module_wide(self) -> str:
        """The scope that allows every call on the module, e.g. ``ZohoBooks.estimates.ALL``."""
        return f"ZohoBooks.{self.module}.ALL"


def books_scope_for(method: str, url: str) -> BooksScope | None:
    """The scope a ``method`` call to ``url`` needs; None for a path this table lacks."""
    parts = [part for part in urlsplit(url).path.split("/") if part]
    try:
        resource = parts[parts.index("v3") + 1].lower()
    except (ValueError, IndexError):
        return None
    module = _MODULES.get(resource)
    operation = _OPERATIONS.get(method.upper())
    if module is None or operation is None:
        return None
    return BooksScope(module, operation)


def is_granted(scope: BooksScope, granted: Iterable[str]) -> bool:
    """Whether ``granted`` covers ``scope`` (its module's ``ALL``, ``fullaccess.all`` ...)."""
    return covers(granted, scope.name)
