"""Runs ``manage.py cleanup_zoho_tokens`` once, in its own process, for :mod:`bench.cleanup.scale`.

``python -m bench.cleanup.worker --alias ALIAS`` (with ``ZOHO_BENCH_DEFAULT_ALIAS=ALIAS``
in the environment, because the command has no ``--database`` option) times the command exactly as cron would
run it (default options) and prints one JSON line: seconds, rows before and after. With
``--baseline`` it does everything but the cleanup (Django set up, the command's module
imported, one query on the table), so the report can tell the command's own memory from
the interpreter's. Peak memory is this process's peak RSS (see :func:`_peak_kb`).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time


def _peak_kb() -> int:
    """This process's peak resident set size (``VmHWM``), in kB.

    Read from /proc rather than ``getrusage``: Linux carries the parent's high-water mark
    into ``ru_maxrss`` across fork and exec, so a child of the (large) bench process would
    report the parent's memory. ``VmHWM`` belongs to this process's own address space.
    """
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--alias", required=True)
    parser.add_argument("--baseline", action="store_true")
    args = parser.parse_args()

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connections

    import zoho_tokens.management.commands.cleanup_zoho_tokens  # noqa: F401
    from zoho_tokens.models import ZohoToken

    if (
        connections["default"].settings_dict["NAME"]
        != connections[args.alias].settings_dict["NAME"]
    ):
        raise SystemExit("set ZOHO_BENCH_DEFAULT_ALIAS: the command only uses the default database")
    rows = ZohoToken.objects.all()
    before = rows.count()
    seconds = 0.0
    if not args.baseline:
        started = time.perf_counter()
        call_command("cleanup_zoho_tokens", stdout=io.StringIO())
        seconds = time.perf_counter() - started
    answer = {"seconds": seconds, "before": before, "after": rows.count(), "peak_kb": _peak_kb()}
    print(json.dumps(answer), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
