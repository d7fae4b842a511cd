#!/usr/bin/env python3
"""Fill an empty PostgreSQL database with a national-scale selfassess data set, fast.

    .venv/bin/python bench/generate.py postgresql://postgres@127.0.0.1:5432/selfassess_bench --scale 0.2

1. The schema comes from the project's own `selfassess migrate` (Alembic, then the shipped
   frameworks are installed), so it is exactly production's: same tables, same indexes.
2. Councils, provider organisations, people, services and several years of history are generated
   in Python (deterministic for a given --seed) and written as PostgreSQL COPY text, one file per
   table, then loaded with psycopg 3 `COPY ... FROM STDIN` in foreign-key order (constraints stay
   on and are checked).
3. Published visits carry `rating_key` / `rating_reason` / `key_question_ratings` computed with the
   project's own scoring (`LoadedFramework.summarise`, stored by `visits.service.published_ratings`,
   the helper publishing uses), and action plans are the project's own proposals
   (`comparison.rules.compare` + `actions.rules.propose_actions`) from the officer's scores.
4. Each locked visit's comparison summary is derived by the application's own statements
   (`comparison.summaries.refresh_statements`), as the migration that added them does.
5. Sequences are moved past the generated ids and the database is VACUUM ANALYZEd, as autovacuum
   would have done in production.

Scale: `--scale 1` is a national deployment (150 councils, ~30,000 services). A smaller scale keeps
each council's size realistic and has fewer councils (6,000 services in 30 councils at 0.2): the
largest council is always a big county of ~900 services, because per-council pages (services list,
visits, plans, reviews) are what its officers wait for. `--councils` overrides the count.

It refuses to touch a database that already has tables in it.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from statistics import NormalDist
from typing import Any

import psycopg
from psycopg.types.json import Json

sys.path.insert(0, str(Path(__file__).resolve().parent))
from people import ADMIN, BENCH_PASSWORD, OFFICER, OWN_DRAFTS, OWN_SCORING_VISITS, PROVIDER  # noqa: E402

from selfassess.accounts.passwords import configure_hashing, hash_password  # noqa: E402
from selfassess.actions.rules import ActionStatus, policy_from_settings, propose_actions  # noqa: E402
from selfassess.comparison.rules import StatementScores, compare  # noqa: E402
from selfassess.frameworks.service import LoadedFramework  # noqa: E402
from selfassess.settings import Settings  # noqa: E402
from selfassess.visits.service import published_ratings  # noqa: E402

REPO = Path(__file__).resolve().parents[1]

FULL_SCALE_SERVICES = 30_000
FULL_SCALE_COUNCILS = 150
LARGE_COUNCIL_SERVICES = 900  # a big county (Kent, Lancashire, Essex have roughly this many)
# National chains at full scale (services each); scaled with --scale.
CHAIN_SIZES = (300, 250, 200, 160, 130, 110, 95, 80, 70, 60)

# --- the tables we fill, with the columns we write (validated against the migrated schema) ----------

TABLES: dict[str, tuple[str, ...]] = {
    "organisation": ("id", "kind", "name", "slug", "contact_email", "cqc_provider_id", "created_at", "updated_at"),
    "user": (
        "id", "email", "full_name", "job_title", "password_hash", "role", "organisation_id", "is_active",
        "organisation_kind", "last_login_at", "created_at", "updated_at",
    ),
    "care_service": (
        "id", "council_id", "provider_id", "name", "service_type", "address_line1", "address_line2", "town",
        "postcode", "capacity", "cqc_location_id", "regulator_rating", "regulator_rating_date",
        "assigned_officer_id", "is_active", "created_at", "updated_at",
    ),
    "council_provider": ("council_id", "provider_id", "created_at"),
    "council_settings": (
        "council_id", "framework_version_id", "blind_scoring", "factual_accuracy_days", "plan_completion_days",
        "follow_up_months", "overrating_margin", "reminder_days", "priority_rules", "publish_ratings",
        "updated_at",
    ),
    "self_assessment": (
        "id", "service_id", "framework_version_id", "status", "period_label", "started_by_id", "submitted_at",
        "submitted_by_id", "reviewed_at", "reviewed_by_id", "created_at", "updated_at",
    ),
    "self_assessment_answer": (
        "id", "assessment_id", "statement_id", "score", "narrative", "improvement_plan", "version",
        "updated_at", "updated_by_id",
    ),
    "evidence_item": ("id", "answer_id", "kind", "category", "text", "file_id", "added_by_id", "added_at"),
    "assessment_event": ("id", "assessment_id", "from_status", "to_status", "actor_id", "occurred_at", "comment"),
    "concern": (
        "id", "service_id", "source", "received_on", "summary", "details", "severity", "is_complaint",
        "is_confidential", "status", "outcome", "logged_by_id", "created_at", "updated_at",
    ),
    "visit": (
        "id", "service_id", "council_id", "framework_version_id", "self_assessment_id", "visit_type", "status",
        "scheduled_for", "announced", "officer_id", "summary", "scores_locked_at", "shared_at",
        "factual_accuracy_due", "published_at", "published_by_id", "version", "rating_key", "rating_label",
        "rating_percent", "rating_reason", "key_question_ratings", "created_at", "updated_at",
    ),
    "visit_concern": ("visit_id", "concern_id"),
    "visit_score": (
        "id", "visit_id", "statement_id", "score", "findings", "evidence_seen", "version", "updated_at",
        "updated_by_id",
    ),
    "visit_event": ("id", "visit_id", "actor_id", "occurred_at", "event", "detail"),
    "factual_accuracy_point": (
        "id", "visit_id", "statement_id", "raised_by_id", "text", "status", "response", "score_before",
        "score_after", "resolved_by_id", "resolved_at", "created_at", "updated_at",
    ),
    "action_plan": (
        "id", "service_id", "council_id", "provider_id", "visit_id", "status", "provider_due", "submitted_at",
        "agreed_at", "agreed_by_id", "review_comment", "closed_at", "follow_up_due", "created_at", "updated_at",
    ),
    "action": (
        "id", "plan_id", "statement_id", "reason", "title", "description", "priority", "owner_id", "due_date",
        "status", "status_reason", "proposed_due_date", "proposed_due_reason", "completed_at", "verified_at",
        "verified_by_id", "version", "created_at", "updated_at",
    ),
    "action_event": (
        "id", "plan_id", "action_id", "actor_id", "occurred_at", "event", "field", "old_value", "new_value",
        "comment",
    ),
    "action_note": ("id", "action_id", "author_id", "text", "file_id", "created_at"),
    "notification": ("id", "user_id", "message", "link", "created_at", "read_at"),
    "outbox_email": (
        "id", "dedupe_key", "to_address", "subject", "body", "status", "attempts", "next_attempt_at",
        "last_error", "created_at", "sent_at",
    ),
    "audit_event": ("id", "occurred_at", "event", "actor_id", "organisation_id", "subject", "detail", "ip"),
    "login_session": (
        "id", "token_hash", "user_id", "created_at", "last_seen_at", "expires_at", "ended_at", "ip", "user_agent",
    ),
    "login_attempt": ("id", "email", "ip", "attempted_at", "succeeded"),
}  # fmt: skip

# --- streaming into COPY -------------------------------------------------------------------------------


class TableCopy:
    """One table's rows, streamed into its own `COPY ... FROM STDIN` on its own connection while
    the other tables' rows are being generated (psycopg formats the rows in C)."""

    def __init__(self, stack: ExitStack, url: str, table: str) -> None:
        self.table = table
        self.columns = TABLES[table]
        self.connection = stack.enter_context(psycopg.connect(url))
        cursor = stack.enter_context(self.connection.cursor())
        columns = ", ".join(f'"{column}"' for column in self.columns)
        self._copy = stack.enter_context(cursor.copy(f'COPY "{table}" ({columns}) FROM STDIN'))
        self.rows = 0
        self._last_id = 0

    def next_id(self) -> int:
        self._last_id += 1
        return self._last_id

    def add(self, *values: Any) -> None:
        self._copy.write_row(values)
        self.rows += 1


# --- text pools (so the data has realistic sizes without costing much to make) -------------------------

