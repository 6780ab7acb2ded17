"""URLs of django-zoho-tokens: ``path("zoho/", include("zoho_tokens.urls"))``.

Names (namespace ``zoho_tokens``): ``connect``, ``callback`` (register its absolute URL as
the redirect URI in Zoho's API console, or set ``ZOHO_TOKENS["REDIRECT_URI"]``) and
``disconnect``.
"""

from __future__ import annotations

from django.urls import path

from zoho_tokens import views

app_name = "zoho_tokens"

urlpatterns = [
    path("connect/", views.connect, name="connect"),
    path("callback/", views.callback, name="callback"),
    path("disconnect/", views.disconnect, name="disconnect"),
]
