"""Runs ``manage.py cleanup_zoho_tokens`` once, in its own process, for :mod:`bench.cleanup_scale`.

``python -m bench.cleanup_worker --alias ALIAS`` (with ``ZOHO_BENCH_DEFAULT_ALIAS=ALIAS``
in the environment, because the command has no ``--database`` option) times the command exactly as cron would
run it (default options) and prints one JSON line: seconds, rows before and after. With
``--baseline`` it does everything but the cleanup (Django set up, the command's module
imported, one query on the table), so the report can tell the command's own memory from
the interpreter's. The parent reads this process's peak RSS from ``os.wait4``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time


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

    if connections["default"].settings_dict["NAME"] != connections[args.alias].settings_dict["NAME"]:
        raise SystemExit("set ZOHO_BENCH_DEFAULT_ALIAS: the command only uses the default database")
    rows = ZohoToken.objects.all()
    before = rows.count()
    seconds = 0.0
    if not args.baseline:
        started = time.perf_counter()
        call_command("cleanup_zoho_tokens", stdout=io.StringIO())
        seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "before": before, "after": rows.count()}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
