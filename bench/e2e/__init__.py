"""End-to-end benchmark: registrations over HTTP in five cities, through matching, placement and reporting.

Run it with ``uv run python -m bench.e2e`` from the repository root (``--help`` for sizes).
"""
