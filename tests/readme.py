"""The README's Python blocks, for the tests that run them (``tests/test_readme_*.py``).

Every ```` ```python ```` block in README.md is preceded by a marker comment,
``<!-- readme-test: LABEL -->``: the label names the test that runs it, or reads
``not run (reason)`` for an outline that cannot run (it needs the real Zoho).
"""

from __future__ import annotations

import re
import sys
import textwrap
import types
from pathlib import Path
from typing import Any

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
#: The first line of a block that cannot run, with the reason (visible to readers).
NOT_RUN = re.compile(r"^# readme: no-run \((?P<reason>.+)\)$")
#: Sections (by the start of their title) whose blocks another test module runs, all of them.
RUN_ELSEWHERE = {"## Beyond the CRM SDK": "tests/api/test_readme.py"}

_BLOCK = re.compile(
    r"(?:<!-- readme-test: (?P<label>[^\n]*?) -->\n[ \t]*)?"
    r"```python\n(?P<code>.*?)^[ \t]*```",
    flags=re.S | re.M,
)


def python_blocks() -> list[tuple[str | None, str]]:
    """``(label, code)`` of every Python block, in order; ``label`` is None when unmarked.

    Blocks of a :data:`RUN_ELSEWHERE` section are labelled with the module that runs them.
    """
    text = README.read_text(encoding="utf-8")
    blocks = []
    for match in _BLOCK.finditer(text):
        label = match["label"]
        section = text[: match.start()].rsplit("\n## ", 1)[-1].split("\n", 1)[0]
        elsewhere = [
            runner for head, runner in RUN_ELSEWHERE.items() if f"## {section}".startswith(head)
        ]
        label = label or (elsewhere[0] if elsewhere else None)
        blocks.append((label, textwrap.dedent(match["code"])))
    return blocks


def block(label: str) -> str:
    """The code of the one block marked ``label``."""
    found = [code for name, code in python_blocks() if name == label]
    assert len(found) == 1, f"README.md has {len(found)} blocks marked {label!r}"
    return found[0]


def template(name: str) -> str:
    """The ``html+django`` block whose first line is ``{# templates/<name> #}``."""
    text = README.read_text(encoding="utf-8")
    match = re.search(
        r"```html\+django\n(\{# templates/" + re.escape(name) + r" #\}\n.*?)```", text, re.S
    )
    assert match, f"README.md shows no templates/{name}"
    return match.group(1)


def run(label: str, namespace: dict[str, Any] | None = None) -> dict[str, Any]:
    """Execute the block marked ``label`` in ``namespace`` (a new one by default)."""
    namespace = {} if namespace is None else namespace
    exec(compile(block(label), f"{README}:{label}", "exec"), namespace)
    return namespace


def views_module() -> types.ModuleType:
    """The README's ``views.py`` block as an importable module ``readme_views``."""
    module = types.ModuleType("readme_views")
    exec(compile(block("view"), f"{README}:view", "exec"), module.__dict__)
    sys.modules[module.__name__] = module
    return module


def urls_module() -> types.ModuleType:
    """The README's ``urls.py`` with the page of its view added: module ``readme_urls``."""
    module = types.ModuleType("readme_urls")
    exec(compile(block("urls"), f"{README}:urls", "exec"), module.__dict__)
    # The "add the page" block extends urlpatterns, with the views module in scope.
    module.views = views_module()  # type: ignore[attr-defined]
    exec(compile(block("view-urls"), f"{README}:view-urls", "exec"), module.__dict__)
    sys.modules[module.__name__] = module
    return module


@pytest.fixture
def readme_site(settings: Any) -> None:
    """The README's urls.py, views.py and templates/leads.html as the project."""
    settings.ROOT_URLCONF = urls_module().__name__
    settings.TEMPLATES = [
        {
            **settings.TEMPLATES[0],
            "APP_DIRS": False,
            "OPTIONS": {
                **settings.TEMPLATES[0]["OPTIONS"],
                "loaders": [
                    (
                        "django.template.loaders.locmem.Loader",
                        {
                            "leads.html": template("leads.html"),
                            "registration/login.html": "log in",
                        },
                    ),
                    "django.template.loaders.app_directories.Loader",
                ],
            },
        }
    ]
