"""The limiter's cost per call (``bench.limits.cost``), a section of ``make bench``."""
