"""``make bench``: DjangoTokenStore against the SDK's own stores and the raw database floor.

One run, on the same data: every store and operation at 1,000, 10,000 and 100,000 tokens;
a refresh storm of sixteen processes; ``cleanup_zoho_tokens`` on a million rows. The
report is printed and written to ``docs/benchmarks.md``. About ten to fifteen minutes on
two cores. ``--quick`` is a smoke run of a minute or two (and writes nowhere unless told).

Databases: SQLite files in a temporary folder, and a database of the bench's own
(``zoho_bench``; ``ZOHO_BENCH_DB`` to change) on PostgreSQL and MariaDB, dropped and
created fresh, and dropped again at the end. A server that does not answer is left out,
and the report says so.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="table sizes, ascending")
    parser.add_argument("--cleanup-rows", type=int, default=1_000_000)
    parser.add_argument(
        "--cleanup-on",
        default=None,
        help=f"databases for the cleanup benchmark, comma separated, of "
        f"{', '.join(CLEANUP_CHOICES)} (default sqlite,postgres; empty: none)",
    )
    parser.add_argument("--no-storm", action="store_true")
    parser.add_argument("--quick", action="store_true", help="small sizes, few repetitions")
    parser.add_argument(
        "--output", default=None, help="Markdown file to write (default docs/benchmarks.md)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the databases and files")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes = "500,2000"
        args.cleanup_rows = min(args.cleanup_rows, 20_000)
        args.cleanup_on = "sqlite" if args.cleanup_on is None else args.cleanup_on
    if args.cleanup_on is None:
        args.cleanup_on = "sqlite,postgres"
    if args.output is None:
        args.output = "" if args.quick else str(REPO / "docs" / "benchmarks.md")
    return args


#: ``--cleanup-on`` names -> report labels.
CLEANUP_CHOICES = {
    "sqlite": "SQLite",
    "postgres": "PostgreSQL",
    "mariadb": "MariaDB",
}


def _prepare_environment() -> str:
    """Settings and work folder, shared with the worker processes through the environment."""
    work_dir = tempfile.mkdtemp(prefix="zoho-bench-")
    os.environ["ZOHO_BENCH_DIR"] = work_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    # Workers run ``python -m bench...``: they need the repository on their path.
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p
    )
    os.chdir(REPO)
    return work_dir


def _fresh_database(alias: str) -> str:
    """Drop, create and migrate ``alias``'s database; returns the server's version."""
    from bench import databases

    version = databases.recreate(alias)
    databases.migrate(alias)
    return version


#: Report label -> the name ``python -m bench.request_path --database`` takes.
REQUEST_PATH_NAMES = {"SQLite": "sqlite", "PostgreSQL": "postgres", "MariaDB": "mariadb"}


def _databases(notes: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """Fresh databases: ``(label -> alias of those that answered, label -> server version)``."""
    from bench import databases
    from bench.store.matrix import log

    available: dict[str, str] = {}
    versions: dict[str, str] = {}
    for label, alias in databases.BACKENDS.items():
        try:
            version = _fresh_database(alias)
        except Exception as err:  # any driver's "cannot connect" means: leave it out
            notes.append(f"{label} left out: the server did not answer ({type(err).__name__}).")
            log(notes[-1])
            continue
        available[label] = alias
        if alias != "default":
            versions[label] = version
    return available, versions


def _subjects(
    available: dict[str, str], work_dir: str, ciphers: object, notes: list[str]
) -> tuple[list[Any], dict[str, Any] | None]:
    """The stores under test, floor first; and what the storm needs to drive DBStore."""
    from bench import databases
    from bench.store import floors, subjects

    chosen: list[subjects.Subject] = [floors.FloorSubject(os.path.join(work_dir, "floor.sqlite3"))]
    servers = [label for label in ("PostgreSQL", "MariaDB") if label in available]
    chosen += [floors.ServerFloorSubject(label, available[label]) for label in servers]
    chosen += [subjects.DjangoSubject(label, alias, ciphers) for label, alias in available.items()]
    chosen.append(subjects.KaizenSubject(os.path.join(work_dir, "kaizen.sqlite3")))
    chosen.append(subjects.FileStoreSubject(os.path.join(work_dir, "tokens.csv")))
    if "MariaDB" not in available:
        notes.append("DBStore left out: it needs the MariaDB server.")
        return chosen, None
    sdk_db = os.environ.get("ZOHO_BENCH_DB", "zoho_bench") + databases.SDK_DB_SUFFIX
    dbstore = {
        "connect": databases.mariadb_connect(sdk_db),
        "database": sdk_db,
        "kwargs": databases.mariadb_store_kwargs(),
    }
    chosen.append(
        subjects.DBStoreSubject(dbstore["connect"], sdk_db, "oauthtoken", **dbstore["kwargs"])
    )
    return chosen, dbstore


def main(argv: list[str] | None = None) -> int:
    """Run every benchmark and write the report."""
    args = _arguments(argv)
    started = time.perf_counter()
    work_dir = _prepare_environment()
    import django

    django.setup()

    from bench import databases, machine
    from bench.report.page import Run, render
    from bench.store.ciphers import Ciphers
    from bench.store.matrix import Plan
    from bench.storm import measure as storm

    sizes = [int(size) for size in args.sizes.split(",")]
    plan = Plan(reps=60, budget=0.5, get_tokens_reps=((2000, 3),)) if args.quick else Plan()
    notes: list[str] = []
    available, versions = _databases(notes)
    description = machine.describe(versions)
    ciphers = Ciphers()
    chosen, dbstore = _subjects(available, work_dir, ciphers, notes)
    cells, steps, plans = _stores(chosen, available, sizes, plan, ciphers)
    storms = [] if args.no_storm else storm.run_storms(available, dbstore)
    cleanups = _cleanups(args, available, notes)

    report = render(
        Run(
            machine=description,
            sizes=sizes,
            plan=plan,
            cells=cells,
            storms=storms,
            cleanups=cleanups,
            breakdown=steps,
            plans=plans,
            notes=notes,
            seconds=time.perf_counter() - started,
            subject_notes={subject.name: subject.note for subject in chosen},
            load_at_end=", ".join(f"{value:.2f}" for value in os.getloadavg()),
        )
    )
    from bench.request_path.report import report_section

    report += "\n\n" + report_section(
        args.quick, [REQUEST_PATH_NAMES[label] for label in available]
    )
    from bench.limits.cost import report_section as limits_section

    report += "\n\n" + limits_section(available, args.quick)
    print(report)
    if args.output:
        _write(report, args.output)
    if not args.keep:
        for alias in available.values():
            databases.drop(alias)
        shutil.rmtree(work_dir, ignore_errors=True)
    return 0


def _stores(
    chosen: list[Any], available: dict[str, str], sizes: list[int], plan: Any, ciphers: object
) -> tuple[list[Any], list[tuple[str, float]], dict[str, list[tuple[str, str]]]]:
    """The main table, ``find_token``'s steps and the query plans: ``(cells, steps, plans)``."""
    from bench import data
    from bench.store import breakdown, floors, matrix

    floor = chosen[0]
    assert isinstance(floor, floors.FloorSubject)
    cells = matrix.run_matrix(chosen, sizes, plan, ciphers=ciphers)
    # The breakdown runs on SQLite's table as the matrix left it (the largest size), on
    # about a hundred tokens spread over it.
    rows = [data.token(n) for n in range(1, sizes[-1] + 1, max(1, sizes[-1] // 100))]
    steps = breakdown.run_breakdown("default", rows, lambda row: floor.op("find_user", row, 0))
    floor.close()
    plans = {
        label: breakdown.query_plans(alias, data.token(1)) for label, alias in available.items()
    }
    return cells, steps, plans


def _cleanups(args: argparse.Namespace, available: dict[str, str], notes: list[str]) -> list[Any]:
    """``cleanup_zoho_tokens`` at scale on each database of ``--cleanup-on`` that answered."""
    from bench.cleanup import scale as cleanup_scale

    cleanups = []
    for label in (CLEANUP_CHOICES[name] for name in args.cleanup_on.split(",") if name):
        alias = available.get(label)
        if alias is None:
            notes.append(f"Cleanup on {label} left out: the server did not answer.")
            continue
        _fresh_database(alias)
        cleanups.append(cleanup_scale.run(label, alias, cwd=str(REPO), rows=args.cleanup_rows))
    return cleanups


def _write(report: str, output: str) -> None:
    from bench.store.matrix import log

    Path(output).parent.mkdir(parents=True, exist_ok=True)
    Path(output).write_text(report + "\n", encoding="utf-8")
    log(f"report written to {output}")


if __name__ == "__main__":
    sys.exit(main())
