"""Framework files: the shipped ones load, and each kind of mistake is reported where it is."""

from __future__ import annotations

import pydantic
import pytest

from selfassess.frameworks.spec import (
    FrameworkSpec,
    FrameworkSpecError,
    StatementSpec,
    load_shipped_frameworks,
    parse_framework,
    shipped_framework_path,
)

CQC_TITLES = {
    "S": [
        "Learning culture",
        "Safe systems, pathways and transitions",
        "Safeguarding",
        "Involving people to manage risks",
        "Safe environments",
        "Safe and effective staffing",
        "Infection prevention and control",
        "Medicines optimisation",
    ],
    "E": [
        "Assessing needs",
        "Delivering evidence-based care and treatment",
        "How staff, teams and services work together",
        "Supporting people to live healthier lives",
        "Monitoring and improving outcomes",
        "Consent to care and treatment",
    ],
    "C": [
        "Kindness, compassion and dignity",
        "Treating people as individuals",
        "Independence, choice and control",
        "Responding to people's immediate needs",
        "Workforce wellbeing and enablement",
    ],
    "R": [
        "Person-centred care",
        "Care provision, integration and continuity",
        "Providing information",
        "Listening to and involving people",
        "Equity in access",
        "Equity in experiences and outcomes",
        "Planning for the future",
    ],
    "W": [
        "Shared direction and culture",
        "Capable, compassionate and inclusive leaders",
        "Freedom to speak up",
        "Workforce equality, diversity and inclusion",
        "Governance, management and sustainability",
        "Partnerships and communities",
        "Learning, improvement and innovation",
        "Environmental sustainability - sustainable development",
    ],
}

VALID = """\
slug: mini
name: Mini framework
version: "1"
scale:
  - {value: 1, label: Poor}
  - {value: 2, label: Fair}
  - {value: 3, label: Good}
  - {value: 4, label: Great}
good_value: 3
rating_bands:
  - {key: inadequate, label: Poor, min_percent: 25}
  - {key: good, label: Good, min_percent: 60}
evidence_categories:
  - {code: people, label: People}
  - {code: records, label: Records}
key_questions:
  - code: A
    title: First
    statements:
      - code: A1
        title: One
        description: We do one.
        prompts: [Prompt one]
        evidence_categories: [people]
      - code: A2
        title: Two
        description: We do two.
        prompts: [Prompt two]
        evidence_categories: [people, records]
  - code: B
    title: Second
    statements:
      - code: B1
        title: Three
        description: We do three.
        prompts: [Prompt three]
        evidence_categories: [records]
"""


def edit(old: str, new: str, text: str = VALID) -> str:
    """VALID with one fragment replaced; insists the fragment is there so a test cannot silently pass."""
    assert text.count(old) == 1, old
    return text.replace(old, new)


def errors_of(text: str | bytes) -> list[str]:
    with pytest.raises(FrameworkSpecError) as caught:
        parse_framework(text)
    assert caught.value.errors, "a FrameworkSpecError must carry at least one message"
    assert "pydantic.dev" not in str(caught.value)
    return caught.value.errors


# --- shipped frameworks --------------------------------------------------------------------------


def test_shipped_frameworks_load_sorted_by_slug() -> None:
    assert [spec.slug for spec in load_shipped_frameworks()] == ["council-quality-audit", "cqc-saf"]


def cqc() -> FrameworkSpec:
    return parse_framework(shipped_framework_path("cqc-saf").read_text(encoding="utf-8"))


def test_cqc_key_questions_and_statement_titles_match_the_framework() -> None:
    spec = cqc()
    assert (spec.name, spec.version) == ("CQC single assessment framework", "2024.1")
    assert [kq.code for kq in spec.key_questions] == ["S", "E", "C", "R", "W"]
    assert [kq.title for kq in spec.key_questions] == [
        "Safe",
        "Effective",
        "Caring",
        "Responsive",
        "Well-led",
    ]
    assert [len(kq.statements) for kq in spec.key_questions] == [8, 6, 5, 7, 8]
    assert spec.statement_count == 34
    for kq in spec.key_questions:
        assert [st.title for st in kq.statements] == CQC_TITLES[kq.code]
        assert [st.code for st in kq.statements] == [
            f"{kq.code}{n}" for n in range(1, len(kq.statements) + 1)
        ]
        assert kq.description.endswith("?")


