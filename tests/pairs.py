"""A running mentoring pair, stored directly, for the pair-journey flow tests.

Bob (U0002) mentors Alice (U0001) in an active six-month program; they have two goals, one of
them agreed. Carol (U0003) is in the workspace but not in the pair.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from bot.sandbox import slack_double
from bot.sandbox.slack_double import SlackDouble
from storage.db import session_scope
from storage.enums import (
    Cadence,
    GoalProgress,
    GoalStatus,
    PairingStatus,
    ProgramStatus,
    Role,
    Stage,
)
from storage.models import Goal, Pairing, Participant, Program
from tests.blockkit import assert_valid_view

TEAM = slack_double.DEFAULT_TEAM_ID
MENTEE, MENTOR, OUTSIDER = "U0001", "U0002", "U0003"
AGREED_GOAL = "Run the quarterly review with the directors on my own by June"
PROPOSED_GOAL = "Give a conference talk on our platform migration this summer"


@dataclass(frozen=True)
class Pair:
    """Ids of the stored pair."""

    program_id: int
    pairing_id: int
    agreed_goal_id: int
    proposed_goal_id: int


def add_pair(
    session: Session,
    program: Program,
    *,
    stage: Stage = Stage.RAPPORT,
    started_at: datetime = datetime(2026, 3, 1, 9, tzinfo=UTC),
    mentor_first: bool = False,
    timezones: Mapping[str, str] | None = None,
) -> Pairing:
    """Store ``program``, its two participants (Bob mentors Alice) and their active pairing.

    ``mentor_first`` enrols Bob before Alice; ``timezones`` maps a user id to their stored tz.
    """
    session.add(program)
    session.flush()
    assert program.id is not None
    order = [(MENTEE, Role.MENTEE), (MENTOR, Role.MENTOR)]
    people = {}
    for user_id, role in reversed(order) if mentor_first else order:
        participant = Participant(
            team_id=TEAM,
            program_id=program.id,
            user_id=user_id,
            role=role,
            timezone=(timezones or {}).get(user_id, "UTC"),
        )
        session.add(participant)
        session.flush()
        people[role] = participant
    pairing = Pairing(
        team_id=TEAM,
        program_id=program.id,
        mentor_id=people[Role.MENTOR].id or 0,
        mentee_id=people[Role.MENTEE].id or 0,
        mentor_user_id=MENTOR,
        mentee_user_id=MENTEE,
        status=PairingStatus.ACTIVE,
        stage=stage,
        started_at=started_at,
    )
    session.add(pairing)
    session.flush()
    assert pairing.id is not None
    return pairing


def make_pair(engine: Engine, slack: SlackDouble, *, stage: Stage = Stage.DEMONSTRATION) -> Pair:
    """Store the program, both participants, their active pairing and two goals."""
    slack.add_user(OUTSIDER, name="carol", real_name="Carol Out", tz="Europe/London")
    with session_scope(engine) as session:
        program = Program(
            team_id=TEAM,
            name="Spring cohort",
            status=ProgramStatus.ACTIVE,
            start_date=date(2026, 3, 1),
            length_months=6,
            competencies=["Negotiation", "Public speaking"],
            created_by="UADMIN",
        )
        pairing = add_pair(
            session,
            program,
            stage=stage,
            timezones={MENTEE: "Europe/Berlin", MENTOR: "America/New_York"},
        )
        assert program.id is not None
        assert pairing.id is not None
        agreed = Goal(
            team_id=TEAM,
            pairing_id=pairing.id,
            statement=AGREED_GOAL,
            success_criteria="The directors sign off the review without my manager in the room.",
            due_date=date(2026, 6, 30),
            status=GoalStatus.AGREED,
            progress=GoalProgress.ON_TRACK,
            proposed_by=MENTEE,
            agreed_by=MENTOR,
            position=0,
        )
        proposed = Goal(
            team_id=TEAM,
            pairing_id=pairing.id,
            statement=PROPOSED_GOAL,
            due_date=date(2026, 8, 1),
            proposed_by=MENTEE,
            position=1,
        )
        session.add(agreed)
        session.add(proposed)
        session.flush()
        return Pair(program.id, pairing.id, agreed.id or 0, proposed.id or 0)


def pairing_row(engine: Engine, pairing_id: int) -> Pairing:
    """The pairing as stored now."""
    with session_scope(engine) as session:
        pairing = session.get(Pairing, pairing_id)
        assert pairing is not None
        session.expunge(pairing)
        return pairing


def posts(slack: SlackDouble, channel: str) -> list[dict[str, Any]]:
    """What the bot posted to ``channel`` (a user id means their DM), checked against Block Kit."""
    wanted = {channel, slack.dm_channel_id(channel)} if channel[:1] in "UW" else {channel}
    found = [c.params for c in slack.calls_to("chat.postMessage") if c.params["channel"] in wanted]
    for params in found:
        assert_valid_view(params, surface="message")
    return found


def text_of(message: Any) -> str:
    """Everything a message or view says, as one string to search."""
    return json.dumps(message, ensure_ascii=False)


def last_opened_view(slack: SlackDouble, before: int) -> dict[str, Any]:
    """The modal opened after ``before`` views.open calls, checked against Block Kit's rules."""
    call = slack.wait_for("views.open", count=before + 1)[before]
    view: dict[str, Any] = call.params["view"]
    assert_valid_view(view, surface="modal")
    return view


def button(message: dict[str, Any], action_id: str) -> dict[str, Any]:
    """The first button with ``action_id`` (or ``action_id:<suffix>``) in a message."""
    for block in message.get("blocks", []):
        for element in block.get("elements", []):
            if str(element.get("action_id", "")).split(":")[0] == action_id:
                return dict(element)
    raise AssertionError(f"no {action_id} button in {text_of(message)[:300]}")


def add_weekly_pair(engine: Engine, *, team_id: str) -> int:
    """Alice (U0001, Berlin) mentored by Bob (U0002, New York) in a weekly program led by UADMIN
    that started Monday 2 March 2026 at 09:00 UTC; they have not met. Returns the pairing id."""
    with session_scope(engine) as session:
        program = Program(
            team_id=team_id,
            name="Spring",
            status=ProgramStatus.ACTIVE,
            start_date=date(2026, 3, 2),
            length_months=6,
            cadence=Cadence.WEEKLY,
            created_by="UADMIN",
        )
        session.add(program)
        session.flush()
        assert program.id is not None
        ids: dict[Role, int] = {}
        for user_id, role, tz in (
            (MENTOR, Role.MENTOR, "America/New_York"),
            (MENTEE, Role.MENTEE, "Europe/Berlin"),
        ):
            person = Participant(
                team_id=team_id, program_id=program.id, user_id=user_id, role=role, timezone=tz
            )
            session.add(person)
            session.flush()
            ids[role] = person.id or 0
        pairing = Pairing(
            team_id=team_id,
            program_id=program.id,
            mentor_id=ids[Role.MENTOR],
            mentee_id=ids[Role.MENTEE],
            mentor_user_id=MENTOR,
            mentee_user_id=MENTEE,
            status=PairingStatus.ACTIVE,
            started_at=datetime(2026, 3, 2, 9, tzinfo=UTC),
        )
        session.add(pairing)
        session.flush()
        return pairing.id or 0