_PLACE_START = (
    "Ash",
    "Bram",
    "Cale",
    "Dun",
    "East",
    "Fair",
    "Glen",
    "Hart",
    "Kings",
    "Lang",
    "Mar",
    "North",
    "Oak",
    "Pen",
    "Red",
    "South",
    "Stan",
    "Thorn",
    "West",
    "Whit",
    "Wood",
    "Black",
    "Brook",
    "Castle",
    "Church",
    "Hol",
    "Lin",
    "Mill",
    "New",
    "Old",
    "Ribble",
    "Sedge",
    "Tam",
    "Wey",
    "Yar",
    "Elm",
    "Foss",
    "Grey",
)
_PLACE_END = (
    "ford",
    "ley",
    "ham",
    "ton",
    "bury",
    "field",
    "wick",
    "borough",
    "minster",
    "dale",
    "stead",
    "port",
    "mouth",
    "by",
    "wood",
    "cliffe",
    "well",
    "hurst",
    "more",
    "bridge",
)
_FIRST = (
    "Aisha",
    "Alan",
    "Amira",
    "Ben",
    "Bronwen",
    "Carl",
    "Chloe",
    "Daniel",
    "Deepa",
    "Eleanor",
    "Emeka",
    "Fatima",
    "Gareth",
    "Grace",
    "Hannah",
    "Harjit",
    "Ian",
    "Imogen",
    "Jack",
    "Jasmine",
    "Kwame",
    "Laura",
    "Liam",
    "Maria",
    "Mohammed",
    "Nadia",
    "Niamh",
    "Oliver",
    "Olu",
    "Priya",
    "Rachel",
    "Rhys",
    "Sam",
    "Sara",
    "Tariq",
    "Tom",
    "Una",
    "Victoria",
    "Wei",
    "Yusuf",
    "Zoe",
    "Ravi",
    "Sian",
    "Ewan",
    "Megan",
)
_LAST = (
    "Adams",
    "Ahmed",
    "Begum",
    "Brown",
    "Campbell",
    "Clarke",
    "Davies",
    "Evans",
    "Green",
    "Hall",
    "Hughes",
    "Iqbal",
    "Jackson",
    "Jones",
    "Khan",
    "Kowalski",
    "Lewis",
    "Murphy",
    "Nowak",
    "Okafor",
    "Patel",
    "Price",
    "Roberts",
    "Shah",
    "Singh",
    "Smith",
    "Taylor",
    "Thomas",
    "Walker",
    "Williams",
    "Wilson",
    "Wright",
    "Young",
    "Osei",
    "Mensah",
    "Byrne",
    "Kelly",
    "Chen",
    "Ali",
    "Hussain",
)
_HOME_WORDS = (
    "Oak",
    "Willow",
    "Rose",
    "Beech",
    "Cedar",
    "Meadow",
    "River",
    "Hill",
    "Park",
    "Orchard",
    "Maple",
    "Holly",
    "Heather",
    "Ivy",
    "Laurel",
    "Linden",
    "Primrose",
    "Rowan",
    "Sycamore",
    "Elm",
    "Lark",
    "Brook",
    "Chestnut",
    "Hawthorn",
    "Juniper",
    "Lavender",
    "Poplar",
    "Acorn",
    "Bluebell",
    "Foxglove",
)
_HOME_KINDS = (
    "House",
    "Lodge",
    "Court",
    "Manor",
    "Grange",
    "View",
    "Gardens",
    "Hall",
    "Care Home",
    "Nursing Home",
)
_STREETS = ("Road", "Lane", "Street", "Avenue", "Close", "Drive", "Way", "Grove", "Terrace", "Crescent")
_PROVIDER_WORDS = (
    "Caring",
    "Compass",
    "Harmony",
    "Horizon",
    "Kindred",
    "Beacon",
    "Anchor",
    "Evergreen",
    "Heritage",
    "Sunrise",
    "Trinity",
    "Unity",
    "Valley",
    "Haven",
    "Guardian",
    "Cornerstone",
    "Lighthouse",
    "Summit",
    "Oakleaf",
    "Silverline",
    "Bridgeway",
    "Hearthside",
    "Greenacre",
    "Westfield",
    "Northgate",
)
_PROVIDER_KINDS = (
    "Care Ltd",
    "Care Homes Ltd",
    "Healthcare Ltd",
    "Care Group",
    "Homecare Ltd",
    "Living Ltd",
    "Trust",
)

_GOOD_SENTENCES = (
    "People told us they feel safe and that staff know them and their routines well.",
    "We hold a weekly incident review and share what we learn at every handover.",
    "Care plans are reviewed monthly with the person and, where they wish, their family.",
    "Staff complete safeguarding training at induction and every year after, and know how to raise concerns.",
    "Our medicines audit is done weekly by a senior carer and monthly by the registered manager.",
    "Rotas are planned from our dependency tool and reviewed whenever someone's needs change.",
    "Residents' meetings happen monthly and the minutes show what we changed as a result.",
    "We work closely with the district nurses and the GP practice, who visit every week.",
    "Relatives are invited to reviews and told promptly about any incident or change in health.",
    "Staff supervision takes place every eight weeks and appraisals every year.",
    "We use feedback surveys twice a year and publish a 'you said, we did' summary.",
    "Falls are analysed monthly for patterns and referrals made to the falls team.",
    "Infection control audits are completed monthly and the home was clean throughout.",
    "People are supported to follow their interests, faith and culture, and to see friends.",
)
_SHORTFALL_SENTENCES = (
    "We recognise that our audits have not always been completed on time.",
    "Agency use has been high this year and inductions were not always recorded.",
    "Some care plans were overdue for review; we have a plan to bring them up to date.",
    "Night staffing has sometimes fallen below our assessed levels during sickness.",
    "Actions from the last quality audit are still open and need owners and dates.",
    "Records of PRN medicines were incomplete for some people.",
    "We have not yet made information available in easy-read formats.",
)
_FINDINGS_GOOD = (
    "Met: consistent with what people and staff told us.",
    "People and relatives spoke highly of the staff. Records were up to date.",
    "Good practice seen: care plans personalised and reviewed; staff knowledgeable.",
    "Evidence seen supports the provider's self-assessment.",
)
_FINDINGS_SHORT = (
    "Two fire doors were wedged open and the sluice room was unlocked with chemicals inside.",
    "Time-critical medicines were given over an hour late on the day of the visit. PRN protocols were missing.",
    "Rotas show nights regularly run one care worker below the home's own dependency assessment.",
    "Actions from the last two quarterly audits were still open with no owner or date.",
    "Care plans for three people had not been reviewed since their needs changed.",
    "Incidents are logged, but the weekly review had lapsed and falls were not analysed for patterns.",
    "Information was not available in accessible formats; people were unsure how to complain.",
    "Agency staff had no induction record and did not know people's risks.",
)
_CONCERN_SUMMARIES = (
    "Relative reports missed evening calls",
    "Whistle-blower: night staffing below safe levels",
    "Safeguarding enquiry following a fall with injury",
    "GP raised concerns about pressure care",
    "CQC shared intelligence about medicines errors",
    "Complaint about communication with the family",
    "District nurse concerned about hydration",
    "Anonymous report of staff sleeping on nights",
    "Hospital discharge team reports poor handover",
    "Person using the service unhappy with food choices",
)
_NOTE_TEXTS = (
    "New audit schedule in place; first two audits done.",
    "Training booked for all night staff this month.",
    "Care plans reviewed and signed by people or their representatives.",
    "Updated rota attached to the supervision record.",
    "Manager has checked progress at the governance meeting.",
)


def _narratives(rng: random.Random, sentences: Sequence[str], count: int, low: int, high: int) -> list[str]:
    return [" ".join(rng.sample(list(sentences), rng.randint(low, high))) for _ in range(count)]


# --- the world ---------------------------------------------------------------------------------------------


@dataclass
class Council:
    id: int
    name: str
    slug: str
    size: int
    towns: list[str]
    postcode_area: str
    officers: list[int] = field(default_factory=list)
    admins: list[int] = field(default_factory=list)

    @property
    def staff(self) -> list[int]:
        return self.officers + self.admins


@dataclass
class Provider:
    id: int
    name: str
    slug: str
    kind: str  # chain | regional | small | single
    capacity: int
    home_councils: tuple[int, ...]
    users: list[int] = field(default_factory=list)
    services: int = 0


@dataclass
class Service:
    id: int
    council: Council
    provider: Provider
    name: str
    service_type: str
    officer_id: int | None
    base: float  # latent quality on the 1-4 scale
    bias: float  # how much the provider over-rates itself
    kq_offset: dict[str, float]
    years: list[int]  # council years (April start) with a self-assessment
    created: date
    is_active: bool


@dataclass
class Person:
    id: int
    email: str
    organisation_id: int
    role: str
    created: date


_JITTER = random.Random(0)


def _utc(day: date, hour: int = 10) -> datetime:
    """A moment in that hour: real timestamps (utcnow() in the application) practically never
    collide, and some queries join on them (the latest published visit per service)."""
    return datetime.combine(
        day,
        clock(hour, _JITTER.randrange(60), _JITTER.randrange(60), _JITTER.randrange(1_000_000)),
        tzinfo=UTC,
    )


def _period(year: int) -> str:
    return f"{year}/{str(year + 1)[-2:]}"


def _council_year(day: date) -> int:
    return day.year if day.month >= 4 else day.year - 1


