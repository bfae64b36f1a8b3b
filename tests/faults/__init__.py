"""Fault tests: hostile and malformed repo inputs, kills, storage faults."""
