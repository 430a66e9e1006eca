"""``/mentor status`` and the Home tab's pair cards: each pairing at a glance, privately."""

import json
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine

from bot.ids import ActionId
from bot.sandbox import slack_double
from bot.sandbox.slack_double import SlackDouble
from storage.db import session_scope
from storage.enums import MeetingStatus
from storage.models import AgendaItem, Meeting, Milestone
from tests.blockkit import assert_valid_view
from tests.conftest import FrozenClock
from tests.harness import SlackToBot
from tests.pairs import AGREED_GOAL, MENTEE, MENTOR, OUTSIDER, PROPOSED_GOAL, TEAM, make_pair


def _buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (e["action_id"], e.get("value", ""))
        for block in message["blocks"]
        if block["type"] == "actions"
        for e in block["elements"]
    ]


def _setup(engine: Engine, slack: SlackDouble) -> int:
    pair = make_pair(engine, slack)
    with session_scope(engine) as session:
        session.add(
            Milestone(
                team_id=TEAM, goal_id=pair.agreed_goal_id, title="Draft", due_date=date(2026, 4, 1)
            )
        )
        session.add(
            Meeting(
                team_id=TEAM,
                pairing_id=pair.pairing_id,
                status=MeetingStatus.HELD,
                held_at=datetime(2026, 3, 1, 15, tzinfo=UTC),
                minutes_held=90,
            )
        )
        upcoming = Meeting(
            team_id=TEAM,
            pairing_id=pair.pairing_id,
            status=MeetingStatus.SCHEDULED,
            scheduled_start=datetime(2026, 3, 4, 15, tzinfo=UTC),
        )
        session.add(upcoming)
        session.flush()
        session.add(
            AgendaItem(
                team_id=TEAM,
                pairing_id=pair.pairing_id,
                meeting_id=upcoming.id,
                text="Scope",
                added_by=MENTEE,
            )
        )
    return pair.pairing_id


def test_status_shows_each_pairing_and_what_is_waiting(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, clock: FrozenClock
) -> None:
    pairing_id = _setup(engine, slack)
    mentee = bot.ask("status", user_id=MENTEE)
    assert_valid_view(mentee, surface="message")
    text = json.dumps(mentee, ensure_ascii=False)
    assert "*<@U0002>*, your mentor in *Spring cohort*" in text
    assert "Execution: demonstration" in text
    # Wednesday 4 March 15:00 UTC is 16:00 in Berlin; the mentee has not submitted the agenda.
    assert "next: Wednesday 4 March, 16:00 (no agenda yet)" in text
    assert AGREED_GOAL in text
    assert "milestones 0/1" in text
    assert "1.5 h held" in text
    assert (ActionId.AGENDA_OPEN, str(pairing_id)) in _buttons(mentee)
    assert (ActionId.SKILLS_OPEN, str(pairing_id)) in _buttons(mentee)

    mentor = json.dumps(bot.ask("status", user_id=MENTOR), ensure_ascii=False)
    # The mentor sees it in New York time and is asked to agree the mentee's proposed goal.
    assert "Wednesday 4 March, 10:00" in mentor
    assert PROPOSED_GOAL in mentor
    assert "Agree goals" in mentor


def test_someone_outside_the_pair_sees_none_of_it(
    bot: SlackToBot, slack: SlackDouble, engine: Engine
) -> None:
    _setup(engine, slack)
    outsider = json.dumps(bot.ask("status", user_id=OUTSIDER))
    assert "You're not in a mentoring pair yet" in outsider
    assert AGREED_GOAL not in outsider


def test_the_home_tab_shows_the_same_cards(
    bot: SlackToBot, slack: SlackDouble, engine: Engine
) -> None:
    pairing_id = _setup(engine, slack)
    bot.event(slack_double.app_home_opened_event(MENTEE))
    [call] = slack.wait_for("views.publish")
    view = call.params["view"]
    assert_valid_view(view, surface="home")
    text = json.dumps(view, ensure_ascii=False)
    assert AGREED_GOAL in text
    assert (ActionId.AGENDA_OPEN, str(pairing_id)) in _buttons(view)