class Generator:
    def __init__(
        self,
        *,
        framework: LoadedFramework,
        tables: dict[str, TableCopy],
        scale: float,
        councils: int,
        cycles: int,
        seed: int,
        today: date,
        password_hash: str,
    ) -> None:
        self.framework = framework
        self.rules = framework.rules
        self.statements = framework.statements
        self.kq_codes = [question.code for question in framework.key_questions]
        self.statement_titles = {statement.code: statement.title for statement in self.statements}
        self.policy = policy_from_settings(None, self.rules, 1)
        self.rng = random.Random(seed)
        _JITTER.seed(seed)
        self.scale = scale
        self.council_count = councils
        self.cycles = cycles
        self.today = today
        self.now = _utc(today, 9)
        self.current_year = _council_year(today)
        self.password_hash = password_hash
        self.files = tables
        self.people: dict[int, Person] = {}
        self.councils: list[Council] = []
        self.providers: list[Provider] = []
        self.services: list[Service] = []
        self.links: set[tuple[int, int]] = set()
        self.bench_officer_id = 0
        self.bench_provider: Provider | None = None
        rng = random.Random(seed + 1)
        self.good_text = _narratives(rng, _GOOD_SENTENCES, 400, 2, 6)
        self.short_text = _narratives(rng, _SHORTFALL_SENTENCES + _GOOD_SENTENCES[:4], 200, 2, 5)
        self.plans_text = _narratives(rng, _SHORTFALL_SENTENCES, 100, 1, 3)

    # --- helpers -------------------------------------------------------------------------------------

    def f(self, table: str) -> TableCopy:
        return self.files[table]

    def _name(self) -> str:
        return f"{self.rng.choice(_FIRST)} {self.rng.choice(_LAST)}"

    def _person(
        self, organisation_id: int, domain: str, role: str, created: date, email: str | None = None
    ) -> int:
        users = self.f("user")
        user_id = users.next_id()
        name = self._name()
        if email is None:
            email = f"{name.lower().replace(' ', '.')}.{user_id}@{domain}"
        title = {
            "officer": "Quality performance officer",
            "council_admin": "Quality assurance manager",
            "provider": self.rng.choice(
                ("Registered manager", "Deputy manager", "Quality lead", "Operations manager")
            ),
        }[role]
        kind = "provider" if role == "provider" else "council"
        users.add(
            user_id, email, name, title, self.password_hash, role, organisation_id, True, kind,
            None, _utc(created), _utc(created),
        )  # fmt: skip
        self.people[user_id] = Person(user_id, email, organisation_id, role, created)
        return user_id

    def _unique_slug(self, name: str, taken: set[str]) -> str:
        base = "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")
        while "--" in base:
            base = base.replace("--", "-")
        slug, n = base[:70], 2
        while slug in taken:
            slug, n = f"{base[:66]}-{n}", n + 1
        taken.add(slug)
        return slug

    # --- organisations, people, services ------------------------------------------------------------

    def build_world(self, total_services: int) -> None:
        rng = self.rng
        organisations = self.f("organisation")
        start = date(self.current_year - self.cycles, 9, 1)  # the council joined the service then
        sizes = _council_sizes(self.council_count, total_services)
        names: set[str] = set()
        slugs: set[str] = set()
        for index, size in enumerate(sizes):
            if index == 0:
                place = "Large County"
                name = "Large County Council"
            else:
                while True:
                    place = rng.choice(_PLACE_START) + rng.choice(_PLACE_END)
                    kind = rng.choice(("Council", "Borough Council", "City Council", "County Council",
                                       "Metropolitan Borough Council"))  # fmt: skip
                    name = f"{place} {kind}"
                    if name not in names:
                        break
            names.add(name)
            council_id = organisations.next_id()
            slug = self._unique_slug(name, slugs)
            organisations.add(
                council_id, "council", name, slug, f"quality@{slug}.gov.uk", None, _utc(start), _utc(start)
            )
            towns = [place] + [
                rng.choice(_PLACE_START) + rng.choice(_PLACE_END) for _ in range(rng.randint(3, 10))
            ]
            area = "".join(rng.choice("ABCDEFGHJKLMNPRSTWY") for _ in range(2))
            self.councils.append(Council(council_id, name, slug, size, towns, area))

        # Provider organisations: a few national chains, regional groups, small groups, single homes.
        self.chain_plan = [
            max(8, round(size * self.scale)) for size in CHAIN_SIZES[: max(2, round(10 * self.scale))]
        ]
        self.provider_slugs = slugs
        self.provider_names: set[str] = set()
        self.chains = [self._provider("chain", capacity, ()) for capacity in self.chain_plan]
        self.bench_provider = self.chains[0]
        council_ids = [council.id for council in self.councils]
        self.regional = []
        for _ in range(max(2, round(150 * self.scale))):
            first = rng.randrange(len(council_ids))
            region = tuple(council_ids[(first + step) % len(council_ids)] for step in range(3))
            self.regional.append(self._provider("regional", rng.randint(5, 30), region))
        self.small_open: dict[int, list[Provider]] = {}

        # Council staff: about one officer per 35 services, and one or two admins.
        for council in self.councils:
            domain = f"{council.slug}.gov.uk"
            for n in range(max(2, round(council.size / 35))):
                email = OFFICER if council.id == 1 and n == 0 else None
                council.officers.append(self._person(council.id, domain, "officer", start, email))
            for n in range(rng.choice((1, 2))):
                email = ADMIN if council.id == 1 and n == 0 else None
                council.admins.append(self._person(council.id, domain, "council_admin", start, email))
        self.bench_officer_id = self.councils[0].officers[0]

        services = self.f("care_service")
        cqc_counter = 0
        types = (
            ("care_home", 0.30), ("care_home_nursing", 0.15), ("homecare", 0.33), ("supported_living", 0.12),
            ("day_service", 0.06), ("other", 0.04),
        )  # fmt: skip
        for council in self.councils:
            for n in range(council.size):
                provider = self._provider_for(council)
                service_type = _weighted(rng, types)
                town = rng.choice(council.towns)
                if service_type in ("homecare", "supported_living"):
                    name = f"{provider.name.split(' ')[0]} {'Homecare' if service_type == 'homecare' else 'Supported Living'} {town}"
                    capacity = rng.randint(15, 250)
                elif service_type == "day_service":
                    name = f"{town} {rng.choice(_HOME_WORDS)} Day Centre"
                    capacity = rng.randint(10, 60)
                else:
                    name = f"{rng.choice(_HOME_WORDS)} {rng.choice(_HOME_KINDS)}"
                    capacity = rng.randint(12, 95)
                quality = rng.random()
                base = 3.55 if quality < 0.05 else 3.0 if quality < 0.77 else 2.45 if quality < 0.96 else 1.8
                base += rng.gauss(0, 0.12)
                rating = _regulator_rating(rng, base)
                officer = council.officers[n % len(council.officers)] if rng.random() < 0.95 else None
                new = rng.random() < 0.2 and self.cycles > 1
                years = list(
                    range(self.current_year - self.cycles + 1 + (1 if new else 0), self.current_year + 1)
                )
                created = date(years[0], 4, 1) - timedelta(days=rng.randint(10, 120))
                active = rng.random() > 0.02
                cqc_counter += 1
                service = Service(
                    id=services.next_id(), council=council, provider=provider, name=name,
                    service_type=service_type, officer_id=officer, base=base,
                    bias=rng.gauss(0.1, 0.2), kq_offset={code: rng.gauss(0, 0.15) for code in self.kq_codes},
                    years=years, created=created, is_active=active,
                )  # fmt: skip
                services.add(
                    service.id, council.id, provider.id, name, service_type,
                    f"{rng.randint(1, 240)} {rng.choice(_HOME_WORDS)} {rng.choice(_STREETS)}",
                    None if rng.random() < 0.7 else f"{rng.choice(_HOME_WORDS)} Estate", town,
                    f"{council.postcode_area}{rng.randint(1, 28)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}",
                    capacity, f"1-{1_000_000_000 + cqc_counter}" if rng.random() < 0.93 else None, rating,
                    None if rating == "not_rated" else created + timedelta(days=rng.randint(30, 700)),
                    officer, active, _utc(created), _utc(created),
                )  # fmt: skip
                provider.services += 1
                self.links.add((council.id, provider.id))
                self.services.append(service)

        # Provider people: one or two per organisation, more at chains.
        for provider in self.providers:
            count = {"chain": 2 + provider.services // 25, "regional": rng.randint(2, 3)}.get(
                provider.kind, 1 if rng.random() < 0.7 else 2
            )
            for n in range(count):
                email = PROVIDER if provider is self.bench_provider and n == 0 else None
                provider.users.append(
                    self._person(provider.id, f"{provider.slug}.example", "provider", start, email)
                )

        links = self.f("council_provider")
        for council_id, provider_id in sorted(self.links):
            links.add(council_id, provider_id, _utc(start))
        settings = self.f("council_settings")
        for council in self.councils:
            settings.add(
                council.id, self.framework.version_id, True, 14, 14, 6, 1, 7, None, True, _utc(start)
            )

    def _provider(self, kind: str, capacity: int, home: tuple[int, ...]) -> Provider:
        rng = self.rng
        if kind == "chain" and not self.providers:
            name = "National Chain Care Group"
        else:
            while True:
                if kind == "single" and rng.random() < 0.5:
                    name = f"{rng.choice(_LAST)} {rng.choice(_PROVIDER_KINDS)}"
                else:
                    name = f"{rng.choice(_PROVIDER_WORDS)} {rng.choice(_HOME_WORDS)} {rng.choice(_PROVIDER_KINDS)}"
                if name not in self.provider_names:
                    break
                name = f"{name.rsplit(' ', 1)[0]} {len(self.provider_names)} {name.rsplit(' ', 1)[1]}"
                if name not in self.provider_names:
                    break
        self.provider_names.add(name)
        organisations = self.f("organisation")
        provider_id = organisations.next_id()
        slug = self._unique_slug(name, self.provider_slugs)
        created = _utc(date(self.current_year - self.cycles, 6, 1))
        organisations.add(
            provider_id,
            "provider",
            name,
            slug,
            f"office@{slug}.example",
            f"1-{100_000_000 + provider_id}",
            created,
            created,
        )
        provider = Provider(provider_id, name, slug, kind, capacity, home)
        self.providers.append(provider)
        return provider

    def _provider_for(self, council: Council) -> Provider:
        rng = self.rng
        draw = rng.random()
        if draw < 0.08:
            open_chains = [chain for chain in self.chains if chain.services < chain.capacity]
            if open_chains:
                return rng.choices(open_chains, weights=[c.capacity - c.services for c in open_chains])[0]
        if draw < 0.16:
            regional = [p for p in self.regional if council.id in p.home_councils and p.services < p.capacity]
            if regional:
                return rng.choice(regional)
        if draw < 0.42:
            groups = self.small_open.setdefault(council.id, [])
            groups[:] = [group for group in groups if group.services < group.capacity]
            if groups and rng.random() < 0.7:
                return rng.choice(groups)
            group = self._provider("small", rng.randint(2, 4), (council.id,))
            groups.append(group)
            # Now and then a small group also runs a service next door.
            if rng.random() < 0.15:
                neighbour = self.councils[(council.id % len(self.councils))]
                self.small_open.setdefault(neighbour.id, []).append(group)
            return group
        return self._provider("single", 1, (council.id,))

    # --- several years of history, service by service -----------------------------------------------

    def history(self) -> None:
        officer_services = [s for s in self.services if s.officer_id == self.bench_officer_id and s.is_active]
        chain_services = [s for s in self.services if s.provider is self.bench_provider and s.is_active]
        self.force_draft = {s.id for s in chain_services[:OWN_DRAFTS]}
        self.force_scoring = {s.id for s in officer_services if s.id not in self.force_draft}
        self.force_scoring = set(sorted(self.force_scoring)[:OWN_SCORING_VISITS])
        for number, service in enumerate(self.services, 1):
            self._service_history(service)
            if number % 2000 == 0:
                print(f"    {number:,} of {len(self.services):,} services", flush=True)
        self._logins()

    def _council_contacts(self, service: Service) -> list[int]:
        if service.officer_id is not None:
            return [service.officer_id]
        return service.council.staff

    def _notify(
        self,
        recipients: Iterable[int],
        message: str,
        link: str,
        when: datetime,
        *,
        subject: str | None = None,
        dedupe: str | None = None,
    ) -> None:
        if when > self.now:
            return
        notifications = self.f("notification")
        emails = self.f("outbox_email")
        age = (self.now - when).days
        for user_id in dict.fromkeys(recipients):
            read = self.rng.random() < (0.93 if age > 3 else 0.4)
            read_at = min(self.now, when + timedelta(hours=self.rng.randint(1, 96))) if read else None
            notifications.add(notifications.next_id(), user_id, message[:500], link, when, read_at)
            if subject is not None and dedupe is not None:
                sent = age > 0 or self.rng.random() < 0.9
                emails.add(
                    emails.next_id(), f"{dedupe}:{user_id}", self.people[user_id].email, subject[:300],
                    f"{message}\n\nOpen it in selfassess:\nhttps://selfassess.example.gov.uk{link}",
                    "sent" if sent else "pending", 1 if sent else 0, when, None, when,
                    when + timedelta(seconds=40) if sent else None,
                )  # fmt: skip

    def _service_history(self, s: Service) -> None:
        rng = self.rng
        provider_users = s.provider.users
        author = provider_users[0]
        officer = s.officer_id or rng.choice(s.council.officers)
        submitted_before: list[tuple[int, date]] = []  # (assessment id, submitted on)
        scores_of: dict[int, dict[int, int | None]] = {}
        for k, year in enumerate(s.years):
            current = year == self.current_year
            level = s.base + 0.06 * k + rng.gauss(0, 0.1)
            latent = {
                st.id: level + s.kq_offset[st.key_question_code] + rng.gauss(0, 0.22)
                for st in self.statements
            }
            # The self-assessment.
            started = date(year, 4, 20) + timedelta(days=rng.randint(0, 110))
            late = current and (
                s.id in self.force_draft or (s.id not in self.force_scoring and rng.random() < 0.13)
            )
            submitted = None if late else started + timedelta(days=rng.randint(10, 45))
            if current and (submitted is None or submitted >= self.today - timedelta(days=12)):
                late = True  # early in the year (see --today): still being written
            if late:
                started = min(started, self.today - timedelta(days=rng.randint(3, 50)))
                submitted = None
            reviewed = None
            if submitted is not None and rng.random() < 0.9:
                reviewed = submitted + timedelta(days=rng.randint(5, 50))
                if reviewed >= self.today:
                    reviewed = None
            returned_now = (
                current
                and not late
                and reviewed is None
                and s.id not in self.force_scoring
                and rng.random() < 0.12
            )
            if late:
                status = "draft"
            elif returned_now:
                status = "returned"
            else:
                status = "reviewed" if reviewed else "submitted"
            scored_share = rng.random() if late else 1.0
            self_scores = {
                sid: (_clamp(value + s.bias + rng.gauss(0, 0.2)) if rng.random() < scored_share else None)
                for sid, value in latent.items()
            }
            assessment_id = self._assessment(
                s, year, status, started, submitted, reviewed, author, self_scores, returned_now
            )
            scores_of[assessment_id] = self_scores
            if submitted is not None and not returned_now:
                submitted_before.append((assessment_id, submitted))

            # The proactive visit testing it.
            if submitted is not None and not returned_now:
                scheduled = submitted + timedelta(days=rng.randint(20, 95))
                if s.id in self.force_scoring and current:
                    scheduled = self.today - timedelta(days=rng.randint(1, 9))
                    officer = self.bench_officer_id
                self._visit(s, "proactive", scheduled, officer, assessment_id, latent, self_scores, [])
            # Now and then, concerns, and a reactive visit after a serious one.
            for _ in range(_poisson(rng, 0.5)):
                received = date(year, 4, 1) + timedelta(days=rng.randint(0, 364))
                if received > self.today:
                    continue
                concern_id, severity = self._concern(s, received, officer)
                if severity in ("high", "critical") and rng.random() < 0.6:
                    tested = [aid for aid, day in submitted_before if day <= received]
                    scheduled = received + timedelta(days=rng.randint(3, 20))
                    offset = {sid: value - 0.25 for sid, value in latent.items()}
                    self._visit(
                        s, "reactive", scheduled, officer, tested[-1] if tested else None, offset,
                        scores_of[tested[-1]] if tested else {}, [concern_id],
                    )  # fmt: skip

    def _assessment(
        self,
        s: Service,
        year: int,
        status: str,
        started: date,
        submitted: date | None,
        reviewed: date | None,
        author: int,
        scores: dict[int, int | None],
        returned: bool,
    ) -> int:
        rng = self.rng
        assessments = self.f("self_assessment")
        answers = self.f("self_assessment_answer")
        evidence = self.f("evidence_item")
        events = self.f("assessment_event")
        assessment_id = assessments.next_id()
        reviewer = s.officer_id or s.council.officers[0]
        last_change = _utc(reviewed or submitted or (self.today - timedelta(days=1)), 14)
        assessments.add(
            assessment_id, s.id, self.framework.version_id, status, _period(year), author,
            _utc(submitted, 16) if submitted else None, author if submitted else None,
            _utc(reviewed, 11) if reviewed else None, reviewer if reviewed else None,
            _utc(started, 9), last_change,
        )  # fmt: skip
        categories = [category.code for category in self.framework.evidence_categories]
        answered_on = _utc(submitted or self.today - timedelta(days=1), 12)
        for statement in self.statements:
            score = scores.get(statement.id)
            answer_id = answers.next_id()
            if score is None:
                narrative, plan, version = (
                    ("", "", 0) if rng.random() < 0.6 else (rng.choice(self.short_text), "", 1)
                )
            else:
                narrative = rng.choice(self.good_text if score >= 3 else self.short_text)
                plan = rng.choice(self.plans_text) if score <= 2 or rng.random() < 0.2 else ""
                version = rng.randint(1, 4)
            answers.add(
                answer_id, assessment_id, statement.id, score, narrative, plan, version,
                answered_on - timedelta(minutes=rng.randint(0, 20000)), author if version else None,
            )  # fmt: skip
            if version and rng.random() < 0.45:
                for _ in range(1 if rng.random() < 0.75 else 2):
                    evidence.add(
                        evidence.next_id(), answer_id, "text", rng.choice(categories),
                        rng.choice(self.good_text)[:400], None, author, answered_on - timedelta(hours=rng.randint(1, 400)),
                    )  # fmt: skip
        events.add(events.next_id(), assessment_id, None, "draft", author, _utc(started, 9), "Started")
        link = f"/assessments/{assessment_id}"
        if submitted:
            event_id = events.next_id()
            events.add(event_id, assessment_id, "draft", "submitted", author, _utc(submitted, 16), "")
            self._notify(
                self._council_contacts(s), f"{s.name} submitted its self-assessment {_period(year)} for review",
                link, _utc(submitted, 16), subject=f"Self-assessment submitted: {s.name}",
                dedupe=f"assessment-event:{event_id}",
            )  # fmt: skip
        if returned and submitted:
            when = _utc(
                min(self.today - timedelta(days=1), submitted + timedelta(days=rng.randint(3, 20))), 10
            )
            event_id = events.next_id()
            comment = "Please add evidence for the Safe key question, especially medicines."
            events.add(event_id, assessment_id, "submitted", "returned", reviewer, when, comment)
            self._notify(
                s.provider.users, f"The council returned {s.name}'s self-assessment {_period(year)} for more information: {comment}",
                link, when, subject=f"More information needed: {s.name} self-assessment", dedupe=f"assessment-event:{event_id}",
            )  # fmt: skip
        if reviewed:
            event_id = events.next_id()
            events.add(event_id, assessment_id, "submitted", "reviewed", reviewer, _utc(reviewed, 11), "")
            self._notify(
                s.provider.users,
                f"The council reviewed {s.name}'s self-assessment {_period(year)}",
                link,
                _utc(reviewed, 11),
            )
        return assessment_id

    def _concern(self, s: Service, received: date, officer: int) -> tuple[int, str]:
        rng = self.rng
        concerns = self.f("concern")
        concern_id = concerns.next_id()
        source = _weighted(
            rng,
            (("professional", 0.25), ("cqc", 0.1), ("person", 0.1), ("relative", 0.22), ("public", 0.08),
             ("whistleblower", 0.08), ("safeguarding", 0.12), ("other", 0.05)),
        )  # fmt: skip
        severity = _weighted(rng, (("low", 0.3), ("medium", 0.4), ("high", 0.23), ("critical", 0.07)))
        closed = (self.today - received).days > 45 and rng.random() < 0.9
        confidential = source in ("whistleblower", "safeguarding") or rng.random() < 0.08
        concerns.add(
            concern_id, s.id, source, received, rng.choice(_CONCERN_SUMMARIES),
            rng.choice(self.short_text), severity,
            source in ("person", "relative", "public") and rng.random() < 0.4, confidential,
            "closed" if closed else "open",
            "Looked into on a visit; the provider took the actions agreed." if closed else "",
            officer, _utc(received, 15), _utc(received + timedelta(days=30 if closed else 0), 15),
        )  # fmt: skip
        return concern_id, severity

    def _visit(
        self,
        s: Service,
        visit_type: str,
        scheduled: date,
        officer: int,
        assessment_id: int | None,
        latent: dict[int, float],
        self_scores: dict[int, int | None],
        concern_ids: list[int],
    ) -> None:
        rng = self.rng
        visits = self.f("visit")
        scores_file = self.f("visit_score")
        events = self.f("visit_event")
        visit_id = visits.next_id()
        # Where the visit is now follows from the dates: scoring takes a fortnight or so, the
        # draft goes to the provider for 14 days of factual accuracy, then it is published.
        locked_on = scheduled + timedelta(days=rng.randint(3, 14))
        shared_on = locked_on + timedelta(days=rng.randint(1, 7))
        published_on = shared_on + timedelta(days=rng.randint(15, 25))
        forced = s.id in self.force_scoring and scheduled >= self.today - timedelta(days=10)
        if scheduled > self.today:
            status = "scheduled"
        elif forced or locked_on > self.today:
            status = "in_progress"
        elif shared_on > self.today:
            status = "scores_locked"
        elif published_on > self.today:
            status = "draft_shared"
        else:
            status = "published"
        announced = visit_type != "reactive" and rng.random() < 0.85
        scored_share = (
            0.0 if status == "scheduled" else rng.uniform(0.2, 0.9) if status == "in_progress" else 1.0
        )
        officer_scores: dict[int, int | None] = {}
        findings: dict[str, str] = {}
        scored_at = _utc(min(scheduled, self.today), 15)
        for statement in self.statements:
            sid = statement.id
            score = _clamp(latent[sid] + rng.gauss(0, 0.15)) if rng.random() < scored_share else None
            officer_scores[sid] = score
            if score is None:
                text, seen = "", ""
            elif score <= 2:
                text, seen = (
                    rng.choice(_FINDINGS_SHORT),
                    "Care records, rotas, audits; conversations with people and staff.",
                )
            else:
                text = rng.choice(_FINDINGS_GOOD) if rng.random() < 0.6 else ""
                seen = "Observation; care records." if text else ""
            findings[statement.code] = text
            scores_file.add(
                scores_file.next_id(), visit_id, sid, score, text, seen, 1 if score is not None else 0,
                scored_at, officer if score is not None else None,
            )  # fmt: skip
        ratings: dict[str, Any] = dict.fromkeys(
            ("rating_key", "rating_label", "rating_percent", "rating_reason", "key_question_ratings")
        )
        summary_text = ""
        published = status == "published"
        if status in ("scores_locked", "draft_shared", "published"):
            summary_text = rng.choice(self.good_text)
        if published:  # the generated visits record no breaches
            ratings = published_ratings(self.framework, self.framework.summarise(officer_scores))
        kq_ratings = ratings["key_question_ratings"]
        locked = status in ("scores_locked", "draft_shared", "published")
        shared = status in ("draft_shared", "published")
        last = {"scheduled": scheduled - timedelta(days=20), "in_progress": min(scheduled, self.today),
                "scores_locked": locked_on, "draft_shared": shared_on, "published": published_on}[status]  # fmt: skip
        visits.add(
            visit_id, s.id, s.council.id, self.framework.version_id, assessment_id, visit_type, status, scheduled,
            announced, officer, summary_text, _utc(locked_on, 16) if locked else None, _utc(shared_on, 10) if shared else None,
            shared_on + timedelta(days=14) if shared else None, _utc(published_on, 12) if published else None,
            officer if published else None, 1 if summary_text else 0, ratings["rating_key"],
            ratings["rating_label"], ratings["rating_percent"], ratings["rating_reason"],
            Json(kq_ratings) if kq_ratings is not None else None, _utc(scheduled - timedelta(days=20), 9),
            _utc(last, 17),
        )  # fmt: skip
        for concern_id in concern_ids:
            self.f("visit_concern").add(visit_id, concern_id)
        kind = {"proactive": "Proactive", "reactive": "Reactive"}[visit_type]
        events.add(events.next_id(), visit_id, officer, _utc(scheduled - timedelta(days=20), 9), "scheduled",
                   f"{kind} visit on {scheduled:%-d %B %Y}")  # fmt: skip
        if announced:
            self._notify(
                s.provider.users,
                f"The council will visit {s.name} on {scheduled:%-d %B %Y} ({kind.lower()} visit)",
                f"/services/{s.id}", _utc(scheduled - timedelta(days=20), 9),
                subject=f"Council visit to {s.name} on {scheduled:%-d %B %Y}", dedupe=f"visit:{visit_id}:scheduled",
            )  # fmt: skip
        if status != "scheduled":
            events.add(
                events.next_id(),
                visit_id,
                officer,
                _utc(min(scheduled, self.today), 15),
                "scoring_started",
                "",
            )
        if locked:
            events.add(events.next_id(), visit_id, officer, _utc(locked_on, 16), "scores_locked", "")
        if shared:
            due = shared_on + timedelta(days=14)
            events.add(events.next_id(), visit_id, officer, _utc(shared_on, 10), "draft_shared",
                       f"Factual accuracy comments due by {due:%-d %B %Y}")  # fmt: skip
            self._notify(
                s.provider.users,
                f"The draft report on {s.name} is ready. Tell the council of any factual errors by {due:%-d %B %Y}",
                f"/visits/{visit_id}/report", _utc(shared_on, 10), subject=f"Draft report to check: {s.name}",
                dedupe=f"visit:{visit_id}:draft_shared",
            )  # fmt: skip
            if rng.random() < 0.1:
                self._points(s, visit_id, officer, shared_on, published, officer_scores)
        if published:
            events.add(events.next_id(), visit_id, officer, _utc(published_on, 12), "published", "")
            self.f("audit_event").add(
                self.f("audit_event").next_id(), _utc(published_on, 12), "visit.published", officer,
                s.council.id, f"visit:{visit_id}", s.name, None,
            )  # fmt: skip
            self._notify(
                s.provider.users, f"The council published its report on {s.name}", f"/visits/{visit_id}/report",
                _utc(published_on, 12), subject=f"Visit report published: {s.name}", dedupe=f"visit:{visit_id}:published",
            )  # fmt: skip
            self._plan(s, visit_id, officer, published_on, officer_scores, self_scores, findings)

    def _points(
        self,
        s: Service,
        visit_id: int,
        officer: int,
        shared_on: date,
        resolved: bool,
        scores: dict[int, int | None],
    ) -> None:
        rng = self.rng
        points = self.f("factual_accuracy_point")
        for _ in range(rng.randint(1, 2)):
            statement = rng.choice(self.statements)
            when = _utc(shared_on + timedelta(days=rng.randint(1, 10)), 11)
            status = rng.choice(("accepted", "rejected")) if resolved else "open"
            before = scores[statement.id]
            points.add(
                points.next_id(), visit_id, statement.id, s.provider.users[0],
                "The report says the audit was not done; it was done on the 3rd and is in the folder.",
                status, "" if status == "open" else "Checked the folder; thank you.", before,
                before if status != "accepted" or before is None else min(4, before + 1),
                officer if status != "open" else None, when + timedelta(days=2) if status != "open" else None,
                when, when,
            )  # fmt: skip

    def _plan(
        self,
        s: Service,
        visit_id: int,
        officer: int,
        published_on: date,
        officer_scores: dict[int, int | None],
        self_scores: dict[int, int | None],
        findings: dict[str, str],
    ) -> None:
        """The council's proposed plan from the project's own rules, then where it has got to."""
        rng = self.rng
        pairs = [
            StatementScores(st.code, st.key_question_code, self_scores.get(st.id), officer_scores[st.id])
            for st in self.statements
        ]
        comparison = compare(pairs, self.kq_codes, self.rules, overrating_margin=1)
        proposed_on = published_on + timedelta(days=rng.randint(0, 3))
        if proposed_on > self.today:
            return
        proposals = propose_actions(
            comparison.statements, statement_titles=self.statement_titles, findings=findings, rules=self.rules,
            policy=self.policy, today=proposed_on,
        )  # fmt: skip
        if not proposals:
            return
        plans = self.f("action_plan")
        actions = self.f("action")
        events = self.f("action_event")
        notes = self.f("action_note")
        plan_id = plans.next_id()
        age = (self.today - proposed_on).days
        submitted_on = proposed_on + timedelta(days=rng.randint(5, 14))
        agreed_on = submitted_on + timedelta(days=rng.randint(2, 10))
        if submitted_on > self.today:
            status = "draft"
        elif agreed_on > self.today:
            status = "submitted" if rng.random() < 0.8 else "changes_requested"
        else:
            status = "agreed"
        if status == "agreed" and age > 240 and rng.random() < 0.82:
            status = "closed"
        by_code = {st.code: st.id for st in self.statements}
        provider_user = s.provider.users[0]
        link = f"/plans/{plan_id}"
        rows = []
        for proposal in proposals:
            action_id = actions.next_id()
            due = proposal.due_date
            if status in ("draft", "submitted", "changes_requested"):
                action_status = "not_started"
            elif status == "closed":
                action_status = "verified"
            elif due < self.today:
                action_status = _weighted(rng, (("verified", 0.55), ("completed", 0.15), ("in_progress", 0.15),
                                                ("not_started", 0.1), ("reopened", 0.05)))  # fmt: skip
            else:
                action_status = _weighted(rng, (("not_started", 0.4), ("in_progress", 0.4), ("completed", 0.15),
                                                ("verified", 0.05)))  # fmt: skip
            owner = None if status == "draft" and rng.random() < 0.5 else (
                rng.choice(s.provider.users) if rng.random() < 0.85 else officer
            )  # fmt: skip
            steps = _status_steps(action_status)
            done_on = min(self.today, max(agreed_on, due - timedelta(days=rng.randint(0, 20))))
            completed_at = _utc(done_on, 15) if action_status in ("completed", "verified") else None
            verified_at = (
                _utc(min(self.today, done_on + timedelta(days=rng.randint(1, 14))), 11)
                if action_status == "verified"
                else None
            )
            actions.add(
                action_id, plan_id, by_code[proposal.statement_code], proposal.reason.value, proposal.title[:300],
                proposal.description, proposal.priority.value, owner, due, action_status,
                "Evidence did not show the change had been made." if action_status == "reopened" else "",
                None, "", completed_at, verified_at, officer if verified_at else None, len(steps),
                _utc(proposed_on, 10), verified_at or completed_at or _utc(proposed_on, 10),
            )  # fmt: skip
            rows.append((action_id, proposal.title, steps, done_on))
        plans.add(
            plan_id, s.id, s.council.id, s.provider.id, visit_id, status, proposed_on + timedelta(days=14),
            _utc(submitted_on, 12) if status not in ("draft",) else None,
            _utc(agreed_on, 12) if status in ("agreed", "closed") else None,
            officer if status in ("agreed", "closed") else None,
            "Please give named owners for the medicines actions." if status == "changes_requested" else "",
            _utc(self.today - timedelta(days=rng.randint(1, 90)), 12) if status == "closed" else None,
            _add_months(agreed_on, 6) if status in ("agreed", "closed") else None,
            _utc(proposed_on, 10), _utc(agreed_on if status in ("agreed", "closed") else proposed_on, 12),
        )  # fmt: skip
        events.add(events.next_id(), plan_id, None, officer, _utc(proposed_on, 10), "plan_proposed", None, None, None,
                   f"{len(proposals)} actions proposed from the visit")  # fmt: skip
        self._notify(
            s.provider.users,
            f"An improvement action plan for {s.name} is ready for you to complete by {proposed_on + timedelta(days=14):%-d %B %Y}",
            link, _utc(proposed_on, 10), subject=f"Action plan to complete: {s.name}", dedupe=f"plan:{plan_id}:proposed",
        )  # fmt: skip
        if status != "draft":
            events.add(events.next_id(), plan_id, None, provider_user, _utc(submitted_on, 12), "plan_status",
                       "status", "Draft: provider completing", "Submitted for agreement", "")  # fmt: skip
            self._notify(
                self._council_contacts(s), f"{s.name} submitted its improvement action plan for agreement", link,
                _utc(submitted_on, 12), subject=f"Action plan for agreement: {s.name}",
                dedupe=f"plan:{plan_id}:submitted:{plan_id}",
            )  # fmt: skip
        if status in ("agreed", "closed"):
            events.add(events.next_id(), plan_id, None, officer, _utc(agreed_on, 12), "plan_status",
                       "status", "Submitted for agreement", "Agreed: in progress", "")  # fmt: skip
            self._notify(
                s.provider.users, f"The council agreed the action plan for {s.name}; work can start", link,
                _utc(agreed_on, 12), subject=f"Action plan agreed: {s.name}", dedupe=f"plan:{plan_id}:agreed",
            )  # fmt: skip
            for action_id, title, steps, _done_on in rows:
                when = agreed_on
                previous = "Not started"
                for step in steps:
                    when = min(self.today, when + timedelta(days=rng.randint(3, 30)))
                    actor = officer if step in ("verified", "reopened") else provider_user
                    label = ActionStatus(step).label
                    events.add(events.next_id(), plan_id, action_id, actor, _utc(when, 14), "status_changed",
                               "status", previous, label, "")  # fmt: skip
                    previous = label
                    if step == "completed":
                        self._notify(self._council_contacts(s), f"{s.name} completed “{title}”: ready to verify",
                                     link, _utc(when, 14))  # fmt: skip
                    if step in ("in_progress", "completed") and rng.random() < 0.5:
                        notes.add(
                            notes.next_id(),
                            action_id,
                            provider_user,
                            rng.choice(_NOTE_TEXTS),
                            None,
                            _utc(when, 13),
                        )
        if status == "closed":
            closed_on = self.today - timedelta(days=rng.randint(1, 90))
            events.add(events.next_id(), plan_id, None, officer, _utc(closed_on, 12), "plan_status", "status",
                       "Agreed: in progress", "Closed: every action verified", "")  # fmt: skip

    def _logins(self) -> None:
        """Everyone's log-ins over the years: sessions, attempts and the audit trail keep them all."""
        rng = self.rng
        sessions = self.f("login_session")
        attempts = self.f("login_attempt")
        audit = self.f("audit_event")
        per_year = {"officer": 200, "council_admin": 150, "provider": 12}
        for person in self.people.values():
            days = (self.today - person.created).days
            count = max(1, round(per_year[person.role] * days / 365 * rng.uniform(0.6, 1.2)))
            ip = f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
            for _ in range(count):
                when = self.now - timedelta(minutes=rng.randint(60, days * 24 * 60))
                if rng.random() < 0.03:
                    attempts.add(attempts.next_id(), person.email, ip, when - timedelta(minutes=1), False)
                    audit.add(audit.next_id(), when - timedelta(minutes=1), "login.failed", person.id,
                              person.organisation_id, person.email, "bad credentials", ip)  # fmt: skip
                attempts.add(attempts.next_id(), person.email, ip, when, True)
                audit.add(
                    audit.next_id(),
                    when,
                    "login.succeeded",
                    person.id,
                    person.organisation_id,
                    person.email,
                    None,
                    ip,
                )
                session_id = sessions.next_id()
                token = hashlib.sha256(f"bench-session-{session_id}".encode()).hexdigest()
                ended = when + timedelta(hours=rng.randint(1, 8)) if rng.random() < 0.4 else None
                sessions.add(
                    session_id, token, person.id, when, when + timedelta(minutes=rng.randint(0, 400)),
                    when + timedelta(hours=8), ended, ip, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Edg/129.0",
                )  # fmt: skip
            audit.add(audit.next_id(), _utc(person.created, 9), "user.created", None, person.organisation_id,
                      f"user:{person.id}", f"{person.email} as {person.role}", None)  # fmt: skip


