"""The load test: the example project under gunicorn, many users at once (``python -m bench.loadtest``)."""
