"""The package's floors and wings: imports only go down, and never in a circle
(docs/architecture.md).

Every room of ``zoho_tokens`` (a root module, or a folder: a wing such as ``accounts/``,
``tokens/``, ``sdk/``, ``api/``, ``web/``, or a root package such as ``models/``) sits on one
floor; a module may import from its own room, its own floor and the floors below, never from
above. Only the border module imports the Zoho SDK, only the wire modules import
``requests``, nothing outside ``zoho_tokens.testing`` imports the fake, and no module of a
wing imports its own wing's ``__init__`` (which only re-exports the public names). Across
``zoho_tokens`` (with ``testing/``) and ``bench/``, the run-time imports have no cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "zoho_tokens"

#: Floor -> its rooms, lowest first. A new root module or wing must be placed here.
FLOORS: dict[str, set[str]] = {
    "ground": {"conf", "exceptions", "signals"},
    "accounts": {"accounts"},
    "models": {"models"},
    # limits/: the cap on calls in flight and Zoho's figures, shared through the database
    # or the cache; beside tokens/ (HTTP-free, it reads and writes tables), below the
    # adapters that call it around every request.
    "tokens": {"tokens", "limits"},
    "adapters": {"sdk", "api"},
    # Above the adapters: it checks tokens through the refresh, and observes everything
    # below through signals.token_event, so nothing below imports it.
    "health": {"health"},
    "web": {"web", "backends"},
    "edges": {"views", "admin", "forms", "checks", "apps", "urls", "decorators", "management"},
}
LEVEL = {room: level for level, rooms in enumerate(FLOORS.values()) for room in rooms}
#: The wings: folders of modules that talk to one thing, each on one floor.
WINGS = {"accounts", "tokens", "limits", "sdk", "api", "web", "health"}
#: The only modules that may import these libraries.
ALLOWED = {
    "zohocrmsdk": {"sdk.border"},
    # accounts.destinations reads URLs the way requests prepares them (it sends nothing).
    "requests": {
        "accounts.wire",
        "accounts.destinations",
        "api.wire",
        "api.errors",
        "api.session",
        "sdk.auth",
    },
    "httpx": {"api.asession", "api.acalls"},
}
#: At most this many modules (files and packages) at the package's root.
ROOT_LIMIT = 16


def _dotted(path: Path, root: Path) -> str:
    """``zoho_tokens/sdk/store.py`` -> ``zoho_tokens.sdk.store``; a package's __init__ -> it."""
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _all_modules(root: Path) -> dict[str, Path]:
    """Dotted name -> file, for every module under ``root`` (migrations aside)."""
    return {
        _dotted(path, root): path
        for path in sorted(root.rglob("*.py"))
        if "migrations" not in path.relative_to(root).parts
    }


def _imports(path: Path, own: str, known: dict[str, Path] | None = None) -> set[str]:
    """Dotted names imported by ``path`` at run time (outside ``if TYPE_CHECKING:``);
    relative imports are resolved against ``own``, the module's dotted name. With ``known``,
    ``from pkg import sub`` of a known module ``pkg.sub`` names that module alone."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for node in ast.walk(block)
    }
    package = own if path.name == "__init__.py" else own.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            module = (
                ".".join([*base, *([node.module] if node.module else [])])
                if node.level
                else node.module or ""
            )
            subs = {f"{module}.{alias.name}" for alias in node.names}
            names.update(subs)
            if known is None or not subs <= known.keys():
                names.add(module)
    return names


def _resolve(dotted: str, known: dict[str, Path]) -> str | None:
    """The most specific known module a dotted import name refers to."""
    while dotted and dotted not in known:
        dotted = dotted.rpartition(".")[0]
    return dotted or None


def runtime_graph(*roots: Path) -> dict[str, set[str]]:
    """Module -> the modules of ``roots`` it imports at run time.

    Importing ``pkg.sub`` counts as importing ``pkg.sub`` only: a package's ``__init__``
    that re-exports its wing's public names is a door, and the modules behind it never
    import it (``test_no_module_imports_its_own_wing_s_door``)."""
    known: dict[str, Path] = {}
    for root in roots:
        known.update(_all_modules(root))
    graph: dict[str, set[str]] = {}
    for name, path in known.items():
        targets = {_resolve(dotted, known) for dotted in _imports(path, name, known)}
        graph[name] = {t for t in targets if t and t != name and not name.startswith(t + ".")}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


GRAPH = runtime_graph(PACKAGE)
#: The package's own modules, outside the fake: ``accounts.client``, ``views``, ``models.crypto``.
MODULES = {
    name.removeprefix("zoho_tokens."): targets
    for name, targets in GRAPH.items()
    if name != "zoho_tokens" and not name.startswith("zoho_tokens.testing")
}
DOC = REPO / "docs" / "architecture.md"


def _room(module: str) -> str:
    return module.split(".")[0]


def _own(targets: set[str]) -> set[str]:
    """The package's modules among ``targets``, without the ``zoho_tokens.`` prefix."""
    return {t.removeprefix("zoho_tokens.") for t in targets if t.startswith("zoho_tokens.")}


