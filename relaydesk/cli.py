"""The `relaydesk` command: run services, migrate, write schemas, manage agents and tokens, classify messages."""

import argparse
import asyncio
import os
import sys
from datetime import UTC, datetime, timedelta

from shared.config import ConfigError, load_settings
from shared.launch import SERVICES
from shared.logs import setup_logging


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="relaydesk", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run services (all of them by default)")
    run.add_argument("services", nargs="*", metavar="SERVICE", help=f"any of: {', '.join(SERVICES)}")

    commands.add_parser("migrate", help="create the database if needed and apply migrations")

    schemas = commands.add_parser(
        "schemas", help="write JSON Schema, AsyncAPI and the agent API's OpenAPI into contracts/schemas"
    )
    schemas.add_argument("--check", action="store_true", help="fail if the checked-in files are stale")

    agents = commands.add_parser("agents", help="manage agents").add_subparsers(dest="action", required=True)
    add = agents.add_parser("add", help="create an agent and print its bearer token once")
    add.add_argument("name")
    add.add_argument("--capacity", type=int, default=5)
    add.add_argument("--skills", default="", help="comma-separated, e.g. payment,loan")
    add.add_argument("--languages", default="zh,en", help="comma-separated, e.g. zh,en")
    add.add_argument("--channels", default="", help="comma-separated channels worked; empty = all")
    add.add_argument("--teams", default="", help="comma-separated, e.g. complaints")
    add.add_argument("--role", choices=["agent", "supervisor", "admin"], default="agent")
    add.add_argument(
        "--password-stdin", action="store_true", help="also set a console password, read as one line from stdin"
    )
    agents.add_parser(
        "passwd", help="set an agent's console password, read as one line from stdin; ends their sessions"
    ).add_argument("name")

    tokens = commands.add_parser("tokens", help="manage agents' bearer tokens").add_subparsers(
        dest="action", required=True
    )
    create = tokens.add_parser("create", help="make a token for an agent and print its secret once")
    create.add_argument("agent", metavar="AGENT_NAME")
    create.add_argument("--name", default="cli", help="what the token is for (default: cli)")
    create.add_argument("--expires-in-days", metavar="D", help="whole days it stays valid; default: until revoked")
    listing = tokens.add_parser("list", help="list tokens (never their secrets)")
    listing.add_argument("agent", metavar="AGENT_NAME", nargs="?")
    tokens.add_parser("rotate", help="revoke a token and print its successor's secret once").add_argument("token_id")
    tokens.add_parser("revoke", help="revoke a token at once").add_argument("token_id")

    classify = commands.add_parser(
        "classify", help="triage customer messages, one a line on stdin, into JSON lines on stdout"
    )
    classify.add_argument("--kb", metavar="FILE", help="FAQ knowledge base (default: RELAYDESK_FAQ_KB, else shipped)")
    classify.add_argument(
        "--rules", metavar="FILE", help="classification rules (default: RELAYDESK_ROUTER_RULES, else shipped)"
    )
    return parser


