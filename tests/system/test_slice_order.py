"""Slices build on the slices before them, never on one after them (README, "Slice order").

Every module under ``src/selfassess/<slice>/`` is parsed (ast) and each ``selfassess.<other>``
import it makes at run time is checked against the order. Imports inside ``if TYPE_CHECKING:``
only name a type for the reader and the type checker, and create no dependency at run time.
The modules at the top of the package are either the base every slice may use, or the assembly
(``app``, ``cli``, ``demo``, ...) that may use every slice; neither is checked here.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from sqlalchemy import Table
from sqlalchemy.sql.expression import TableClause
from sqlmodel import SQLModel

import selfassess
import selfassess.app  # noqa: F401  (every module of every slice, and every table)

SLICE_ORDER = [
    "web",
    "accounts",
    "frameworks",
    "notifications",
    "providers",
    "attachments",
    "assessments",
    "rounds",
    "visits",
    "comparison",
    "actions",
    "queues",
    "councils",
    "oversight",
    "regulator",
    "webhooks",
    "tokens",
    "dashboards",
    "public",
    "api",
]

# Known imports against the order, still to be removed: "importing/module.py -> selfassess.module".
# An entry that no longer exists fails the test too, so the list only shrinks. None is left.
KNOWN_BACKWARD: set[str] = set()

PACKAGE = Path(selfassess.__file__).parent


def _runtime_imports(tree: ast.Module) -> list[tuple[int, str]]:
    """(line, module) for each ``selfassess.…`` import outside ``if TYPE_CHECKING:`` blocks."""
    type_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for statement in block.body
        for node in ast.walk(statement)
    }
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = (
                [f"{node.module}.{alias.name}" for alias in node.names] if node.module == "selfassess" else []
            )
            found += [(node.lineno, module) for module in names or [node.module]]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
    return [(line, module) for line, module in found if module.startswith("selfassess.")]


def backward_imports() -> set[str]:
    rank = {name: position for position, name in enumerate(SLICE_ORDER)}
    backward: set[str] = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if len(relative.parts) < 2 or relative.parts[0] not in rank:
            continue
        importer = relative.parts[0]
        for _line, module in _runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
            imported = module.split(".")[1]
            if imported in rank and rank[imported] > rank[importer]:
                backward.add(f"{relative.as_posix()} -> {module}")
    return backward


def test_every_slice_directory_is_in_the_order() -> None:
    slices = {path.name for path in PACKAGE.iterdir() if path.is_dir() and (path / "__init__.py").exists()}
    assert slices <= set(SLICE_ORDER), (
        f"put {sorted(slices - set(SLICE_ORDER))} in SLICE_ORDER and the README"
    )


def test_no_slice_imports_a_later_slice() -> None:
    backward = backward_imports()
    new = sorted(backward - KNOWN_BACKWARD)
    gone = sorted(KNOWN_BACKWARD - backward)
    assert not new, "imports from a later slice (use a hook, or move the shared code down):\n" + "\n".join(
        new
    )
    assert not gone, "no longer imported: remove from KNOWN_BACKWARD:\n" + "\n".join(gone)


def test_type_only_imports_are_not_counted() -> None:
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "from selfassess.accounts.models import User\n"
        "if TYPE_CHECKING:\n"
        "    from selfassess.providers.models import CareService\n"
    )
    assert [module for _, module in _runtime_imports(tree)] == ["selfassess.accounts.models"]


def test_tables_named_instead_of_imported_are_in_the_schema() -> None:
    """A slice that reads a later slice's table names it (``table("...", column(...))``) rather than
    importing its model; a renamed table or column must fail here, not quietly on a page."""
    named = [
        (module.__name__, clause)
        for module in list(sys.modules.values())
        if module.__name__.startswith("selfassess.")
        for clause in vars(module).values()
        if isinstance(clause, TableClause) and not isinstance(clause, Table)
    ]
    assert named, "the check found nothing to check"
    for module, clause in named:
        schema = SQLModel.metadata.tables.get(clause.name)
        assert schema is not None, f"{module} names table {clause.name!r}, which is not in the schema"
        missing = {column.name for column in clause.columns} - set(schema.columns.keys())
        assert not missing, f"{module} names {sorted(missing)} of {clause.name!r}, not in the schema"
