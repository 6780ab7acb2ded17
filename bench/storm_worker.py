"""One worker of the refresh storm: the SDK's ``OAuthToken.get_token`` on an expired token.

Run by :mod:`bench.storm` as ``python -m bench.storm_worker ...``, sixteen at once. Each
worker initialises the SDK with its store on a second, fresh token (so that imports,
connections and the SDK's own set-up are done before the clock starts), prints
``ready``, waits for ``go`` on stdin, then asks for the expired token's access token
exactly as the SDK does before every API call, and prints one JSON line: how long it
waited, what it got, or what it raised.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from typing import Any


def _store(args: argparse.Namespace) -> Any:
    if args.store == "django":
        import django

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
        django.setup()
        from zoho_tokens.store import DjangoTokenStore

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


def main() -> int:
    parser = argparse.ArgumentParser()
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

    from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
    from zohocrmsdk.src.com.zoho.crm.api.dc.data_center import DataCenter
    from zohocrmsdk.src.com.zoho.crm.api.initializer import Initializer
    from zohocrmsdk.src.com.zoho.crm.api.user_signature import UserSignature

    store = _store(args)
    environment = DataCenter.Environment(
        args.fake_url, args.fake_url + "/oauth/v2/token", args.fake_url
    )
    with tempfile.TemporaryDirectory() as resource_path:
        Initializer.initialize(
            environment=environment,
            token=OAuthToken(user_signature=UserSignature(args.warm_user_name)),
            store=store,
            resource_path=resource_path,
        )
        print("ready", flush=True)
        if sys.stdin.readline().strip() != "go":
            return 1
        started = time.perf_counter()
        result: dict[str, Any] = {"ok": True, "error": None, "access_token": None}
        try:
            token = OAuthToken(user_signature=UserSignature(args.user_name))
            result["access_token"] = token.get_token()
        except Exception as err:  # the SDK raises several kinds; all count as failures
            result.update(ok=False, error=f"{type(err).__name__}: {err}"[:200])
        result["wait"] = time.perf_counter() - started
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
