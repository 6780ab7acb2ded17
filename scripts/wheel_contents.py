"""What ``make wheel-check`` (``scripts/check_wheel.py``) checks in the built files: the
wheel carries exactly the package's files, the sdist what rebuilding and testing need, and
the classifiers the versions ``noxfile.py`` tests.
"""

from __future__ import annotations

import ast
import subprocess
import tarfile
import zipfile
from collections.abc import Iterable
from email.parser import Parser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "zoho_tokens"

#: Files every wheel must carry, whatever else the source tree holds.
REQUIRED_IN_WHEEL = (
    f"{PACKAGE}/__init__.py",
    f"{PACKAGE}/py.typed",
    f"{PACKAGE}/migrations/__init__.py",
    f"{PACKAGE}/migrations/0001_initial.py",
)

#: Files the sdist must carry so that the package can be rebuilt and tested from it.
REQUIRED_IN_SDIST = (
    "pyproject.toml",
    "README.md",
    "CHANGELOG.md",
    "SECURITY.md",
    "LICENSE",
    "tests/settings.py",
    "scripts/demo.py",
    "example_project/manage.py",
    "docs/tutorial.md",
    f"{PACKAGE}/py.typed",
    f"{PACKAGE}/migrations/0001_initial.py",
)

#: Folders whose tracked files all go into the sdist: the tests, and what they run
#: (``tests/test_demo.py`` runs ``scripts/demo.py``, which runs the example project; the
#: docs tests run the code of the documentation pages).
TESTED_FROM_SDIST = ("tests", "scripts", "example_project", "docs")


class CheckFailed(Exception):
    """One of the checks failed; the message says which and why."""


def require(condition: bool, message: str) -> None:
    """Raise :class:`CheckFailed` with ``message`` unless ``condition`` holds."""
    if not condition:
        raise CheckFailed(message)


def source_package_files() -> set[str]:
    """The package's files as the build sees them: tracked or untracked, not git-ignored."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", PACKAGE],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        listed = [
            path.relative_to(ROOT).as_posix()
            for path in (ROOT / PACKAGE).rglob("*")
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
        ]
    # A file deleted from the work tree but still in git's index is not built.
    return {path for path in listed if (ROOT / path).is_file()}


def check_wheel_contents(wheel: Path) -> list[str]:
    """The wheel carries exactly the package's files; return the template names in it."""
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        dist_info = next(name.split("/")[0] for name in names if ".dist-info/" in name)
        entry_points = archive.read(f"{dist_info}/entry_points.txt").decode()
    packaged = {name for name in names if name.startswith(f"{PACKAGE}/")}
    source = source_package_files()
    missing = sorted(source - packaged)
    extra = sorted(packaged - source)
    require(not missing, "the wheel lacks files of the source tree: " + ", ".join(missing))
    require(not extra, "the wheel has files the source tree lacks: " + ", ".join(extra))
    for required in REQUIRED_IN_WHEEL:
        require(required in packaged, f"the wheel lacks {required}")
    templates = sorted(
        name.removeprefix(f"{PACKAGE}/templates/")
        for name in packaged
        if name.startswith(f"{PACKAGE}/templates/") and name.endswith(".html")
    )
    require(bool(templates), f"the wheel has no templates under {PACKAGE}/templates/")
    require(
        any(name.startswith(f"{dist_info}/licenses/") for name in names),
        "the wheel carries no license file",
    )
    # Every plugin the wheel declares (pytest11) must be importable from the wheel.
    for line in entry_points.splitlines():
        if "=" in line:
            module = line.split("=", 1)[1].strip().split(":")[0]
            path = module.replace(".", "/") + ".py"
            require(path in packaged, f"entry point module {module} is not in the wheel")
    return templates


def check_sdist_contents(sdist: Path) -> None:
    """The sdist carries what rebuilding and testing the package needs."""
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    for required in (*REQUIRED_IN_SDIST, *tracked_files(TESTED_FROM_SDIST)):
        require(required in names, f"the sdist lacks {required}")


def tracked_files(folders: Iterable[str]) -> list[str]:
    """The files git tracks under ``folders`` (none outside a git checkout, as in an sdist)."""
    if not (ROOT / ".git").exists():
        return []
    listed = subprocess.run(
        ["git", "ls-files", "--", *folders], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return [name for name in listed.stdout.splitlines() if (ROOT / name).is_file()]


def noxfile_versions() -> tuple[list[str], list[str]]:
    """``PYTHONS`` and the keys of ``DJANGOS`` from noxfile.py, read without importing it."""
    values = {}
    for node in ast.parse((ROOT / "noxfile.py").read_text()).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name) and target.id in {"PYTHONS", "DJANGOS"}:
                values[target.id] = ast.literal_eval(node.value)
    return list(values["PYTHONS"]), list(values["DJANGOS"])


def check_metadata(wheel: Path) -> None:
    """Classifiers name exactly the tested versions; Requires-Python starts at the oldest."""
    with zipfile.ZipFile(wheel) as archive:
        name = next(name for name in archive.namelist() if name.endswith(".dist-info/METADATA"))
        metadata = Parser().parsestr(archive.read(name).decode())
    classifiers = metadata.get_all("Classifier") or []
    pythons, djangos = noxfile_versions()
    declared_pythons = sorted(
        classifier.rsplit(" :: ", 1)[1]
        for classifier in classifiers
        if classifier.startswith("Programming Language :: Python :: 3.")
    )
    declared_djangos = sorted(
        classifier.rsplit(" :: ", 1)[1]
        for classifier in classifiers
        if classifier.startswith("Framework :: Django :: ")
    )
    require(
        _versions_equal(declared_pythons, pythons),
        f"Python classifiers {declared_pythons} differ from the matrix {pythons} (noxfile.py)",
    )
    require(
        _versions_equal(declared_djangos, djangos),
        f"Django classifiers {declared_djangos} differ from the matrix {djangos} (noxfile.py)",
    )
    require(
        metadata.get("Requires-Python") == f">={pythons[0]}",
        f"Requires-Python is {metadata.get('Requires-Python')!r}, not '>={pythons[0]}'",
    )
    require("Typing :: Typed" in classifiers, "the Typing :: Typed classifier is missing")


def _versions_equal(left: Iterable[str], right: Iterable[str]) -> bool:
    def key(version: str) -> tuple[int, ...]:
        return tuple(int(part) for part in version.split("."))

    return sorted(left, key=key) == sorted(right, key=key)
