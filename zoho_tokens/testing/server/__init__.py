"""The fake's HTTP side: the loopback server, routing, faults and the record of requests."""
