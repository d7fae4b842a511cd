"""Bulk import from a spreadsheet (CSV): reading the file, checking each row, and deciding what
each row would do (create, update, unchanged, error) against what the council already has.

Pure: no web or database imports. The service (`bulk_import.py`) gives it a snapshot of the
council's records and applies the plan; the dry run and the confirmation both ask this module, so
confirming re-checks the file against the records as they are then, never a stale preview.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum

from selfassess.choices import Choice
from selfassess.providers.models import ServiceType
from selfassess.providers.schemas import cqc_id, uk_postcode
from selfassess.validation import email_address, has_control_characters

MAX_IMPORT_BYTES = 2 * 1024 * 1024  # about 10,000 rows of services: a county's register many times over
MAX_IMPORT_ROWS = 5_000


class ImportKind(Choice):
    SERVICES = "services", "Care services"
    PROVIDERS = "providers", "Provider organisations"


class RowAction(Enum):
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    ERROR = "error"

    @property
    def label(self) -> str:
        return self.value.capitalize()


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    hint: str
    example: str
    max_length: int = 200  # as the column it is stored in


SERVICE_COLUMNS = (
    Column("name", True, "The service's name", "Rose Lane House"),
    Column(
        "service_type",
        True,
        "One of: " + "; ".join(label for _, label in ServiceType.options()),
        "Care home without nursing",
    ),
    Column(
        "provider",
        True,
        "The provider organisation on your register: its name or CQC provider ID",
        "1-101234567",
    ),
    Column("address_line1", True, "First line of the address", "14 Rose Lane"),
    Column("address_line2", False, "Second line of the address", ""),
    Column("town", True, "Town or city", "Northbridge", max_length=100),
    Column("postcode", True, "A UK postcode", "NB1 4RL"),
    Column("capacity", False, "Beds, or people supported: a whole number", "48"),
    Column("cqc_location_id", False, "The CQC location ID; rows with one are matched by it", "1-1000000001"),
    Column("officer_email", False, "E-mail address of the quality officer who looks after it", ""),
)

PROVIDER_COLUMNS = (
    Column("name", True, "The organisation's name", "Brightwater Care Ltd"),
    Column("cqc_provider_id", False, "The CQC provider ID; rows with one are matched by it", "1-101234567"),
    Column("contact_email", False, "The organisation's contact e-mail address", "office@brightwater.example"),
    Column("admin_full_name", False, "Full name of its first provider admin (invited by e-mail)", "Sam Lee"),
    Column("admin_email", False, "E-mail address of its first provider admin", "sam.lee@brightwater.example"),
)

COLUMNS = {ImportKind.SERVICES: SERVICE_COLUMNS, ImportKind.PROVIDERS: PROVIDER_COLUMNS}

SERVICE_FIELDS = ("name", "service_type", "provider_id", "address_line1", "address_line2", "town", "postcode",
                  "capacity", "cqc_location_id", "assigned_officer_id")  # fmt: skip
_FIELD_LABELS = {
    "name": "name",
    "service_type": "type",
    "provider_id": "provider",
    "address_line1": "address line 1",
    "address_line2": "address line 2",
    "town": "town",
    "postcode": "postcode",
    "capacity": "capacity",
    "cqc_location_id": "CQC location ID",
    "assigned_officer_id": "officer",
}


_EXTRA_CELLS = "\x00extra"  # cannot be a column name: marks a row longer than the header


class FileProblem(ValueError):
    """The file as a whole cannot be read: the message says what to do about it."""


@dataclass(frozen=True)
class SourceRow:
    line: int  # as a spreadsheet numbers it: the header is line 1
    cells: Mapping[str, str]


def template_csv(kind: ImportKind) -> list[list[str]]:
    """The header and one example row, for the downloadable template."""
    columns = COLUMNS[kind]
    return [[column.name for column in columns], [column.example for column in columns]]


def _header_name(text: str) -> str:
    return "_".join(text.strip().lower().replace("-", " ").split())


def read_csv(raw: bytes, kind: ImportKind) -> list[SourceRow]:
    """The file's rows, keyed by column name; FileProblem when the file is not a CSV of this kind."""
    if not raw.strip():
        raise FileProblem("The file is empty. Download the template, fill it in and upload that.")
    if len(raw) > MAX_IMPORT_BYTES:
        raise FileProblem(
            f"The file is {len(raw) / 1024 / 1024:.1f} MB; the largest we take is "
            f"{MAX_IMPORT_BYTES // 1024 // 1024} MB. Split it into smaller files."
        )
    if raw.startswith(b"PK\x03\x04"):
        raise FileProblem(
            "This is an Excel workbook, not a CSV file. In Excel choose File → Save As → "
            "“CSV UTF-8 (comma delimited)” and upload that file."
        )
    if b"\x00" in raw:
        raise FileProblem("This is not a text file. Upload a CSV file saved as “CSV UTF-8”.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise FileProblem(
            f"The file is not in UTF-8 (line {line} has a character we cannot read). In Excel choose "
            "File → Save As → “CSV UTF-8 (comma delimited)”; other programs have a similar choice."
        ) from error
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise FileProblem(f"The file could not be read as CSV: {error}.") from error
    header = [_header_name(cell) for cell in records[0]]
    _check_header(header, kind)
    rows = []
    for index, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue  # blank lines at the end of a spreadsheet
        cells = {
            name: (record[i].strip() if i < len(record) else "") for i, name in enumerate(header) if name
        }
        if any(cell.strip() for cell in record[len(header) :]):  # trailing empty cells are harmless
            cells[_EXTRA_CELLS] = "yes"
        rows.append(SourceRow(index, cells))
    if not rows:
        raise FileProblem("The file has column names but no rows to import.")
    if len(rows) > MAX_IMPORT_ROWS:
        raise FileProblem(f"The file has {len(rows):,} rows; import at most {MAX_IMPORT_ROWS:,} at a time.")
    return rows


