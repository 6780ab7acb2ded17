"""The public API is declared: the API reference page (docs/reference-api.md) lists exactly
each public module's ``__all__``, and every name there is documented."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from pathlib import Path
from types import ModuleType

import pytest

PAGE = Path(__file__).resolve().parent.parent / "docs" / "reference-api.md"
SECTION = re.compile(r"<!-- api-reference -->(.*?)<!-- /api-reference -->", re.DOTALL)
ENTRY = re.compile(r"^- `(zoho_tokens(?:\.\w+)*)`: (.+)$", re.MULTILINE)


def readme_api() -> dict[str, set[str]]:
    """Module -> the names the API reference page lists for it."""
    match = SECTION.search(PAGE.read_text(encoding="utf-8"))
    assert match is not None, f"{PAGE} has no <!-- api-reference --> section"
    return {module: set(re.findall(r"`(\w+)`", names)) for module, names in ENTRY.findall(match[1])}


API = readme_api()


def test_the_readme_lists_public_modules() -> None:
    assert "zoho_tokens.sdk" in API
    assert "zoho_tokens.exceptions" in API


@pytest.mark.parametrize("module_name", sorted(API))
def test_the_readme_lists_exactly_the_modules_all(module_name: str) -> None:
    module = importlib.import_module(module_name)

    assert set(module.__all__) == API[module_name]


def _defines(module: ModuleType, name: str) -> bool | None:
    """Whether ``module``'s source documents ``name`` (a docstring, or a ``#:`` comment
    above an assignment); None when the module does not define it."""
    source = inspect.getsource(module)
    lines = source.splitlines()
    found: bool | None = None
    for node in ast.parse(source).body:
        if (
            isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            and node.name == name
        ):
            # Overloads come first and carry no docstring: any definition with one counts.
            found = bool(found) or ast.get_docstring(node) is not None
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(target, ast.Name) and target.id == name for target in targets):
                found = lines[node.lineno - 2].lstrip().startswith("#:")
    return found


def _documented(module: ModuleType, name: str) -> bool:
    """Whether ``name`` is documented where it is defined (following re-exports)."""
    obj = getattr(module, name)
    if inspect.isclass(obj) or inspect.isfunction(obj):
        module = importlib.import_module(obj.__module__)
    found = _defines(module, name)
    if found is not None:
        return found
    for node in ast.parse(inspect.getsource(module)).body:
        if (
            isinstance(node, ast.ImportFrom)
            and node.module
            and any((alias.asname or alias.name) == name for alias in node.names)
        ):
            return _documented(importlib.import_module(node.module), name)
    return False


@pytest.mark.parametrize(
    ("module_name", "name"),
    [(module, name) for module in sorted(API) for name in sorted(API[module])],
)
def test_every_public_name_is_documented(module_name: str, name: str) -> None:
    assert _documented(importlib.import_module(module_name), name)
