"""Settings for the browser tests: the example project's, on the test suite's database.

``ZOHO_TOKENS`` is pointed at a fake Zoho by the ``zoho`` fixture for each test.
"""

from __future__ import annotations

from example_project.settings import *  # noqa: F403 (the example project, as shipped)
from example_project.settings import ZOHO_TOKENS as EXAMPLE_ZOHO_TOKENS
from tests.settings import DATABASES  # noqa: F401 (DATABASE_URL, SQLite by default)

SECRET_KEY = "browser-tests-only-not-secret"
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

ZOHO_TOKENS = {
    **EXAMPLE_ZOHO_TOKENS,
    "ENCRYPTION_KEYS": ["Bbmh2RXvNlJHuXaeqKGhiZ8RE5GmDvI5Im6jWD3-AOg="],
    # Set per test by the ``zoho`` fixture (the fake's URL is only known once it listens).
    "CLIENT_ID": None,
    "CLIENT_SECRET": None,
    "ACCOUNTS_URL": None,
    "API_DOMAIN": None,
    "REDIRECT_URI": None,
    "SDK_RESOURCE_PATH": None,
}
