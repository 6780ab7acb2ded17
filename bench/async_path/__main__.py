from __future__ import annotations

from bench.async_path.main import main

raise SystemExit(main())
