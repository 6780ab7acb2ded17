"""``python -m bench.loadtest``: the load test."""

from __future__ import annotations

from bench.loadtest.main import main

if __name__ == "__main__":
    raise SystemExit(main())