def test_cqc_scale_bands_and_evidence_categories() -> None:
    spec = cqc()
    assert [(level.value, level.label) for level in spec.scale] == [
        (1, "Significant shortfalls"),
        (2, "Some shortfalls"),
        (3, "Good standard"),
        (4, "Exceptional standard"),
    ]
    assert [level.description.split(".")[0] for level in spec.scale] == [
        "Inadequate",
        "Requires improvement",
        "Good",
        "Outstanding",
    ]
    assert spec.good_value == 3
    assert [(band.key, band.label, band.min_percent) for band in spec.rating_bands] == [
        ("inadequate", "Inadequate", 25),
        ("requires_improvement", "Requires improvement", 39),
        ("good", "Good", 63),
        ("outstanding", "Outstanding", 88),
    ]
    assert [category.code for category in spec.evidence_categories] == [
        "people",
        "staff",
        "partners",
        "observation",
        "processes",
        "outcomes",
    ]
    for _, statement in spec.iter_statements():
        assert 3 <= len(statement.prompts) <= 5, statement.code
        assert len(statement.evidence_categories) >= 3, statement.code
        assert statement.description.startswith("We "), statement.code


def test_council_audit_has_five_domains_of_four_to_six_standards() -> None:
    spec = parse_framework(shipped_framework_path("council-quality-audit").read_bytes())
    assert (spec.name, spec.version) == ("Council quality assurance audit", "1.0")
    assert [kq.code for kq in spec.key_questions] == ["D1", "D2", "D3", "D4", "D5"]
    assert [kq.title for kq in spec.key_questions] == [
        "Involvement and information",
        "Personalised care and support",
        "Safeguarding and safety",
        "Suitability of staffing",
        "Quality of management",
    ]
    for kq in spec.key_questions:
        assert 4 <= len(kq.statements) <= 6, kq.code
        for n, statement in enumerate(kq.statements, start=1):
            assert statement.code == f"{kq.code}.{n}"
            assert len(statement.prompts) >= 3, statement.code
    assert [level.label for level in spec.scale] == ["Poor", "Requires improvement", "Good", "Excellent"]
    assert [(band.key, band.label, band.min_percent) for band in spec.rating_bands] == [
        ("inadequate", "Poor", 25),
        ("requires_improvement", "Requires improvement", 45),
        ("good", "Good", 65),
        ("outstanding", "Excellent", 85),
    ]


def test_shipped_framework_path_refuses_unknown_and_unsafe_slugs() -> None:
    assert shipped_framework_path("cqc-saf").name == "cqc-saf.yaml"
    with pytest.raises(FileNotFoundError, match="no shipped framework 'nope'"):
        shipped_framework_path("nope")
    with pytest.raises(ValueError, match="not a framework slug"):
        shipped_framework_path("../cqc-saf")


# --- a valid file --------------------------------------------------------------------------------


def test_valid_file_parses_into_frozen_spec_with_stripped_text() -> None:
    spec = parse_framework(edit("title: One", "title: '  One  '").encode())
    assert spec.statement_count == 3
    assert [(kq.code, st.code) for kq, st in spec.iter_statements()] == [
        ("A", "A1"),
        ("A", "A2"),
        ("B", "B1"),
    ]
    statement = spec.key_questions[0].statements[0]
    assert statement.title == "One"
    assert statement.evidence_categories == ("people",)
    with pytest.raises(pydantic.ValidationError):
        statement.title = "changed"  # type: ignore[misc]


def test_spec_built_in_python_is_checked_too() -> None:
    spec = parse_framework(VALID)
    assert FrameworkSpec.model_validate(spec.model_dump()) == spec
    data = spec.model_dump()
    data["good_value"] = 7
    with pytest.raises(pydantic.ValidationError, match=r"good_value: 7 is not one of the scale values"):
        FrameworkSpec.model_validate(data)
    with pytest.raises(pydantic.ValidationError):
        StatementSpec(code="X 1", title="T", description="D", prompts=("P",), evidence_categories=())


