"""Benchmarks: they print figures (``python -m bench`` writes RESULTS.md); none is a timed test."""
