"""Settings of the example project: django-zoho-tokens set up as its README says.

Zoho's credentials come from the environment, so the same settings run against the fake
Zoho of ``make demo`` and against real Zoho:

``ZOHO_CLIENT_ID``, ``ZOHO_CLIENT_SECRET``
    The client registered in Zoho's API console (``make demo`` sets them for the fake).
``ZOHO_DATA_CENTER``
    Where that client was registered: ``us`` (default), ``eu``, ``in``, ``au``, ``jp`` ...
``ZOHO_ACCOUNTS_URL``, ``ZOHO_API_DOMAIN``
    Only for the fake Zoho: where it listens. Leave them unset for real Zoho.
``ZOHO_REDIRECT_URI``
    The redirect URI registered in the console, when it differs from the URL the browser
    reaches the callback at (behind a proxy, say).
``ZOHO_TOKENS_KEY``
    A Fernet key for the tokens; without it keys are derived from ``SECRET_KEY``.
``EXAMPLE_DATABASE``
    The SQLite file (default ``example_project/db.sqlite3``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import django

BASE_DIR = Path(__file__).resolve().parent

# A development-only project: the fallback key is public, so never deploy these settings.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "example-project-insecure-key-for-the-demo-only")
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "zoho_tokens",
    "example_project.crm_demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "example_project.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Project-level overrides, such as templates/zoho_tokens/base.html.
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "example_project.crm_demo.context.zoho_reconsent",
            ]
        },
    }
]

DATABASES: dict[str, Any] = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("EXAMPLE_DATABASE", str(BASE_DIR / "db.sqlite3")),
        # Writers take the lock when they begin and queue for it instead of failing
        # (Django 4.2: the app does the first part itself).
        "OPTIONS": {
            "timeout": 20,
            **({"transaction_mode": "IMMEDIATE"} if django.VERSION >= (5, 1) else {}),
        },
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    # "Sign in with Zoho": finds (or creates) the Django user of the Zoho account.
    "zoho_tokens.backends.ZohoAccountBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

STATIC_URL = "static/"
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en"

tokens_key = os.environ.get("ZOHO_TOKENS_KEY")
ZOHO_TOKENS = {
    "CLIENT_ID": os.environ.get("ZOHO_CLIENT_ID"),
    "CLIENT_SECRET": os.environ.get("ZOHO_CLIENT_SECRET"),
    "DATA_CENTER": os.environ.get("ZOHO_DATA_CENTER", "us"),
    "ACCOUNTS_URL": os.environ.get("ZOHO_ACCOUNTS_URL") or None,
    "API_DOMAIN": os.environ.get("ZOHO_API_DOMAIN") or None,
    "REDIRECT_URI": os.environ.get("ZOHO_REDIRECT_URI") or None,
    "ENCRYPTION_KEYS": [tokens_key] if tokens_key else None,
    # The default scopes plus the field metadata the SDK reads before it lists records.
    "SCOPES": [
        "ZohoCRM.modules.ALL",
        "ZohoCRM.settings.fields.READ",
        "ZohoCRM.users.READ",
        "ZohoCRM.org.READ",
        # The "My Zoho Books estimates" page: organizations, customers, estimates, invoices.
        "ZohoBooks.settings.READ",
        "ZohoBooks.contacts.READ",
        "ZohoBooks.estimates.ALL",
        "ZohoBooks.invoices.READ",
    ],
    "SERVICES": {
        "crm": None,
        "books": ["ZohoBooks.settings.READ", "ZohoBooks.contacts.READ", "ZohoBooks.estimates.ALL"],
    },
    "LOGIN": True,
    # A demo lets anyone with a Zoho account in: real projects usually leave this False.
    "LOGIN_CREATE_USERS": True,
    "SDK_RESOURCE_PATH": str(BASE_DIR / "zoho_sdk_resources"),
}

# The demo prints its mails (such as "please reconnect Zoho CRM") to the console.
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
