"""The self-assessment pages and the service answer from one rulebook (assessments/rules.py): for
each state, each side (the provider's manager, a council officer) and every command, the page shows
the control exactly when the rulebook allows it and the service accepts the command exactly then."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from selfassess.assessments.models import AssessmentStatus, SelfAssessment, SelfAssessmentAnswer
from selfassess.assessments.rules import AssessmentCommand, assessment_commands
from selfassess.assessments.service import SelfAssessments
from selfassess.errors import Forbidden, Invalid
from selfassess.settings import Settings
from tests import factories
from tests.assessments.helpers import score_all

pytestmark = pytest.mark.usefixtures("frameworks")


async def _give(
    command: AssessmentCommand, service: SelfAssessments, assessment: SelfAssessment, world, answer_id: int
) -> None:  # type: ignore[no-untyped-def]
    if command is AssessmentCommand.EDIT:
        await service.add_note(assessment, answer_id, text="Rota for March attached.", category=None)
    elif command is AssessmentCommand.SUBMIT:
        await service.submit(assessment, world.alpha)
    elif command is AssessmentCommand.MARK_REVIEWED:
        await service.mark_reviewed(assessment, world.alpha)
    else:
        await service.return_for_information(assessment, world.alpha, "Say more about staffing.")


@pytest.mark.parametrize("status", list(AssessmentStatus), ids=lambda status: status.value)
async def test_the_self_assessment_pages_and_service_follow_the_rulebook(
    status: AssessmentStatus, browsers, db: AsyncSession, world: factories.World, settings: Settings
) -> None:  # type: ignore[no-untyped-def]
    assessment = await SelfAssessments(db, world.manager_1, settings).start(world.alpha, "2026/27")
    await score_all(db, assessment)
    answer_id = await db.scalar(
        select(SelfAssessmentAnswer.id).where(SelfAssessmentAnswer.assessment_id == assessment.id).limit(1)
    )
    assert answer_id is not None
    people = {"provider": (world.manager_1, True), "officer": (world.officer_a, False)}
    marks = {
        AssessmentCommand.EDIT: f'action="/assessments/{assessment.id}/answers/{answer_id}"',
        AssessmentCommand.SUBMIT: f'href="/assessments/{assessment.id}/check"',
        AssessmentCommand.MARK_REVIEWED: f'action="/assessments/{assessment.id}/review"',
        AssessmentCommand.RETURN: f'action="/assessments/{assessment.id}/return"',
    }
    failures = []
    for label, (person, provider) in people.items():
        async with browsers() as browser:
            await browser.login(person.email)
            for command in AssessmentCommand:
                await db.commit()  # ends the last command's transaction (loaded objects stay loaded)
                await db.execute(
                    update(SelfAssessment).where(SelfAssessment.id == assessment.id).values(status=status)
                )
                await db.commit()
                await db.refresh(assessment)
                allowed = assessment_commands(status, provider=provider)
                overview = (await browser.get(f"/assessments/{assessment.id}")).text
                answer = (await browser.get(f"/assessments/{assessment.id}/answers/{answer_id}")).text
                shown = marks[command] in overview + answer
                if shown != (command in allowed):
                    failures.append(
                        f"{status.value}, {label}: the page {'shows' if shown else 'hides'} {command}"
                    )
                try:
                    await _give(command, SelfAssessments(db, person, settings), assessment, world, answer_id)
                    accepted = True
                except (Invalid, Forbidden):
                    accepted = False
                if accepted != (command in allowed):
                    answer_word = "accepts" if accepted else "refuses"
                    failures.append(f"{status.value}, {label}: the service {answer_word} {command}")
    assert not failures, "\n".join(failures)
