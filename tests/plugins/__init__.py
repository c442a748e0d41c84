"""The test session's plugins, each with one job; `tests/conftest.py` lists them.

- `scratch_course`: the whole session works in a scratch course whose ``data/`` is the course's.
- `changed_chapters`: the header names chapters that differ from the course's version.
- `tiers`: every test's tier (unit, notebooks, server, browser) and the time per tier.
- `groups`: the order of the tests, and which run together on one ``pytest -n`` worker.
- `data_files`: synthetic and real Fashion-MNIST files, and no network.
- `dashboards`: a real TensorBoard on the chapters' runs, and the system's Chromium.
"""
