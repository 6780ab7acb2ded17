"""Build the sdist and the wheel, and prove the wheel works where a user would install it.

``make wheel-check`` runs this. It fails (exit 1, saying why) when:

- the wheel lacks any file of the ``zoho_tokens`` package in the source tree (a migration,
  a template, ``py.typed`` ...) or carries files the tree does not have; or the sdist lacks
  the files needed to rebuild and test from it;
- the wheel's classifiers differ from the versions ``noxfile.py`` tests;
- the wheel, installed into a fresh virtualenv (no source tree on the path), does not let a
  throwaway Django project with ``INSTALLED_APPS += ["zoho_tokens"]`` migrate, pass the
  app's ``check --deploy`` checks without a warning, report a broken setting, compile the
  shipped templates, and save and find a token through ``DjangoTokenStore``.

``--python PATH`` installs the wheel under another interpreter (default: this one);
``--keep`` leaves the temporary folder behind for a look.
"""

from __future__ import annotations

import argparse
import ast
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Iterable, Sequence
from email.parser import Parser
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_DIR = Path(__file__).resolve().parent / "wheel_check"
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

#: Variables that would let the source tree or the developer's setup leak into the check.
LEAKY_ENVIRONMENT = ("PYTHONPATH", "DJANGO_SETTINGS_MODULE", "DATABASE_URL", "VIRTUAL_ENV")

STARTED = time.monotonic()


class CheckFailed(Exception):
    """One of the checks failed; the message says which and why."""


def step(title: str) -> None:
    """Announce a step, with the seconds since the start."""
    print(f"== [{time.monotonic() - STARTED:5.1f}s] {title}", flush=True)


def run(command: Sequence[str | Path], *, cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run ``command``; return its output, or raise :class:`CheckFailed` showing it."""
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    output = result.stdout + result.stderr
    if result.returncode != 0:
        raise CheckFailed(
            f"`{' '.join(str(part) for part in command)}` exited {result.returncode}:\n{output}"
        )
    return output


def require(condition: bool, message: str) -> None:
    """Raise :class:`CheckFailed` with ``message`` unless ``condition`` holds."""
    if not condition:
        raise CheckFailed(message)


def clean_environment() -> dict[str, str]:
    """This process's environment without what could point at the source tree."""
    return {key: value for key, value in os.environ.items() if key not in LEAKY_ENVIRONMENT}


# -- building -------------------------------------------------------------------------------


def build(dist: Path) -> tuple[Path, Path]:
    """Build the sdist, then the wheel from the sdist (so the sdist is proven too)."""
    run([sys.executable, "-m", "build", "--outdir", dist, ROOT], cwd=ROOT)
    sdists = sorted(dist.glob("*.tar.gz"))
    wheels = sorted(dist.glob("*.whl"))
    require(len(sdists) == 1 and len(wheels) == 1, f"expected one sdist and one wheel: {dist}")
    return sdists[0], wheels[0]


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


# -- installing and using -------------------------------------------------------------------


def install(wheel: Path, python: str, venv: Path) -> Path:
    """A fresh virtualenv with the wheel (and its dependencies) installed; its python."""
    run([python, "-m", "venv", venv], cwd=venv.parent)
    venv_python = venv / "bin" / "python"
    env = clean_environment()
    run([venv_python, "-m", "pip", "install", "--quiet", wheel], cwd=venv.parent, env=env)
    run([venv_python, "-m", "pip", "check"], cwd=venv.parent, env=env)
    return venv_python


def make_project(venv_python: Path, where: Path) -> Path:
    """``django-admin startproject`` plus the app, configured as a user would."""
    where.mkdir()
    run([venv_python.parent / "django-admin", "startproject", "wheelsite", where], cwd=where.parent)
    settings = where / "wheelsite" / "settings.py"
    tail = (TEMPLATE_DIR / "settings_tail.py").read_text()
    settings.write_text(settings.read_text() + "\n\n" + tail)
    shutil.copy(TEMPLATE_DIR / "roundtrip.py", where / "roundtrip.py")
    return where


def use_project(venv_python: Path, project: Path, templates: list[str]) -> None:
    """Migrate, check, break a setting, compile templates, round-trip a token."""
    env = clean_environment()
    env["WHEEL_CHECK_ENCRYPTION_KEY"] = Fernet.generate_key().decode()

    def manage(*arguments: str, extra_env: dict[str, str] | None = None) -> str:
        return run(
            [venv_python, "manage.py", *arguments], cwd=project, env={**env, **(extra_env or {})}
        )

    step("migrate")
    manage("migrate", "--noinput")
    step("the wheel's migrations match its models (makemigrations --check)")
    manage("makemigrations", "--check", "--dry-run", PACKAGE)
    step("system checks: the whole project without errors, the app's at --deploy level clean")
    manage("check", "--fail-level", "ERROR")
    manage("check", "--deploy", "--tag", PACKAGE, "--fail-level", "WARNING")
    step("system checks: a missing client id is reported (zoho_tokens.E001)")
    try:
        manage("check", "--deploy", "--tag", PACKAGE, extra_env={"WHEEL_CHECK_CLIENT_ID": ""})
    except CheckFailed as err:
        require("zoho_tokens.E001" in str(err), f"the check failed for another reason: {err}")
    else:
        raise CheckFailed("check passed without a client id: the app's checks are not registered")
    step(f"compile {len(templates)} templates, save and find a token through DjangoTokenStore")
    output = run(
        [venv_python, "roundtrip.py", *templates],
        cwd=project,
        env={**env, "DJANGO_SETTINGS_MODULE": "wheelsite.settings"},
    )
    print(output.rstrip())


def main(argv: Sequence[str] | None = None) -> int:
    """Run every check; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", default=sys.executable, help="interpreter for the venv")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    arguments = parser.parse_args(argv)
    # The virtualenv is created from inside the temporary folder: a relative path would miss.
    python = str(Path(shutil.which(arguments.python) or arguments.python).absolute())
    workdir = Path(tempfile.mkdtemp(prefix="zoho-tokens-wheel-check-"))
    try:
        step(f"build the sdist and the wheel into {workdir / 'dist'}")
        sdist, wheel = build(workdir / "dist")
        step(f"contents of {wheel.name} and {sdist.name}")
        templates = check_wheel_contents(wheel)
        check_sdist_contents(sdist)
        check_metadata(wheel)
        step(f"install {wheel.name} into a fresh virtualenv ({python})")
        venv_python = install(wheel, python, workdir / "venv")
        project = make_project(venv_python, workdir / "project")
        use_project(venv_python, project, templates)
    except CheckFailed as err:
        print(f"wheel check FAILED: {err}", file=sys.stderr)
        return 1
    finally:
        if arguments.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    step("wheel check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
