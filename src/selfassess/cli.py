"""The ``selfassess`` command: serve, migrate, create-admin, demo and the operational jobs."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alembic import command as alembic_command

from selfassess import clock
from selfassess.settings import Settings, get_settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine


async def run_migrations(settings: Settings) -> None:
    """Bring the schema to head (Alembic is synchronous: off the event loop), then make sure the
    frameworks shipped with this version are installed."""
    from selfassess.db import create_engine_for, session_factory
    from selfassess.frameworks.service import install_shipped_frameworks

    await asyncio.to_thread(alembic_command.upgrade, _alembic(settings), "head")
    engine = create_engine_for(settings)
    try:
        async with session_factory(engine)() as db:
            await install_shipped_frameworks(db)
    finally:
        await engine.dispose()


def _alembic(settings: Settings):  # type: ignore[no-untyped-def]
    from selfassess.db import alembic_config

    return alembic_config(settings)


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    config = _alembic(settings)
    if args.downgrade:
        alembic_command.downgrade(config, args.to)
    elif args.to == "head":
        asyncio.run(run_migrations(settings))
    else:
        alembic_command.upgrade(config, args.to)
    alembic_command.current(config)
    return 0


def cmd_import_framework(args: argparse.Namespace, settings: Settings) -> int:
    from sqlalchemy import select

    from selfassess.accounts.models import Organisation, OrganisationKind
    from selfassess.db import create_engine_for, session_factory
    from selfassess.errors import Invalid
    from selfassess.frameworks.service import install_framework
    from selfassess.frameworks.spec import FrameworkSpecError, parse_framework

    text = Path(args.file).read_text(encoding="utf-8")
    try:
        spec = parse_framework(text)
    except FrameworkSpecError as problem:
        print(problem, file=sys.stderr)
        return 2

    async def install() -> int:
        engine = create_engine_for(settings)
        try:
            async with session_factory(engine)() as db:
                owner = None
                if args.council:
                    owner = await db.scalar(
                        select(Organisation.id).where(
                            Organisation.kind == OrganisationKind.COUNCIL, Organisation.name == args.council
                        )
                    )
                    if owner is None:
                        print(f"There is no council called {args.council!r}.", file=sys.stderr)
                        return 2
                version = await install_framework(
                    db, spec, source_yaml=text, owner_council_id=owner, publish=args.publish
                )
                await db.commit()
        except Invalid as problem:
            print(problem, file=sys.stderr)
            return 2
        finally:
            await engine.dispose()
        state = "published" if args.publish else "a draft (publish it in the app or with --publish)"
        print(
            f"Imported {spec.name} version {spec.version} ({spec.statement_count} statements) as {state}; "
            f"version id {version.id}."
        )
        return 0

    return _run(install)


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from selfassess.db import DatabaseBehind, check_migrations, create_engine_for

    async def check() -> None:
        engine = create_engine_for(settings)
        try:
            if settings.auto_migrate:
                await run_migrations(settings)
            await check_migrations(engine, settings)
        finally:
            await engine.dispose()

    try:
        asyncio.run(check())
    except DatabaseBehind as problem:
        print(f"selfassess will not start: {problem}", file=sys.stderr)
        return 2
    host, port = args.host or settings.host, args.port or settings.port
    print(f"selfassess is running at http://{host}:{port}/  (Ctrl+C to stop)", flush=True)
    uvicorn.run(
        "selfassess.app:create_served_app",
        factory=True,
        host=host,
        port=port,
        workers=args.workers or settings.workers,
        proxy_headers=True,
        log_level="warning",
        access_log=False,
    )
    return 0


def _run(coroutine_factory: Callable[[], Coroutine[Any, Any, int]]) -> int:
    """Every command run this way writes, and may do so while the server is saving too."""
    import selfassess.models  # noqa: F401  (every table, and every slice's hook subscriptions)
    from selfassess.db import writes_expected
    from selfassess.maintenance import MaintenanceUnderway

    with writes_expected():
        try:
            return asyncio.run(coroutine_factory())
        except MaintenanceUnderway:
            print("The database is being restored (maintenance): nothing done; try again.", file=sys.stderr)
            return 75  # EX_TEMPFAIL: cron simply runs it again next time


def _run_on_database(
    settings: Settings,
    work: Callable[[AsyncEngine], Coroutine[Any, Any, int]],
    *,
    refused: tuple[type[Exception], ...] = (),
) -> int:
    """A command's work on a database at the code's migration: 2, with the reason, when it is
    behind (or the work refuses with one of ``refused``)."""
    from selfassess.db import DatabaseBehind, check_migrations, create_engine_for

    async def job() -> int:
        engine = create_engine_for(settings)
        try:
            await check_migrations(engine, settings)
            return await work(engine)
        except (DatabaseBehind, *refused) as problem:
            print(problem, file=sys.stderr)
            return 2
        finally:
            await engine.dispose()

    return _run(job)


def cmd_create_admin(args: argparse.Namespace, settings: Settings) -> int:
    from selfassess.accounts.passwords import password_problems
    from selfassess.accounts.service import create_council_admin
    from selfassess.db import session_factory
    from selfassess.errors import Invalid
    from selfassess.frameworks.service import council_named

    password = args.password or getpass.getpass("Password for the new admin: ")
    if problems := password_problems(password, email=args.email, name=args.name):
        print("That password will not do: " + " ".join(problems), file=sys.stderr)
        return 2

    async def create(engine: AsyncEngine) -> int:
        async with session_factory(engine)() as db:
            user, council = await create_council_admin(
                db,
                council=await council_named(db, args.council),
                email=args.email,
                full_name=args.name,
                password=password,
            )
        print(f"Created council admin {user.email} for {council.name}.")
        return 0

    return _run_on_database(settings, create, refused=(Invalid,))


def cmd_invite_provider_admin(args: argparse.Namespace, settings: Settings) -> int:
    from selfassess.accounts.service import invite_provider_admin
    from selfassess.db import session_factory
    from selfassess.errors import Invalid

    async def invite(engine: AsyncEngine) -> int:
        async with session_factory(engine)() as db:
            user, provider = await invite_provider_admin(
                db, provider=args.provider, email=args.email, full_name=args.name, settings=settings
            )
        print(
            f"Invited {user.email} as provider admin of {provider.name}: the invitation waits in the outbox "
            "(`selfassess send-mail` sends it)."
        )
        return 0

    return _run_on_database(settings, invite, refused=(Invalid,))


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from selfassess.demo import load_demo

    settings = settings.model_copy(update={"auto_migrate": True})

    async def load() -> int:
        from selfassess.db import create_engine_for, session_factory

        await run_migrations(settings)
        engine = create_engine_for(settings)
        try:
            async with session_factory(engine)() as db:
                logins = await load_demo(db, settings)
        finally:
            await engine.dispose()
        print(f"\nDemo data is loaded. Sign in with any of these (password for all: {logins.password}):\n")
        for line in logins.lines:
            print(f"  {line}")
        print()
        return 0

    status = _run(load)
    if status or not args.serve:
        return status
    args.workers = 1
    return cmd_serve(args, settings)


def cmd_send_mail(args: argparse.Namespace, settings: Settings) -> int:
    """One pass over the outbox, for cron or a systemd timer; exit 1 when an e-mail was given up."""
    from selfassess.db import session_factory
    from selfassess.notifications.mail import send_pending

    async def send(engine: AsyncEngine) -> int:
        report = await send_pending(session_factory(engine), settings, batch=args.batch)
        if not report.smtp_configured:
            print("No mail server is set (SELFASSESS_SMTP_HOST): nothing sent; e-mails wait in the outbox.")
            return 0
        print(
            f"Sent {report.sent}, will retry {report.retried} later, "
            f"gave up on {report.failed} after repeated failures."
        )
        return 1 if report.failed else 0

    return _run_on_database(settings, send)


def cmd_send_webhooks(args: argparse.Namespace, settings: Settings) -> int:
    """One pass over the webhook outbox; exit 1 when a delivery was given up."""
    from selfassess.db import session_factory
    from selfassess.webhooks.delivery import deliver_webhooks

    async def send(engine: AsyncEngine) -> int:
        report = await deliver_webhooks(session_factory(engine), settings, batch=args.batch)
        print(
            f"New events: {report.events}. Delivered {report.delivered}, will retry {report.retried} later, "
            f"gave up on {report.failed} after repeated failures."
        )
        return 1 if report.failed else 0

    return _run_on_database(settings, send)


def cmd_send_reminders(args: argparse.Namespace, settings: Settings) -> int:
    """Queue reminders for actions due soon or overdue, re-assess risk, remind support-level
    reviews and summarise a quarter just over for the quality picture, then send what the outbox holds."""
    from selfassess.actions.reminders import queue_reminders
    from selfassess.db import session_factory
    from selfassess.oversight.register import refresh_all_councils
    from selfassess.oversight.summary import summarise_missing
    from selfassess.oversight.support import remind_reviews

    async def remind(engine: AsyncEngine) -> int:
        async with session_factory(engine)() as db:
            report = await queue_reminders(db, settings)
            raised = await refresh_all_councils(db, clock.today(), settings)
            await remind_reviews(db, clock.today(), settings)
            await summarise_missing(db, clock.today())  # the quarter just over, into the quality summary
            await db.commit()
        print(
            f"Queued {report.due_soon} reminder(s) of actions due soon, {report.overdue} of overdue ones, "
            f"{report.follow_ups} follow-up visit proposal(s). Risk re-assessed: {raised} service(s) moved "
            "into a higher band."
        )
        return 0

    return _run_on_database(settings, remind) or cmd_send_mail(args, settings)


def cmd_send_round_reminders(args: argparse.Namespace, settings: Settings) -> int:
    """Remind provider staff of open self-assessment rounds they have not submitted, then send."""
    from selfassess.db import session_factory
    from selfassess.rounds.reminders import queue_round_reminders

    async def remind(engine: AsyncEngine) -> int:
        async with session_factory(engine)() as db:
            queued = await queue_round_reminders(db, settings)
        print(f"Queued {queued} self-assessment round reminder(s).")
        return 0

    return _run_on_database(settings, remind) or cmd_send_mail(args, settings)


def cmd_recompute_ratings(args: argparse.Namespace, settings: Settings) -> int:
    """Rate published visits again by their framework's method; list those that change for review."""
    from selfassess.db import session_factory
    from selfassess.visits.rating_reviews import recompute_published_ratings

    async def recompute(engine: AsyncEngine) -> int:
        async with session_factory(engine)() as db:
            report = await recompute_published_ratings(db)
        print(
            f"Checked {report.checked} published visit(s): {report.listed} overall rating(s) come out "
            "differently and are listed for the council's admins to review and republish (Admin, "
            f"Published ratings to review); {report.reasons_updated} unchanged rating(s) now show "
            "their current reason."
        )
        return 0

    return _run_on_database(settings, recompute)


