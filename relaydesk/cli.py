"""The `relaydesk` command: run services, migrate, write schemas, manage agents."""

import argparse
import asyncio
import sys

from shared.config import ConfigError, load_settings
from shared.logs import setup_logging
from shared.runner import SERVICES


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="relaydesk", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run services (all of them by default)")
    run.add_argument("services", nargs="*", metavar="SERVICE", help=f"any of: {', '.join(SERVICES)}")

    commands.add_parser("migrate", help="create the database if needed and apply migrations")

    schemas = commands.add_parser("schemas", help="write JSON Schema and AsyncAPI into contracts/schemas")
    schemas.add_argument("--check", action="store_true", help="fail if the checked-in files are stale")

    agents = commands.add_parser("agents", help="manage agents").add_subparsers(dest="action", required=True)
    add = agents.add_parser("add", help="create an agent and print its bearer token once")
    add.add_argument("name")
    add.add_argument("--capacity", type=int, default=5)
    add.add_argument("--skills", default="", help="comma-separated, e.g. payment,loan")
    add.add_argument("--languages", default="zh,en", help="comma-separated, e.g. zh,en")
    add.add_argument("--role", choices=["agent", "supervisor", "admin"], default="agent")
    return parser


def _split(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "run" and (unknown := set(args.services) - set(SERVICES)):
        parser.error(f"unknown service {', '.join(sorted(unknown))}; choose from {', '.join(SERVICES)}")
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"relaydesk: configuration error: {exc}", file=sys.stderr)
        return 2
    setup_logging(settings.log_level)
    match args.command:
        case "run":
            import uvloop

            from shared.runner import serve

            with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
                runner.run(serve(args.services or list(SERVICES), settings))
        case "migrate":
            from shared.db import migrate

            applied = asyncio.run(migrate(settings.database_url))
            print(f"migrations applied: {applied or 'none (up to date)'}")
        case "schemas":
            from contracts.generate import write_schemas

            stale = write_schemas(check=args.check)
            if stale and args.check:
                print("stale schema files (run `relaydesk schemas`):", *stale, sep="\n  ", file=sys.stderr)
                return 1
            print(f"schemas written: {', '.join(stale) or 'none (up to date)'}")
        case "agents":
            from services.agent_api.accounts import AccountError, add_agent_cli

            try:
                token = asyncio.run(add_agent_cli(
                    settings, args.name, capacity=args.capacity, skills=_split(args.skills),
                    languages=_split(args.languages), role=args.role,
                ))
            except AccountError as exc:
                print(f"relaydesk: {exc}", file=sys.stderr)
                return 1
            print(token)
    return 0


if __name__ == "__main__":
    sys.exit(main())