def _status_steps(status: str) -> list[str]:
    return {
        "not_started": [],
        "in_progress": ["in_progress"],
        "completed": ["in_progress", "completed"],
        "verified": ["in_progress", "completed", "verified"],
        "reopened": ["in_progress", "completed", "reopened"],
    }[status]


def _add_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, 28))


def _clamp(value: float) -> int:
    return max(1, min(4, round(value)))


def _poisson(rng: random.Random, mean: float) -> int:
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _weighted(rng: random.Random, options: Sequence[tuple[str, float]]) -> str:
    return rng.choices([value for value, _ in options], weights=[weight for _, weight in options])[0]


def _regulator_rating(rng: random.Random, base: float) -> str:
    if rng.random() < 0.03:
        return "not_rated"
    noisy = base + rng.gauss(0, 0.2)
    if noisy >= 3.45:
        return "outstanding"
    if noisy >= 2.7:
        return "good"
    if noisy >= 2.0:
        return "requires_improvement"
    return "inadequate"


def _council_sizes(count: int, total: int) -> list[int]:
    """The largest is a big county; the rest follow a log-normal spread, as English councils do."""
    if count == 1:
        return [total]
    large = min(LARGE_COUNCIL_SERVICES, total // 3)
    rest = total - large
    normal = NormalDist()
    weights = [math.exp(0.55 * normal.inv_cdf((i + 0.5) / (count - 1))) for i in range(count - 1)]
    sizes = [max(10, round(rest * weight / sum(weights))) for weight in weights]
    sizes[-1] += rest - sum(sizes)  # rounding, on the largest
    sizes.reverse()  # the largest of the rest first, after the big county
    return [large, *sizes]


# --- the database --------------------------------------------------------------------------------------


def sync_url(url: str) -> str:
    """A libpq URL for psycopg (accepts the SQLAlchemy spellings people also use)."""
    for prefix in ("postgresql+psycopg://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql://" + url[len(prefix) :]
    return url


def ensure_empty(url: str) -> None:
    with psycopg.connect(url) as connection:
        tables = connection.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()
    if tables and tables[0]:
        raise SystemExit(
            f"generate.py only fills an empty database, and {redact(url)} already has {tables[0]} tables. "
            "Create a new one (bench/run-benchmark does) and try again."
        )


def redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def migrate(url: str, data_dir: Path) -> None:
    """The project's own migration command: Alembic to head, then the shipped frameworks."""
    environment = {**os.environ, "SELFASSESS_DATABASE_URL": url, "SELFASSESS_DATA_DIR": str(data_dir)}
    subprocess.run([sys.executable, "-m", "selfassess.cli", "migrate"], check=True, env=environment, cwd=REPO,
                   stdout=subprocess.DEVNULL)  # fmt: skip


async def _load_cqc_framework(url: str, data_dir: Path) -> LoadedFramework:
    from selfassess.db import create_engine_for, session_factory
    from selfassess.frameworks.service import (
        DEFAULT_FRAMEWORK_SLUG,
        latest_published_version_id,
        load_framework,
    )

    settings = Settings(database_url=url, data_dir=data_dir)
    engine = create_engine_for(settings)
    try:
        async with session_factory(engine)() as db:
            version_id = await latest_published_version_id(db, DEFAULT_FRAMEWORK_SLUG)
            if version_id is None:
                raise SystemExit("The CQC framework was not installed by `selfassess migrate`.")
            return await load_framework(db, version_id)
    finally:
        await engine.dispose()


def check_columns(url: str) -> None:
    """Fail early, and clearly, if the schema has moved on from what this script writes."""
    with psycopg.connect(url) as connection:
        rows = connection.execute(
            "SELECT table_name, column_name, is_nullable, column_default FROM information_schema.columns "
            "WHERE table_schema = 'public'"
        ).fetchall()
    schema: dict[str, dict[str, tuple[str, str | None]]] = {}
    for table, column, nullable, default in rows:
        schema.setdefault(table, {})[column] = (nullable, default)
    problems = []
    for table, columns in TABLES.items():
        if table not in schema:
            problems.append(f"table {table} is not in the schema")
            continue
        problems += [f"{table}.{c} is not in the schema" for c in columns if c not in schema[table]]
        problems += [
            f"{table}.{c} is required (NOT NULL, no default) but not generated"
            for c, (nullable, default) in schema[table].items()
            if c not in columns and nullable == "NO" and default is None
        ]
    if problems:
        raise SystemExit("The schema changed; update bench/generate.py:\n  " + "\n  ".join(problems))


@dataclass(frozen=True)
class DeferredSchema:
    """Secondary indexes and foreign keys, dropped for the bulk load and recreated after it from
    their own definitions (what pg_restore does): building an index once and checking a foreign key
    with one join is far faster than doing both row by row. Primary keys and unique constraints stay."""

    indexes: tuple[tuple[str, str], ...]  # (name, CREATE INDEX ...)
    foreign_keys: tuple[tuple[str, str, str], ...]  # (table, name, definition)

    @classmethod
    def read(cls, connection: psycopg.Connection[Any]) -> DeferredSchema:
        indexes = connection.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND indexname NOT IN "
            "(SELECT conname FROM pg_constraint WHERE contype IN ('p', 'u')) ORDER BY indexname"
        ).fetchall()
        foreign_keys = connection.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND connamespace = 'public'::regnamespace ORDER BY conname"
        ).fetchall()
        return cls(tuple(map(tuple, indexes)), tuple(map(tuple, foreign_keys)))  # type: ignore[arg-type]

    def drop(self, connection: psycopg.Connection[Any]) -> None:
        for table, name, _ in self.foreign_keys:
            connection.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _ in self.indexes:
            connection.execute(f'DROP INDEX "{name}"')
        connection.commit()

    def restore(self, connection: psycopg.Connection[Any]) -> None:
        connection.execute("SET maintenance_work_mem = '256MB'")
        for _, definition in self.indexes:
            connection.execute(definition)
        for table, name, definition in self.foreign_keys:  # checks every row: a dangling id fails here
            connection.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        connection.commit()
        if DeferredSchema.read(connection).names() != self.names():
            raise SystemExit("The indexes or foreign keys differ from the migrated schema after the load.")

    def names(self) -> tuple[tuple[str, ...], tuple[tuple[str, str, str], ...]]:
        """By name for indexes: PostgreSQL may spell a partial index's recreated predicate differently
        (casts inside or outside ARRAY[...]) though it is the same index."""
        return tuple(name for name, _ in self.indexes), self.foreign_keys


