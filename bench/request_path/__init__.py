"""The request path measured: acting_as and session_for against the SDK alone."""
