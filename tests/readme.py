"""The code blocks of README.md and the documentation pages (``docs/*.md``), for the tests
that run them (``tests/test_readme_*.py``, ``tests/api/test_readme.py``, the newcomer test).

Every code block (a fence with a language other than ``text``; a bare fence is output or a
picture) is either run by a test or says why not:

- run: the line before it is ``<!-- docs-test: LABEL -->`` (``readme-test`` is read too), and
  :data:`RUNNERS` names the test module that runs LABEL;
- not run: that line is ``<!-- docs-test: no-run (reason) -->``, or a Python block's first line
  is ``# readme: no-run (reason)`` (visible to readers: an outline that needs the real Zoho).

MyST directives (```` ```{toctree} ````) are not code blocks.
"""

from __future__ import annotations

import re
import sys
import textwrap
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"

#: The first line of a Python block that cannot run, with the reason (visible to readers).
NOT_RUN = re.compile(r"^# (?:readme|docs): no-run \((?P<reason>.+)\)$")
#: The marker of a block that cannot run, on the line before it.
NOT_RUN_LABEL = re.compile(r"^no-run \((?P<reason>.+)\)$")

#: Which test module runs each labelled block.
RUNNERS = {
    "quickstart-settings": "tests/test_readme_example.py",
    "quickstart-urls": "tests/test_readme_example.py",
    "tutorial-settings": "tests/test_readme_example.py",
    "tutorial-urls": "tests/test_readme_example.py",
    "tutorial-views": "tests/test_readme_view.py",
    "tutorial-leads-template": "tests/test_readme_view.py",
    "tutorial-estimates-template": "tests/test_readme_view.py",
    "tutorial-create": "tests/browser/test_newcomer.py",
    "tutorial-fake": "tests/browser/test_newcomer.py",
    "tutorial-run": "tests/browser/test_newcomer.py",
    "production-settings": "tests/browser/test_newcomer.py",
    "production-check": "tests/browser/test_newcomer.py",
    "login-settings": "tests/test_readme_example.py",
    "login-page": "tests/test_readme_example.py",
    "signals": "tests/test_readme_example.py",
    "testing": "tests/test_readme_example.py",
    "testing-view": "tests/test_readme_example.py",
    "other-apis": "tests/api/test_readme.py",
}

_BLOCK = re.compile(
    r"(?:^[ \t]*<!-- (?:docs|readme)-test: (?P<label>[^\n]*?) -->\n)?"
    r"^(?P<indent>[ \t]*)(?P<fence>```+)(?P<lang>[^\n`]*)\n(?P<code>.*?)^[ \t]*(?P=fence)[ \t]*$",
    flags=re.S | re.M,
)


@dataclass(frozen=True)
class Block:
    """One fenced code block of a page."""

    page: Path
    line: int
    language: str
    label: str | None
    code: str

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"

    @property
    def not_run_reason(self) -> str | None:
        """Why the block is not run, when it says so."""
        marker = NOT_RUN_LABEL.match(self.label or "")
        first = NOT_RUN.match(self.code.split("\n", 1)[0])
        found = marker or first
        return found["reason"] if found else None


def pages() -> list[Path]:
    """README.md and every documentation page."""
    return [README, *sorted(DOCS.glob("*.md"))]


def blocks(page: Path | None = None) -> list[Block]:
    """Every code block of ``page`` (of every page by default), in order."""
    found = []
    for path in [page] if page else pages():
        text = path.read_text(encoding="utf-8")
        for match in _BLOCK.finditer(text):
            language = match["lang"].strip()
            if language.startswith("{") or language in ("", "text"):
                continue  # a MyST directive, or output / a picture
            found.append(
                Block(
                    page=path,
                    line=text.count("\n", 0, match.start("fence")) + 1,
                    language=language,
                    label=match["label"],
                    code=textwrap.dedent(match["code"]),
                )
            )
    return found


def python_blocks() -> list[tuple[str | None, str]]:
    """``(label, code)`` of every Python block; ``label`` is None when unmarked."""
    return [(b.label, b.code) for b in blocks() if b.language == "python"]


def labelled(label: str) -> Block:
    """The one block marked ``label``."""
    found = [b for b in blocks() if b.label == label]
    assert len(found) == 1, f"the docs have {len(found)} blocks marked {label!r}"
    return found[0]


def block(label: str) -> str:
    """The code of the one block marked ``label``."""
    return labelled(label).code


def template(label: str) -> tuple[str, str]:
    """``(path, source)`` of the template block ``label``, whose first line is
    ``{# <path> #}`` (``crm/templates/crm/leads.html``)."""
    code = block(label)
    match = re.match(r"\{# (\S+) #\}\n", code)
    assert match, f"the block {label!r} does not start with {{# path #}}"
    return match[1], code


def template_name(path: str) -> str:
    """The name Django finds a template by: its path below ``templates/``."""
    return path.split("templates/", 1)[1]


def run(label: str, namespace: dict[str, Any] | None = None) -> dict[str, Any]:
    """Execute the block marked ``label`` in ``namespace`` (a new one by default)."""
    namespace = {} if namespace is None else namespace
    found = labelled(label)
    exec(compile(found.code, found.where, "exec"), namespace)
    return namespace


def startproject_settings() -> dict[str, Any]:
    """What ``django-admin startproject mysite`` defines that the settings blocks add to: the
    installed Django's own project template, rendered for a project in ``/srv/mysite``."""
    import django
    from django.template import Context, Engine

    source = (
        Path(django.__file__).parent
        / "conf"
        / "project_template"
        / "project_name"
        / "settings.py-tpl"
    ).read_text()
    context = {
        "project_name": "mysite",
        "secret_key": "not-secret",
        "django_version": django.get_version(),
        "docs_version": "stable",
    }
    rendered = Engine().from_string(source).render(Context(context, autoescape=False))
    namespace: dict[str, Any] = {"__file__": "/srv/mysite/mysite/settings.py"}
    exec(compile(rendered, "mysite/settings.py", "exec"), namespace)
    return {name: value for name, value in namespace.items() if name.isupper()}


def views_module() -> types.ModuleType:
    """The tutorial's ``crm/views.py`` as an importable module ``crm.views``."""
    package = types.ModuleType("crm")
    package.__path__ = []
    module = types.ModuleType("crm.views")
    found = labelled("tutorial-views")
    exec(compile(found.code, found.where, "exec"), module.__dict__)
    package.views = module  # type: ignore[attr-defined]
    sys.modules.update({"crm": package, "crm.views": module})
    return module


def urls_module() -> types.ModuleType:
    """The tutorial's ``mysite/urls.py`` (with its views): module ``tutorial_urls``."""
    views_module()
    module = types.ModuleType("tutorial_urls")
    found = labelled("tutorial-urls")
    exec(compile(found.code, found.where, "exec"), module.__dict__)
    sys.modules[module.__name__] = module
    return module


@pytest.fixture
def readme_site(settings: Any) -> None:
    """The tutorial's urls.py, views.py and templates as the project."""
    settings.ROOT_URLCONF = urls_module().__name__
    templates = {
        template_name(path): source
        for path, source in (
            template("tutorial-leads-template"),
            template("tutorial-estimates-template"),
        )
    }
    settings.TEMPLATES = [
        {
            **settings.TEMPLATES[0],
            "APP_DIRS": False,
            "OPTIONS": {
                **settings.TEMPLATES[0]["OPTIONS"],
                "loaders": [
                    ("django.template.loaders.locmem.Loader", templates),
                    "django.template.loaders.app_directories.Loader",
                ],
            },
        }
    ]
