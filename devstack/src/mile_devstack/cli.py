"""`mile-dev up`: the whole platform on this machine, needing nothing but Python."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from mile_devstack import redrive
from mile_devstack.demo import load_demo
from mile_devstack.services import DEFAULT_CITIES
from mile_devstack.stack import Stack
from mile_devstack.tokens import DevIssuer


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "redrive":
        return redrive.run(args)
    if args.command == "token":
        roles = [role.strip() for role in args.roles.split(",") if role.strip()]
        print(DevIssuer(args.state_dir.resolve()).token(site=args.site, roles=roles, ttl_s=args.ttl))
        return 0
    cities = [city.strip() for city in args.cities.split(",") if city.strip()]
    return asyncio.run(_up(Stack(args.state_dir.resolve(), cities), demo=args.demo))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mile-dev", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="start broker, PostgreSQL and every service; Ctrl-C stops all")
    up.add_argument("--cities", default=",".join(DEFAULT_CITIES), help="comma-separated; one intake each")
    up.add_argument("--no-demo", dest="demo", action="store_false", help="do not load demo data")
    up.add_argument("--state-dir", type=Path, default=Path(".mile"), help="PostgreSQL data, logs, master key")
    token = commands.add_parser("token", help="print a development bearer token the running services accept")
    token.add_argument("--site", required=True, help="the city the token acts for, e.g. milan")
    token.add_argument("--roles", default="caseworker", help="comma-separated: caseworker, auditor, admin...")
    token.add_argument("--ttl", type=int, default=8 * 3600, help="lifetime in seconds")
    token.add_argument("--state-dir", type=Path, default=Path(".mile"), help="where `up` keeps the signing key")
    redrive.add_parser(commands)
    return parser


async def _up(stack: Stack, *, demo: bool) -> int:
    """Run until SIGINT or SIGTERM (exit 0) or a start-up failure (exit 1); stop all either way."""
    loop = asyncio.get_running_loop()
    main_task = asyncio.current_task()
    assert main_task is not None
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, main_task.cancel)
    began = time.monotonic()
    try:
        await stack.start()
        urls = {spec.name: spec.url for spec in stack.specs}
        if demo:
            load_demo(
                urls,
                token_for=lambda city: stack.issuer.token(site=city, roles=["caseworker"]),
                liaison_token_for=lambda city: stack.issuer.token(site=city, roles=["employer_liaison"]),
            )
        _print_summary(stack, time.monotonic() - began)
        await asyncio.Event().wait()  # until a signal cancels this task
    except asyncio.CancelledError:
        main_task.uncancel()  # a requested stop, not a failure: the clean-up below may await
        return 0
    except Exception as exc:  # the edge: report, clean up, exit non-zero
        print(f"mile-dev: start-up failed: {exc}", file=sys.stderr)
        return 1
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, lambda: None)  # a second Ctrl-C must not cut the clean-up
        print("mile-dev: stopping...", file=sys.stderr)
        await stack.stop()
        print("mile-dev: stopped", file=sys.stderr)
    return 0


def _print_summary(stack: Stack, elapsed: float) -> None:
    rows = [("service", "port", "docs", "readyz")]
    rows += [(s.name, str(s.port), f"{s.url}/docs", f"{s.url}/readyz") for s in stack.specs]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    if stack.broker:
        print(f"broker      {stack.broker.bootstrap} (tansu, in memory)")
    if stack.postgres:
        print(f"postgresql  {stack.postgres.tcp_url()}   (the services use its Unix socket: {stack.postgres.url()})")
    print(f"logs        {stack.log_dir}")
    print("token       uv run mile-dev token --site milan --roles caseworker   (send as 'Authorization: Bearer ...')")
    print(f"ready in {elapsed:.1f}s; Ctrl-C stops everything")
