"""Surveys through signed requests: the DM prompt's button, the modal, inline errors, answers
stored per person, and aggregates that carry numbers only."""

import json
from dataclasses import asdict
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from bot.ids import ActionId, BlockId
from bot.sandbox.slack_double import SlackDouble
from bot.services.surveys import survey_aggregates, survey_due
from bot.views.surveys import build_survey_prompt
from storage.db import session_scope
from storage.enums import PairingStatus, Role, Stage, SurveyKind
from storage.models import Pairing, Participant, Program, SurveyResponse
from tests.blockkit import assert_valid_view
from tests.forms import Answer
from tests.harness import SlackToBot
from tests.pairs import (
    MENTEE,
    MENTOR,
    OUTSIDER,
    TEAM,
    Pair,
    button,
    last_opened_view,
    make_pair,
    pairing_row,
    text_of,
)

Q = BlockId.SURVEY_PREFIX
SECRET = "Bob keeps cancelling on Fridays"
MIDPOINT: dict[str, Answer] = {
    f"{Q}relationship_quality": "4",
    f"{Q}goal_alignment": "5",
    f"{Q}satisfaction": "3",
    f"{Q}comment": SECRET,
}
FINAL: dict[str, Answer] = {
    f"{Q}goals_achieved": "4",
    f"{Q}what_changed": "I run the review myself now.",
    f"{Q}what_next": "Mentor a new lead next year.",
    f"{Q}sign_goals": "yes",
    f"{Q}sign_confident": "yes",
    f"{Q}sign_passing_on": "no",
    f"{Q}sign_satisfied": "yes",
}


@pytest.fixture
def pair(engine: Engine, slack: SlackDouble) -> Pair:
    """Bob mentors Alice; they are practising with guidance."""
    return make_pair(engine, slack, stage=Stage.GUIDED_PRACTICE)


def _prompt(engine: Engine, pair: Pair, kind: SurveyKind, *, to: str) -> dict[str, Any]:
    partner = MENTOR if to == MENTEE else MENTEE
    message = build_survey_prompt(
        kind,
        pairing_id=pair.pairing_id,
        mentee_user_id=MENTEE,
        program_name="Spring cohort",
        partner_user_id=partner,
    )
    assert_valid_view(message, surface="message")
    return message


def _open(
    bot: SlackToBot, slack: SlackDouble, message: dict[str, Any], user_id: str
) -> dict[str, Any]:
    before = len(slack.calls_to("views.open"))
    take = button(message, ActionId.SURVEY_OPEN)
    response = bot.action(
        take["action_id"], take["value"], user_id=user_id, trigger_id=slack.new_trigger_id()
    )
    assert response.status == 200
    return last_opened_view(slack, before)


def _responses(engine: Engine) -> list[SurveyResponse]:
    with session_scope(engine) as session:
        rows = list(session.exec(select(SurveyResponse).order_by(SurveyResponse.id)))  # type: ignore[arg-type]
        for row in rows:
            session.expunge(row)
        return rows


def _submit(
    bot: SlackToBot, view: dict[str, Any], answers: dict[str, Answer], user_id: str
) -> dict[str, Any]:
    response = bot.submit(view, answers, user_id=user_id)
    assert response.status == 200
    return response.json() if response.body else {}


def test_the_prompt_button_opens_the_survey_and_missing_ratings_store_nothing(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, pair: Pair
) -> None:
    prompt = _prompt(engine, pair, SurveyKind.MIDPOINT, to=MENTEE)
    assert "halfway through *Spring cohort* with <@U0002>" in text_of(prompt)
    view = _open(bot, slack, prompt, MENTEE)
    assert view["title"]["text"] == "Midpoint survey"
    labels = text_of(view)
    assert "working relationship with your mentor" in labels
    assert "5 · excellent" in labels

    answer = _submit(bot, view, {f"{Q}goal_alignment": "4"}, MENTEE)
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {f"{Q}relationship_quality", f"{Q}satisfaction"}
    assert "1 to 5" in answer["errors"][f"{Q}satisfaction"]
    assert _responses(engine) == []


