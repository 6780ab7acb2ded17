"""Run ``make`` steps one after another to the end, then one summary: ``make test``, ``make check``.

A failing step does not stop the ones after it, so that one run shows everything that is
wrong. A step skipped for a missing piece (``scripts/prerequisites.py``) counts as passed
locally and its line is repeated above the summary; under ``CI=true`` it is a failure.

The last line is ``make test: N passed, N failed`` (and ``, N skipped`` when steps were skipped),
and the exit status is 1 when any step failed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path


def minutes(seconds: float) -> str:
    """``754.2`` -> ``12m34s``."""
    whole = round(seconds)
    return f"{whole // 60}m{whole % 60:02d}s"


def run_step(make: str, step: str, skips: Path) -> tuple[bool, bool, float]:
    """Run ``make STEP``; return (passed, skipped something, seconds)."""
    before = skips.read_text(encoding="utf-8") if skips.exists() else ""
    print(f"\n==== make {step}", flush=True)
    started = time.monotonic()
    status = subprocess.run([make, "--no-print-directory", step], check=False).returncode
    seconds = time.monotonic() - started
    after = skips.read_text(encoding="utf-8") if skips.exists() else ""
    return status == 0, after != before, seconds


def main(argv: Sequence[str] | None = None) -> int:
    """Run every step given on the command line; print the summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="make test", help="what the summary calls this run")
    parser.add_argument("--make", default=os.environ.get("MAKE", "make"))
    parser.add_argument("steps", nargs="+")
    args = parser.parse_args(argv)

    started = time.monotonic()
    rows: list[str] = []
    failed: list[str] = []
    skipped = 0
    with tempfile.TemporaryDirectory(prefix="make-steps-") as folder:
        skips = Path(folder) / "skipped.txt"
        os.environ["MAKE_TEST_SKIPS"] = str(skips)
        for step in args.steps:
            passed, skipped_part, seconds = run_step(args.make, step, skips)
            verdict = "passed" if passed else "FAILED"
            if passed and skipped_part:
                # In part, for the matrix: nox ran the sessions whose interpreters are here.
                verdict, skipped = "skipped (see below)", skipped + 1
            if not passed:
                failed.append(step)
            rows.append(f"  {step:<18} {verdict:<20} {minutes(seconds)}")
        skip_lines = skips.read_text(encoding="utf-8") if skips.exists() else ""

    print(f"\n==== {args.name} in {minutes(time.monotonic() - started)}", flush=True)
    print("\n".join(rows))
    if skip_lines:
        print(skip_lines, end="")
    if failed:
        print(f"Failed: {', '.join(failed)}")
    passed_count = len(args.steps) - len(failed) - skipped
    summary = f"{args.name}: {passed_count} passed, {len(failed)} failed"
    if skipped:
        summary += f", {skipped} skipped"
    print(summary, flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
