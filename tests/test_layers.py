"""The package's floors: imports only go down (docs/architecture.md).

Every module of ``zoho_tokens`` (the fake Zoho in ``zoho_tokens.testing`` aside) sits on one
floor; a module may import from its own floor and the floors below, never from above. Only
the border module imports the Zoho SDK, only the wire modules import ``requests``, and
nothing outside ``zoho_tokens.testing`` imports it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "zoho_tokens"

#: Floor -> its modules, lowest first. A new module must be placed here.
FLOORS: dict[str, set[str]] = {
    "ground": {
        "conf", "datacenters", "error_base", "oauth_errors", "exceptions", "signals", "scopes",
        "services", "sqlite", "dbhealth", "zoho_sdk", "crypto", "fields", "token_state",
        "models", "oauth_wire", "identity", "oauth", "oauth_state", "api_wire",
    },
    "operations": {
        "lookups", "token_lock", "connect", "transfers", "refresh", "revocation", "cleanup",
        "rotation", "consent",
    },
    "adapters": {"store_mapping", "store", "sdk_metadata", "sdk_auth", "sdk", "api_errors", "api"},
    "edges": {
        "views", "view_pages", "flows", "admin", "admin_revoking", "forms", "backends",
        "checks", "apps", "urls", "decorators", "management",
    },
}  # fmt: skip
LEVEL = {module: level for level, names in enumerate(FLOORS.values()) for module in names}
#: The only modules that may import these libraries.
ALLOWED = {
    "zohocrmsdk": {"zoho_sdk"},
    "requests": {"oauth_wire", "api_wire", "api_errors", "api", "sdk_auth"},
}


def _modules() -> dict[str, Path]:
    """Top-level name (``oauth``, ``management``) -> each file of the package outside testing/."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[0] in {"testing", "migrations"} or parts == ("__init__",):
            continue
        found[".".join(parts)] = path
    return found


def _imports(path: Path) -> set[str]:
    """Dotted names imported by ``path``, outside ``if TYPE_CHECKING:`` blocks."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for node in ast.walk(block)
    }
    names: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _own_module(dotted: str) -> str | None:
    """``zoho_tokens.oauth.x`` -> ``oauth``; None for other packages."""
    parts = dotted.split(".")
    return parts[1] if parts[0] == "zoho_tokens" and len(parts) > 1 else None


MODULES = _modules()
DOC = PACKAGE.parent / "docs" / "architecture.md"


def import_graph() -> list[str]:
    """Floor by floor, each module and the package's modules it imports (Markdown lines)."""
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        top = name.split(".")[0]
        imported = {_own_module(dotted) for dotted in _imports(path)}
        graph.setdefault(top, set()).update(m for m in imported if m in LEVEL and m != top)
    lines = []
    for floor, names in FLOORS.items():
        lines.append(f"- **{floor}**")
        for name in sorted(names):
            listed = ", ".join(f"`{m}`" for m in sorted(graph.get(name, ()))) or "none"
            lines.append(f"  - `{name}` imports {listed}")
    return lines


def test_every_module_has_a_floor() -> None:
    tops = {name.split(".")[0] for name in MODULES}
    assert tops - LEVEL.keys() == set()


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_only_go_down(name: str) -> None:
    own_level = LEVEL[name.split(".")[0]]
    upward = sorted(
        imported
        for imported in {_own_module(dotted) for dotted in _imports(MODULES[name])}
        if imported in LEVEL and LEVEL[imported] > own_level
    )
    assert upward == []


@pytest.mark.parametrize("name", sorted(MODULES))
def test_only_the_border_modules_import_the_sdk_and_requests(name: str) -> None:
    top = name.split(".")[0]
    libraries = {dotted.split(".")[0] for dotted in _imports(MODULES[name])}
    assert (
        sorted(
            library
            for library, allowed in ALLOWED.items()
            if library in libraries and top not in allowed
        )
        == []
    )


@pytest.mark.parametrize("name", sorted(MODULES))
def test_nothing_but_the_tests_imports_the_fake(name: str) -> None:
    assert "testing" not in {_own_module(dotted) for dotted in _imports(MODULES[name])}


def test_the_documented_import_graph_is_the_code_s() -> None:
    text = DOC.read_text(encoding="utf-8")
    documented = text.split("<!-- import-graph -->\n")[1].split("\n<!-- /import-graph -->")[0]
    assert documented.splitlines() == import_graph(), (
        "docs/architecture.md is out of date: python -c 'from tests.test_layers import "
        "import_graph; print(*import_graph(), sep=chr(10))'"
    )
