from __future__ import annotations

from bench.celery_path.main import main

raise SystemExit(main())
