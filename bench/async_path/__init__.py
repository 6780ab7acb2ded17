"""One ASGI worker with ``asession_for`` against one WSGI worker (8 threads) with
``session_for``, both calling a fake Zoho that answers in 200 ms (``python -m bench.async_path``)."""
