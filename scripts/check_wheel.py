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
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from cryptography.fernet import Fernet
from wheel_contents import (
    PACKAGE,
    ROOT,
    CheckFailed,
    check_metadata,
    check_sdist_contents,
    check_wheel_contents,
    require,
)

TEMPLATE_DIR = Path(__file__).resolve().parent / "wheel_check"

#: Variables that would let the source tree or the developer's setup leak into the check.
LEAKY_ENVIRONMENT = ("PYTHONPATH", "DJANGO_SETTINGS_MODULE", "DATABASE_URL", "VIRTUAL_ENV")

STARTED = time.monotonic()


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