def _check_header(header: list[str], kind: ImportKind) -> None:
    expected = [column.name for column in COLUMNS[kind]]
    required = [column.name for column in COLUMNS[kind] if column.required]
    missing = [name for name in required if name not in header]
    unknown = [name for name in header if name and name not in expected]
    repeated = sorted({name for name in header if name and header.count(name) > 1})
    if not missing and not unknown and not repeated:
        return
    other = ImportKind.PROVIDERS if kind is ImportKind.SERVICES else ImportKind.SERVICES
    other_required = {column.name for column in COLUMNS[other] if column.required}
    if other_required <= set(header) and set(header) <= {column.name for column in COLUMNS[other]}:
        raise FileProblem(
            f"This looks like a file of {other.label.lower()}, not {kind.label.lower()}. "
            "Choose the other kind of import, or check you picked the right file."
        )
    problems = []
    if missing:
        problems.append("it has no column " + ", ".join(f"“{name}”" for name in missing))
    if unknown:
        problems.append("we do not know the column " + ", ".join(f"“{name}”" for name in unknown))
    if repeated:
        problems.append("the column " + ", ".join(f"“{name}”" for name in repeated) + " appears twice")
    raise FileProblem(
        "The first row must name the columns, and "
        + "; ".join(problems)
        + ". The columns are: "
        + ", ".join(expected)
        + " (download the template to start from)."
    )


# --- what each row would do ------------------------------------------------------------------------


@dataclass(frozen=True)
class RowOutcome:
    line: int
    action: RowAction
    label: str  # what the row is about, for the person reading the preview
    reason: str = ""
    values: Mapping[str, object] = field(default_factory=dict)  # what to write (create and update)
    existing_id: int | None = None  # the record updated or matched


@dataclass(frozen=True)
class ImportPlan:
    kind: ImportKind
    rows: tuple[RowOutcome, ...]

    def count(self, action: RowAction) -> int:
        return sum(1 for row in self.rows if row.action is action)

    @property
    def counts(self) -> dict[RowAction, int]:
        return {action: self.count(action) for action in RowAction}

    @property
    def changes_anything(self) -> bool:
        return any(row.action in (RowAction.CREATE, RowAction.UPDATE) for row in self.rows)

    @property
    def digest(self) -> str:
        """Names what this plan would do, so a confirmation can tell whether the records changed
        since the preview the person looked at."""
        text = repr(
            [
                (row.line, row.action.value, row.reason, sorted(row.values.items(), key=str))
                for row in self.rows
            ]
        )
        return hashlib.sha256(text.encode()).hexdigest()[:32]


def _error(row: SourceRow, label: str, reason: str) -> RowOutcome:
    return RowOutcome(row.line, RowAction.ERROR, label, reason)


def _common_problem(row: SourceRow, columns: Iterable[Column]) -> str | None:
    if row.cells.get(_EXTRA_CELLS):
        return "The row has more cells than there are columns (a comma inside a cell needs quotes)."
    for column in columns:
        value = row.cells.get(column.name, "")
        if column.required and not value:
            return f"“{column.name}” is required."
        if has_control_characters(value):
            return f"“{column.name}” contains a control character."
        if len(value) > column.max_length:
            return f"“{column.name}” is longer than {column.max_length} characters."
    return None


# --- services ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExistingService:
    id: int
    values: Mapping[str, object]  # SERVICE_FIELDS as stored