# --- broken files: each mistake named where it is ------------------------------------------------


def test_empty_file() -> None:
    assert errors_of("") == ["the file is empty: expected a mapping of fields such as slug, name, version"]
    assert errors_of("# just a comment\n") == errors_of("")


def test_file_that_is_a_list() -> None:
    assert errors_of("- slug: mini\n- name: Mini\n") == [
        "the file must be a mapping of fields such as slug, name, version, but it is a list"
    ]


def test_yaml_syntax_error_gives_line_and_column() -> None:
    text = edit("  - code: B\n    title: Second", "  - code: B\n   title: Second")
    assert errors_of(text) == [
        "YAML syntax error at line 31, column 4: expected <block end>, but found '<block mapping start>'"
        " (while parsing a block collection at line 17)"
    ]


def test_missing_fields() -> None:
    text = edit('version: "1"\n', "")
    text = edit("        title: Two\n", "", text)
    assert errors_of(text) == [
        "version: field required",
        "key_questions[0].statements[1].title: field required",
    ]


def test_unknown_field() -> None:
    text = edit("        title: One\n", "        title: One\n        guidance: Read the policy\n")
    assert errors_of(text + "colour: blue\n") == [
        "key_questions[0].statements[0].guidance: unknown field",
        "colour: unknown field",
    ]


def test_wrong_types_and_empty_text() -> None:
    text = edit('version: "1"', "version: 1.0")
    text = edit("{value: 2, label: Fair}", "{value: two, label: Fair}", text)
    text = edit("name: Mini framework", "name: '   '", text)
    text = edit("prompts: [Prompt two]", "prompts: [Prompt two, Note: check the file]", text)
    text = edit("evidence_categories: [records]", "evidence_categories: records", text)
    assert errors_of(text) == [
        "name: must not be empty",
        "version: expected text, got a number (1.0) (put it in quotes)",
        'scale[1].value: expected a whole number, got text ("two")',
        "key_questions[0].statements[1].prompts[1]: expected text, got a mapping"
        ' (text containing ": " must be put in quotes)',
        'key_questions[1].statements[0].evidence_categories: expected a list, got text ("records")',
    ]


def test_invalid_slug_and_codes() -> None:
    text = edit("slug: mini", "slug: Mini Framework")
    text = edit("code: A1", "code: A 1", text)
    assert errors_of(text) == [
        'slug: "Mini Framework" is not a valid slug (use lowercase letters, digits and hyphens)',
        'key_questions[0].statements[0].code: "A 1" is not a valid code'
        ' (use letters, digits, ".", "_" or "-", starting with a letter or digit)',
    ]


def test_duplicate_statement_code_across_key_questions() -> None:
    assert errors_of(edit("code: B1", "code: A2")) == [
        'key_questions[1].statements[0].code: duplicate code "A2"'
        " (also used at key_questions[0].statements[1])"
    ]


def test_duplicate_key_question_and_evidence_category_codes_ignore_case() -> None:
    text = edit("code: B\n", "code: a\n")
    text = edit("{code: records, label: Records}", "{code: PEOPLE, label: Records}", text)
    text = edit("evidence_categories: [records]", "evidence_categories: [people]", text)
    text = edit("evidence_categories: [people, records]", "evidence_categories: [people]", text)
    assert errors_of(text) == [
        'evidence_categories[1].code: duplicate code "PEOPLE" (also used at evidence_categories[0])',
        'key_questions[1].code: duplicate code "a" (also used at key_questions[0])',
    ]


def test_duplicate_scale_value() -> None:
    assert errors_of(edit("{value: 3, label: Good}", "{value: 2, label: Good}")) == [
        "scale[2].value: duplicate value 2 (also used at scale[1])",
        "good_value: 3 is not one of the scale values (1, 2, 2, 4)",
    ]


