"""Demo data for the embedded default, loaded through the services' HTTP APIs."""

from __future__ import annotations


def load_demo(urls: dict[str, str]) -> None:
    """Load demo data into the running services; `urls` maps service name to base URL."""
    print("no demo data yet")
