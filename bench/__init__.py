"""Benchmarks of the FreshLedger contracts (``make bench-gas``)."""
