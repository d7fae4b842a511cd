"""HTML forms bound to pydantic models: what the user typed, what is wrong with it, in plain English.

An invalid form is re-rendered with the user's own values, so nothing they typed is lost.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from selfassess.validation import has_control_characters

M = TypeVar("M", bound=BaseModel)


@dataclass
class Form(Generic[M]):
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    data: M | None = None

    @property
    def valid(self) -> bool:
        return self.data is not None and not self.errors

    def value(self, name: str, default: Any = "") -> Any:
        value = self.values.get(name)
        return default if value is None else value

    def error(self, name: str) -> str | None:
        return self.errors.get(name)

    def add_error(self, name: str, message: str) -> None:
        self.errors[name] = message
        self.data = None

    @classmethod
    def initial(cls, values: Mapping[str, Any] | BaseModel | None = None) -> Form[M]:
        if isinstance(values, BaseModel):
            values = values.model_dump()
        return cls(values={k: v for k, v in (values or {}).items() if v is not None})


def bind(model: type[M], raw: Mapping[str, Any]) -> Form[M]:
    """Blank fields become None, so optional fields are optional and required ones say so."""
    values: dict[str, Any] = {}
    for name, value in raw.items():
        if name.startswith("_"):  # _csrf_token and the like
            continue
        if isinstance(value, str):
            value = value.strip()
        values[name] = value
    cleaned = {name: (None if value == "" else value) for name, value in values.items()}
    try:
        form = Form(values=values, data=model.model_validate(cleaned))
    except ValidationError as error:
        form = Form(values=values, errors=_messages(model, error))
    for name, value in values.items():
        if isinstance(value, str) and has_control_characters(value):
            info = model.model_fields.get(name)
            title = info.title if info and info.title else name.replace("_", " ").capitalize()
            form.add_error(name, f"{title} contains a control character that cannot be stored. Remove it.")
    return form


def _messages(model: type[BaseModel], error: ValidationError) -> dict[str, str]:
    messages: dict[str, str] = {}
    for problem in error.errors(include_url=False):
        name = str(problem["loc"][0]) if problem["loc"] else "__all__"
        if name in messages:
            continue
        info = model.model_fields.get(name)
        title = (info.title if info and info.title else name.replace("_", " ").capitalize()) if name else ""
        messages[name] = _message(problem, title)
    return messages


def _message(problem: Any, title: str) -> str:
    kind = problem["type"]
    ctx = problem.get("ctx") or {}
    if kind == "missing" or (kind.endswith("_type") and problem.get("input") is None):
        return f"{title} is required."
    if kind in {"int_parsing", "int_from_float", "int_type"}:
        return f"{title} must be a whole number."
    if kind in {"float_parsing", "decimal_parsing"}:
        return f"{title} must be a number."
    if kind in {"greater_than_equal", "greater_than"}:
        return f"{title} must be {ctx.get('ge', ctx.get('gt'))} or more."
    if kind in {"less_than_equal", "less_than"}:
        return f"{title} must be {ctx.get('le', ctx.get('lt'))} or less."
    if kind == "string_too_long":
        return f"{title} must be {ctx['max_length']} characters or fewer."
    if kind == "string_too_short":
        return (
            f"{title} is required."
            if ctx.get("min_length") == 1
            else (f"{title} must be at least {ctx['min_length']} characters.")
        )
    if kind.startswith(("date_", "datetime_")):
        return f"{title} must be a real date."
    if kind == "enum" or kind == "literal_error":
        return f"Choose {title.lower()} from the list."
    if kind == "bool_parsing":
        return f"Choose yes or no for {title.lower()}."
    if kind == "string_pattern_mismatch":
        return f"{title} is not in the right format."
    if kind == "value_error":
        return str(ctx.get("error", problem["msg"]))
    return f"{title}: {problem['msg']}"


def day_or_none(value: str) -> date | None:
    """A date from a list's address, or no limit when it is not one (the list then shows more,
    never a 500)."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None
