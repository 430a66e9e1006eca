"""Matching as a lead lives it: the proposals DM, approve, swap, later, pair by hand, boards."""

import json
from datetime import date, time
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.ids import ActionId, BlockId
from bot.sandbox import slack_double
from bot.sandbox.slack_double import SlackDouble
from storage.db import session_scope
from storage.enums import PairingStatus, ProgramStatus, Role, Structure
from storage.models import Flag, Pairing, Participant, Program
from tests.blockkit import assert_valid_view
from tests.harness import SlackToBot

TEAM = slack_double.DEFAULT_TEAM_ID
LEAD = "UADMIN"
COMPETENCIES = ["Public speaking", "Negotiation", "Python", "Leadership"]


def _program(
    session: Session,
    *,
    structure: Structure = Structure.ONE_TO_ONE,
    name: str = "Spring cohort",
    status: ProgramStatus = ProgramStatus.ENROLLING,
) -> Program:
    program = Program(
        team_id=TEAM,
        name=name,
        status=status,
        start_date=date(2026, 3, 1),
        competencies=COMPETENCIES,
        structure=structure,
        group_size=2,
        created_by="UOTHERLEAD",
    )
    session.add(program)
    session.flush()
    return program


def _person(
    session: Session,
    program: Program,
    user_id: str,
    role: Role,
    skills: dict[str, int],
    *,
    capacity: int = 1,
    interests: tuple[str, ...] = (),
) -> Participant:
    assert program.id is not None
    participant = Participant(
        team_id=TEAM,
        program_id=program.id,
        user_id=user_id,
        role=role,
        skills=[{"skill": s, "score": v} for s, v in skills.items()],
        interests=list(interests),
        capacity=capacity,
        timezone="Europe/Berlin",
        work_start=time(9),
        work_end=time(18),
        aim="Lead a team within a year",
    )
    session.add(participant)
    session.flush()
    return participant


@pytest.fixture
def cohort(engine: Engine, slack: SlackDouble) -> dict[str, Participant]:
    """Three mentors (capacity 2, 1, 1) and four mentees with clear best fits."""
    people: dict[str, Participant] = {}
    with session_scope(engine) as session:
        program = _program(session)
        for user_id, skills, capacity in (
            ("UM1", {"Public speaking": 5, "Leadership": 4}, 2),
            ("UM2", {"Python": 5}, 1),
            ("UM3", {"Negotiation": 5}, 1),
        ):
            people[user_id] = _person(
                session, program, user_id, Role.MENTOR, skills, capacity=capacity
            )
        for user_id, skills in (
            ("UE1", {"Public speaking": 1, "Leadership": 2}),
            ("UE2", {"Python": 1, "Negotiation": 3}),
            ("UE3", {"Negotiation": 1, "Public speaking": 3}),
            ("UE4", {"Leadership": 1, "Public speaking": 2}),
        ):
            people[user_id] = _person(session, program, user_id, Role.MENTEE, skills)
    for user_id in people:
        slack.add_user(
            user_id, name=user_id.lower(), real_name=f"Person {user_id}", tz="Europe/Berlin"
        )
    return people


def _pairings(engine: Engine) -> list[Pairing]:
    with session_scope(engine) as session:
        return list(session.exec(select(Pairing).order_by(Pairing.id)))  # type: ignore[arg-type]


def _proposals_dm(slack: SlackDouble) -> dict[str, Any]:
    [call] = slack.wait_for("chat.postMessage")
    assert call.params["channel"] == LEAD
    assert_valid_view(call.params, surface="message")
    return call.params


def _click(bot: SlackToBot, slack: SlackDouble, action_id: str, value: str) -> None:
    """Click a button on the lead's proposals DM (the bot's last message to the lead)."""
    channel = slack.dm_channel_id(LEAD)
    ts = slack.messages(channel)[0]["ts"]
    response = bot.action(
        action_id,
        value,
        user_id=LEAD,
        trigger_id=slack.new_trigger_id(),
        container={"type": "message", "message_ts": ts, "channel_id": channel},
        channel_id=channel,
    )
    assert response.status == 200


def test_match_proposes_within_capacity_and_dms_the_lead(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, cohort: dict[str, Participant]
) -> None:
    ack = bot.command("match Spring cohort", user_id=LEAD).json()
    assert "Matching *Spring cohort*" in ack["text"]
    dm = _proposals_dm(slack)
    text = json.dumps(dm, ensure_ascii=False)
    proposals = [p for p in _pairings(engine) if p.status is PairingStatus.PROPOSED]
    assert len(proposals) == 4  # four places: UM1 takes two
    loads: dict[str, int] = {}
    for pairing in proposals:
        loads[pairing.mentor_user_id] = loads.get(pairing.mentor_user_id, 0) + 1
        assert pairing.match_reasons, "every proposal explains itself"
    assert loads == {"UM1": 2, "UM2": 1, "UM3": 1}
    assert {(p.mentor_user_id, p.mentee_user_id) for p in proposals} >= {
        ("UM2", "UE2"),
        ("UM3", "UE3"),
    }
    assert "Approve all 4" in text
    assert "Public speaking" in text


