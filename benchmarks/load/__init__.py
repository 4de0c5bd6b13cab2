"""The parts of ``benchmarks/bench_load.py``: an open-loop HTTP driver (driver), the processes
under test (stack) and the three loads (webhook, ask, suggest)."""
