"""Framework files: the YAML a council can edit, checked so every mistake is reported in plain words.

Pydantic checks the shape of each field (types, required, empty, unknown keys); the rules that
span fields or list items (list lengths, ordering, duplicates, references) are written out by hand
in `_consistency_problems` so they still run, and are all reported, when the shape is partly wrong.
List lengths are among them because pydantic counts only the items that validated, so one bad
statement would also be reported as "too few statements".
"""

from __future__ import annotations

import pathlib
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Annotated, Any, Literal, get_args

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    model_validator,
)

DATA_DIR = pathlib.Path(__file__).resolve().parent / "data"

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]*$"

BandKey = Literal["inadequate", "requires_improvement", "good", "outstanding"]
BAND_KEYS: tuple[str, ...] = get_args(BandKey)  # worst to best: the order bands must be listed in
# How key question ratings become the overall rating (frameworks.scoring.OverallMethod). A file that
# does not say keeps the method every framework used before the choice existed.
OverallMethodKey = Literal["rating_principles", "key_question_points"]
OVERALL_METHODS: tuple[str, ...] = get_args(OverallMethodKey)

# parse_framework has already run the consistency rules on the raw data (where they can be
# reported with the shape errors), so the model validator need not run them again.
_CONSISTENCY_CHECKED = "consistency_checked"


