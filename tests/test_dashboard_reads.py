"""``/mentor status`` reads a pair's small facts as one statement (``storage.sql.together``): on
each backend it gives what each read gives alone, and the waiting flags they drive."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select

from bot.sandbox.slack_double import SlackDouble
from bot.services.dashboard import Waiting, pair_dashboards
from bot.services.notes import NOTES_READS, NotesCount, notes_counts
from bot.services.sessions import hours_held
from storage.db import read_scope, session_scope
from storage.enums import MeetingStatus
from storage.models import Meeting, Pairing, PairNote
from storage.sql import together
from tests.pairs import MENTEE, MENTOR, TEAM, Pair, make_pair

NOW = datetime(2026, 4, 1, 9, tzinfo=UTC)


@pytest.fixture
def pair(any_engine: Engine, slack: SlackDouble) -> Pair:
    """Alice mentored by Bob with an agreed goal and one she proposed; a session held (90
    minutes, with notes), one past but never logged, and a note."""
    found = make_pair(any_engine, slack)
    with session_scope(any_engine) as session:
        session.add(
            Meeting(
                team_id=TEAM,
                pairing_id=found.pairing_id,
                status=MeetingStatus.HELD,
                scheduled_start=datetime(2026, 3, 10, 9, tzinfo=UTC),
                held_at=datetime(2026, 3, 10, 9, tzinfo=UTC),
                minutes_held=90,
                notes="Walked through the review deck",
            )
        )
        session.add(
            Meeting(
                team_id=TEAM,
                pairing_id=found.pairing_id,
                scheduled_start=datetime(2026, 3, 20, 9, tzinfo=UTC),
            )
        )
        session.add(
            PairNote(
                team_id=TEAM,
                pairing_id=found.pairing_id,
                author_user_id=MENTEE,
                body="Read the negotiation chapter",
                created_at=NOW,
            )
        )
    return found


def test_the_status_reads_together_give_what_each_gives_alone(
    any_engine: Engine, pair: Pair
) -> None:
    pid = pair.pairing_id
    with read_scope(any_engine) as session:
        [mentor] = pair_dashboards(session, team_id=TEAM, user_id=MENTOR, now=NOW)
        [mentee] = pair_dashboards(session, team_id=TEAM, user_id=MENTEE, now=NOW)
        hours = hours_held(session, pairing_ids=[pid])
        notes = notes_counts(session, pairing_ids=[pid])
    assert mentor.hours_held == hours[pid] == 1.5
    assert mentor.notes == notes[pid] == NotesCount(entries=2, documents=0)
    # Alice proposed a goal: Bob is asked to agree, she is not.
    assert Waiting.AGREE_GOALS in mentor.waiting
    assert Waiting.AGREE_GOALS not in mentee.waiting
    assert Waiting.LOG in mentor.waiting  # the session of 20 March was never logged
    assert [view.goal.id for view in mentor.goals] == [pair.agreed_goal_id, pair.proposed_goal_id]


def test_reads_run_together_keep_their_own_rows_and_columns(any_engine: Engine, pair: Pair) -> None:
    """One column or two, grouped or not, the rows of each read come back as it returns them;
    a read that finds nothing has no rows."""
    pid = pair.pairing_id
    reads = {
        "pairs": select(Pairing.id).where(col(Pairing.id).in_([pid])),
        **NOTES_READS,
    }
    with read_scope(any_engine) as session:
        alone = {
            name: [tuple(row) for row in session.execute(read, {"ids": [pid]})]
            for name, read in reads.items()
        }
        both = together(reads).read(session, {"ids": [pid]})
    assert both == alone
    assert both == {
        "pairs": [(pid,)],
        "notes": [(pid, 1)],
        "noted_sessions": [(pid, 1)],
        "documents": [],
    }
