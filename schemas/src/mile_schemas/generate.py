"""Regenerate the checked-in JSON Schemas: ``python -m mile_schemas.generate [--check] [DIR]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mile_schemas.jsonschema import DEFAULT_DIR, schema_drift, write_schemas


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mile_schemas.generate", description=__doc__)
    parser.add_argument("directory", nargs="?", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--check", action="store_true", help="fail on drift, write nothing")
    args = parser.parse_args(argv)
    if args.check:
        drifted = schema_drift(args.directory)
        for name in drifted:
            print(f"drift: {name}", file=sys.stderr)
        return 1 if drifted else 0
    for path in write_schemas(args.directory):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