def test_answers_are_stored_per_person_and_answering_again_updates(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, pair: Pair
) -> None:
    view = _open(bot, slack, _prompt(engine, pair, SurveyKind.MIDPOINT, to=MENTEE), MENTEE)
    thanks = _submit(bot, view, MIDPOINT, MENTEE)
    assert thanks["response_action"] == "update"
    assert_valid_view(thanks["view"], surface="modal")
    assert "saved" in text_of(thanks["view"])

    mentor_view = _open(bot, slack, _prompt(engine, pair, SurveyKind.MIDPOINT, to=MENTOR), MENTOR)
    assert "working relationship with your mentee" in text_of(mentor_view)
    _submit(
        bot,
        mentor_view,
        {f"{Q}relationship_quality": "5", f"{Q}goal_alignment": "3", f"{Q}satisfaction": "4"},
        MENTOR,
    )
    rows = _responses(engine)
    assert [(r.user_id, r.kind, r.scores) for r in rows] == [
        (
            MENTEE,
            SurveyKind.MIDPOINT,
            {"relationship_quality": 4, "goal_alignment": 5, "satisfaction": 3},
        ),
        (
            MENTOR,
            SurveyKind.MIDPOINT,
            {"relationship_quality": 5, "goal_alignment": 3, "satisfaction": 4},
        ),
    ]
    assert rows[0].comment == SECRET
    assert rows[1].comment == ""
    assert all(r.program_id == pair.program_id for r in rows)

    # Opened again, the survey shows Alice's answers; sending new ones replaces them.
    again = _open(bot, slack, _prompt(engine, pair, SurveyKind.MIDPOINT, to=MENTEE), MENTEE)
    assert "replaces your answers" in text_of(again)
    answer = {b["block_id"]: b["element"] for b in again["blocks"] if b["type"] == "input"}
    assert answer[f"{Q}goal_alignment"]["initial_option"]["value"] == "5"
    assert answer[f"{Q}comment"]["initial_value"] == SECRET
    updated = _submit(bot, again, {f"{Q}satisfaction": "1", f"{Q}comment": ""}, MENTEE)
    assert "updated" in text_of(updated["view"])
    rows = _responses(engine)
    assert len(rows) == 2
    assert rows[0].scores == {"relationship_quality": 4, "goal_alignment": 5, "satisfaction": 1}
    assert rows[0].comment == ""
    with session_scope(engine) as session:
        answered = survey_due(session, pairing_ids=[pair.pairing_id], kind=SurveyKind.MIDPOINT)
        assert answered == {pair.pairing_id: {MENTEE, MENTOR}}
        final = survey_due(session, pairing_ids=[pair.pairing_id], kind=SurveyKind.FINAL)
        assert final == {pair.pairing_id: set()}


def test_the_final_reflection_asks_the_four_closure_signs_and_concludes_the_pair(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, pair: Pair
) -> None:
    view = _open(bot, slack, _prompt(engine, pair, SurveyKind.FINAL, to=MENTEE), MENTEE)
    text = text_of(view)
    for sign in (
        "goals you set achieved",
        "confident to go on without your mentor",
        "passing what you learned on",
        "satisfied with how the mentoring ended",
    ):
        assert sign in text
    missing = _submit(bot, view, {f"{Q}goals_achieved": "4"}, MENTEE)
    assert set(missing["errors"]) == {
        f"{Q}sign_goals",
        f"{Q}sign_confident",
        f"{Q}sign_passing_on",
        f"{Q}sign_satisfied",
    }
    assert missing["errors"][f"{Q}sign_goals"] == "Answer yes or no."
    assert _responses(engine) == []

    _submit(bot, view, FINAL, MENTEE)
    [row] = _responses(engine)
    assert row.scores == {
        "goals_achieved": 4,
        "sign_goals": 1,
        "sign_confident": 1,
        "sign_passing_on": 0,
        "sign_satisfied": 1,
    }
    assert row.comment == (
        "What changed:\nI run the review myself now.\n\nWhat next:\nMentor a new lead next year."
    )
    assert pairing_row(engine, pair.pairing_id).stage is Stage.CONCLUDING
    reopened = _open(bot, slack, _prompt(engine, pair, SurveyKind.FINAL, to=MENTEE), MENTEE)
    inputs = {b["block_id"]: b["element"] for b in reopened["blocks"] if b["type"] == "input"}
    assert inputs[f"{Q}what_next"]["initial_value"] == "Mentor a new lead next year."
    assert inputs[f"{Q}sign_passing_on"]["initial_option"]["value"] == "no"