# Market oversight keeps each rating with the dates it was in force (the app writes these when a visit
# is published or a regulator rating recorded); here they are derived from the generated visits and
# services in SQL, then the quality picture's per-quarter summary is written and every council's risk
# register assessed by the app's own code.
RATING_HISTORY_SQL = """
INSERT INTO rating_period (service_id, council_id, source, aspect, rating_key, rank, good_or_better, valid_from,
                           valid_to, visit_id)
SELECT service_id, (SELECT council_id FROM care_service WHERE care_service.id = ratings.service_id), 'council',
       aspect, rating_key,
       array_position(ARRAY['inadequate', 'requires_improvement', 'good', 'outstanding'], rating_key),
       rating_key IN ('good', 'outstanding'), valid_from,
       coalesce(lead(valid_from) OVER (PARTITION BY service_id, aspect ORDER BY valid_from, visit_id),
                DATE '9999-12-31'), visit_id
FROM (
    SELECT service_id, '' AS aspect, rating_key, published_at::date AS valid_from, id AS visit_id
    FROM visit WHERE status = 'published' AND rating_key IS NOT NULL
    UNION ALL
    SELECT v.service_id, q ->> 'code', q ->> 'key', v.published_at::date, v.id
    FROM visit v, jsonb_array_elements(v.key_question_ratings::jsonb) AS q
    WHERE v.status = 'published' AND q ->> 'key' IS NOT NULL
) AS ratings;
INSERT INTO rating_period (service_id, council_id, source, aspect, rating_key, rank, good_or_better, valid_from)
SELECT id, council_id, 'regulator', '', regulator_rating,
       array_position(ARRAY['inadequate', 'requires_improvement', 'good', 'outstanding'], regulator_rating),
       regulator_rating IN ('good', 'outstanding'), coalesce(regulator_rating_date, created_at::date)
FROM care_service WHERE regulator_rating <> 'not_rated';
"""