def cmd_import_regulator(args: argparse.Namespace, settings: Settings) -> int:
    """Import a council's area (or chosen locations) from the CQC: preview, confirm, apply."""
    from selfassess.regulator.commands import run_import

    def confirm(question: str) -> bool:
        if args.yes:
            return True
        if not sys.stdin.isatty():
            print(f"{question} Not asked without a terminal: add --yes.", file=sys.stderr)
            return False
        return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")

    async def work(engine: AsyncEngine) -> int:
        return await run_import(
            engine,
            settings,
            council_name=args.council,
            location_ids=args.location or [],
            local_authority=args.local_authority,
            confirm=confirm,
        )

    return _run_on_database(settings, work)


def cmd_sync_regulator(args: argparse.Namespace, settings: Settings) -> int:
    """Refresh the services the CQC changed since the last run; alert officers; re-assess risk."""
    from selfassess.regulator.commands import run_sync

    async def work(engine: AsyncEngine) -> int:
        return await run_sync(engine, settings)

    return _run_on_database(settings, work) or cmd_send_mail(args, settings)


def _database_shown(settings: Settings) -> str:
    from sqlalchemy.engine import make_url

    return make_url(settings.sync_sqlalchemy_url).render_as_string(hide_password=True)


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    from pathlib import Path

    from selfassess.backup import BackupError, backup

    try:
        report = backup(settings, Path(args.path))
    except BackupError as problem:
        print(f"No backup made: {problem}", file=sys.stderr)
        return 2
    print(
        f"Backed up {_database_shown(settings)} to {report.path} "
        f"({report.size_bytes:,} bytes, migration {report.revision or 'none'})."
    )
    return 0