def test_the_mentor_answers_the_independence_audit_about_the_mentee(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, pair: Pair
) -> None:
    prompt = _prompt(engine, pair, SurveyKind.INDEPENDENCE, to=MENTOR)
    assert "can <@U0001> now set their own skill gaps" in text_of(prompt)
    view = _open(bot, slack, prompt, MENTOR)
    assert "Can your mentee carry the plan out without you?" in text_of(view)
    _submit(
        bot,
        view,
        {f"{Q}own_gaps": "4", f"{Q}own_plan": "3", f"{Q}own_execution": "2"},
        MENTOR,
    )
    [row] = _responses(engine)
    assert (row.user_id, row.kind) == (MENTOR, SurveyKind.INDEPENDENCE)
    assert row.scores == {"own_gaps": 4, "own_plan": 3, "own_execution": 2}


def test_aggregates_carry_numbers_and_never_free_text(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, pair: Pair
) -> None:
    view = _open(bot, slack, _prompt(engine, pair, SurveyKind.MIDPOINT, to=MENTEE), MENTEE)
    _submit(bot, view, MIDPOINT, MENTEE)
    view = _open(bot, slack, _prompt(engine, pair, SurveyKind.MIDPOINT, to=MENTOR), MENTOR)
    _submit(bot, view, {**MIDPOINT, f"{Q}satisfaction": "5", f"{Q}comment": "Private too"}, MENTOR)
    view = _open(bot, slack, _prompt(engine, pair, SurveyKind.FINAL, to=MENTEE), MENTEE)
    _submit(bot, view, FINAL, MENTEE)

    with session_scope(engine) as session:
        aggregates = survey_aggregates(session, program_id=pair.program_id)
    dumped = json.dumps(asdict(aggregates), default=str)
    for private in (SECRET, "Private too", "I run the review", "Mentor a new lead"):
        assert private not in dumped
    assert aggregates.pairings == 1
    midpoint = aggregates.kinds[SurveyKind.MIDPOINT]
    assert (midpoint.responses, midpoint.mentors, midpoint.mentees) == (2, 1, 1)
    assert midpoint.pairs_complete == 1
    # Two people: an "average" would be the pair's own answers, so there is none.
    assert {q.key: (q.answers, q.people, q.average) for q in midpoint.questions} == {
        "relationship_quality": (2, 2, None),
        "goal_alignment": (2, 2, None),
        "satisfaction": (2, 2, None),
    }
    final = aggregates.kinds[SurveyKind.FINAL]
    assert (final.responses, final.pairs_complete) == (1, 0)
    assert {q.key: q.average for q in final.questions}["sign_passing_on"] is None
    assert "what_changed" not in {q.key for q in final.questions}
    audit = aggregates.kinds[SurveyKind.INDEPENDENCE]
    assert audit.responses == 0
    assert all(q.average is None for q in audit.questions)


def _answered_by(engine: Engine, pair: Pair, people: int, *, setting: int | None = None) -> None:
    """Midpoint answers by ``people`` mentees of as many pairs (Alice's among them); the
    program's ``min_group_size`` set to ``setting``."""
    mentor_id = pairing_row(engine, pair.pairing_id).mentor_id
    with session_scope(engine) as session:
        program = session.get(Program, pair.program_id)
        assert program is not None
        if setting is not None:
            program.rule_settings = {"min_group_size": setting}
            session.add(program)
        pairings = [pair.pairing_id]
        for n in range(1, people):
            mentee = Participant(
                team_id=TEAM, program_id=pair.program_id, user_id=f"UM{n}", role=Role.MENTEE
            )
            session.add(mentee)
            session.flush()
            row = Pairing(
                team_id=TEAM,
                program_id=pair.program_id,
                mentor_id=mentor_id,
                mentee_id=mentee.id or 0,
                mentor_user_id=MENTOR,
                mentee_user_id=f"UM{n}",
                status=PairingStatus.ACTIVE,
            )
            session.add(row)
            session.flush()
            pairings.append(row.id or 0)
        for n, pairing_id in enumerate(pairings):
            session.add(
                SurveyResponse(
                    team_id=TEAM,
                    program_id=pair.program_id,
                    pairing_id=pairing_id,
                    user_id=MENTEE if n == 0 else f"UM{n}",
                    kind=SurveyKind.MIDPOINT,
                    scores={"relationship_quality": 2 + n, "satisfaction": 4},
                )
            )


