"""URLs of the example project: its pages, the app's connect views, and the admin."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from example_project.crm_demo import books, invoices, views

urlpatterns = [
    path("", views.home, name="home"),
    path("leads/", views.leads, name="leads"),
    path("books/estimates/", books.estimates, name="estimates"),
    path("books/invoices/", invoices.invoices, name="invoices"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(template_name="crm_demo/login.html"),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("zoho/", include("zoho_tokens.urls")),
    path("admin/", admin.site.urls),
]
