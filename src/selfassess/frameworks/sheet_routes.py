"""One autosave for the two score sheets: the provider's self-assessment answers and the officer's
visit scores. The handler binds the row's form, calls the slice's save command and answers with the
save status, the problem (422), both versions after a clash (409), or, for a browser without
JavaScript, a redirect to the row with a flash. Each slice describes only what differs (its text
boxes, addresses and element ids) in a ``SheetKind``; templates/macros/score_sheet.html draws the
row's form and the shared score_sheet/ templates draw the answers from this description."""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from litestar.plugins.flash import flash
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template
from pydantic import BaseModel, Field

from selfassess.errors import Invalid
from selfassess.frameworks.score_sheet import OFF_SCALE, SheetConflict, SheetEntry, SheetSave
from selfassess.frameworks.service import LoadedFramework
from selfassess.web.forms import bind
from selfassess.web.rendering import render, see_other


class SheetForm(BaseModel):
    """The part of a row's form both sheets share; each slice adds its two text boxes."""

    version: int = Field(title="Version", ge=0)
    score: int | None = Field(default=None, title="Score")


class SaveRow(Protocol):
    """The slice's save command for one row (its service's save, with the parent and row given): the
    row as saved and the sheet's progress after it."""

    def __call__(
        self, *, expected_version: int, score: int | None, **texts: str
    ) -> Awaitable[SheetSave[SheetRow]]: ...


class SheetRow(Protocol):
    """A stored row of either sheet, as the save status and the redirect need it."""

    @property
    def id(self) -> int | None: ...

    @property
    def statement_id(self) -> int: ...

    @property
    def version(self) -> int: ...

    @property
    def updated_at(self) -> datetime: ...


@dataclass(frozen=True)
class SheetText:
    """One of a row's two text boxes."""

    name: str  # the form field, the row's attribute and the save command's keyword
    label: str  # above the box
    heading: str  # beside the text where it is shown rather than edited (read-only, conflict)
    element: str  # the box's id is "{element}-{row id}"
    lines: int
    hint: str = ""


@dataclass(frozen=True)
class SheetKind:
    """What differs between the two sheets; everything else about a row is the same for both."""

    form: type[SheetForm]
    texts: tuple[SheetText, SheetText]
    rows_path: str  # the row's address (GET: the row as stored, POST: autosave): "{rows_path}/{row id}"
    pages_path: str  # a key question's page: "{pages_path}/{code}"
    row_element: str  # the row's <article> id and the anchor links go to: "{row_element}-{row id}"
    form_element: str  # the form's id: "{form_element}-{row id}"
    radio_element: str  # a scale value's radio id: "{radio_element}-{row id}-{value}"
    legend: str  # before the statement's code and title, above the scale
    autosave_prefix: str  # the browser's key for unsaved text: "{prefix}{parent id}-{row id}"
    marks: str | None = None  # a template of the row's marks, swapped in again after a save

    def of(self, parent_id: int) -> Sheet:
        return Sheet(self, parent_id)


@dataclass(frozen=True)
class Sheet:
    """One self-assessment's or one visit's sheet: the addresses of its rows."""

    kind: SheetKind
    parent_id: int

    def row_url(self, row_id: int) -> str:
        return self.kind.rows_path.format(parent=self.parent_id) + f"/{row_id}"

    def page_url(self, key_question_code: str, row_id: int) -> str:
        page = self.kind.pages_path.format(parent=self.parent_id)
        return f"{page}/{key_question_code}#{self.kind.row_element}-{row_id}"

    def autosave_key(self, row_id: int) -> str:
        return f"{self.kind.autosave_prefix}{self.parent_id}-{row_id}"


async def autosave(
    request: HTMXRequest,
    sheet: Sheet,
    row_id: int,
    data: Mapping[str, Any],
    *,
    framework: LoadedFramework,
    save: SaveRow,
) -> Template | Redirect:
    """Autosave of one row. htmx gets the save status (with the new version number, the progress
    the save counted and the row's score out of band); a problem or a clash is shown beside the
    row and nothing typed is lost: the form stays as it is, and the conflict view offers the
    person's version again."""
    context: dict[str, Any] = {"sheet": sheet, "framework": framework, "row_id": row_id}
    form = bind(sheet.kind.form, data)
    if not form.valid:
        context["error"] = OFF_SCALE if "score" in form.errors else next(iter(form.errors.values()))
        return render(request, "score_sheet/_status.html", context, status_code=422)
    assert form.data is not None
    entry = SheetEntry(
        version=form.data.version,
        score=form.data.score,
        texts={text.name: getattr(form.data, text.name) or "" for text in sheet.kind.texts},
    )
    try:
        saved = await save(expected_version=entry.version, score=entry.score, **entry.texts)
    except SheetConflict as conflict:
        saved_by_you = request.user is not None and conflict.current.updated_by_id == request.user.id
        context.update(conflict=conflict, mine=entry, saved_by_you=saved_by_you)
        return render(request, "score_sheet/_conflict.html", context, status_code=409)
    except Invalid as problem:
        context["error"] = str(problem)
        return render(request, "score_sheet/_status.html", context, status_code=422)
    if not request.htmx:
        flash(request, "Saved.", "success")
        statement = framework.statement(saved.row.statement_id)
        return see_other(sheet.page_url(statement.key_question_code, row_id))
    context.update(row=saved.row, progress=saved.progress)
    return render(request, "score_sheet/_status.html", context)