def derive_comparison_summaries(url: str) -> None:
    """Each locked visit's comparison summary, made by the statements the application and its
    migration use (`comparison.summaries`); the service functions keep them up to date from here."""
    from sqlalchemy import create_engine

    from selfassess.visits.comparison_summaries import refresh_statements

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as connection:
        for statement in refresh_statements():
            connection.execute(statement)
    engine.dispose()


def derive_publication_counts(url: str) -> None:
    """Each council's publication row with its count of rated services (the public list of
    councils reads it), by the statement the application's migration uses."""
    from sqlalchemy import create_engine

    from selfassess.visits.publication import recount_all

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as connection:
        connection.execute(recount_all(engine.dialect.name))
    engine.dispose()


def derive_oversight(url: str) -> None:
    from selfassess.db import create_engine_for, session_factory
    from selfassess.oversight.register import refresh_all_councils
    from selfassess.oversight.summary import past_quarter_ends, summarise
    from selfassess.settings import Settings

    with psycopg.connect(url) as connection:
        connection.execute("DELETE FROM rating_period")
        connection.execute(RATING_HISTORY_SQL)
        connection.commit()

    async def assess() -> None:
        settings = Settings(_env_file=None, database_url=url)
        engine = create_engine_for(settings)
        async with session_factory(engine)() as db:
            await summarise(db, None, past_quarter_ends(date.today()))  # the quality picture's summary
            await db.commit()
            await refresh_all_councils(db, date.today(), settings)
        await engine.dispose()

    asyncio.run(assess())


