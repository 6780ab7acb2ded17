"""Reset the Zoho CRM SDK's process-wide state between tests.

The SDK keeps its configuration in class attributes: ``Initializer.initializer`` (set by
``Initializer.initialize``), a thread-local ``Initializer.LOCAL.init`` (set by
``switch_user`` and never cleared), and a few flags and caches on ``Utility``. A test that
initializes the SDK leaks all of that into the next one unless it is reset.
"""

from __future__ import annotations


def reset_zoho_sdk() -> None:
    """Forget the SDK's initializer (global and this thread's) and its metadata caches.

    Imports the SDK lazily, so this module can be imported where the SDK is absent.
    """
    from zohocrmsdk.src.com.zoho.crm.api.initializer import Initializer
    from zohocrmsdk.src.com.zoho.crm.api.util.utility import Utility

    Initializer.initializer = None
    # LOCAL is a threading.local: this only clears the calling thread's switch_user().
    Initializer.LOCAL.init = None
    Utility.api_supported_modules = {}
    Utility.new_file = False
    Utility.get_modified_modules = False
    Utility.force_refresh = False
    Utility.module_api_name = None