def test_scale_not_ascending_and_duplicate_labels() -> None:
    text = edit("{value: 2, label: Fair}", "{value: 3, label: poor}")
    text = edit("{value: 3, label: Good}", "{value: 2, label: Good}", text)
    assert errors_of(text) == [
        "scale[2].value: 2 is lower than the level before it (3);"
        " levels must be listed from lowest to highest",
        'scale[1].label: duplicate label "poor" (also used at scale[0])',
    ]


def test_scale_needs_two_levels() -> None:
    text = edit(
        "  - {value: 1, label: Poor}\n  - {value: 2, label: Fair}\n  - {value: 3, label: Good}\n"
        "  - {value: 4, label: Great}\n",
        "  - {value: 3, label: Good}\n",
    )
    assert errors_of(text) == ["scale: needs at least 2 levels, got 1"]


def test_good_value_not_on_scale() -> None:
    assert errors_of(edit("good_value: 3", "good_value: 5")) == [
        "good_value: 5 is not one of the scale values (1, 2, 3, 4)"
    ]


def test_good_value_must_not_be_the_lowest() -> None:
    assert errors_of(edit("good_value: 3", "good_value: 1")) == [
        "good_value: 1 is the lowest scale value; it must be above the bottom of the scale"
    ]


def test_bands_not_ascending() -> None:
    assert errors_of(edit("min_percent: 60", "min_percent: 25")) == [
        "rating_bands[1].min_percent: 25 is not above the previous band's 25; min_percent must rise from band"
        " to band"
    ]


def test_bands_out_of_order_duplicated_or_unknown() -> None:
    text = edit(
        "{key: inadequate, label: Poor, min_percent: 25}", "{key: good, label: Poor, min_percent: 25}"
    )
    text = edit(
        "{key: good, label: Good, min_percent: 60}", "{key: excellent, label: Good, min_percent: 60}", text
    )
    text = edit(
        "evidence_categories:\n",
        "  - {key: good, label: Again, min_percent: 70}\nevidence_categories:\n",
        text,
    )
    assert errors_of(text) == [
        'rating_bands[1].key: must be one of "inadequate", "requires_improvement", "good", "outstanding",'
        ' got "excellent"',
        'rating_bands[2].key: duplicate key "good" (also used at rating_bands[0])',
    ]
    text = edit("{key: inadequate, label: Poor", "{key: outstanding, label: Poor")
    assert errors_of(text) == [
        'rating_bands[1].key: "good" is listed after "outstanding"; bands must run from worst to best'
    ]


def test_first_band_must_cover_the_lowest_achievable_score() -> None:
    assert errors_of(edit("min_percent: 25", "min_percent: 26")) == [
        "rating_bands[0].min_percent: 26 is above the lowest achievable percentage 25 (lowest scale value 1,"
        " highest 4), so some results would fall below every band"
    ]


def test_band_count_and_percent_range() -> None:
    one_band = edit("  - {key: good, label: Good, min_percent: 60}\n", "")
    assert errors_of(one_band) == ["rating_bands: needs 2 to 4 bands, got 1"]
    assert errors_of(edit("min_percent: 60", "min_percent: 101")) == [
        "rating_bands[1].min_percent: must be at most 100, got 101"
    ]


def test_unknown_evidence_category() -> None:
    assert errors_of(
        edit("evidence_categories: [people, records]", "evidence_categories: [people, recrods]")
    ) == [
        'key_questions[0].statements[1].evidence_categories[1]: unknown evidence category "recrods"'
        " (known: people, records)"
    ]


def test_empty_statements_and_prompts() -> None:
    text = edit(
        "    statements:\n      - code: B1\n        title: Three\n        description: We do three.\n"
        "        prompts: [Prompt three]\n        evidence_categories: [records]\n",
        "    statements: []\n",
    )
    text = edit("prompts: [Prompt one]", "prompts: []", text)
    assert errors_of(text) == [
        "key_questions[1].statements: needs at least 1 statement, got 0",
        "key_questions[0].statements[0].prompts: needs at least 1 prompt, got 0",
    ]


def test_a_broken_item_is_not_also_reported_as_a_missing_one() -> None:
    # pydantic counts only the items that validated; one bad prompt must not read as "no prompts".
    assert errors_of(edit("prompts: [Prompt one]", "prompts: [[nested]]")) == [
        "key_questions[0].statements[0].prompts[0]: expected text, got a list"
    ]