ROUNDS_SQL = """
INSERT INTO assessment_round (council_id, name, framework_version_id, service_types, opens_on, deadline,
                              created_by_id, created_at)
SELECT s.council_id, max(a.period_label), min(cs.framework_version_id), '[]', %(today)s::date - 60,
       %(today)s::date + 30, min(u.id), now()
FROM self_assessment a
JOIN care_service s ON s.id = a.service_id
JOIN council_settings cs ON cs.council_id = s.council_id
JOIN "user" u ON u.organisation_id = s.council_id
GROUP BY s.council_id
"""

# A statement scored outstanding in one published visit in ten is marked as good practice, with
# every answer a provider can give.
GOOD_PRACTICE_SQL = """
INSERT INTO good_practice (council_id, service_id, visit_id, statement_id, summary, marked_by_id, marked_at,
                           consent, consent_at)
SELECT DISTINCT ON (v.id) s.council_id, s.id, v.id, vs.statement_id, vs.findings, v.officer_id,
       v.published_at, (ARRAY['named', 'anonymous', 'declined', 'pending'])[1 + (v.id / 10) % 4],
       CASE WHEN (v.id / 10) % 4 = 3 THEN NULL ELSE v.published_at END
FROM visit v
JOIN care_service s ON s.id = v.service_id
JOIN visit_score vs ON vs.visit_id = v.id AND vs.score = 4
WHERE v.status = 'published' AND v.id % 10 = 0
ORDER BY v.id, vs.statement_id
"""


