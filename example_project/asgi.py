"""The example project as an ASGI application: ``uvicorn example_project.asgi:application``.

Its async page (``/books/invoices/``) calls Zoho Books with ``asession_for`` and never
blocks the event loop; the other pages are sync views, which Django runs in its thread.
"""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")

application = get_asgi_application()