@dataclass(frozen=True)
class ServiceSnapshot:
    """What the council has, as far as the file needs it."""

    services: tuple[ExistingService, ...]
    providers_by_name: Mapping[str, int]  # lower-cased name → id, on the council's register
    providers_by_cqc_id: Mapping[str, int]
    provider_names: Mapping[int, str]
    officers_by_email: Mapping[str, int]  # the council's active officers and admins
    officer_emails: Mapping[int, str]
    location_ids_elsewhere: frozenset[str]  # CQC location IDs used by other councils' services


def _service_type(text: str) -> ServiceType | None:
    wanted = " ".join(text.lower().replace("_", " ").split())
    for service_type in ServiceType:
        if wanted in (service_type.value.replace("_", " "), service_type.label.lower()):
            return service_type
    return None


def _service_values(row: SourceRow, snapshot: ServiceSnapshot) -> dict[str, object] | str:
    """The row as a service's fields, or the reason it cannot be one."""
    cells = row.cells
    service_type = _service_type(cells["service_type"])
    if service_type is None:
        return (
            f"Unknown service type “{cells['service_type']}”: use one of "
            + "; ".join(label for _, label in ServiceType.options())
            + "."
        )
    provider_text = cells["provider"]
    provider_id = snapshot.providers_by_cqc_id.get(provider_text) or snapshot.providers_by_name.get(
        provider_text.lower()
    )
    if provider_id is None:
        return (
            f"Provider “{provider_text}” not found on your council's register: "
            "add it first (or import providers)."
        )
    try:
        postcode = uk_postcode(cells["postcode"])
    except ValueError:
        return f"“{cells['postcode']}” is not a UK postcode."
    capacity: int | None = None
    if cells.get("capacity"):
        try:
            capacity = int(cells["capacity"])
        except ValueError:
            return f"Capacity “{cells['capacity']}” is not a whole number."
        if not 0 <= capacity <= 5000:
            return "Capacity must be between 0 and 5000."
    location_id = cells.get("cqc_location_id") or None
    if location_id is not None:
        try:
            cqc_id(location_id, "location")
        except ValueError:
            return f"“{location_id}” is not a CQC location ID (they look like 1-123456789)."
        if location_id in snapshot.location_ids_elsewhere:
            return f"CQC location {location_id} is already a service in another council's area."
    officer_id: int | None = None
    if cells.get("officer_email"):
        officer_id = snapshot.officers_by_email.get(cells["officer_email"].lower())
        if officer_id is None:
            return f"No active officer at your council has the e-mail address “{cells['officer_email']}”."
    values: dict[str, object] = {
        "name": cells["name"],
        "service_type": service_type,
        "provider_id": provider_id,
        "address_line1": cells["address_line1"],
        "town": cells["town"],
        "postcode": postcode,
    }
    # Optional cells left blank leave what is stored alone.
    for name, value in (
        ("address_line2", cells.get("address_line2") or None),
        ("capacity", capacity),
        ("cqc_location_id", location_id),
        ("assigned_officer_id", officer_id),
    ):
        if value is not None:
            values[name] = value
    return values


def _shown(name: str, value: object, snapshot: ServiceSnapshot) -> str:
    if value is None:
        return "blank"
    if name == "provider_id":
        return snapshot.provider_names.get(int(value), "?")  # type: ignore[call-overload]
    if name == "assigned_officer_id":
        return snapshot.officer_emails.get(int(value), "?")  # type: ignore[call-overload]
    if isinstance(value, ServiceType):
        return value.label
    return str(value)


def plan_services(rows: list[SourceRow], snapshot: ServiceSnapshot) -> ImportPlan:
    """Each row is matched by its CQC location ID, or else by name and postcode, to one of the
    council's services: an update where it differs, unchanged where not, a new service otherwise."""
    by_location = {
        s.values["cqc_location_id"]: s for s in snapshot.services if s.values.get("cqc_location_id")
    }
    by_name = {(str(s.values["name"]).lower(), s.values["postcode"]): s for s in snapshot.services}
    seen: dict[str, int] = {}
    outcomes = []
    for row in rows:
        label = row.cells.get("name") or f"line {row.line}"
        if problem := _common_problem(row, SERVICE_COLUMNS):
            outcomes.append(_error(row, label, problem))
            continue
        values = _service_values(row, snapshot)
        if isinstance(values, str):
            outcomes.append(_error(row, label, values))
            continue
        keys = [f"name:{str(values['name']).lower()}|{values['postcode']}"]
        if values.get("cqc_location_id"):
            keys.append(f"location:{values['cqc_location_id']}")
        if clash := next((seen[key] for key in keys if key in seen), None):
            outcomes.append(_error(row, label, f"Duplicate in the file: line {clash} is the same service."))
            continue
        seen.update({key: row.line for key in keys})
        existing = by_location.get(values.get("cqc_location_id")) or by_name.get(
            (str(values["name"]).lower(), values["postcode"])
        )
        if existing is None:
            outcomes.append(RowOutcome(row.line, RowAction.CREATE, label, "New service.", values))
            continue
        changed = {name: value for name, value in values.items() if existing.values.get(name) != value}
        if not changed:
            outcomes.append(RowOutcome(row.line, RowAction.UNCHANGED, label, "", {}, existing.id))
            continue
        reason = "; ".join(
            f"{_FIELD_LABELS[name]}: {_shown(name, existing.values.get(name), snapshot)} → "
            f"{_shown(name, value, snapshot)}"
            for name, value in changed.items()
        )
        outcomes.append(RowOutcome(row.line, RowAction.UPDATE, label, reason, changed, existing.id))
    return ImportPlan(ImportKind.SERVICES, tuple(outcomes))