def test_a_past_pair_is_never_proposed_again(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, cohort: dict[str, Participant]
) -> None:
    with session_scope(engine) as session:
        old = _program(session, name="Last year", status=ProgramStatus.CLOSED)
        assert old.id is not None
        session.add(
            Pairing(
                team_id=TEAM,
                program_id=old.id,
                mentor_id=cohort["UM2"].id or 0,
                mentee_id=cohort["UE2"].id or 0,
                mentor_user_id="UM2",
                mentee_user_id="UE2",
                status=PairingStatus.ENDED,
            )
        )
    bot.command("match Spring cohort", user_id=LEAD)
    _proposals_dm(slack)
    proposed = {
        (p.mentor_user_id, p.mentee_user_id)
        for p in _pairings(engine)
        if p.status is PairingStatus.PROPOSED
    }
    assert ("UM2", "UE2") not in proposed


def test_unplaceable_mentees_are_listed_with_why(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, cohort: dict[str, Participant]
) -> None:
    with session_scope(engine) as session:
        program = session.exec(select(Program)).one()
        _person(session, program, "UE5", Role.MENTEE, {"Python": 1, "Leadership": 1})
    bot.command("match Spring cohort", user_id=LEAD)
    text = json.dumps(_proposals_dm(slack), ensure_ascii=False)
    assert "Not placed (1)" in text
    assert "<@UE5>" in text
    with session_scope(engine) as session:
        flag = session.exec(select(Flag)).one()
        assert flag.detail


