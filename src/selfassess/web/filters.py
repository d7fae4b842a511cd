"""A page's list filters read from the address bar: each value must be one of the options the page
offers; anything else is left out and explained in the page, never a 500."""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class FilterField:
    """One filter: its query name, its label, the text of "no filter", the options offered as
    (value, text), the message for a value that is not one of them, and the value chosen."""

    name: str
    label: str
    everything: str
    options: list[tuple[object, str]]
    problem: str
    chosen: str = ""


def read_filters(
    fields: list[FilterField], asked: dict[str, str]
) -> tuple[dict[str, FilterField], list[str]]:
    """Each field with the value asked for when it is offered (else none), and a message for each
    value that was not."""
    read: dict[str, FilterField] = {}
    errors: list[str] = []
    for field in fields:
        value = asked.get(field.name, "")
        if value and value not in {str(option) for option, _ in field.options}:
            errors.append(field.problem)
            value = ""
        read[field.name] = replace(field, chosen=value)
    return read, errors
