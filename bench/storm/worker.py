"""The refresh storm's workers: the SDK's ``OAuthToken.get_token`` on one expired token.

Run by :mod:`bench.storm.measure` as ``python -m bench.storm.worker --workers 16 ...``. This
process imports Django and the SDK once, then forks the workers, as a pre-forking
application server does (and so that sixteen interpreters need not import everything on
two cores). Each worker opens its own database connection and initialises the SDK with
its store on a second, fresh token, so that connections and the SDK's own set-up are done
before the clock starts; it writes ``ready``, waits for one byte on stdin (the start
signal, one byte per worker), asks for the expired token's access token exactly as the
SDK does before every API call, and writes one JSON line: how long it waited, and what it
got or raised. Every line is a single ``os.write``, so lines never interleave.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import tempfile
import time
from typing import Any


def _store(args: argparse.Namespace) -> Any:
    if args.store == "django":
        from zoho_tokens.sdk.store import DjangoTokenStore

        return DjangoTokenStore(using=args.alias)
    from zohocrmsdk.src.com.zoho.api.authenticator.store.db_store import DBStore

    return DBStore(
        host=args.host,
        port_number=args.port,
        user_name=args.db_user,
        password=args.db_password,
        database_name=args.database,
        table_name=args.table,
    )


def _say(line: str) -> None:
    os.write(sys.stdout.fileno(), (line + "\n").encode())


def _work(args: argparse.Namespace) -> None:
    from zohocrmsdk.src.com.zoho.crm.api.dc.data_center import DataCenter
    from zohocrmsdk.src.com.zoho.crm.api.initializer import Initializer

    from bench.store.sdk_tokens import by_user_name

    environment = DataCenter.Environment(
        args.fake_url, args.fake_url + "/oauth/v2/token", args.fake_url
    )
    with tempfile.TemporaryDirectory() as resource_path:
        Initializer.initialize(
            environment=environment,
            token=by_user_name(args.warm_user_name),
            store=_store(args),
            resource_path=resource_path,
        )
        _say("ready")
        if not os.read(sys.stdin.fileno(), 1):
            return
        started = time.perf_counter()
        result: dict[str, Any] = {"ok": True, "error": None, "access_token": None}
        try:
            token = by_user_name(args.user_name)
            result["access_token"] = token.get_token()
        except Exception as err:  # the SDK raises several kinds; all count as failures
            result.update(ok=False, error=f"{type(err).__name__}: {err}"[:200])
        result["wait"] = time.perf_counter() - started
    _say(json.dumps(result))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--store", choices=("django", "dbstore"), required=True)
    parser.add_argument("--alias", default="default")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3306)
    parser.add_argument("--db-user", default="root")
    parser.add_argument("--db-password", default="")
    parser.add_argument("--database")
    parser.add_argument("--table")
    parser.add_argument("--fake-url", required=True)
    parser.add_argument("--user-name", required=True)
    parser.add_argument("--warm-user-name", required=True)
    args = parser.parse_args()

    # Everything imported before the fork; no database connection is open yet.
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    django.setup()
    for module in (
        "zohocrmsdk.src.com.zoho.api.authenticator.store.db_store",
        "zohocrmsdk.src.com.zoho.crm.api.initializer",
        "zoho_tokens.sdk.store",
        "bench.store.sdk_tokens",
    ):
        importlib.import_module(module)

    children = []
    for _ in range(args.workers):
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                _work(args)
            except BaseException as err:  # a worker that dies must still answer
                _say(json.dumps({"ok": False, "error": type(err).__name__, "wait": 0.0}))
                code = 1
            finally:
                os._exit(code)
        children.append(pid)
    failures = sum(1 for pid in children if os.waitpid(pid, 0)[1] != 0)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
