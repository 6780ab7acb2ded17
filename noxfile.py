"""The version matrix: the test suite on every supported Python x Django, on SQLite.

``make matrix`` runs every session, ``make matrix-edges`` the oldest and the newest pair
(what CI runs). By hand: ``.venv/bin/nox -l`` lists the sessions, ``.venv/bin/nox -t edges``
runs the edges, ``.venv/bin/nox -s "tests(py3.12-django5.2)" -- -k store`` runs one
session with arguments for pytest.

The interpreters come from pyenv (``$PYENV_ROOT/versions/3.X.Y``) or PATH; a missing one
skips its sessions, except under ``CI=true``. The classifiers in
``pyproject.toml`` list exactly the versions below: ``scripts/check_wheel.py`` compares the
built wheel's classifiers with ``PYTHONS`` and ``DJANGOS`` and fails when they differ.
"""

from __future__ import annotations

import os
from pathlib import Path

import nox

#: Python versions, oldest first.
PYTHONS = ("3.10", "3.11", "3.12", "3.13")

#: Django feature releases, oldest first, each with the lowest and highest Python (of
#: ``PYTHONS``) that Django supports for it: 4.2 stops at 3.12, 6.x starts at 3.12.
DJANGOS = {
    "4.2": ("3.10", "3.12"),
    "5.2": ("3.10", "3.13"),
    "6.0": ("3.12", "3.13"),
    "6.1": ("3.12", "3.13"),
}

nox.options.default_venv_backend = "virtualenv"
# A missing interpreter skips its sessions locally (``make`` prints how to install it) and fails
# under CI=true, where every session must run.
nox.options.error_on_missing_interpreters = os.environ.get("CI", "").lower() == "true"
# Never fetch an interpreter from the network: pyenv provides them, and the machines that
# run this reach no host but the package registries.
nox.options.download_python = "never"


def version_key(version: str) -> tuple[int, ...]:
    """``"3.10"`` -> ``(3, 10)``, so that versions compare as numbers."""
    return tuple(int(part) for part in version.split("."))


def django_requirement(feature: str) -> str:
    """``4.2`` -> ``Django>=4.2,<4.3``: the newest patch release of that feature release."""
    major, minor = feature.split(".")
    return f"Django>={feature},<{major}.{int(minor) + 1}"


def combinations() -> list[tuple[str, str]]:
    """Every (Python, Django) pair the matrix tests, oldest first."""
    return [
        (python, django)
        for python in PYTHONS
        for django, (lowest, highest) in DJANGOS.items()
        if version_key(lowest) <= version_key(python) <= version_key(highest)
    ]


def _put_pyenv_interpreters_on_path() -> None:
    """Let nox find ``python3.X`` among pyenv's versions (the newest patch release).

    pyenv's shims answer only for the versions chosen with ``pyenv global``; the
    interpreters themselves live in ``$PYENV_ROOT/versions/3.X.Y/bin``.
    """
    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    found = []
    for python in PYTHONS:
        installed = [
            path
            for path in root.glob(f"{python}.*")
            if path.name.replace(".", "").isdigit() and (path / "bin" / "python").exists()
        ]
        if installed:
            newest = max(installed, key=lambda path: version_key(path.name))
            found.append(str(newest / "bin"))
    os.environ["PATH"] = os.pathsep.join([*found, os.environ.get("PATH", "")])


_put_pyenv_interpreters_on_path()
EDGES = {combinations()[0], combinations()[-1]}


@nox.session
@nox.parametrize(
    ("python", "django"),
    [
        nox.param(
            python,
            django,
            id=f"py{python}-django{django}",
            tags=["edges"] if (python, django) in EDGES else [],
        )
        for python, django in combinations()
    ],
)
def tests(session: nox.Session, django: str) -> None:
    """The pytest suite on SQLite under one Python and one Django feature release."""
    session.install("-e", ".[test]", django_requirement(django))
    session.run("python", "-c", "import django, sys; print(sys.version, django.get_version())")
    session.run(
        "python",
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        *session.posargs,
        env={"DATABASE_URL": "sqlite:///test-zoho-tokens.sqlite3"},
    )
