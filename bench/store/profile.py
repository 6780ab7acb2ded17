"""Profile one ``DjangoTokenStore`` operation on SQLite with pyinstrument.

``python -m bench.store.profile [--tokens 10000] [--calls 2000] [--operation find_user]``
seeds a fresh SQLite database the way ``make bench`` does, runs the operation ``--calls``
times under pyinstrument and prints the call tree. Meant for checking a change to
``store.py``, ``lookups.py``, ``models.py`` or ``crypto.py`` against the benchmark's
findings.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile

from bench.store.subjects import OPERATIONS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=2_000)
    parser.add_argument(
        "--operation", choices=[key for key, _label in OPERATIONS], default="find_user"
    )
    args = parser.parse_args(argv)

    work_dir = tempfile.mkdtemp(prefix="zoho-profile-")
    os.environ["ZOHO_BENCH_DIR"] = work_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django

    django.setup()
    from pyinstrument import Profiler

    from bench import data, databases
    from bench.store.ciphers import Ciphers
    from bench.store.subjects import DjangoSubject

    alias = "default"
    try:
        databases.recreate(alias)
        databases.migrate(alias)
        subject = DjangoSubject("SQLite", alias, Ciphers())
        rows = data.tokens(1, args.tokens)
        subject.seed(rows)
        targets = rows[:: max(1, len(rows) // 64)]
        subject.remember_ids(targets)
        calls = [
            subject.op(args.operation, targets[i % len(targets)], i) for i in range(args.calls)
        ]
        profiler = Profiler(interval=0.0001)
        with profiler:
            for call in calls:
                call()
        print(profiler.output_text(unicode=True, color=False))
    finally:
        databases.drop(alias)
        shutil.rmtree(work_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
