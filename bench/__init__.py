"""Benchmarks of the embedded LokOS platform (``make bench`` runs ``python -m bench.run_all``).

- ``python -m bench.cold_start``: ``lokos up`` to ``/readyz`` 200, first start and restarts;
- ``python -m bench.read_latency``: GET /v1/cbos/{id} through the gateway vs the same
  primary-key lookup done directly with asyncpg;
- ``python -m bench.throughput``: sustained requests/s of that GET vs a bare FastAPI
  hello-world served by uvicorn with the gateway's options;
- ``python -m bench.run_all``: all three, a summary against the goals, and
  ``bench/results/latest.json``.

Every platform the benchmarks start uses its own temporary data folder and unusual ports
(``bench.common``), so a developer's ``make up`` is not disturbed.
"""