# --- provider organisations ------------------------------------------------------------------------


@dataclass(frozen=True)
class ProviderSnapshot:
    registered_by_name: Mapping[str, int]  # lower-cased name → id, on this council's register
    registered_by_cqc_id: Mapping[str, int]
    elsewhere_names: frozenset[str]  # lower-cased names of provider organisations not on the register
    elsewhere_cqc_ids: frozenset[str]
    taken_emails: frozenset[str]  # addresses that already have an account


def plan_providers(rows: list[SourceRow], snapshot: ProviderSnapshot) -> ImportPlan:
    """A provider organisation already on the register is left as it is (its details and accounts are
    its own); a new one is created on the register, with its first admin invited on confirmation."""
    seen: dict[str, int] = {}
    outcomes = []
    for row in rows:
        cells = row.cells
        label = cells.get("name") or f"line {row.line}"
        if problem := _common_problem(row, PROVIDER_COLUMNS):
            outcomes.append(_error(row, label, problem))
            continue
        name, provider_cqc_id = cells["name"], cells.get("cqc_provider_id") or None
        if provider_cqc_id is not None:
            try:
                cqc_id(provider_cqc_id, "provider")
            except ValueError:
                outcomes.append(_error(row, label, f"“{provider_cqc_id}” is not a CQC provider ID."))
                continue
        try:
            contact = email_address(cells["contact_email"]) if cells.get("contact_email") else None
            admin_email = email_address(cells["admin_email"]) if cells.get("admin_email") else None
        except ValueError:
            outcomes.append(_error(row, label, "An e-mail address is not valid (like name@example.org)."))
            continue
        admin_name = cells.get("admin_full_name") or None
        if bool(admin_email) != bool(admin_name):
            outcomes.append(
                _error(row, label, "Give both the first admin's full name and e-mail, or neither.")
            )
            continue
        keys = [f"name:{name.lower()}"] + ([f"cqc:{provider_cqc_id}"] if provider_cqc_id else [])
        if admin_email:
            keys.append(f"email:{admin_email}")
        if clash := next((seen[key] for key in keys if key in seen), None):
            outcomes.append(
                _error(row, label, f"Duplicate in the file: line {clash} has the same organisation or admin.")
            )
            continue
        seen.update({key: row.line for key in keys})
        registered = (
            snapshot.registered_by_cqc_id.get(provider_cqc_id) if provider_cqc_id else None
        ) or snapshot.registered_by_name.get(name.lower())
        if registered is not None:
            note = "Already on your register."
            if admin_email:
                note += " Its own admins run its accounts, so no invitation is sent."
            outcomes.append(RowOutcome(row.line, RowAction.UNCHANGED, label, note, {}, registered))
            continue
        if (
            provider_cqc_id and provider_cqc_id in snapshot.elsewhere_cqc_ids
        ) or name.lower() in snapshot.elsewhere_names:
            outcomes.append(
                _error(
                    row,
                    label,
                    "Already in selfassess with another council. Add it on the Providers page with its "
                    "CQC provider ID: its admins are asked to accept your register.",
                )
            )
            continue
        if admin_email and admin_email in snapshot.taken_emails:
            outcomes.append(_error(row, label, f"{admin_email} already has a selfassess account."))
            continue
        values: dict[str, object] = {
            "name": name,
            "cqc_provider_id": provider_cqc_id,
            "contact_email": contact,
        }
        reason = "New organisation on your register."
        if admin_email:
            values.update(admin_full_name=admin_name, admin_email=admin_email)
            reason += f" {admin_email} is invited as its first admin."
        outcomes.append(RowOutcome(row.line, RowAction.CREATE, label, reason, values))
    return ImportPlan(ImportKind.PROVIDERS, tuple(outcomes))