def _none_to_empty(value: object) -> object:
    # `description:` with nothing after it is YAML null; for an optional text that means "none".
    return "" if value is None else value


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
OptionalText = Annotated[str, BeforeValidator(_none_to_empty), StringConstraints(strip_whitespace=True)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, pattern=CODE_PATTERN)]
Slug = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, pattern=SLUG_PATTERN)]
# Strict so that YAML's true/false or 3.5 are not quietly read as scale values.
ScaleValue = Annotated[int, Strict(), Field(ge=0)]
Percent = Annotated[int, Strict(), Field(ge=0, le=100)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScaleLevelSpec(_Spec):
    value: ScaleValue
    label: Text
    description: OptionalText = ""


class RatingBandSpec(_Spec):
    key: BandKey
    label: Text
    min_percent: Percent


class EvidenceCategorySpec(_Spec):
    code: Code
    label: Text


class StatementSpec(_Spec):
    code: Code
    title: Text
    description: Text
    prompts: tuple[Text, ...]
    evidence_categories: tuple[Text, ...]


class KeyQuestionSpec(_Spec):
    code: Code
    title: Text
    description: OptionalText = ""
    statements: tuple[StatementSpec, ...]


class FrameworkSpec(_Spec):
    slug: Slug
    name: Text
    version: Text
    description: OptionalText = ""
    scale: tuple[ScaleLevelSpec, ...]
    good_value: Annotated[int, Strict()]
    rating_bands: tuple[RatingBandSpec, ...]
    overall_method: OverallMethodKey = "key_question_points"
    evidence_categories: tuple[EvidenceCategorySpec, ...]
    key_questions: tuple[KeyQuestionSpec, ...]

    @model_validator(mode="after")
    def _check_consistency(self, info: ValidationInfo) -> FrameworkSpec:
        # Keeps a spec built directly in Python (tests, fixtures) as trustworthy as a loaded one.
        if info.context and info.context.get(_CONSISTENCY_CHECKED):
            return self
        problems = _consistency_problems(self.model_dump())
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def statement_count(self) -> int:
        return sum(len(question.statements) for question in self.key_questions)

    def iter_statements(self) -> Iterator[tuple[KeyQuestionSpec, StatementSpec]]:
        for question in self.key_questions:
            for statement in question.statements:
                yield question, statement


class FrameworkSpecError(ValueError):
    """Carries every problem found, so an author can fix a file in one pass rather than one per run."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        listing = "\n".join(f"- {error}" for error in errors)
        super().__init__(f"Invalid framework file ({len(errors)} problem(s)):\n{listing}")


def parse_framework(text: str | bytes) -> FrameworkSpec:
    """Turn YAML text into a validated spec, or raise FrameworkSpecError listing every problem."""
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as exc:
        raise FrameworkSpecError([_describe_yaml_error(exc)]) from None
    expected = "a mapping of fields such as slug, name, version"
    if data is None:
        raise FrameworkSpecError([f"the file is empty: expected {expected}"])
    if not isinstance(data, Mapping):
        raise FrameworkSpecError([f"the file must be {expected}, but it is {_describe(data)}"])
    problems: list[str] = []
    spec: FrameworkSpec | None = None
    try:
        spec = FrameworkSpec.model_validate(data, context={_CONSISTENCY_CHECKED: True})
    except ValidationError as exc:
        problems.extend(_describe_pydantic_error(error) for error in exc.errors(include_url=False))
    problems.extend(_consistency_problems(data))
    if problems or spec is None:
        raise FrameworkSpecError(problems)
    return spec


class _StrictLoader(yaml.SafeLoader):
    """Safe YAML that also refuses what an uploaded file could abuse or silently get wrong:
    aliases (a few lines can expand to gigabytes) and repeated keys (the last would win unseen)."""

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed in framework files", event.start_mark
            )
        return super().compose_node(parent, index)  # type: ignore[arg-type]

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[object, object]:
        seen: set[object] = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key {key!r} appears twice in the same mapping", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def shipped_framework_path(slug: str) -> pathlib.Path:
    """Where a shipped framework lives; the slug is checked first so it cannot point outside the folder."""
    if not isinstance(slug, str) or re.fullmatch(SLUG_PATTERN, slug) is None:
        raise ValueError(f"not a framework slug: {slug!r}")
    path = DATA_DIR / f"{slug}.yaml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in DATA_DIR.glob("*.yaml"))) or "none"
        raise FileNotFoundError(f"no shipped framework {slug!r} (shipped: {known})")
    return path


def load_shipped_frameworks() -> list[FrameworkSpec]:
    """Every shipped framework, sorted by slug; a broken shipped file is a bug, so all files' problems
    are raised together, each prefixed with its file name."""
    specs: list[FrameworkSpec] = []
    problems: list[str] = []
    # Sorting by file name sorts by slug, because each file must be named after its slug.
    for path in sorted(DATA_DIR.glob("*.yaml")):
        try:
            spec = parse_framework(path.read_bytes())
        except FrameworkSpecError as exc:
            problems.extend(f"{path.name}: {error}" for error in exc.errors)
            continue
        if spec.slug != path.stem:  # shipped_framework_path finds a framework by its file name
            problems.append(f'{path.name}: slug: "{spec.slug}" must match the file name "{path.stem}"')
        specs.append(spec)
    if problems:
        raise FrameworkSpecError(problems)
    return specs


# --- turning errors into sentences ----------------------------------------------------------------


def _describe_yaml_error(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    if mark is None:
        return f"YAML syntax error: {problem}"
    where = f"line {mark.line + 1}, column {mark.column + 1}"
    context = getattr(exc, "context", None)
    context_mark = getattr(exc, "context_mark", None)
    if context and context_mark is not None:
        problem = f"{problem} ({context} at line {context_mark.line + 1})"
    return f"YAML syntax error at {where}: {problem}"


def _describe(value: object) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return f"true/false ({str(value).lower()})"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, str):
        return f'text ("{value if len(value) <= 60 else value[:57] + "..."}")'
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return f"a {type(value).__name__}"


def _format_path(loc: Iterable[object]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int) and not isinstance(part, bool):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def _describe_pydantic_error(error: Mapping[str, Any]) -> str:
    loc = tuple(error["loc"])
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    field = next((part for part in reversed(loc) if isinstance(part, str)), "")
    if kind == "missing":
        message = "field required"
    elif kind == "extra_forbidden":
        message = "unknown field"
    elif kind == "invalid_key":
        # YAML reads a key such as `1:` or `yes:` as a number or true/false; name it at its parent.
        loc = loc[:-1]
        message = f"unknown field {value!r} (field names must be text)"
    elif kind == "string_type":
        message = f"expected text, got {_describe(value)}"
        if isinstance(value, Mapping):
            message += ' (text containing ": " must be put in quotes)'
        elif value is not None and not isinstance(value, list | tuple):
            message += " (put it in quotes)"  # YAML read it as a number, date or true/false
    elif kind in {"int_type", "int_parsing", "int_from_float"}:
        message = f"expected a whole number, got {_describe(value)}"
    elif kind in {"tuple_type", "list_type"}:
        message = f"expected a list, got {_describe(value)}"
    elif kind in {"model_type", "model_attributes_type", "dict_type"}:
        message = f"expected a mapping of fields, got {_describe(value)}"
    elif kind == "string_too_short":
        message = "must not be empty"
    elif kind == "string_pattern_mismatch" and field == "slug":
        message = f'"{value}" is not a valid slug (use lowercase letters, digits and hyphens)'
    elif kind == "string_pattern_mismatch":
        message = (
            f'"{value}" is not a valid code (use letters, digits, ".", "_" or "-", '
            "starting with a letter or digit)"
        )
    elif kind == "literal_error":
        choices = OVERALL_METHODS if field == "overall_method" else BAND_KEYS
        allowed = ", ".join(f'"{key}"' for key in choices)
        got = f'"{value}"' if isinstance(value, str) else _describe(value)
        message = f"must be one of {allowed}, got {got}"
    elif kind == "greater_than_equal":
        message = f"must be at least {ctx['ge']}, got {value}"
    elif kind == "less_than_equal":
        message = f"must be at most {ctx['le']}, got {value}"
    else:
        message = str(error["msg"])
    return f"{_format_path(loc)}: {message}" if loc else message


# --- rules spanning several fields, run on raw YAML data (or a dumped spec) ---------------------------


def _items(value: object) -> list[tuple[int, Mapping[str, Any]]]:
    """The entries of a list that are mappings; anything else was already reported as a shape error."""
    if not isinstance(value, list | tuple):
        return []
    return [(index, item) for index, item in enumerate(value) if isinstance(item, Mapping)]


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _duplicates(entries: Iterable[tuple[str, object]], field: str | None, what: str) -> list[str]:
    """Entries are (location, value); case is ignored because codes end up in URLs and lookups."""
    first_seen: dict[str, str] = {}
    problems: list[str] = []
    for where, raw in entries:
        value = _text(raw)
        if value is None:
            continue
        key = value.casefold()
        if key in first_seen:
            path = f"{where}.{field}" if field else where
            problems.append(f'{path}: duplicate {what} "{value}" (also used at {first_seen[key]})')
        else:
            first_seen[key] = where
    return problems


def _percent(value: int, top: int) -> int:
    """value/top as a percentage rounded half up (Python's round() would round halves to even)."""
    return (value * 200 + top) // (top * 2)


def _count_problems(
    path: str, value: object, noun: str, minimum: int, maximum: int | None = None
) -> list[str]:
    if not isinstance(value, list | tuple):
        return []  # a missing or non-list value was already reported as a shape error
    count = len(value)
    if minimum <= count and (maximum is None or count <= maximum):
        return []
    wanted = f"at least {minimum}" if maximum is None else f"{minimum} to {maximum}"
    plural = "" if maximum is None and minimum == 1 else "s"
    return [f"{path}: needs {wanted} {noun}{plural}, got {count}"]


def _consistency_problems(data: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    problems.extend(_count_problems("scale", data.get("scale"), "level", 2))
    problems.extend(_count_problems("rating_bands", data.get("rating_bands"), "band", 2, 4))
    problems.extend(_count_problems("key_questions", data.get("key_questions"), "key question", 1))
    values = _scale_problems(data.get("scale"), problems)
    _good_value_problems(data.get("good_value"), values, problems)
    _band_problems(data.get("rating_bands"), values, problems)
    _overall_method_problems(data, problems)
    known_categories = _category_problems(data.get("evidence_categories"), problems)
    _key_question_problems(data.get("key_questions"), known_categories, problems)
    return problems


def _scale_problems(scale: object, problems: list[str]) -> list[int] | None:
    """Returns the scale values when the scale is complete enough for the rules that depend on them."""
    levels = _items(scale)
    first_index: dict[int, int] = {}
    previous: int | None = None
    for index, level in levels:
        value = level.get("value")
        if not _is_int(value):
            continue
        if value in first_index:
            problems.append(
                f"scale[{index}].value: duplicate value {value} (also used at scale[{first_index[value]}])"
            )
        elif previous is not None and value < previous:
            problems.append(
                f"scale[{index}].value: {value} is lower than the level before it ({previous}); "
                "levels must be listed from lowest to highest"
            )
        first_index.setdefault(value, index)
        previous = value
    labels = ((f"scale[{i}]", level.get("label")) for i, level in levels)
    problems.extend(_duplicates(labels, "label", "label"))
    values = [level.get("value") for _, level in levels]
    if not isinstance(scale, list | tuple) or len(levels) != len(scale) or len(levels) < 2:
        return None
    if not all(map(_is_int, values)):
        return None
    return values


def _good_value_problems(good_value: object, values: list[int] | None, problems: list[str]) -> None:
    if not _is_int(good_value) or not values:
        return
    if good_value not in values:
        listed = ", ".join(str(value) for value in values)
        problems.append(f"good_value: {good_value} is not one of the scale values ({listed})")
    elif good_value == min(values):
        problems.append(
            f"good_value: {good_value} is the lowest scale value; it must be above the bottom of the scale"
        )


def _band_problems(bands: object, values: list[int] | None, problems: list[str]) -> None:
    entries = _items(bands)
    keys = ((f"rating_bands[{i}]", band.get("key")) for i, band in entries)
    problems.extend(_duplicates(keys, "key", "key"))
    previous_rank: tuple[int, str] | None = None
    seen_keys: set[str] = set()
    for index, band in entries:
        key = band.get("key")
        if key not in BAND_KEYS or key in seen_keys:
            continue
        seen_keys.add(key)
        rank = BAND_KEYS.index(key)
        if previous_rank is not None and rank < previous_rank[0]:
            problems.append(
                f'rating_bands[{index}].key: "{key}" is listed after "{previous_rank[1]}"; '
                "bands must run from worst to best"
            )
        previous_rank = (rank, key)
    previous: int | None = None
    for index, band in entries:
        minimum = band.get("min_percent")
        if not _is_int(minimum):
            continue
        if previous is not None and minimum <= previous:
            problems.append(
                f"rating_bands[{index}].min_percent: {minimum} is not above the previous band's {previous}; "
                "min_percent must rise from band to band"
            )
        previous = minimum
    if not values or not entries or entries[0][0] != 0:
        return
    first = entries[0][1].get("min_percent")
    low, top = min(values), max(values)
    if _is_int(first) and top > 0 and low >= 0 and first > _percent(low, top):
        problems.append(
            f"rating_bands[0].min_percent: {first} is above the lowest achievable percentage "
            f"{_percent(low, top)} (lowest scale value {low}, highest {top}), "
            "so some results would fall below every band"
        )


def _overall_method_problems(data: Mapping[str, Any], problems: list[str]) -> None:
    """The rating principles speak of all four bands and of two key questions being outstanding."""
    if data.get("overall_method") != "rating_principles":
        return
    bands = data.get("rating_bands")
    keys = {band.get("key") for _, band in _items(bands)}
    if isinstance(bands, list | tuple) and not set(BAND_KEYS) <= keys:
        missing = ", ".join(f'"{key}"' for key in BAND_KEYS if key not in keys)
        problems.append(
            f"overall_method: the rating principles need all four rating bands; add {missing} "
            'or use overall_method: "key_question_points"'
        )
    questions = data.get("key_questions")
    if isinstance(questions, list | tuple) and len(questions) < 2:
        problems.append(
            "overall_method: the rating principles need at least two key questions "
            '(outstanding needs two outstanding); use overall_method: "key_question_points"'
        )


def _category_problems(categories: object, problems: list[str]) -> set[str] | None:
    """Returns the known codes, or None when the list is too broken to judge references against."""
    entries = _items(categories)
    codes_at = ((f"evidence_categories[{i}]", item.get("code")) for i, item in entries)
    problems.extend(_duplicates(codes_at, "code", "code"))
    codes = [_text(item.get("code")) for _, item in entries]
    if not isinstance(categories, list | tuple) or len(entries) != len(categories) or None in codes:
        return None
    return {code for code in codes if code is not None}


def _key_question_problems(
    key_questions: object, known_categories: set[str] | None, problems: list[str]
) -> None:
    questions = _items(key_questions)
    for q, question in questions:
        where = f"key_questions[{q}].statements"
        problems.extend(_count_problems(where, question.get("statements"), "statement", 1))
    codes_at = ((f"key_questions[{q}]", question.get("code")) for q, question in questions)
    problems.extend(_duplicates(codes_at, "code", "code"))
    statements = [
        (f"key_questions[{q}].statements[{s}]", statement)
        for q, question in questions
        for s, statement in _items(question.get("statements"))
    ]
    statement_codes_at = ((where, statement.get("code")) for where, statement in statements)
    problems.extend(_duplicates(statement_codes_at, "code", "code"))
    for where, statement in statements:
        problems.extend(_count_problems(f"{where}.prompts", statement.get("prompts"), "prompt", 1))
        references = statement.get("evidence_categories")
        if not isinstance(references, list | tuple):
            continue
        located = [(f"{where}.evidence_categories[{i}]", reference) for i, reference in enumerate(references)]
        problems.extend(_duplicates(located, None, "evidence category"))
        if known_categories is None:
            continue
        for path, reference in located:
            code = _text(reference)
            if code is not None and code not in known_categories:
                known = ", ".join(sorted(known_categories)) or "none defined"
                problems.append(f'{path}: unknown evidence category "{code}" (known: {known})')
