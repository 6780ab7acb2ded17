"""Whether what a ``make test`` step needs beyond .venv is here, and one line when it is not.

``make`` asks this before the steps that need a database server, Chromium or the matrix's
Python interpreters::

    prerequisites.py database test-postgres POSTGRES_URL postgres://postgres@127.0.0.1/test
    prerequisites.py chromium test-browser /usr/bin/chromium
    prerequisites.py pythons matrix-edges

When something is missing it prints one line saying what is skipped, why, and how to enable
it. Exit status: 0 when the step can run (for ``pythons``: at least one interpreter is there,
nox skips the others), 3 when the step is skipped, 1 when something is missing under
``CI=true``, where a skip would hide a step that CI exists to run.

With ``MAKE_TEST_SKIPS`` set to a file (``scripts/run_steps.py`` sets it), every line is also
appended there, so that ``make test`` repeats them above its summary.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Seconds to wait for a database server before calling it absent.
CONNECT_TIMEOUT = 3

#: Exit statuses (see the module docstring).
PRESENT, FAILED, SKIPPED = 0, 1, 3

#: PyMySQL's client error for "cannot reach the server" (refused, unknown host, timeout);
#: every other error on connect came from a server that answered.
MYSQL_CANNOT_CONNECT = (2003, 2005, 2013)


def under_ci() -> bool:
    """Whether this is a CI run, where a missing piece is a failure."""
    return os.environ.get("CI", "").lower() == "true"


def report(step: str, what: str, enable: str) -> int:
    """Print the one line for a missing piece; return the exit status it means."""
    if under_ci():
        line = f"make {step}: FAILED, {what}. {enable}. Under CI=true a missing piece fails."
    else:
        line = f"make {step}: skipped, {what}. {enable}. (Under CI=true this fails.)"
    print(line, flush=True)
    skips = os.environ.get("MAKE_TEST_SKIPS")
    if skips:
        with open(skips, "a", encoding="utf-8") as file:
            file.write(line + "\n")
    return FAILED if under_ci() else SKIPPED


def one_line(message: str) -> str:
    """A driver's message on one line, without libpq's hint lines."""
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    kept = [line for line in lines if not line.startswith(("Is the server", "HINT"))]
    return " ".join(kept or lines)


def connect_error(url: str) -> tuple[str, str] | None:
    """Connect to the server of ``url``; None when it answers, else (where, driver error).

    ``where`` is a phrase naming what refused: the server (it answered and refused the user,
    the password or the database) or the address (nothing listening, no answer in time).
    """
    import dj_database_url

    config = dj_database_url.parse(url)
    engine = config["ENGINE"]
    host = config.get("HOST") or "127.0.0.1"
    user = config.get("USER") or ""
    password = config.get("PASSWORD") or ""
    if engine.endswith("sqlite3"):
        return None
    if engine.endswith("postgresql"):
        return _postgres_error(host, int(config.get("PORT") or 5432), user, password)
    if engine.endswith("mysql"):
        return _mariadb_error(host, int(config.get("PORT") or 3306), user, password)
    return f"no server for {engine} is known to this check", "unsupported ENGINE"


def _postgres_error(host: str, port: int, user: str, password: str) -> tuple[str, str] | None:
    import psycopg

    try:
        # The maintenance database: the one in the URL may not exist yet (Django creates
        # test_<NAME> from there).
        psycopg.connect(
            host=host,
            port=port,
            user=user or None,
            password=password or None,
            dbname="postgres",
            connect_timeout=CONNECT_TIMEOUT,
        ).close()
    except psycopg.OperationalError as err:
        message = one_line(str(err))
        # libpq prefixes what the server itself said with "FATAL:"; anything else is
        # libpq failing to reach a server (refused, timeout, unknown host).
        if "FATAL:" in message:
            return f"the PostgreSQL server at {host}:{port} refused user {user!r}", message
        return f"no PostgreSQL server answers at {host}:{port}", message
    return None


def _mariadb_error(host: str, port: int, user: str, password: str) -> tuple[str, str] | None:
    import pymysql

    try:
        pymysql.connect(
            host=host, port=port, user=user, password=password, connect_timeout=CONNECT_TIMEOUT
        ).close()
    except pymysql.err.OperationalError as err:
        code = err.args[0] if err.args else None
        message = one_line(str(err.args[1] if len(err.args) > 1 else err))
        if code in MYSQL_CANNOT_CONNECT:
            return f"no MariaDB/MySQL server answers at {host}:{port}", message
        return f"the MariaDB/MySQL server at {host}:{port} refused user {user!r}", message
    return None


def check_database(step: str, variable: str, url: str) -> int:
    """The step's database server: does it answer, and accept the URL's user?"""
    try:
        error = connect_error(url)
    except ImportError as err:
        return report(step, f"the database driver is missing ({err})", "Run `make venv`")
    if error is None:
        return PRESENT
    where, message = error
    scheme = url.split(":", 1)[0]
    if "refused user" in where:
        enable = f"Fix the user or password in {variable}={scheme}://USER:PASSWORD@HOST:PORT/NAME"
    else:
        enable = (
            f"Start the server, or point {variable}={scheme}://USER:PASSWORD@HOST:PORT/NAME at one"
        )
    return report(step, f"{where} ({message})", enable)


def check_chromium(step: str, path: str) -> int:
    """The browser tests' Chromium: an executable at ``path``."""
    if os.access(path, os.X_OK) and Path(path).is_file():
        return PRESENT
    return report(
        step,
        f"no Chromium at {path}",
        "`make chromium` installs Debian's (as root, or with sudo), "
        "or CHROMIUM=/path/to/chromium names another",
    )


