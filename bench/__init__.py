"""Benchmarks: throughput, overhead, cold start and memory (run as ``python -m bench.<name>``)."""
