"""The Home tab: each person's dashboard, and the lead's program controls."""

import json
import logging
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.ids import ActionId
from bot.sandbox import slack_double
from bot.sandbox.slack_double import SlackDouble
from storage.db import session_scope
from storage.enums import PairingStatus, ProgramStatus, Role, Stage, Visibility
from storage.models import Invitation, Pairing, Participant, ProcessedEvent, Program
from tests.blockkit import assert_valid_view
from tests.harness import SlackToBot, eventually

TEAM = slack_double.DEFAULT_TEAM_ID


def _program(session: Session, name: str, status: ProgramStatus, **extra: Any) -> Program:
    program = Program(
        team_id=TEAM,
        name=name,
        status=status,
        start_date=date(2026, 3, 1),
        competencies=["Python"],
        created_by="UADMIN",
        places=10,
        **extra,
    )
    session.add(program)
    session.flush()
    return program


def _enrol(session: Session, program: Program, user_id: str, role: Role) -> Participant:
    assert program.id is not None
    participant = Participant(team_id=TEAM, program_id=program.id, user_id=user_id, role=role)
    session.add(participant)
    session.flush()
    return participant


def _home(bot: SlackToBot, slack: SlackDouble, user_id: str) -> dict[str, Any]:
    slack.reset()
    bot.event(slack_double.app_home_opened_event(user_id))
    [call] = slack.wait_for("views.publish")
    assert call.params["user_id"] == user_id
    view: dict[str, Any] = call.params["view"]
    assert_valid_view(view, surface="home")
    return view


def _text(view: dict[str, Any]) -> str:
    return json.dumps(view, ensure_ascii=False)


def _buttons(view: dict[str, Any]) -> list[tuple[str, str]]:
    found = []
    for block in view["blocks"]:
        elements = block.get("elements", []) if block["type"] == "actions" else []
        if block.get("accessory"):
            elements = [block["accessory"]]
        found += [(e["action_id"], e.get("value", "")) for e in elements if e["type"] == "button"]
    return found


def test_a_paired_mentee_sees_their_mentor_and_stage(
    bot: SlackToBot, slack: SlackDouble, engine: Engine
) -> None:
    with session_scope(engine) as session:
        program = _program(session, "Spring", ProgramStatus.ACTIVE)
        mentor = _enrol(session, program, "U0002", Role.MENTOR)
        mentee = _enrol(session, program, "U0001", Role.MENTEE)
        session.add(
            Pairing(
                team_id=TEAM,
                program_id=program.id or 0,
                mentor_id=mentor.id or 0,
                mentee_id=mentee.id or 0,
                mentor_user_id="U0002",
                mentee_user_id="U0001",
                status=PairingStatus.ACTIVE,
                stage=Stage.GOAL_SETTING,
                board_role="Challenger",
            )
        )
    text = _text(_home(bot, slack, "U0001"))
    assert "*<@U0002>*, your mentor in *Spring* (Challenger)" in text
    assert "Setting goals" in text
    mentor_text = _text(_home(bot, slack, "U0002"))
    assert "*<@U0001>*, your mentee in *Spring*" in mentor_text


def test_enrolled_people_wait_for_a_match_and_see_programs_to_join(
    bot: SlackToBot, slack: SlackDouble, engine: Engine
) -> None:
    with session_scope(engine) as session:
        spring = _program(session, "Spring", ProgramStatus.ENROLLING)
        autumn = _program(session, "Autumn", ProgramStatus.ENROLLING)
        _program(session, "Secret", ProgramStatus.ENROLLING, visibility=Visibility.INVITATION)
        invited = _program(
            session, "Circle", ProgramStatus.ENROLLING, visibility=Visibility.INVITATION
        )
        session.add(
            Invitation(team_id=TEAM, program_id=invited.id or 0, user_id="U0001", invited_by="U9")
        )
        _program(session, "Draft", ProgramStatus.DRAFT)
        _enrol(session, spring, "U0001", Role.MENTEE)
        autumn_id = autumn.id
        spring_id = spring.id
        invited_id = invited.id
    view = _home(bot, slack, "U0001")
    text = _text(view)
    assert "*Spring*: enrolled as mentee. A lead will match you with a mentor soon." in text
    buttons = _buttons(view)
    assert (ActionId.JOIN, f"{autumn_id}:mentee") in buttons
    assert (ActionId.JOIN, f"{autumn_id}:mentor") in buttons
    assert (ActionId.JOIN, f"{spring_id}:mentor") in buttons
    assert (ActionId.JOIN, f"{spring_id}:mentee") not in buttons
    # By invitation: only the one she was invited to.
    assert (ActionId.JOIN, f"{invited_id}:mentee") in buttons
    assert "Secret" not in text
    assert "Draft" not in text
    assert "Programs you lead" not in text