def interpreter_runs(name: str) -> bool:
    """Whether ``name`` is on PATH and starts (a pyenv shim for an unselected version does not)."""
    found = shutil.which(name)
    if found is None:
        return False
    try:
        result = subprocess.run([found, "-c", "pass"], capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


def check_pythons(step: str, tag: str) -> int:
    """The interpreters of the nox sessions tagged ``tag``, found as nox finds them."""
    sys.path.insert(0, str(ROOT))
    # Importing the noxfile puts pyenv's interpreters on PATH, as it does for nox itself.
    import noxfile

    pairs = sorted(noxfile.EDGES if tag == "edges" else set(noxfile.combinations()))
    missing = [
        (python, django) for python, django in pairs if not interpreter_runs(f"python{python}")
    ]
    if not missing:
        return PRESENT
    names = ", ".join(f"Python {python} + Django {django}" for python, django in missing)
    versions = " ".join(sorted({python for python, _ in missing}))
    status = report(
        step,
        f"no interpreter for {names} (looked on PATH and in $PYENV_ROOT/versions)",
        f"Install with `pyenv install {versions}`, or put python{missing[0][0]} on PATH",
    )
    # Locally nox still runs the sessions whose interpreters are there and skips the rest.
    return PRESENT if status == SKIPPED and len(missing) < len(pairs) else status


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run one check."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    checks = parser.add_subparsers(dest="check", required=True)
    database = checks.add_parser("database", help="a PostgreSQL or MariaDB server")
    database.add_argument("step")
    database.add_argument("variable", help="the make variable holding the URL")
    database.add_argument("url")
    chromium = checks.add_parser("chromium", help="Chromium for the browser tests")
    chromium.add_argument("step")
    chromium.add_argument("path")
    pythons = checks.add_parser("pythons", help="the version matrix's interpreters")
    pythons.add_argument("step")
    pythons.add_argument("--tag", default="edges", help="'edges', or 'all' for every pair")
    args = parser.parse_args(argv)
    if args.check == "database":
        return check_database(args.step, args.variable, args.url)
    if args.check == "chromium":
        return check_chromium(args.step, args.path)
    return check_pythons(args.step, args.tag)


if __name__ == "__main__":
    sys.exit(main())