@pytest.mark.parametrize(
    ("people", "setting", "shown"),
    [(1, None, False), (2, None, False), (3, None, True), (2, 2, False), (3, 2, True)],
    ids=["one", "two", "three", "two-with-a-setting-of-2", "three-with-a-setting-of-2"],
)
def test_an_average_needs_three_people_whatever_the_program_says(
    engine: Engine, pair: Pair, people: int, setting: int | None, shown: bool
) -> None:
    _answered_by(engine, pair, people, setting=setting)
    with session_scope(engine) as session:
        midpoint = survey_aggregates(session, program_id=pair.program_id).kinds[SurveyKind.MIDPOINT]
    found = {q.key: (q.answers, q.people, q.average) for q in midpoint.questions}
    # 2, 3, 4 by the first, second and third mentee: 3 on average once three answered.
    relationship = 3.0 if shown else None
    assert found["relationship_quality"] == (people, people, relationship)
    assert found["satisfaction"] == (people, people, 4.0 if shown else None)
    assert found["goal_alignment"] == (0, 0, None)


def test_a_larger_group_a_program_sets_holds_too(engine: Engine, pair: Pair) -> None:
    _answered_by(engine, pair, 3, setting=4)
    with session_scope(engine) as session:
        midpoint = survey_aggregates(session, program_id=pair.program_id).kinds[SurveyKind.MIDPOINT]
    assert all(q.average is None for q in midpoint.questions)


def test_two_answers_by_one_person_are_one_person(engine: Engine, pair: Pair) -> None:
    """Bob mentors three mentees and answers for each pair: one person, so no average."""
    _answered_by(engine, pair, 3)
    with session_scope(engine) as session:
        for row in session.exec(select(SurveyResponse)).all():
            row.user_id = MENTOR
            session.add(row)
    with session_scope(engine) as session:
        midpoint = survey_aggregates(session, program_id=pair.program_id).kinds[SurveyKind.MIDPOINT]
    quality = next(q for q in midpoint.questions if q.key == "relationship_quality")
    assert (quality.answers, quality.people, quality.average) == (3, 1, None)


def test_someone_outside_the_pair_can_neither_open_nor_submit_its_survey(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, pair: Pair
) -> None:
    prompt = _prompt(engine, pair, SurveyKind.MIDPOINT, to=MENTEE)
    take = button(prompt, ActionId.SURVEY_OPEN)
    bot.action(
        take["action_id"], take["value"], user_id=OUTSIDER, trigger_id=slack.new_trigger_id()
    )
    [refusal] = slack.wait_for("response_url")
    assert "another mentoring pair" in refusal.params["text"]
    assert slack.calls_to("views.open") == []

    # Even with the pair's own modal in hand, submitting it as someone else stores nothing.
    view = _open(bot, slack, prompt, MENTEE)
    answer = _submit(bot, view, MIDPOINT, OUTSIDER)
    assert answer["response_action"] == "errors"
    assert "another mentoring pair" in next(iter(answer["errors"].values()))
    assert _responses(engine) == []

    forged = button(prompt, ActionId.SURVEY_OPEN)["value"].replace("midpoint", "exit")
    bot.action(ActionId.SURVEY_OPEN, forged, user_id=MENTEE, trigger_id=slack.new_trigger_id())
    assert "out of date" in slack.wait_for("response_url", count=2)[1].params["text"]
