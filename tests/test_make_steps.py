"""``make test``'s machinery: one line for a missing piece, and every step run to the end.

``scripts/prerequisites.py`` decides whether a step's server, browser or interpreter is here;
``scripts/run_steps.py`` runs the steps and sums them up. Both run as ``make`` runs them, in a
process of their own.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIPPED, FAILED = 3, 1


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def python(
    argv: list[str], cwd: Path, drop: tuple[str, ...], ci: bool, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run ``python argv`` in ``cwd``, without CI and ``drop`` from this environment."""
    environment = {k: v for k, v in os.environ.items() if k not in ("CI", *drop)}
    environment.update(env)
    if ci:
        environment["CI"] = "true"
    return subprocess.run(
        [sys.executable, *argv],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def run(script: str, *args: str, ci: bool = False, **env: str) -> subprocess.CompletedProcess[str]:
    return python([f"scripts/{script}", *args], ROOT, ("MAKE_TEST_SKIPS",), ci, **env)


def test_no_postgresql_server_listening_skips_with_one_line_saying_so():
    url = f"postgres://postgres@127.0.0.1:{closed_port()}/x"

    result = run("prerequisites.py", "database", "test-postgres", "POSTGRES_URL", url)

    assert result.returncode == SKIPPED
    [line] = result.stdout.splitlines()
    assert line.startswith(
        "make test-postgres: skipped, no PostgreSQL server answers at 127.0.0.1:"
    )
    assert "POSTGRES_URL=" in line


def test_no_mariadb_server_listening_skips_with_one_line_saying_so():
    url = f"mysql://root:@127.0.0.1:{closed_port()}/x"

    result = run("prerequisites.py", "database", "test-mariadb", "MARIADB_URL", url)

    assert result.returncode == SKIPPED
    [line] = result.stdout.splitlines()
    assert "no MariaDB/MySQL server answers at 127.0.0.1:" in line


def test_a_missing_database_server_is_a_failure_under_ci():
    url = f"postgres://postgres@127.0.0.1:{closed_port()}/x"

    result = run("prerequisites.py", "database", "test-postgres", "POSTGRES_URL", url, ci=True)

    assert result.returncode == FAILED
    assert result.stdout.startswith("make test-postgres: FAILED, no PostgreSQL server answers")


def test_missing_chromium_skips_with_how_to_install_it(tmp_path):
    missing = str(tmp_path / "chromium")

    result = run("prerequisites.py", "chromium", "test-browser", missing)

    assert result.returncode == SKIPPED
    assert f"no Chromium at {missing}" in result.stdout
    assert "`make chromium`" in result.stdout
    assert "CHROMIUM=" in result.stdout


def test_the_skip_line_is_also_kept_for_the_summary(tmp_path):
    skips = tmp_path / "skipped.txt"

    result = run(
        "prerequisites.py",
        "chromium",
        "test-browser",
        str(tmp_path / "none"),
        MAKE_TEST_SKIPS=str(skips),
    )

    assert skips.read_text() == result.stdout


def makefile(tmp_path: Path) -> Path:
    """A Makefile of three steps: one passes, one fails, one skips."""
    (tmp_path / "Makefile").write_text(
        "good:\n\t@true\n"
        "bad:\n\t@false\n"
        f"skip:\n\t@{sys.executable} {ROOT}/scripts/prerequisites.py chromium skip /none; "
        "[ $$? = 3 ]\n"
    )
    return tmp_path


def run_steps(folder: Path, *steps: str, ci: bool = False) -> subprocess.CompletedProcess[str]:
    argv = [str(ROOT / "scripts" / "run_steps.py"), "--name", "make x", *steps]
    return python(argv, folder, ("MAKEFLAGS", "MFLAGS"), ci)


def test_a_failing_step_does_not_stop_the_steps_after_it(tmp_path):
    result = run_steps(makefile(tmp_path), "bad", "good", "skip")

    assert result.returncode == 1
    assert result.stdout.splitlines()[-1] == "make x: 1 passed, 1 failed, 1 skipped"


def test_the_run_ends_with_the_skip_lines_and_the_counts(tmp_path):
    result = run_steps(makefile(tmp_path), "good", "skip")

    *_, skip_line, summary = result.stdout.splitlines()
    assert result.returncode == 0
    assert skip_line.startswith("make skip: skipped, no Chromium at /none")
    assert summary == "make x: 1 passed, 0 failed, 1 skipped"


def test_a_skipped_step_fails_the_run_under_ci(tmp_path):
    result = run_steps(makefile(tmp_path), "good", "skip", ci=True)

    assert result.returncode == 1
    assert result.stdout.splitlines()[-1] == "make x: 1 passed, 1 failed"