def test_several_problems_are_all_reported_together() -> None:
    text = edit('version: "1"\n', "")
    text = edit("{value: 3, label: Good}", "{value: 3, label: Good, colour: green}", text)
    text = edit("good_value: 3", "good_value: 9", text)
    text = edit("min_percent: 60", "min_percent: 20", text)
    text = edit("code: B1", "code: A1", text)
    text = edit("evidence_categories: [records]", "evidence_categories: [files]", text)
    text = edit("        title: Two\n", "", text)
    assert errors_of(text) == [
        "version: field required",
        "scale[2].colour: unknown field",
        "key_questions[0].statements[1].title: field required",
        "good_value: 9 is not one of the scale values (1, 2, 3, 4)",
        "rating_bands[1].min_percent: 20 is not above the previous band's 25; min_percent must rise from band"
        " to band",
        'key_questions[1].statements[0].code: duplicate code "A1"'
        " (also used at key_questions[0].statements[0])",
        'key_questions[1].statements[0].evidence_categories[0]: unknown evidence category "files"'
        " (known: people, records)",
    ]


def test_error_message_lists_every_problem() -> None:
    with pytest.raises(FrameworkSpecError) as caught:
        parse_framework(edit("good_value: 3", "good_value: 9", edit('version: "1"\n', "")))
    assert str(caught.value) == (
        "Invalid framework file (2 problem(s)):\n"
        "- version: field required\n"
        "- good_value: 9 is not one of the scale values (1, 2, 3, 4)"
    )


def test_yaml_aliases_are_refused_so_an_upload_cannot_expand_without_limit() -> None:
    text = "a: &x [1, 2]\nb: *x\n"
    with pytest.raises(FrameworkSpecError) as raised:
        parse_framework(text)
    assert raised.value.errors == [
        "YAML syntax error at line 2, column 4: aliases (*name) are not allowed in framework files"
    ]


def test_a_key_repeated_in_one_mapping_is_reported() -> None:
    text = "slug: one\nname: First\nslug: two\n"
    with pytest.raises(FrameworkSpecError) as raised:
        parse_framework(text)
    assert raised.value.errors == [
        "YAML syntax error at line 3, column 1: the key 'slug' appears twice in the same mapping"
    ]


# --- how the overall rating is reached ------------------------------------------------------------------


def test_shipped_frameworks_say_how_they_reach_the_overall_rating() -> None:
    methods = {spec.slug: spec.overall_method for spec in load_shipped_frameworks()}
    assert methods == {"cqc-saf": "rating_principles", "council-quality-audit": "key_question_points"}


def test_a_file_that_does_not_say_keeps_the_key_question_points() -> None:
    assert parse_framework(VALID).overall_method == "key_question_points"


def test_overall_method_must_be_a_known_method() -> None:
    text = edit("evidence_categories:\n", "overall_method: average\nevidence_categories:\n")
    assert errors_of(text) == [
        'overall_method: must be one of "rating_principles", "key_question_points", got "average"'
    ]


def test_rating_principles_need_four_bands_and_two_key_questions() -> None:
    text = edit("evidence_categories:\n", "overall_method: rating_principles\nevidence_categories:\n")
    assert errors_of(text) == [
        'overall_method: the rating principles need all four rating bands; add "requires_improvement", '
        '"outstanding" or use overall_method: "key_question_points"'
    ]
    four_bands = edit(
        "  - {key: good, label: Good, min_percent: 60}\n",
        "  - {key: requires_improvement, label: Fair, min_percent: 40}\n"
        "  - {key: good, label: Good, min_percent: 60}\n"
        "  - {key: outstanding, label: Great, min_percent: 90}\n",
        text,
    )
    assert parse_framework(four_bands).overall_method == "rating_principles"
    one_question = four_bands[: four_bands.index("  - code: B\n")]
    assert errors_of(one_question) == [
        "overall_method: the rating principles need at least two key questions (outstanding needs two "
        'outstanding); use overall_method: "key_question_points"'
    ]
