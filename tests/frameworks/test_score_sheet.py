"""What a score sheet's row may hold, for both sheets and the API alike: the pure checks."""

from __future__ import annotations

import pytest

from selfassess.errors import Invalid
from selfassess.frameworks.score_sheet import OFF_SCALE, TEXT_LIMIT, check_entry

SCALE = (1, 2, 3, 4)


@pytest.mark.parametrize("score", [None, 1, 4])
def test_a_score_on_the_scale_or_none_yet_with_texts_within_the_limit_is_accepted(score: int | None) -> None:
    check_entry(score, ("", "x" * TEXT_LIMIT), SCALE)


@pytest.mark.parametrize("score", [0, 5, -1])
def test_a_score_off_the_scale_is_refused(score: int) -> None:
    with pytest.raises(Invalid, match=OFF_SCALE):
        check_entry(score, ("", ""), SCALE)


@pytest.mark.parametrize("texts", [("x" * (TEXT_LIMIT + 1), ""), ("", "x" * (TEXT_LIMIT + 1))])
def test_either_text_over_the_limit_is_refused(texts: tuple[str, str]) -> None:
    with pytest.raises(Invalid, match="at most 20,000 characters"):
        check_entry(3, texts, SCALE)