def test_a_running_program_takes_late_joiners_without_claiming_enrolment_is_open(
    bot: SlackToBot, slack: SlackDouble, engine: Engine
) -> None:
    """Joining a running program is allowed, so it is offered, but as running."""
    with session_scope(engine) as session:
        running = _program(session, "Spring", ProgramStatus.ACTIVE)
        opening = _program(session, "Autumn", ProgramStatus.ENROLLING)
        running_id, opening_id = running.id, opening.id
    view = _home(bot, slack, "U0001")
    text = _text(view)
    assert "Open for enrolment" not in text
    assert "Programs you can join" in text
    assert "*Spring* (running since 2026-03-01): join as a mentee" in text
    assert "*Autumn* (starts 2026-03-01): join as a mentee" in text
    buttons = _buttons(view)
    assert (ActionId.JOIN, f"{running_id}:mentee") in buttons
    assert (ActionId.JOIN, f"{opening_id}:mentee") in buttons


def test_an_admin_sees_each_program_with_its_counts_and_controls(
    bot: SlackToBot, slack: SlackDouble, engine: Engine
) -> None:
    with session_scope(engine) as session:
        spring = _program(session, "Spring", ProgramStatus.ENROLLING)
        _program(session, "Draft", ProgramStatus.DRAFT)
        _program(session, "Old", ProgramStatus.CLOSED)
        _enrol(session, spring, "UM1", Role.MENTOR)
        for user_id in ("UE1", "UE2", "UE3"):
            _enrol(session, spring, user_id, Role.MENTEE)
        spring_id = spring.id
    view = _home(bot, slack, "UADMIN")
    text = _text(view)
    assert "3 of 10 places filled · 1 mentor · 3 mentees (0 matched)" in text
    assert "*Waiting on you:* 3 mentees without a mentor" in text
    assert "Old" not in text
    buttons = _buttons(view)
    assert (ActionId.PROGRAM_MATCH, str(spring_id)) in buttons
    assert (ActionId.PROGRAM_CLOSE, str(spring_id)) in buttons
    assert (ActionId.PROGRAM_NEW, "") in buttons
    assert any(action == ActionId.PROGRAM_OPEN_ENROLMENT for action, _ in buttons)


def _press(bot: SlackToBot, slack: SlackDouble, action_id: str, value: str, user_id: str) -> None:
    """Press a button on the person's Home tab."""
    response = bot.action(
        action_id,
        value,
        user_id=user_id,
        trigger_id=slack.new_trigger_id(),
        view={"id": "VHOME", "type": "home", "blocks": []},
    )
    assert response.status == 200


def _status(engine: Engine, name: str) -> ProgramStatus:
    with session_scope(engine) as session:
        return session.exec(select(Program).where(Program.name == name)).one().status


def test_lead_controls_change_the_program_and_refresh_home(
    bot: SlackToBot, slack: SlackDouble, engine: Engine
) -> None:
    with session_scope(engine) as session:
        draft_id = _program(session, "Draft", ProgramStatus.DRAFT).id
    _press(bot, slack, ActionId.PROGRAM_OPEN_ENROLMENT, str(draft_id), "UADMIN")
    [publish] = slack.wait_for("views.publish")
    assert_valid_view(publish.params["view"], surface="home")
    assert _status(engine, "Draft") is ProgramStatus.ENROLLING
    _press(bot, slack, ActionId.PROGRAM_EDIT, str(draft_id), "UADMIN")
    [opened] = slack.wait_for("views.open")
    assert_valid_view(opened.params["view"], surface="modal")
    assert "Draft" in _text(opened.params["view"])


def test_someone_else_cannot_use_lead_controls(
    bot: SlackToBot, slack: SlackDouble, engine: Engine
) -> None:
    with session_scope(engine) as session:
        program_id = _program(session, "Spring", ProgramStatus.ENROLLING).id
    _press(bot, slack, ActionId.PROGRAM_CLOSE, str(program_id), "U0001")
    [notice] = slack.wait_for("views.open")
    view = notice.params["view"]
    assert_valid_view(view, surface="modal")
    assert "Only workspace admins and the leads of *Spring* can close it" in _text(view)
    assert _status(engine, "Spring") is ProgramStatus.ENROLLING
    assert slack.calls_to("views.publish") == []
    assert slack.calls_to("chat.postMessage") == []


