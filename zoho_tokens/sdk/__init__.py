"""The Zoho CRM SDK adapter: CRM calls as one user, through the SDK's own classes.

``as_user`` (``acting_as`` and the SDK's initialisation), ``store`` (``DjangoTokenStore``,
the SDK's ``TokenStore`` on the ORM), ``mapping`` (rows to the SDK's token objects),
``auth`` (the token the SDK sends, refreshed when Zoho kills it), ``metadata`` (the SDK's
resource folder), ``border`` (the one module that imports the SDK's internals).
"""

from __future__ import annotations

# The public names of as_user (acting_as, ensure_initialized, ...) are its __all__.
from zoho_tokens.sdk import as_user
from zoho_tokens.sdk.as_user import *  # noqa: F403
from zoho_tokens.sdk.store import DjangoTokenStore

__all__ = ["DjangoTokenStore"]
__all__ += as_user.__all__
