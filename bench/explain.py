#!/usr/bin/env python3
"""Which SQL each benchmarked page runs, how long it takes, and EXPLAIN ANALYZE of the slow ones.

    .venv/bin/python bench/explain.py postgresql://postgres@127.0.0.1:5432/selfassess_bench
    .venv/bin/python bench/explain.py URL --only "plans list" --threshold-ms 5

Runs the application in this process (the same `create_app` the server runs, through Litestar's
test client, one request at a time, so timings are free of queueing), with a hook on SQLAlchemy's
engine that times every statement. For each page of bench/run.py it prints the number of
statements, the time spent in the database and in the whole request; then, for every statement
slower than the threshold, the SQL, its parameters and PostgreSQL's EXPLAIN (ANALYZE, BUFFERS)
run with the same parameters (inside a transaction that is rolled back, so writes are undone).
"cpu ms" is this process's CPU time for the request (the app's Python: routing, ORM, templates;
PostgreSQL's own CPU is apart); `--profile N` adds each page's N costliest functions (cProfile,
CPU time), and its overhead inflates "cpu ms" and "request ms" in that run.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import logging
import os
import pstats
import secrets
import sys
import tempfile
import time
from dataclasses import dataclass, field
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
class AppProfiler:
    """Wraps the app's ASGI handler: the test client runs the app in its own thread, where a
    profiler enabled by the caller would not see it."""

    handler: Any
    current: cProfile.Profile | None = None
    active: bool = False

    async def __call__(self, scope, receive, send):  # type: ignore[no-untyped-def]
        if not (self.active and self.current):
            return await self.handler(scope, receive, send)
        self.current.enable()
        try:
            return await self.handler(scope, receive, send)
        finally:
            self.current.disable()


@dataclass
class PageRun:
    page: Page
    request_ms: float
    cpu_ms: float  # this process's CPU time for the request (the app; PostgreSQL's is apart)
    statements: list[Statement]

    @property
    def db_ms(self) -> float:
        return sum(statement.ms for statement in self.statements)


async def profile(args: argparse.Namespace) -> int:
    from litestar.testing import AsyncTestClient

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
    app = create_app(settings)
    profiler = AppProfiler(app.asgi_handler)
    app.asgi_handler = profiler
    for noisy in ("selfassess", "httpx", "alembic"):  # the access log and friends: not what this reports
        logging.getLogger(noisy).setLevel(logging.WARNING)
    results: list[PageRun] = []
    profiles: dict[str, cProfile.Profile] = {}
    async with AsyncTestClient(app=app, timeout=120) as http:
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
            profiler.current = cProfile.Profile(time.process_time) if args.profile else None
            for attempt in range(args.warmup + args.repeat):
                request = page.make(client)
                measured = attempt >= args.warmup
                recorder.statements, recorder.active = [], measured
                profiler.active = measured
                cpu_started = time.process_time()
                elapsed, response = await send(client, request, f"bench-explain-{number:02d}-{attempt:03d}")
                cpu = time.process_time() - cpu_started
                recorder.active = profiler.active = False
                if response.status_code != 200:
                    print(f"  {page.name}: {request.method} {request.url} answered {response.status_code}")
                    continue
                if request.after:
                    request.after(response)
                if attempt >= args.warmup:
                    runs.append(PageRun(page, elapsed * 1000, cpu * 1000, recorder.statements))
            if profiler.current:
                profiles[page.name] = profiler.current
            if runs:
                runs.sort(key=lambda run: run.request_ms)
                results.append(runs[len(runs) // 2])  # the median run
                print(f"  profiled {page.name}", file=sys.stderr, flush=True)

    for name, profiler in profiles.items():
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats(args.profile_sort).print_stats(args.profile)
        print(f"\n{'=' * 100}\ncProfile of {name} (CPU time, all {args.repeat} measured runs together)")
        print(out.getvalue())

    print(f"\n{'page (median of ' + str(args.repeat) + ' runs, one at a time)':<46} {'queries':>7} {'db ms':>7} "
          f"{'request ms':>10} {'cpu ms':>7} {'slowest':>8}")  # fmt: skip
    for run in results:
        slowest = max((s.ms for s in run.statements), default=0.0)
        print(
            f"{run.page.name:<46} {len(run.statements):>7} {run.db_ms:7.1f} {run.request_ms:10.1f}"
            f" {run.cpu_ms:7.1f} {slowest:8.1f}"
        )
    if args.buffers:
        print_buffers(args.database_url, results, each=args.each_statement)

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


def print_buffers(url: str, results: list[PageRun], each: bool = False) -> None:
    """Every statement of every page explained: shared buffers touched and execution time, summed per
    page. Buffers do not depend on what else the machine runs, so they compare runs made under
    different loads, and one data set with another."""
    print(f"\n{'page (every statement explained)':<46} {'queries':>7} {'buffers':>9} {'exec ms':>9}")
    with psycopg.connect(sync_url(url)) as db:
        for run in results:
            buffers, execution_ms = 0, 0.0
            for statement in run.statements:
                try:
                    explained = db.execute(
                        f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {statement.sql}",
                        statement.parameters or None,
                    ).fetchone()
                except psycopg.Error:
                    continue  # a statement that cannot be explained (a transaction command)
                finally:
                    db.rollback()
                plan = explained[0][0]  # type: ignore[index]
                touched = plan["Plan"].get("Shared Hit Blocks", 0) + plan["Plan"].get("Shared Read Blocks", 0)
                buffers += touched
                execution_ms += plan.get("Execution Time", 0.0)
                if each:
                    sql = " ".join(statement.sql.split())
                    print(f"    {touched:>9,} {plan.get('Execution Time', 0.0):9.1f}  {sql[:170]}")
            print(f"{run.page.name:<46} {len(run.statements):>7} {buffers:>9,} {execution_ms:9.1f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("database_url", nargs="?", default=os.environ.get("SELFASSESS_DATABASE_URL"))
    parser.add_argument("--only", nargs="*", help="pages whose name contains one of these words")
    parser.add_argument(
        "--threshold-ms", type=float, default=20.0, help="explain statements at least this slow"
    )
    parser.add_argument(
        "--buffers", action="store_true", help="explain every statement: buffers and execution ms per page"
    )
    parser.add_argument("--each-statement", action="store_true", help="with --buffers: every statement's own")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="print the N costliest functions of each page (cProfile, CPU time)",
    )
    parser.add_argument("--profile-sort", default="tottime", help="pstats sort key: tottime, cumulative, ...")
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("give the PostgreSQL URL of a generated database")
    return asyncio.run(profile(args))


if __name__ == "__main__":
    raise SystemExit(main())
