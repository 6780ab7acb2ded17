# Appended by scripts/check_wheel.py to the settings.py that `django-admin startproject`
# wrote: the app added the way the tutorial (docs/tutorial.md) tells a user to add it.
# ruff: noqa: F821, I002  (appended after the generated settings, which define INSTALLED_APPS)

import os

import django

INSTALLED_APPS += ["zoho_tokens"]

# SQLite as docs/explain-scale.md ("Running at scale") configures it (zoho_tokens.W003 otherwise).
if django.VERSION >= (5, 1):
    DATABASES["default"].setdefault("OPTIONS", {})["transaction_mode"] = "IMMEDIATE"

ZOHO_TOKENS = {
    "CLIENT_ID": os.environ.get("WHEEL_CHECK_CLIENT_ID", "1000.WHEELCHECKCLIENT"),
    "CLIENT_SECRET": "wheel-check-client-secret",
    "DATA_CENTER": "eu",
    "ENCRYPTION_KEYS": [os.environ["WHEEL_CHECK_ENCRYPTION_KEY"]],
}
