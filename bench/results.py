"""Run every benchmark and write ``bench/RESULTS.md``: a table of figures, then each one's report.

Each benchmark is a script whose standard output is its report. A script may end it with one
line ``FIGURES [{"figure", "value", "baseline", "goal", "met"}, ...]`` (JSON); those rows make
the summary table. The rest of its output becomes its section, marked so that a later
``--only`` run replaces that section and keeps the others as they were.

    uv run python bench/results.py [--quick] [--only e2e,matching] [--results bench/RESULTS.md]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = {  # name: (full command, quick command), run from the repository root
    "matching": (["bench/matching.py"], ["bench/matching.py", "--quick"]),
    "reporting_rebuild": (["bench/reporting_rebuild.py"], ["bench/reporting_rebuild.py", "--events", "50000"]),
    "e2e": (["-m", "bench.e2e", "--size", "full"], ["-m", "bench.e2e", "--size", "smoke"]),
}
SECTION = re.compile(r"<!-- bench:(?P<name>[\w.-]+) -->\n(?P<body>.*?)<!-- /bench:(?P=name) -->\n", re.S)
FIGURES = re.compile(r"^FIGURES (\[.*\])\s*$", re.M)
EARLIER = "earlier"
KEPT = re.compile(r"<!-- figures:(?P<name>[\w.-]+) (?P<json>\[.*?\]) -->")


@dataclass
class Section:
    name: str
    body: str  # Markdown, ending with the hidden figures comment


def run(name: str, quick: bool) -> Section:
    """Run one benchmark (its progress on our stderr) and turn its output into a section."""
    args = BENCHMARKS[name][1 if quick else 0]
    command = f"uv run python {' '.join(args)}"
    print(f"[bench] {command}", file=sys.stderr, flush=True)
    started, load = time.monotonic(), os.getloadavg()[0]
    done = subprocess.run([sys.executable, *args], cwd=ROOT, stdout=subprocess.PIPE, text=True, check=False)
    wall = time.monotonic() - started
    rows: list[dict[str, Any]] = []
    if match := FIGURES.search(done.stdout):
        rows = json.loads(match.group(1))
    report = FIGURES.sub("", done.stdout).strip()
    if done.returncode:
        rows = [{"figure": "run", "value": f"failed (exit {done.returncode})", "met": False}]
        report = f"Failed with exit code {done.returncode}; its output:\n\n```\n{report[-4000:]}\n```"
    elif not re.search(r"^#", report, re.M):
        report = f"```\n{report}\n```"
    when = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    body = "\n".join(
        [
            f"## {name}",
            "",
            f"`{command}`: finished {when} on {machine()} after {wall:.0f} s; "
            f"1-minute load average {load:.1f} at its start.",
            "",
            _demote(_demote(report)),
            "",
            f"<!-- figures:{name} {json.dumps(rows, ensure_ascii=False)} -->",
            "",
        ]
    )
    return Section(name, body)


def write(path: Path, fresh: list[Section]) -> None:
    """The summary of every section, fresh or kept from ``path``, then the sections themselves."""
    old = path.read_text() if path.exists() else ""
    sections = {m["name"]: Section(m["name"], m["body"]) for m in SECTION.finditer(old)}
    sections.update({s.name: s for s in fresh})
    if old.strip() and not SECTION.search(old):  # a report from before this file had sections: kept
        sections[EARLIER] = Section(
            EARLIER, f"## Earlier results (not written by `make bench`)\n\n{_demote(_demote(old))}\n"
        )
    if set(sections) >= set(BENCHMARKS):
        sections.pop(EARLIER, None)  # every benchmark has a section of its own now
    ordered = [sections[n] for n in [*BENCHMARKS, EARLIER] if n in sections]
    rows = []
    for section in ordered[: len(ordered) - (EARLIER in sections)]:
        kept = KEPT.search(section.body)
        figures = json.loads(kept["json"]) if kept else []
        for row in figures or [{"figure": "(no FIGURES line: see its section)"}]:
            rows.append(
                f"| {section.name} | {row.get('figure', '')} | {row.get('value', '')} | {row.get('baseline', '')} "
                f"| {row.get('goal', '')} | {_met(row.get('met'))} |"
            )
    text = "\n".join(
        [
            "# Benchmark results",
            "",
            "Written by `make bench` (`bench/results.py`); each section says when and where it ran. The",
            "machine may have been shared with other work during a run (see each load average), so",
            "figures can be pessimistic; baselines were measured in the same run on the same machine.",
            "",
            "| benchmark | figure | value | baseline | goal | met |",
            "|---|---|---|---|---|---|",
            *rows,
            "",
            *(f"<!-- bench:{s.name} -->\n{s.body}<!-- /bench:{s.name} -->" for s in ordered),
        ]
    )

    path.write_text(text + "\n")


def machine() -> str:
    return f"{platform.node()} ({platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()})"


def _demote(markdown: str) -> str:
    """Headings one level down (twice: a report's title sits under its section's heading)."""
    return re.sub(r"^(#+) ", lambda m: f"#{m.group(1)} ", markdown, flags=re.M)


def _met(met: object) -> str:
    return "" if met is None else ("yes" if met else "**no**")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="each benchmark at its small size (a smoke run)")
    parser.add_argument("--only", help=f"comma-separated subset of {', '.join(BENCHMARKS)}")
    parser.add_argument("--results", type=Path, default=ROOT / "bench" / "RESULTS.md")
    args = parser.parse_args()
    names = args.only.split(",") if args.only else list(BENCHMARKS)
    unknown = set(names) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    sections = [run(name, args.quick) for name in names]
    write(args.results, sections)
    print(f"[bench] wrote {args.results}", file=sys.stderr)
    return 1 if any("failed (exit" in s.body for s in sections) else 0


if __name__ == "__main__":
    sys.exit(main())
