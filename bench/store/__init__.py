"""The token store measured: DjangoTokenStore against the SDK's stores, per operation and database."""