def cmd_restore(args: argparse.Namespace, settings: Settings) -> int:
    from pathlib import Path

    from selfassess.backup import BackupError, behind_head, restore

    if not args.yes:
        print(
            f"Restoring replaces everything in {_database_shown(settings)} with the backup; changes made "
            "since it was taken are lost. Run again with --yes to go ahead.",
            file=sys.stderr,
        )
        return 2
    try:
        report = restore(settings, Path(args.path))
    except BackupError as problem:
        print(f"Nothing restored: {problem}", file=sys.stderr)
        return 2
    print(
        f"Restored {_database_shown(settings)} from {report.path} (migration {report.revision}). "
        "Every session has ended: people sign in again."
    )
    if behind_head(settings, report.revision):
        print("The backup is from an older version: run `selfassess migrate` before starting the service.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="selfassess", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")

    serve = commands.add_parser(
        "serve", help="run the web service (refuses to start on an unmigrated database)"
    )
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int)
    serve.set_defaults(handler=cmd_serve)

    migrate = commands.add_parser("migrate", help="bring the database schema up to date")
    migrate.add_argument("--to", default="head", help="target revision (default: head)")
    migrate.add_argument("--downgrade", action="store_true", help="go down to --to (e.g. --to base)")
    migrate.set_defaults(handler=cmd_migrate)

    admin = commands.add_parser("create-admin", help="create a council (if new) and a council admin for it")
    admin.add_argument("--council", required=True, help="council name, e.g. 'Wigan Council'")
    admin.add_argument("--email", required=True)
    admin.add_argument("--name", required=True, help="the admin's full name")
    admin.add_argument("--password", help="omit to be asked (not echoed)")
    admin.set_defaults(handler=cmd_create_admin)

    provider_admin = commands.add_parser(
        "invite-provider-admin",
        help="invite an admin for an existing provider organisation (by e-mail; they set their own password)",
    )
    provider_admin.add_argument(
        "--provider", required=True, help="the organisation's name or CQC provider ID"
    )
    provider_admin.add_argument("--email", required=True)
    provider_admin.add_argument("--name", required=True, help="the admin's full name")
    provider_admin.set_defaults(handler=cmd_invite_provider_admin)

    backup = commands.add_parser(
        "backup", help="copy the database to a new file (safe while the service runs; PostgreSQL: pg_dump)"
    )
    backup.add_argument("path", help="the backup file to write; an existing file is never overwritten")
    backup.set_defaults(handler=cmd_backup)

    restore = commands.add_parser(
        "restore",
        help="replace the database with a backup (checked first; the service answers 'maintenance' "
        "meanwhile and everyone signs in again afterwards; PostgreSQL: pg_restore)",
    )
    restore.add_argument("path", help="a file written by `selfassess backup`")
    restore.add_argument("--yes", action="store_true", help="confirm: everything since the backup is lost")
    restore.set_defaults(handler=cmd_restore)

    framework = commands.add_parser("import-framework", help="validate and install a framework YAML file")
    framework.add_argument("file", help="path to the YAML file")
    framework.add_argument("--council", help="the council that owns it (default: available to every council)")
    framework.add_argument(
        "--publish", action="store_true", help="publish it at once (a published version is final)"
    )
    framework.set_defaults(handler=cmd_import_framework)

    demo = commands.add_parser(
        "demo",
        help="load the demo data set (once; delete the database file to start again) "
        "and print how to sign in",
    )
    demo.add_argument("--serve", action="store_true", help="then start the service")
    demo.add_argument("--host")
    demo.add_argument("--port", type=int)
    demo.set_defaults(handler=cmd_demo)

    send_mail = commands.add_parser(
        "send-mail", help="send the e-mails that are due from the outbox, once (run it every minute or so)"
    )
    send_mail.add_argument("--batch", type=int, default=50, help="most e-mails to send in this pass")
    send_mail.set_defaults(handler=cmd_send_mail)
    send_webhooks = commands.add_parser(
        "send-webhooks",
        help="deliver due webhook events, signed, retrying failures (run it every minute or so)",
    )
    send_webhooks.add_argument(
        "--batch", type=int, default=100, help="most events and deliveries in this pass"
    )
    send_webhooks.set_defaults(handler=cmd_send_webhooks)

    reminders = commands.add_parser(
        "send-reminders",
        help="e-mail owners of actions due soon or overdue, then send the outbox (run daily)",
    )
    reminders.add_argument("--batch", type=int, default=50, help="most e-mails to send in this pass")
    reminders.set_defaults(handler=cmd_send_reminders)

    regulator_import = commands.add_parser(
        "import-regulator",
        help="import a council's services from the CQC API: its whole area, or --location IDs; "
        "shows a preview and asks before changing anything",
    )
    regulator_import.add_argument("--council", required=True, help="the council's name in selfassess")
    regulator_import.add_argument(
        "--location",
        action="append",
        metavar="ID",
        help="a CQC location ID (repeat for more); default: the area",
    )
    regulator_import.add_argument(
        "--local-authority",
        help="the area as the CQC names it (default: the council's name without 'Council')",
    )
    regulator_import.add_argument("--yes", action="store_true", help="apply the preview without asking")
    regulator_import.set_defaults(handler=cmd_import_regulator)

    regulator_sync = commands.add_parser(
        "sync-regulator",
        help="refresh services the CQC changed since the last run, alert officers, send mail (run hourly)",
    )
    regulator_sync.add_argument("--batch", type=int, default=50, help="most e-mails to send in this pass")
    regulator_sync.set_defaults(handler=cmd_sync_regulator)
    round_reminders = commands.add_parser(
        "send-round-reminders",
        help="remind providers of self-assessment rounds not yet submitted, then send the outbox (run daily)",
    )
    round_reminders.add_argument("--batch", type=int, default=50, help="most e-mails to send in this pass")
    round_reminders.set_defaults(handler=cmd_send_round_reminders)

    recompute = commands.add_parser(
        "recompute-ratings",
        help="rate published visits again; list the ratings that change for council admins to review",
    )
    recompute.set_defaults(handler=cmd_recompute_ratings)
    return parser


def main(argv: list[str] | None = None) -> int:
    from selfassess.accounts.passwords import configure_hashing
    from selfassess.clock import configure_clock

    args = build_parser().parse_args(argv)
    settings = get_settings()
    configure_clock(settings.timezone)
    configure_hashing(
        memory_kib=settings.password_hash_memory_kib, time_cost=settings.password_hash_time_cost
    )
    return args.handler(args, settings)


if __name__ == "__main__":
    raise SystemExit(main())