def import_graph() -> list[str]:
    """Floor by floor, each room and the rooms it imports, then each module of a folder
    and the package's modules it imports (Markdown lines)."""
    rooms: dict[str, set[str]] = {}
    for name, targets in MODULES.items():
        imported = {_room(t) for t in _own(targets) if not t.startswith("testing")}
        rooms.setdefault(_room(name), set()).update(imported - {_room(name)})
    lines = []
    for floor, names in FLOORS.items():
        lines.append(f"- **{floor}**")
        for name in sorted(names):
            folder = (PACKAGE / name).is_dir()
            listed = ", ".join(f"`{m}`" for m in sorted(rooms.get(name, ()))) or "none"
            lines.append(f"  - `{name}{'/' if folder else ''}` imports {listed}")
            for module in sorted(m for m in MODULES if folder and _room(m) == name):
                inner = ", ".join(f"`{m}`" for m in sorted(_own(MODULES[module]))) or "none"
                lines.append(f"    - `{module}` imports {inner}")
    return lines


def test_every_room_has_a_floor() -> None:
    rooms = {_room(name) for name in MODULES} - {"testing"}
    assert rooms - LEVEL.keys() == set()


def test_the_root_holds_what_a_django_developer_expects() -> None:
    root = {
        path.stem
        for path in PACKAGE.iterdir()
        if (path.suffix == ".py" and path.stem != "__init__")
        or (path.is_dir() and (path / "__init__.py").exists())
    }
    modules = root - WINGS - {"testing", "management", "migrations"}
    assert len(modules) <= ROOT_LIMIT
    assert root >= WINGS


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_only_go_down(name: str) -> None:
    own_level = LEVEL[_room(name)]
    upward = sorted(
        target
        for target in _own(MODULES[name])
        if _room(target) in LEVEL and LEVEL[_room(target)] > own_level
    )
    assert upward == []


@pytest.mark.parametrize("name", sorted(m for m in MODULES if _room(m) in WINGS and "." in m))
def test_no_module_imports_its_own_wing_s_door(name: str) -> None:
    assert _room(name) not in _own(MODULES[name])


@pytest.mark.parametrize("name", sorted(MODULES))
def test_only_the_border_modules_import_the_sdk_and_requests(name: str) -> None:
    libraries = {dotted.split(".")[0] for dotted in _imports(_path_of(name), f"zoho_tokens.{name}")}
    assert (
        sorted(
            library
            for library, allowed in ALLOWED.items()
            if library in libraries and name not in allowed
        )
        == []
    )


def _path_of(name: str) -> Path:
    return _all_modules(PACKAGE)[f"zoho_tokens.{name}"]


@pytest.mark.parametrize("name", sorted(MODULES))
def test_nothing_but_the_tests_imports_the_fake(name: str) -> None:
    assert not any(target.startswith("testing") for target in _own(MODULES[name]))


@pytest.mark.parametrize("roots", [(PACKAGE,), (REPO / "bench",)], ids=["zoho_tokens", "bench"])
def test_no_import_cycle_at_run_time(roots: tuple[Path, ...]) -> None:
    assert cycles(runtime_graph(*roots)) == []


def test_the_documented_import_graph_is_the_code_s() -> None:
    text = DOC.read_text(encoding="utf-8")
    documented = text.split("<!-- import-graph -->\n")[1].split("\n<!-- /import-graph -->")[0]
    assert documented.splitlines() == import_graph(), (
        "docs/architecture.md is out of date: python -c 'from tests.test_layers import "
        "import_graph; print(*import_graph(), sep=chr(10))'"
    )
