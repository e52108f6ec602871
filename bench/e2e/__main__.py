"""``uv run python -m bench.e2e [--size smoke|full] [options]``: the end-to-end benchmark (``--help``, bench/README.md).

Prints a Markdown report, then one ``FIGURES [...]`` JSON line (for ``bench/results.py``).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import AsyncExitStack, contextmanager
from pathlib import Path

import uvloop

from mile_devstack.services import DEFAULT_CITIES

from .backlog import run_backlogs
from .baselines import raw_inserts, raw_kafka
from .infra import Platform, infrastructure
from .load import run_load
from .report import Results, figures_line, markdown

# cities, rate (registrations/s), seconds offered, backlog events per shared service, and the share
# of participants caseworkers take on to a placement: at full size a quarter, as in MILE's own
# targets (120 through the full model of 520 reached); the smoke run takes every one the whole way.
# A full backlog is about eight minutes of the offered rate: a drain of ten thousand lasted half a
# second to two, short enough for a service's first batch and the 50 ms polling to skew its rate.
# Under load at full size each shared service runs one process, as `make up` runs the platform on one
# machine: on the two-core machine the goals are set for, two replicas of each (as deploy/k8s/base runs
# them on a cluster) pushed p99 at 200/s past a second (11 processes on 2 cores, each replica's batches
# half as large). Each backlog is drained by the service alone, so it runs as deployed: two replicas
# sharing its consumer group. The smoke size takes two throughout; its test loads one (`--replicas 1`),
# so `make test` covers replicas started for the drains as well as two sharing a consumer group.
SIZES = {
    "smoke": {"cities": 1, "rate": 10.0, "seconds": 2.0, "backlog": 100, "accept": 1.0, "replicas": 2},
    "full": {"cities": 5, "rate": 200.0, "seconds": 60.0, "backlog": 100_000, "accept": 0.25, "replicas": 1},
}
BACKLOG_REPLICAS = 2  # as deploy/k8s/base runs each shared service
EVENT_BYTES = 1000  # about a registration event's size, for the raw baselines


@contextmanager
def step(what: str) -> Iterator[None]:
    """Progress on stderr, so a long run shows where it is (the report goes to stdout)."""
    started = time.monotonic()
    print(f"[bench.e2e] {what} ...", file=sys.stderr, flush=True)
    yield
    print(f"[bench.e2e] {what}: {time.monotonic() - started:.1f} s", file=sys.stderr, flush=True)


async def bench(
    size: str,
    cities: list[str],
    rate: float,
    seconds: float,
    backlog: int,
    accept_share: float,
    replicas: int,
    backlog_replicas: int,
) -> Results:
    async with AsyncExitStack() as stack:  # on the way out: services, their databases, broker and PostgreSQL
        state = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="mile-bench-")))
        with step("broker and PostgreSQL"):
            infra = await stack.enter_async_context(infrastructure(state))
        platform = Platform(infra, cities, state, replicas)
        stack.push_async_callback(platform.drop_databases)
        stack.callback(platform.stop)
        with step("databases and topics"):
            await platform.prepare()
        with step("raw aiokafka and asyncpg baselines"):
            kafka = await raw_kafka(infra.bootstrap, round(rate * seconds), EVENT_BYTES, infra.idempotence)
            postgres = await raw_inserts(await platform.extra_database("raw"), round(rate * seconds), EVENT_BYTES)
        with step(f"starting {len(platform.specs)} service processes"):
            await platform.start()
        with step(f"{rate:g} registrations/s for {seconds:g} s, until all flowed"):
            load = await run_load(
                platform, rate=rate, seconds=seconds, settle_s=max(60.0, seconds), accept_share=accept_share
            )
        with step(f"backlogs of {backlog:,} events"):
            vacancy_ids = {city: ids[0] for city, ids in load.vacancies.items()}
            drains = await run_backlogs(platform, backlog, vacancy_ids, backlog_replicas)
        platform.stop()
        return Results(
            size=size,
            cities=len(cities),
            replicas=replicas,
            backlog_replicas=backlog_replicas,
            infra=infra.label,
            load=load,
            kafka=kafka,
            postgres=postgres,
            drains=drains,
            peak_rss_mb=dict(platform.peak_rss_mb),
            bench_peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.e2e", description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=list(SIZES), default="full")
    parser.add_argument(
        "--cities", type=int, choices=range(1, 6), help="how many of the five cities (default: by size)"
    )
    parser.add_argument(
        "--city",
        action="append",
        help="a city's name instead of the first of the five (repeatable; tests use names of their own)",
    )
    parser.add_argument("--rate", type=float, help="registrations offered per second (default: by size)")
    parser.add_argument("--seconds", type=float, help="how long they are offered (default: by size)")
    parser.add_argument("--backlog", type=int, help="events fed to each shared service's backlog (default: by size)")
    parser.add_argument(
        "--accept-share",
        type=float,
        help="share of participants whose first proposal the bench accepts and places, 0..1 (default: by size)",
    )
    parser.add_argument(
        "--replicas",
        type=int,
        choices=range(1, 4),
        help="processes of each shared service under load (default: by size)",
    )
    parser.add_argument(
        "--backlog-replicas",
        type=int,
        choices=range(1, 4),
        help=f"processes of each shared service draining its backlog (default: {BACKLOG_REPLICAS})",
    )
    parser.add_argument("--results", type=Path, help="also write the Markdown report here")
    args = parser.parse_args()
    if args.accept_share is not None and not 0 <= args.accept_share <= 1:
        parser.error("--accept-share must be between 0 and 1")
    sizes = SIZES[args.size]
    results = uvloop.run(  # as the services run: the load generator shares their 2 CPUs
        bench(
            args.size,
            args.city or list(DEFAULT_CITIES[: args.cities or sizes["cities"]]),
            args.rate or sizes["rate"],
            args.seconds or sizes["seconds"],
            args.backlog or sizes["backlog"],
            sizes["accept"] if args.accept_share is None else args.accept_share,
            args.replicas or sizes["replicas"],
            args.backlog_replicas or BACKLOG_REPLICAS,
        )
    )
    report = markdown(results)
    if args.results:
        args.results.write_text(report)
    print(report)
    print(figures_line(results), flush=True)


if __name__ == "__main__":
    main()
