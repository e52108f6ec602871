"""MILE platform library: the mechanisms every service shares, and no domain code."""
