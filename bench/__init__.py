"""Benchmarks for issue 7: ingest throughput, search latency, the HNSW index and sustained load (see README.md)."""