def _split(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _read_password() -> str:
    """One line from stdin (its line ending dropped), checked against the password rules."""
    from services.agent_api.commands.passwords import check_new

    return check_new(sys.stdin.readline().removesuffix("\n").removesuffix("\r"))


def _agents(settings, args: argparse.Namespace) -> int:
    """`relaydesk agents add|passwd`: a new agent's token alone on stdout; notes on stderr."""
    from services.agent_api.commands import accounts, audit, passwords, sessions

    async def set_password(conn, agent_id: str) -> int:
        ended = await sessions.set_password(conn, agent_id, passwords.hash_password(password))
        detail = {"agent_id": agent_id, "sessions_ended": ended}
        await audit.record_as(conn, None, "cli", audit.PASSWORD_SET, detail=detail)
        return ended

    async def add(conn) -> str:
        fields = {"capacity": args.capacity, "role": args.role}
        lists = {name: _split(getattr(args, name)) for name in ("skills", "languages", "channels", "teams")}
        async with conn.transaction():  # an agent whose password could not be set is not made
            agent_id, token = await accounts.add_agent(conn, args.name, **fields, **lists)
            if password is not None:
                await set_password(conn, agent_id)
                print(f"console password set for {args.name}", file=sys.stderr)
        return token

    async def passwd(conn) -> str:
        agent_id = await accounts.agent_id_named(conn, args.name)
        ended = await set_password(conn, agent_id)
        return f"password changed for {args.name}; {ended} console session(s) ended"

    try:
        # Read and check the password before anything touches the database.
        password = _read_password() if args.action == "passwd" or args.password_stdin else None
        print(asyncio.run(accounts.on_database(settings, add if args.action == "add" else passwd)))
    except (accounts.AccountError, passwords.PasswordRejected) as exc:
        print(f"relaydesk: {exc}", file=sys.stderr)
        return 1
    return 0


def _tokens(settings, args: argparse.Namespace) -> int:
    """`relaydesk tokens …`: a secret alone on stdout, so a script can capture it; notes on stderr."""
    from services.agent_api.commands import accounts
    from shared.db import UNAVAILABLE

    async def work(conn) -> str:
        match args.action:
            case "create":
                agent_id = await accounts.agent_id_named(conn, args.agent)
                token_id, secret = await accounts.create_token(conn, agent_id, args.name, expires_at)
                print(f"token {token_id} for {args.agent}; its secret is shown once", file=sys.stderr)
                return secret
            case "list":
                agent_id = None if args.agent is None else await accounts.agent_id_named(conn, args.agent)
                rows = [[_shown(t[c]) for c in TOKEN_COLUMNS] for t in await accounts.list_tokens(conn, agent_id)]
                return "\n".join("\t".join(row) for row in [TOKEN_COLUMNS, *rows])
            case "rotate":
                token_id, secret = await accounts.rotate_token(conn, args.token_id)
                print(f"token {args.token_id} revoked; its successor is {token_id}", file=sys.stderr)
                return secret
            case "revoke":
                await accounts.revoke_token(conn, args.token_id)
                return f"revoked {args.token_id}"

    try:
        expires_at = _expiry(getattr(args, "expires_in_days", None))
        print(asyncio.run(accounts.on_database(settings, work)))
    except accounts.AccountError as exc:
        print(f"relaydesk: {exc}", file=sys.stderr)
        return 1
    except UNAVAILABLE as exc:
        print(f"relaydesk: the database is unavailable: {exc}", file=sys.stderr)
        return 1
    return 0


TOKEN_COLUMNS = ("id", "agent_name", "name", "status", "created_at", "last_used_at", "expires_at")
MAX_EXPIRY_DAYS = 3650


def _expiry(days: str | None) -> datetime | None:
    """`--expires-in-days` as a moment, checked before anything touches the database."""
    from services.agent_api.commands.accounts import AccountError

    if days is None:
        return None
    try:
        count = int(days, 10)
    except ValueError:
        count = 0
    if not 1 <= count <= MAX_EXPIRY_DAYS:
        raise AccountError(f"--expires-in-days must be a whole number from 1 to {MAX_EXPIRY_DAYS}, not {days!r}")
    return datetime.now(UTC) + timedelta(days=count)


def _shown(value: object) -> str:
    if value is None:
        return "-"
    return value.isoformat(timespec="seconds") if isinstance(value, datetime) else str(value)


def _classify(rules_path: str, kb_path: str) -> int:
    """Triage stdin line by line onto stdout, through the router's own code path."""
    import msgspec

    from services.router.triage.category_rules import load_rules
    from services.router.triage.faq import load_kb
    from services.router.triage.triager import triage
    from shared.datafile import DataFileError

    try:
        rules, kb = load_rules(rules_path), load_kb(kb_path)
    except DataFileError as exc:
        print(f"relaydesk: {exc}", file=sys.stderr)
        return 2
    out = sys.stdout.buffer
    try:
        for raw in sys.stdin.buffer:
            text = raw.decode("utf-8", errors="replace").strip()
            if not text:
                continue
            seen = triage(text, rules, kb)
            out.write(
                msgspec.json.encode(
                    {
                        "category": seen.category,
                        "priority": seen.priority,
                        "language": seen.language,
                        "faq_id": seen.faq_id,
                        "faq_score": round(seen.faq_score, 3),
                        "self_service": seen.self_service,
                    }
                )
                + b"\n"
            )
            out.flush()  # one answer per line as it comes, for a reader driving this line by line
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly, like other filters
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


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

            from shared.launch import serve

            try:
                with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
                    runner.run(serve(args.services or list(SERVICES), settings))
            except ConfigError as exc:
                print(f"relaydesk: configuration error: {exc}", file=sys.stderr)
                return 2
        case "migrate":
            from shared.db import migrate

            applied = asyncio.run(migrate(settings.database_url))
            names = ", ".join(f"{service} {version:04d}" for service, version in applied)
            print(f"migrations applied: {names or 'none (up to date)'}")
        case "schemas":
            from contracts.generate import OPENAPI_FILE, write_schemas
            from services.agent_api.http.apidoc import document

            stale = write_schemas(check=args.check, extra={OPENAPI_FILE: document()})
            if stale and args.check:
                print("stale schema files (run `relaydesk schemas`):", *stale, sep="\n  ", file=sys.stderr)
                return 1
            print(f"schemas written: {', '.join(stale) or 'none (up to date)'}")
        case "agents":
            return _agents(settings, args)
        case "tokens":
            return _tokens(settings, args)
        case "classify":
            rules = settings.router_rules if args.rules is None else args.rules
            return _classify(rules, settings.faq_kb if args.kb is None else args.kb)
    return 0


if __name__ == "__main__":
    sys.exit(main())
