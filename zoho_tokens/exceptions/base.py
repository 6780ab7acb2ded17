"""The base of every error this package raises, and how an error is shown.

Internal: import it from :mod:`zoho_tokens.exceptions`. It lives alone so that the families
of errors kept in their own modules (:mod:`zoho_tokens.exceptions.accounts`) can derive from it
while :mod:`zoho_tokens.exceptions` re-exports them all.
"""

from __future__ import annotations

from typing import ClassVar

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class ZohoTokensError(Exception):
    """Base class of every error raised by django-zoho-tokens.

    ``http_status`` and ``user_message`` say how a view shows it; both are class defaults
    that an instance may override (``user_message=`` to the constructor).
    """

    http_status: ClassVar[int] = 500
    #: A short title for an error page.
    user_title: ClassVar[str | Promise] = _("Zoho could not be used")
    user_message: str | Promise = _(
        "Something went wrong while working with Zoho. Nothing was changed; please try again later."
    )

    def __init__(self, message: str = "", *, user_message: str | Promise | None = None) -> None:
        if user_message is not None:
            self.user_message = user_message
        super().__init__(message or str(self.user_message))


#: How many characters of a value from outside (a link, Zoho's answer) a message quotes.
QUOTE_LIMIT = 64


def quoted(value: object, limit: int = QUOTE_LIMIT) -> str:
    """``value`` as a message or a log line may quote it: its ``repr`` (so control
    characters and line breaks show as escapes, and a log line stays one line), cut to
    ``limit`` characters with the length left out said."""
    text = str(value)
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}... ({len(text) - limit} more characters)"
