"""Reference tables generated from the code, for the documentation site.

Three directives, each reading what the package itself defines, so a page cannot drift
from the code:

``zoho-checks``
    Every system check id (``zoho_tokens.E001`` ...) found in ``zoho_tokens/checks.py``,
    with the docstring of the check function that reports it and its tags.
``zoho-commands``
    Every management command of the app, with the ``--help`` its own parser prints.
``zoho-exceptions``
    Every class of ``zoho_tokens.exceptions.__all__``: its bases, ``http_status``,
    ``user_title`` and the first paragraph of its docstring.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import logging
import pkgutil
import re
from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective


def _first_paragraph(doc: str | None) -> str:
    """The first paragraph of a docstring, on one line."""
    text = inspect.cleandoc(doc or "")
    return " ".join(text.split("\n\n", 1)[0].split())


def _cell(text: str) -> str:
    """``text`` fit for one cell of a Markdown table."""
    return " ".join(text.split()).replace("|", "\\|")


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    """Markdown lines of a table (the pages are MyST Markdown, and so is what they nest)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(cell) for cell in row) + " |" for row in rows]
    return lines


class _GeneratedDirective(SphinxDirective):
    """A directive that renders the Markdown lines made by :meth:`lines` in its page."""

    has_content = False

    def lines(self) -> list[str]:
        raise NotImplementedError

    def run(self) -> list[nodes.Node]:
        container = nodes.container()
        self.state.nested_parse(
            StringList(self.lines(), source=self.get_source_info()[0]), 0, container
        )
        return container.children


CHECK_ID = re.compile(r"zoho_tokens\.[EW]\d{3}")


def check_ids() -> list[tuple[str, str, str]]:
    """``(id, tags, docstring)`` for every check id in ``zoho_tokens/checks.py``, sorted."""
    module = importlib.import_module("zoho_tokens.checks")
    found: dict[str, tuple[str, str, str]] = {}
    for node in ast.parse(inspect.getsource(module)).body:
        if not isinstance(node, ast.FunctionDef) or not node.decorator_list:
            continue
        decorator = node.decorator_list[0]
        if not (
            isinstance(decorator, ast.Call) and getattr(decorator.func, "id", "") == "register"
        ):
            continue
        tags = [ast.unparse(arg).replace("Tags.", "") for arg in decorator.args]
        if any(keyword.arg == "deploy" for keyword in decorator.keywords):
            tags.append("deploy only")
        doc = _first_paragraph(ast.get_docstring(node))
        # Every id the function names: in `id=...`, or passed to a helper that builds the
        # message (E003, E016).
        ids = {
            sub.value
            for sub in ast.walk(node)
            if isinstance(sub, ast.Constant)
            and isinstance(sub.value, str)
            and CHECK_ID.fullmatch(sub.value)
        }
        for check_id in ids:
            found[check_id] = (check_id, ", ".join(tag.strip("'\"") for tag in tags), doc)
    return [found[key] for key in sorted(found)]


class ChecksDirective(_GeneratedDirective):
    """The table of system checks."""

    def lines(self) -> list[str]:
        rows = [
            [f"`{check_id}`", "error" if ".E" in check_id else "warning", tags, doc]
            for check_id, tags, doc in check_ids()
        ]
        return _table(["id", "level", "tags", "what it checks"], rows)


def commands() -> list[tuple[str, Any]]:
    """``(name, Command class)`` of every management command of the app."""
    package = importlib.import_module("zoho_tokens.management.commands")
    found = []
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        found.append((info.name, module.Command))
    return found


class CommandsDirective(_GeneratedDirective):
    """Each command's help text and its parser's ``--help``."""

    def lines(self) -> list[str]:
        lines: list[str] = []
        for name, command_class in commands():
            command = command_class()
            parser = command.create_parser("manage.py", name)
            usage = parser.format_help()
            lines += [f"**`{name}`**: {' '.join(command.help.split())}", "", "```text"]
            lines += [*usage.rstrip().splitlines(), "```", ""]
        return lines


class ExceptionsDirective(_GeneratedDirective):
    """The table of exceptions with their HTTP status."""

    def lines(self) -> list[str]:
        module = importlib.import_module("zoho_tokens.exceptions")
        rows = []
        for name in sorted(
            module.__all__, key=lambda n: getattr(module, n).__mro__[::-1].__len__()
        ):
            cls = getattr(module, name)
            bases = ", ".join(f"`{base.__name__}`" for base in cls.__bases__)
            rows.append(
                [
                    f"`{name}`",
                    bases,
                    str(cls.http_status),
                    str(cls.user_title),
                    _first_paragraph(cls.__doc__),
                ]
            )
        return _table(["class", "bases", "HTTP status", "page title", "when"], rows)


class _PatternsMayMatchNothingYet(logging.Filter):
    """Let a toctree glob pattern match no page (yet) without a warning.

    The section pages list pages by name pattern (``howto-*``, ``security*`` ...) so that a
    new page joins its section by its name alone. Sphinx warns about an empty pattern with no
    warning type, so ``suppress_warnings`` cannot name it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return getattr(record, "subtype", None) != "empty_glob"


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the directives."""
    logging.getLogger("sphinx.sphinx.directives.other").addFilter(_PatternsMayMatchNothingYet())
    app.add_directive("zoho-checks", ChecksDirective)
    app.add_directive("zoho-commands", CommandsDirective)
    app.add_directive("zoho-exceptions", ExceptionsDirective)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
