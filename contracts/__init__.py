"""Contract tests (placeholder until written)."""
