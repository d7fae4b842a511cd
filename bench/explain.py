#!/usr/bin/env python3
"""Which SQL each benchmarked page runs, how long it takes, and EXPLAIN ANALYZE of the slow ones.

    .venv/bin/python bench/explain.py postgresql://postgres@127.0.0.1:5432/selfassess_bench
    .venv/bin/python bench/explain.py URL --only "plans list" --threshold-ms 5

Runs the application in this process (the same `create_app` the server runs, through httpx's
ASGI transport, one request at a time, so timings are free of queueing), with a hook on SQLAlchemy's
engine that times every statement. For each page of bench/run.py it prints the number of
statements, the time spent in the database and in the whole request, and the CPU time this process
spent on it (the app's work plus the in-process test client's, which is small and the same for
every page; `--profile DIR` also writes each page's cProfile for `python -m pstats`); then, for every statement
slower than the threshold, the SQL, its parameters and PostgreSQL's EXPLAIN (ANALYZE, BUFFERS)
run with the same parameters (inside a transaction that is rolled back, so writes are undone).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import logging
import os
import secrets
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import event
from sqlalchemy.engine import Engine

sys.path.insert(0, str(Path(__file__).resolve().parent))
from people import ADMIN, OFFICER, PROVIDER  # noqa: E402
from run import Client, Page, Targets, discover, pages, send, sync_url  # noqa: E402


@dataclass
class Statement:
    sql: str
    parameters: Any
    ms: float


@dataclass
class Recorder:
    statements: list[Statement] = field(default_factory=list)
    active: bool = False

    def install(self) -> None:
        @event.listens_for(Engine, "before_cursor_execute")
        def before(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
            conn.info.setdefault("bench_started", []).append(time.perf_counter())

        @event.listens_for(Engine, "after_cursor_execute")
        def after(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
            started = conn.info["bench_started"].pop()
            if self.active:
                self.statements.append(
                    Statement(statement, parameters, (time.perf_counter() - started) * 1000)
                )


@dataclass
class CollectorClock:
    """Time the garbage collector spends, which cProfile charges to whatever allocated last."""

    ms: float = 0.0
    started: float = 0.0
    full: int = 0  # collections of the oldest generation, which walk every object the process holds

    def install(self) -> None:
        def tick(phase: str, info: dict[str, int]) -> None:
            if phase == "start":
                self.started = time.perf_counter()
            else:
                self.ms += (time.perf_counter() - self.started) * 1000
                self.full += info["generation"] == 2

        gc.callbacks.append(tick)


@dataclass
class PageRun:
    page: Page
    request_ms: float
    cpu_ms: float
    gc_ms: float
    statements: list[Statement]

    @property
    def db_ms(self) -> float:
        return sum(statement.ms for statement in self.statements)


async def profile(args: argparse.Namespace) -> int:
    import httpx

    from selfassess.app import create_app
    from selfassess.settings import Settings

    targets: Targets = discover(args.database_url)
    chosen = [
        page for page in pages(targets) if not args.only or any(word in page.name for word in args.only)
    ]
    settings = Settings(
        database_url=args.database_url,
        secret_key=secrets.token_urlsafe(48),
        data_dir=Path(tempfile.mkdtemp(prefix="selfassess-bench-explain-")),
        base_url="http://testserver.local",
    )
    recorder = Recorder()
    recorder.install()
    collector = CollectorClock()
    collector.install()
    app = create_app(settings)
    for noisy in ("selfassess", "httpx", "alembic"):  # the access log and friends: not what this reports
        logging.getLogger(noisy).setLevel(logging.WARNING)
    results: list[PageRun] = []
    # The app runs in this thread and event loop, as under uvicorn (Litestar's test client would run
    # it in a thread of its own, out of cProfile's sight).
    transport = httpx.ASGITransport(app=app)
    async with (
        app.lifespan(),
        httpx.AsyncClient(transport=transport, base_url="http://testserver.local", timeout=120) as http,
    ):
        jars: dict[str, dict[str, str]] = {"public": {}}
        for role, email in (("officer", OFFICER), ("provider", PROVIDER), ("admin", ADMIN)):
            http.cookies.clear()
            await Client("", 0, args.seed, http).login(email)
            jars[role] = dict(http.cookies)
        for number, page in enumerate(chosen, 1):
            http.cookies.clear()
            http.cookies.update(jars[page.role])
            client = Client("", 0, args.seed + number, http)
            client.state["clients"] = 1
            runs = []
            profiler = cProfile.Profile() if args.profile else None
            for attempt in range(args.warmup + args.repeat):
                request = page.make(client)
                measured = attempt >= args.warmup
                recorder.statements, recorder.active = [], measured
                if profiler and measured:
                    profiler.enable()
                cpu_started, gc_started = time.process_time(), collector.ms
                elapsed, response = await send(client, request, f"bench-explain-{number:02d}-{attempt:03d}")
                cpu, gc_ms = time.process_time() - cpu_started, collector.ms - gc_started
                if profiler and measured:
                    profiler.disable()
                recorder.active = False
                if response.status_code != 200:
                    print(f"  {page.name}: {request.method} {request.url} answered {response.status_code}")
                    continue
                if request.after:
                    request.after(response)
                if attempt >= args.warmup:
                    runs.append(PageRun(page, elapsed * 1000, cpu * 1000, gc_ms, recorder.statements))
            if profiler and runs:
                args.profile.mkdir(parents=True, exist_ok=True)
                profiler.dump_stats(args.profile / f"{number:02d}-{_file_name(page.name)}.pstats")
            if runs:
                runs.sort(key=lambda run: run.request_ms)
                results.append(  # the median run, with the median CPU and the mean collector time
                    replace(
                        runs[len(runs) // 2],
                        cpu_ms=statistics.median(run.cpu_ms for run in runs),
                        gc_ms=statistics.mean(run.gc_ms for run in runs),
                    )
                )
                print(f"  profiled {page.name}", file=sys.stderr, flush=True)

    print(f"\n{'page (median of ' + str(args.repeat) + ' runs, one at a time)':<46} {'queries':>7} {'db ms':>7} "
          f"{'request ms':>10} {'cpu ms':>7} {'gc ms':>6} {'slowest':>8}")  # fmt: skip
    for run in results:
        slowest = max((s.ms for s in run.statements), default=0.0)
        print(
            f"{run.page.name:<46} {len(run.statements):>7} {run.db_ms:7.1f} {run.request_ms:10.1f}"
            f" {run.cpu_ms:7.1f} {run.gc_ms:6.1f} {slowest:8.1f}"
        )
    print(
        f"(cpu ms: median; gc ms: mean time in the garbage collector; {collector.full} full collections"
        f" of {len(gc.get_objects()):,} objects in this process, {collector.ms:.0f} ms collecting in all)"
    )

    slow: dict[str, tuple[Statement, list[str]]] = {}
    for run in results:
        for statement in run.statements:
            if statement.ms >= args.threshold_ms:
                entry = slow.setdefault(statement.sql, (statement, []))
                if statement.ms > entry[0].ms:
                    slow[statement.sql] = (statement, entry[1])
                slow[statement.sql][1].append(run.page.name)
    if not slow:
        print(f"\nNo statement took {args.threshold_ms} ms or more.")
        return 0
    print(
        f"\nStatements taking {args.threshold_ms} ms or more, slowest first, with EXPLAIN (ANALYZE, BUFFERS):"
    )
    with psycopg.connect(sync_url(args.database_url)) as db:
        for statement, page_names in sorted(slow.values(), key=lambda entry: -entry[0].ms):
            print("\n" + "=" * 100)
            print(f"{statement.ms:.1f} ms on: {', '.join(dict.fromkeys(page_names))}")
            print(statement.sql)
            print(f"parameters: {statement.parameters}")
            print("-" * 100)
            try:
                plan = db.execute(f"EXPLAIN (ANALYZE, BUFFERS) {statement.sql}", statement.parameters or None)
                for (line,) in plan:
                    print(line)
            except psycopg.Error as error:
                print(f"(could not explain: {error})")
            finally:
                db.rollback()
    return 0


def _file_name(page_name: str) -> str:
    return "".join(character if character.isalnum() else "-" for character in page_name).strip("-")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("database_url", nargs="?", default=os.environ.get("SELFASSESS_DATABASE_URL"))
    parser.add_argument("--only", nargs="*", help="pages whose name contains one of these words")
    parser.add_argument(
        "--threshold-ms", type=float, default=20.0, help="explain statements at least this slow"
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--profile", type=Path, help="write each page's cProfile of the measured runs to this folder"
    )
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("give the PostgreSQL URL of a generated database")
    return asyncio.run(profile(args))


if __name__ == "__main__":
    raise SystemExit(main())