def test_a_refusal_slack_will_not_show_in_a_modal_comes_by_dm(
    bot: SlackToBot, slack: SlackDouble, engine: Engine
) -> None:
    with session_scope(engine) as session:
        program_id = _program(session, "Spring", ProgramStatus.ENROLLING).id
    slack.fail_next("views.open", error="expired_trigger_id")
    _press(bot, slack, ActionId.PROGRAM_MATCH, str(program_id), "U0001")
    [dm] = slack.wait_for("chat.postMessage")
    assert dm.params["channel"] == "U0001"
    assert "Only workspace admins and the leads of *Spring* can match people" in _text(dm.params)
    assert slack.calls_to("views.open")[0].error == "expired_trigger_id"


def test_match_from_home_dms_the_proposals(
    bot: SlackToBot, slack: SlackDouble, engine: Engine
) -> None:
    with session_scope(engine) as session:
        program = _program(session, "Spring", ProgramStatus.ENROLLING)
        _enrol(session, program, "UM1", Role.MENTOR)
        _enrol(session, program, "UE1", Role.MENTEE)
        program_id = program.id
    _press(bot, slack, ActionId.PROGRAM_MATCH, str(program_id), "UADMIN")
    [notice] = slack.wait_for("views.open")
    assert "Matching *Spring*" in _text(notice.params["view"])
    [dm] = slack.wait_for("chat.postMessage")
    assert dm.params["channel"] == slack.dm_channel_id("UADMIN")
    assert "Match proposals" in dm.params["text"]
    assert_valid_view(dm.params, surface="message")


def test_a_draft_cannot_be_matched_from_home(
    bot: SlackToBot, slack: SlackDouble, engine: Engine
) -> None:
    with session_scope(engine) as session:
        program_id = _program(session, "Draft", ProgramStatus.DRAFT).id
    _press(bot, slack, ActionId.PROGRAM_MATCH, str(program_id), "UADMIN")
    [notice] = slack.wait_for("views.open")
    assert "*Draft* is draft: matching works while a program is" in _text(notice.params["view"])
    assert slack.calls_to("chat.postMessage") == []


def test_a_home_tab_slack_failed_to_take_is_published_when_slack_retries(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="handlers.listeners")
    event = slack_double.app_home_opened_event("U0001")
    slack.fail_next("views.publish", status=500)
    assert bot.event(event, event_id="Ev0FAULT04").status == 200
    [failed] = slack.wait_for("views.publish")
    assert failed.status == 500
    assert eventually(lambda: any(r.getMessage() == "event not handled" for r in caplog.records))
    with session_scope(engine) as session:
        assert session.get(ProcessedEvent, "Ev0FAULT04") is None  # not handled: Slack may retry

    retried = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_error"}
    assert bot.event(event, event_id="Ev0FAULT04", headers=retried).status == 200
    published = slack.wait_for("views.publish", count=2)[1]
    assert (published.status, published.params["user_id"]) == (200, "U0001")
    assert_valid_view(published.params["view"], surface="home")
    assert slack.home_view("U0001") is not None

    def recorded() -> bool:
        with session_scope(engine) as session:
            return session.get(ProcessedEvent, "Ev0FAULT04") is not None

    assert eventually(recorded)
    again = {"X-Slack-Retry-Num": "2", "X-Slack-Retry-Reason": "http_timeout"}
    assert bot.event(event, event_id="Ev0FAULT04", headers=again).status == 200
    assert eventually(
        lambda: any(r.getMessage() == "duplicate event dropped" for r in caplog.records)
    )
    assert len(slack.calls_to("views.publish")) == 2


@pytest.mark.parametrize("pairings", [0, 40])
def test_a_busy_home_stays_within_slacks_limits(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, pairings: int
) -> None:
    with session_scope(engine) as session:
        for index in range(25):
            program = _program(session, f"Program {index:02}", ProgramStatus.ENROLLING)
            if index == 0:
                mentee = _enrol(session, program, "UADMIN", Role.MENTEE)
                for n in range(pairings):
                    mentor = _enrol(session, program, f"UM{n}", Role.MENTOR)
                    session.add(
                        Pairing(
                            team_id=TEAM,
                            program_id=program.id or 0,
                            mentor_id=mentor.id or 0,
                            mentee_id=mentee.id or 0,
                            mentor_user_id=f"UM{n}",
                            mentee_user_id="UADMIN",
                            status=PairingStatus.ACTIVE,
                        )
                    )
    text = _text(_home(bot, slack, "UADMIN"))
    assert "`/mentor program list`" in text
