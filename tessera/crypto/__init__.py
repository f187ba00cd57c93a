"""Secrets at rest and signed values, keyed by the server's secret key."""
