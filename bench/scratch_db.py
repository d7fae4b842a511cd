#!/usr/bin/env python3
"""Create or drop a throwaway benchmark database (used by bench/run-benchmark).

    scratch_db.py create SERVER_URL NAME   prints the new database's URL
    scratch_db.py drop SERVER_URL NAME     drops it (only names starting with selfassess_bench_)

SERVER_URL is any database on the server to connect to for CREATE/DROP DATABASE, such as
postgresql://postgres@127.0.0.1:5432/postgres.
"""

from __future__ import annotations

import sys

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

PREFIX = "selfassess_bench_"


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[0] not in ("create", "drop"):
        print(__doc__, file=sys.stderr)
        return 2
    action, server_url, name = argv
    if not name.startswith(PREFIX):
        print(f"Refusing: benchmark databases are named {PREFIX}...", file=sys.stderr)
        return 2
    with psycopg.connect(server_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as db:
        if action == "create":
            db.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(make_url(server_url).set(database=name).render_as_string(hide_password=False))
        else:
            db.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
