"""One time limit for a whole call, shared by every request and wait it is made of.

A call of a :func:`~zoho_tokens.api.session.session_for` session can be several steps: a
refresh of an access token that is due, the request, and when Zoho answers that the access
token is dead, a forced refresh (perhaps waiting for another worker's) and the request once
more. Each step used to get ``HTTP_TIMEOUT`` of its own, so one call could hold a worker
for three of them and more. A :class:`Deadline` starts once per call; each step asks it for
the seconds that are left (:meth:`Deadline.left_for`) and uses no more, and when none are
left the error names the step that ran out (:meth:`Deadline.ran_out`).

It lives in ``accounts/`` because the lowest floor that must obey it is the wire to Zoho
Accounts (the refresh); the token operations and the API sessions above share it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from zoho_tokens.exceptions import ZohoUnavailableError

__all__ = ["Deadline"]


@dataclass(frozen=True)
class Deadline:
    """``seconds`` for the whole of one call (``what``), ending at ``ends_at``
    (``time.monotonic()``)."""

    seconds: float
    ends_at: float
    #: What the call is, for messages ("Zoho Books call").
    what: str

    @classmethod
    def starting_now(cls, seconds: float, what: str) -> Deadline:
        """A deadline ``seconds`` from now."""
        return cls(seconds, time.monotonic() + seconds, what)

    def remaining(self) -> float:
        """Seconds left (0 once the deadline has passed)."""
        return max(0.0, self.ends_at - time.monotonic())

    def left_for(self, part: str) -> float:
        """The seconds left for ``part`` of the call (say, ``"refreshing the access token"``).

        Raises :meth:`ran_out` for ``part`` when none are left: the step is not started.
        """
        left = self.ends_at - time.monotonic()
        if left <= 0:
            raise self.ran_out(part)
        return left

    def ran_out(self, part: str) -> ZohoUnavailableError:
        """The error for a call whose time ran out while ``part`` (nothing changed)."""
        return ZohoUnavailableError(
            f"The {self.what} ran out of its {self.seconds:g}-second time limit while "
            f"{part}; try again later.",
            error="timeout",
        )
