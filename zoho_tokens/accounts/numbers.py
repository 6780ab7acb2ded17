"""Numbers from outside (Zoho's answers and headers, a form's fields), read strictly.

Python's own readings are generous in ways an attacker can use: ``str.isdigit()`` is true
for ``"²"`` and ``"٣"`` (which ``int()`` then refuses or reads), ``int()`` takes ``"1_000"``,
``" 7 "`` and Arabic-Indic digits, and ``float()`` turns 400 nines into ``inf`` and takes
``"nan"``. Each such value then fails far from where it came in: in the ORM (a 500 from a
logged-in user's POST), in ``math.ceil`` (a 500 instead of the friendly 503 page), or in a
``bigint`` column. :func:`strict_int` is the one reading this package uses for them all.

It lives in ``accounts/``, the lowest wing that reads such a value (the token answer's
``expires_in``), so that every floor above (the API session's ``Retry-After``, the SDK
store's token ids, the views' POSTed ids) reads numbers the same way; ``conf/`` is for
settings, and this module needs nothing but the standard library.
"""

from __future__ import annotations

import math

__all__ = ["MAX_RETRY_AFTER", "MAX_ROW_ID", "strict_int"]

#: The largest value a database ``bigint`` holds: the bound for anything naming a row.
MAX_ROW_ID = 2**63 - 1

#: The longest wait, in seconds, that a ``Retry-After`` may ask for: a day (Zoho's longest
#: limit resets at the organization's midnight). A longer one is not believed.
MAX_RETRY_AFTER = 24 * 3600

_ASCII_DIGITS = frozenset("0123456789")
#: Blanks HTTP allows around a header's value; nothing else is trimmed.
_HTTP_BLANKS = " \t"


def strict_int(value: object, *, maximum: int, minimum: int = 0) -> int | None:
    """``value`` as an int between ``minimum`` and ``maximum``, or None when it is not one.

    Accepted: an ``int`` (not a ``bool``), a finite ``float`` without a fraction (JSON's
    ``3600.0``), or a string (or bytes) of ASCII digits only, with the blanks HTTP allows
    around a header's value. Refused (None): signs, underscores, other scripts' digits
    (``"²"``, ``"٣"``), exponents, ``inf`` and ``nan``, empty text, and any value outside
    the bounds. A digit string longer than ``maximum`` has digits is refused before it is
    converted, so 400 nines cost nothing.
    """
    number: int
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            return None
        number = int(value)
    elif isinstance(value, str | bytes):
        text = value.decode("latin-1") if isinstance(value, bytes) else value
        text = text.strip(_HTTP_BLANKS)
        if not text or len(text) > len(str(maximum)) or not set(text) <= _ASCII_DIGITS:
            return None
        number = int(text)
    else:
        return None
    return number if minimum <= number <= maximum else None
