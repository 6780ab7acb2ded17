"""Sphinx configuration: the documentation site (``make docs``), built from these Markdown
pages (MyST) with the furo theme. CI builds it with warnings as errors (``-W``).

The reference pages are generated from the code where they can be, by ``_ext/zoho_reference``
(system checks, management commands, exceptions) and autodoc (the public API, signals).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import django

DOCS = Path(__file__).resolve().parent
sys.path[:0] = [str(DOCS.parent), str(DOCS / "_ext")]
# autodoc imports the package, whose models need Django set up: the test suite's settings
# (SQLite in memory, nothing connects to it).
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
django.setup()

from zoho_tokens import __version__  # noqa: E402 (after django.setup())

project = "django-zoho-tokens"
author = "django-zoho-tokens developers"
copyright = "django-zoho-tokens developers"
release = version = __version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.intersphinx",
    "zoho_reference",
]
source_suffix = {".md": "markdown"}
root_doc = "index"
# Pages that are not part of the site: this folder's build output, and the screenshots.
exclude_patterns = ["_build", "screenshots", "README.md"]

myst_enable_extensions = ["colon_fence", "deflist"]
# Headings up to ### get anchors that [text](page.md#anchor) links can name.
myst_heading_anchors = 3
# `html+django`, `console`, `cron`: Pygments knows them; a block it cannot highlight is
# shown as plain text rather than failing the build.
highlight_language = "text"

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "undoc-members": False, "show-inheritance": True}
# Offline: no inventories are fetched (intersphinx_mapping stays empty); kept so that a
# later change can add Django's and Python's with a cache.
intersphinx_mapping: dict[str, tuple[str, str | None]] = {}

html_theme = "furo"
html_title = f"django-zoho-tokens {release}"
html_static_path: list[str] = []

# The section pages list their pages by name patterns (howto-*, reference-*, explain-*,
# security* ...), so that a new page joins its section by its name alone; a pattern no page
# matches yet is not an error (_ext/zoho_reference.py). A page that no pattern or list names
# is one (-W): it would be unreachable.
