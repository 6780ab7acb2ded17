"""``make bench``: how DjangoTokenStore compares with the Zoho SDK's own token stores.

Entry point: ``python -m bench.run`` (see :mod:`bench.run`). Not part of the package.
"""
