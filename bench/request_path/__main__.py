"""``python -m bench.request_path``: measure the request path on one database and print it
(a Markdown table, or JSON for the report)."""

from __future__ import annotations

import argparse
import json

from bench.request_path.measure import ALIASES, run
from bench.request_path.report import render


def main(argv: list[str] | None = None) -> int:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--calls", type=int, default=200, help="CRM calls per path and thread count"
    )
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds")
    parser.add_argument("--database", choices=sorted(ALIASES), default="sqlite")
    parser.add_argument("--json", action="store_true", help="print JSON for the report")
    args = parser.parse_args(argv)
    version, results = run(args.database, args.calls, args.rounds)
    rows = [[name, threads, *figures] for (name, threads), figures in results.items()]
    if args.json:
        print(json.dumps({"version": version, "results": rows}))
    else:
        print(render({args.database: (version, results)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
