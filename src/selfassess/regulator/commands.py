"""The ``import-regulator`` and ``sync-regulator`` commands' work, with a progress bar on stderr."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TextIO

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from selfassess.accounts.models import Organisation, OrganisationKind
from selfassess.db import session_factory
from selfassess.errors import Invalid
from selfassess.regulator import client as regulator_client
from selfassess.regulator.client import KeyProblem, RegulatorError, RegulatorUnavailable
from selfassess.regulator.mapping import Plan, default_local_authority
from selfassess.regulator.models import ImportStatus, RegulatorImport
from selfassess.regulator.service import (
    apply_import,
    fetch_pending,
    import_overview,
    start_import,
    sync_regulator,
)
from selfassess.settings import Settings

EX_TEMPFAIL = 75  # cron runs it again next time


def progress_bar(label: str, stream: TextIO | None = None, width: int = 30) -> Callable[[int, int], None]:
    """``label [#########.........]  120/300`` redrawn in place; a new line when done."""
    out = stream or sys.stderr

    def show(done: int, total: int) -> None:
        filled = width * done // total if total else width
        out.write(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done:>5}/{total}")
        if done >= total:
            out.write("\n")
        out.flush()

    return show


def _exit_code(problem: RegulatorError) -> int:
    return EX_TEMPFAIL if isinstance(problem, RegulatorUnavailable) else 2


async def run_import(
    engine: AsyncEngine,
    settings: Settings,
    *,
    council_name: str,
    location_ids: list[str],
    local_authority: str | None,
    confirm: Callable[[str], bool],
) -> int:
    async with session_factory(engine)() as db:
        council = await db.scalar(
            select(Organisation).where(
                Organisation.kind == OrganisationKind.COUNCIL, Organisation.name == council_name
            )
        )
        if council is None:
            print(f"There is no council called {council_name!r}.", file=sys.stderr)
            return 2
        area = None if location_ids else (local_authority or default_local_authority(council.name))
        try:
            async with regulator_client.open_client(settings) as client:
                batch = await _unfinished(db, council.id, area) if area else None
                if batch is not None:
                    print(
                        f"Carrying on with the import of {area} started {batch.created_at:%d %b %Y %H:%M} UTC"
                    )
                else:
                    print(
                        f"Asking the CQC for {f'the locations in {area}' if area else 'the chosen locations'}"
                    )
                    batch = await start_import(
                        db,
                        client,
                        council_id=council.id,  # type: ignore[arg-type]
                        requested_by_id=None,
                        local_authority=area,
                        location_ids=location_ids,
                    )
                await fetch_pending(db, batch, client, progress=progress_bar("Fetching"))
        except RegulatorError as problem:
            print(problem, file=sys.stderr)
            return _exit_code(problem)
        except Invalid as problem:
            print(problem, file=sys.stderr)
            return 2
        overview = await import_overview(db, batch)
        print(f"Preview for {council.name}:")
        for plan in Plan:
            if overview.counts.get(plan.value):
                print(f"  {plan.label:<32} {overview.counts[plan.value]:>5}")
        if not overview.writes:
            print("Nothing to change.")
            await apply_import(db, batch, actor=None, settings=settings)  # closes it; changes nothing
            return 0
        if not confirm(f"Create or update {overview.writes} service(s)?"):
            print("Nothing changed. Run it again to carry on with this preview, or add --yes.")
            return 1
        report = await apply_import(
            db, batch, actor=None, settings=settings, progress=progress_bar("Applying")
        )
        print(
            f"Created {report.created}, matched {report.matched}, updated {report.updated} service(s); "
            f"{report.alerts} alert(s) sent."
            + (
                f" {len(report.failed)} clashed with changes made meanwhile: run it again."
                if report.failed
                else ""
            )
        )
        return 1 if report.failed else 0


async def _unfinished(db, council_id: int, area: str) -> RegulatorImport | None:  # type: ignore[no-untyped-def]
    """The council's last import of this area, if it was never applied: an interrupted run resumes."""
    latest = await db.scalar(
        select(RegulatorImport)
        .where(RegulatorImport.council_id == council_id)
        .order_by(RegulatorImport.id.desc())
        .limit(1)
    )
    if latest is None or latest.status is ImportStatus.APPLIED or latest.local_authority != area:
        return None
    return latest


async def run_sync(engine: AsyncEngine, settings: Settings) -> int:
    async with session_factory(engine)() as db:
        try:
            async with regulator_client.open_client(settings) as client:
                report = await sync_regulator(db, client, settings, progress=progress_bar("Refreshing"))
        except KeyProblem as problem:
            print(problem, file=sys.stderr)
            return 2
        except RegulatorError as problem:
            print(f"{problem} The next run asks for the same changes again.", file=sys.stderr)
            return _exit_code(problem)
    print(
        f"CQC changes from {report.window_start:%d %b %Y %H:%M} to {report.window_end:%d %b %Y %H:%M} UTC: "
        f"{report.changed_at_cqc} location(s) changed, {report.held} of them ours, "
        f"{report.refreshed} refreshed, "
        f"{report.alerts} alert(s) sent; risk re-assessed in {len(report.councils)} council(s)."
        + (f" Not found at the CQC: {', '.join(report.missing)}." if report.missing else "")
    )
    return 0