def derive_rounds_and_practice(url: str, today: date) -> None:
    """Each council's round for the latest period, and shared good practice, for their pages."""
    with psycopg.connect(url) as connection:
        connection.execute(ROUNDS_SQL, {"today": today})
        connection.execute(GOOD_PRACTICE_SQL)
        connection.commit()


def fill(url: str, generator_options: dict[str, Any], total_services: int) -> Generator:
    with psycopg.connect(url) as connection:
        deferred = DeferredSchema.read(connection)
        deferred.drop(connection)
    started = time.perf_counter()
    with ExitStack() as stack:
        tables = {table: TableCopy(stack, url, table) for table in TABLES}
        generator = Generator(tables=tables, **generator_options)
        generator.build_world(total_services)
        generator.history()
        print(
            f"  generated and streamed in {time.perf_counter() - started:.0f} s; committing ...", flush=True
        )
    # Leaving the stack ended each COPY and committed each connection.
    print(
        f"  {sum(t.rows for t in tables.values()):,} rows in {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    with psycopg.connect(url) as connection:
        for table, copy in tables.items():
            if "id" in copy.columns and copy.rows:
                connection.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), (SELECT max(id) FROM \"{table}\"))"
                )
        connection.commit()
        started = time.perf_counter()
        deferred.restore(connection)
        print(
            f"  {len(deferred.indexes)} indexes rebuilt and {len(deferred.foreign_keys)} foreign keys checked "
            f"in {time.perf_counter() - started:.0f} s",
            flush=True,
        )
    started = time.perf_counter()
    derive_comparison_summaries(url)
    derive_publication_counts(url)
    print(
        f"  visit comparison summaries and publication counts derived in {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    started = time.perf_counter()
    derive_oversight(url)
    print(f"  rating history and risk register derived in {time.perf_counter() - started:.0f} s", flush=True)
    derive_rounds_and_practice(url, generator_options["today"])
    with psycopg.connect(url, autocommit=True) as connection:
        started = time.perf_counter()
        connection.execute("VACUUM (ANALYZE)")
        print(f"  VACUUM ANALYZE in {time.perf_counter() - started:.0f} s", flush=True)
    return generator


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("database_url", nargs="?", default=os.environ.get("SELFASSESS_DATABASE_URL"),
                        help="an empty PostgreSQL database (default: $SELFASSESS_DATABASE_URL)")  # fmt: skip
    parser.add_argument(
        "--scale", type=float, default=0.2, help="1 = national (30,000 services); default 0.2"
    )
    parser.add_argument("--councils", type=int, help="default: 150 x scale (at least 5)")
    parser.add_argument("--cycles", type=int, default=3, help="yearly cycles of history (default 3)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--today", type=date.fromisoformat, default=date.today(), help="YYYY-MM-DD")
    args = parser.parse_args(argv)
    if not args.database_url or not args.database_url.startswith(("postgresql", "postgres:")):
        parser.error("give a PostgreSQL URL (argument or SELFASSESS_DATABASE_URL)")
    url = sync_url(args.database_url)
    councils = args.councils or max(5, round(FULL_SCALE_COUNCILS * args.scale))
    services = max(councils * 10, round(FULL_SCALE_SERVICES * args.scale))

    began = time.perf_counter()
    ensure_empty(url)
    work = Path(tempfile.mkdtemp(prefix="selfassess-bench-"))
    try:
        print(f"Migrating {redact(url)} with `selfassess migrate` ...", flush=True)
        migrate(url, work / "data")
        check_columns(url)
        framework = asyncio.run(_load_cqc_framework(url, work / "data"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    settings = Settings()
    configure_hashing(
        memory_kib=settings.password_hash_memory_kib, time_cost=settings.password_hash_time_cost
    )
    options = {
        "framework": framework, "scale": args.scale, "councils": councils, "cycles": args.cycles,
        "seed": args.seed, "today": args.today, "password_hash": hash_password(BENCH_PASSWORD),
    }  # fmt: skip
    print(
        f"Generating {services:,} services in {councils} councils, {args.cycles} yearly cycles ...",
        flush=True,
    )
    generator = fill(url, options, services)
    chain = generator.bench_provider
    assert chain is not None
    print(
        f"\nDone in {time.perf_counter() - began:.0f} s. Sign in (password {BENCH_PASSWORD}) as\n"
        f"  {OFFICER:<40} officer, {generator.councils[0].name} ({generator.councils[0].size} services)\n"
        f"  {ADMIN:<40} council admin, {generator.councils[0].name}\n"
        f"  {PROVIDER:<40} provider, {chain.name} ({chain.services} services)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
