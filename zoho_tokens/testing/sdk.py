"""Reset the Zoho CRM SDK's process-wide state between tests.

The SDK keeps its configuration in class attributes: ``Initializer.initializer`` (set by
``Initializer.initialize``), a thread-local ``Initializer.LOCAL.init`` (set by
``switch_user`` and never cleared), and a few flags and caches on ``Utility``. A test that
initializes the SDK leaks all of that into the next one unless it is reset.
"""

from __future__ import annotations

__all__ = ["reset_zoho_sdk"]


def reset_zoho_sdk() -> None:
    """Forget the SDK's initializer (global and this thread's) and its metadata caches.

    Imports the SDK lazily, so this module can be imported where the SDK is absent.
    """
    from zoho_tokens.sdk.border import reset_sdk_state

    reset_sdk_state()