def test_approving_introduces_the_pair_in_a_group_dm(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, cohort: dict[str, Participant]
) -> None:
    bot.command("match Spring cohort", user_id=LEAD)
    _proposals_dm(slack)
    target = next(p for p in _pairings(engine) if p.mentee_user_id == "UE2")
    _click(bot, slack, ActionId.MATCH_APPROVE, str(target.id))
    [opened] = slack.wait_for("conversations.open")
    assert set(opened.params["users"].split(",")) == {target.mentor_user_id, "UE2"}
    intro = slack.wait_for("chat.postMessage", count=2)[1]
    assert intro.params["channel"] != LEAD
    assert_valid_view(intro.params, surface="message")
    intro_text = json.dumps(intro.params, ensure_ascii=False)
    assert "pivotal challenge" in intro_text
    assert "Why you were matched" in intro_text
    schedule = [
        element
        for block in intro.params["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]
    assert [(b["action_id"], b["value"]) for b in schedule] == [
        (ActionId.SCHEDULE_OPEN, str(target.id))
    ]
    [update] = slack.wait_for("chat.update")
    assert_valid_view(update.params, surface="message")
    assert "Approve all 3" in json.dumps(update.params)
    approved = next(p for p in _pairings(engine) if p.id == target.id)
    assert approved.status is PairingStatus.ACTIVE
    assert approved.approved_by == LEAD
    assert approved.conversation_id == intro.params["channel"]


def test_approve_all_introduces_everyone(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, cohort: dict[str, Participant]
) -> None:
    bot.command("match Spring cohort", user_id=LEAD)
    _proposals_dm(slack)
    program_id = cohort["UE1"].program_id
    _click(bot, slack, ActionId.MATCH_APPROVE_ALL, str(program_id))
    slack.wait_for("conversations.open", count=4)
    slack.wait_for("response_url")
    assert all(p.status is PairingStatus.ACTIVE for p in _pairings(engine))


def test_leave_for_later_and_swap(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, cohort: dict[str, Participant]
) -> None:
    bot.command("match Spring cohort", user_id=LEAD)
    _proposals_dm(slack)
    first, second = _pairings(engine)[:2]
    _click(bot, slack, ActionId.MATCH_LATER, str(first.id))
    slack.wait_for("chat.update")
    assert _pairings(engine)[0].status is PairingStatus.DECLINED

    _click(bot, slack, ActionId.MATCH_SWAP, str(second.id))
    [opened] = slack.wait_for("views.open")
    view = opened.params["view"]
    assert_valid_view(view, surface="modal")
    options = view["blocks"][1]["element"]["options"]
    new_mentor = options[0]["value"]
    response = bot.submit(view, {BlockId.MATCH_SWAP_MENTOR: new_mentor}, user_id=LEAD)
    assert response.status == 200
    swapped = next(p for p in _pairings(engine) if p.id == second.id)
    assert swapped.mentor_id == int(new_mentor)
    assert swapped.status is PairingStatus.PROPOSED


def test_a_non_lead_cannot_match_and_nothing_changes(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, cohort: dict[str, Participant]
) -> None:
    answer = bot.command("match Spring cohort", user_id="U0001").json()
    assert "Only workspace admins and the leads of *Spring cohort*" in answer["text"]
    assert _pairings(engine) == []
    assert slack.calls_to("chat.postMessage") == []


def test_match_needs_a_known_program(bot: SlackToBot, cohort: dict[str, Participant]) -> None:
    assert "Which program?" in bot.command("match", user_id=LEAD).json()["text"]
    unknown = bot.command("match Autumn", user_id=LEAD).json()["text"]
    assert "There is no program called *Autumn*" in unknown
    assert "*Spring cohort*" in unknown


def test_pair_by_hand_introduces_right_away(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, cohort: dict[str, Participant]
) -> None:
    answer = bot.command("pair <@UM3|um3> <@UE1|ue1> Spring cohort", user_id=LEAD).json()
    assert "Paired <@UM3> with <@UE1>" in answer["text"]
    slack.wait_for("chat.postMessage")
    [pairing] = _pairings(engine)
    assert (pairing.mentor_user_id, pairing.mentee_user_id) == ("UM3", "UE1")
    assert pairing.status is PairingStatus.ACTIVE
    again = bot.command("pair <@UM3|um3> <@UE1|ue1> Spring cohort", user_id=LEAD).json()
    assert "already paired" in again["text"]
    full = bot.command("pair <@UM3|um3> <@UE2|ue2> Spring cohort", user_id=LEAD).json()
    assert "at capacity" in full["text"]
    wrong_role = bot.command("pair <@UE2|ue2> <@UE3|ue3> Spring cohort", user_id=LEAD).json()
    assert "hasn't joined *Spring cohort* as a mentor" in wrong_role["text"]


def test_board_shows_mentors_and_refuses_duplicate_roles(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, cohort: dict[str, Participant]
) -> None:
    bot.command("pair <@UM1|um1> <@UE1|ue1> Spring cohort", user_id=LEAD)
    bot.command("pair <@UM2|um2> <@UE1|ue1> Spring cohort", user_id=LEAD)
    board = bot.command("board", user_id="UE1").json()
    assert_valid_view(board, surface="message")
    assert "<@UM1>" in json.dumps(board)
    assert "<@UM2>" in json.dumps(board)
    program_id = cohort["UE1"].program_id
    bot.action(
        ActionId.BOARD_EDIT, str(program_id), user_id="UE1", trigger_id=slack.new_trigger_id()
    )
    [opened] = slack.wait_for("views.open")
    view = opened.params["view"]
    assert_valid_view(view, surface="modal")
    inputs = [b["block_id"] for b in view["blocks"] if b["type"] == "input"]
    clash = bot.submit(view, dict.fromkeys(inputs, "Challenger"), user_id="UE1").json()
    assert clash["response_action"] == "errors"
    assert all(p.board_role is None for p in _pairings(engine))
    ok = bot.submit(
        view, dict(zip(inputs, ["Challenger", "Technical Expert"], strict=True)), user_id="UE1"
    )
    assert ok.status == 200
    assert sorted(p.board_role or "" for p in _pairings(engine)) == [
        "Challenger",
        "Technical Expert",
    ]


def test_someone_else_cannot_edit_a_board(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, cohort: dict[str, Participant]
) -> None:
    bot.command("pair <@UM1|um1> <@UE1|ue1> Spring cohort", user_id=LEAD)
    program_id = cohort["UE1"].program_id
    pairing_id = _pairings(engine)[0].id
    view = {
        "type": "modal",
        "callback_id": "board_modal",
        "private_metadata": json.dumps({"program_id": program_id}),
        "blocks": [
            {
                "type": "input",
                "block_id": f"{BlockId.BOARD_ROLE_PREFIX}{pairing_id}",
                "label": {"type": "plain_text", "text": "Role"},
                "element": {"type": "plain_text_input", "action_id": "input"},
            }
        ],
    }
    answer = bot.submit(
        view, {f"{BlockId.BOARD_ROLE_PREFIX}{pairing_id}": "Sponsor"}, user_id="UE2"
    )
    assert answer.json()["response_action"] == "errors"
    assert _pairings(engine)[0].board_role is None


def test_group_programs_form_groups_introduced_together(
    bot: SlackToBot, slack: SlackDouble, engine: Engine
) -> None:
    with session_scope(engine) as session:
        program = _program(session, structure=Structure.GROUP)
        _person(session, program, "UM1", Role.MENTOR, {"Leadership": 5})
        for user_id in ("UE1", "UE2"):
            _person(session, program, user_id, Role.MENTEE, {"Leadership": 1, "Python": 2})
        program_id = program.id
    bot.command("match Spring cohort", user_id=LEAD)
    _proposals_dm(slack)
    pairings = _pairings(engine)
    assert len(pairings) == 2
    assert pairings[0].group_key
    assert pairings[0].group_key == pairings[1].group_key
    _click(bot, slack, ActionId.MATCH_APPROVE_ALL, str(program_id))
    [opened] = slack.wait_for("conversations.open")
    assert set(opened.params["users"].split(",")) == {"UM1", "UE1", "UE2"}
