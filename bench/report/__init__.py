"""The report of make bench: Markdown for docs/benchmarks.md."""
