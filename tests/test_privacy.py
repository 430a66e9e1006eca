"""People's rights over their data, at the service level: what is stored, erasing, retention."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Engine, String
from sqlalchemy.types import TypeDecorator, TypeEngine
from sqlmodel import SQLModel, select

from bot.deps import Deps
from bot.sandbox.slack_double import SlackDouble
from bot.services.privacy import (
    FREE_TEXT,
    LEADS_TEXT,
    PERSON_COLUMNS,
    due_for_purge,
    forget_person,
    is_erased,
    personal_data,
    purge_program_words,
)
from scheduler.jobs import purge_expired_words
from storage.db import session_scope
from storage.enums import MeetingStatus, ParticipantStatus, ProgramStatus
from storage.models import (
    Feedback,
    Goal,
    Meeting,
    Pairing,
    PairNote,
    Participant,
    Program,
    Scorecard,
    SlackUser,
)
from storage.types import EnumText
from tests.blockkit import assert_valid_view
from tests.conftest import FrozenClock
from tests.harness import SlackToBot, eventually
from tests.pairs import AGREED_GOAL, MENTEE, MENTOR, TEAM, make_pair, posts

NOW = datetime(2026, 3, 20, 12, tzinfo=UTC)
ALICE_WORDS = "alice-private-words-1f2e"
BOB_WORDS = "bob-private-words-9a8b"

# Columns that hold no one's personal data: ids of Slack objects, settings, bookkeeping.
NOT_PERSONAL = {
    ("channelpace", "channel_id"),
    ("workspace", "team_id"),
    ("workspace", "name"),
    ("workspace", "enterprise_id"),
    ("workspace", "bot_user_id"),
    ("workspace", "uninstall_reason"),
    ("slackuser", "real_name"),
    ("slackuser", "email"),
    ("slackuser", "tz"),
    ("program", "tracked_measures"),
    ("program", "competencies"),
    ("program", "digest_channel_id"),
    ("slackuser", "dm_channel_id"),
    ("program", "timezone"),
    ("program", "rule_settings"),
    ("participant", "timezone"),
    ("participant", "work_days"),
    ("pairing", "group_key"),
    ("pairing", "conversation_id"),
    ("meeting", "ics_uid"),
    ("skillrating", "competency"),
    ("surveyresponse", "scores"),
    ("flag", "dedupe_key"),
    ("flag", "detail"),
    ("delivery", "dedupe_key"),
    ("delivery", "rule"),
    ("delivery", "channel_id"),
    ("delivery", "payload"),
    ("delivery", "extras"),
    ("delivery", "claimed_by"),
    ("delivery", "message_ts"),
    ("delivery", "error"),
    ("processedevent", "event_id"),
}
# slackuser's name and email go with its row; flags and the outbox are handled by name in
# forget_person; scores are numbers whose aggregates must stay right.


def _holds_words(kind: TypeEngine[Any]) -> bool:
    """Whether a column type can hold text or JSON (not a number, a moment, an enum)."""
    if isinstance(kind, EnumText):
        return False
    if isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    return isinstance(kind, String | JSON)


def test_every_text_column_is_classified() -> None:
    named = {
        (str(model.__tablename__), column)
        for registry in (PERSON_COLUMNS, LEADS_TEXT)
        for model, columns in registry.items()
        for column in columns
    } | {
        (str(model.__tablename__), column)
        for model, groups in FREE_TEXT.items()
        for words in groups
        for column in words.columns
    }
    unclassified = sorted(
        (name, column.name)
        for name, table in SQLModel.metadata.tables.items()
        for column in table.columns
        if _holds_words(column.type)
        and column.name != "team_id"
        # slack-sdk's OAuth tables: tokens, and the installing admin's id, which Slack needs
        # to refresh them; deleted with the installation at uninstall or a workspace's purge.
        and not name.startswith("slack_")
        and (name, column.name) not in named | NOT_PERSONAL
    )
    assert unclassified == []


def _seed_words(engine: Engine) -> None:
    """A held session with Alice's and Bob's words in it."""
    with session_scope(engine) as session:
        pairing = session.exec(select(Pairing)).one()
        meeting = Meeting(
            team_id=TEAM,
            pairing_id=pairing.id or 0,
            status=MeetingStatus.HELD,
            scheduled_start=NOW - timedelta(days=2),
            held_at=NOW - timedelta(days=2),
            minutes_held=60,
            notes=f"{BOB_WORDS} notes",
            logged_by=MENTOR,
        )
        session.add(meeting)
        session.flush()
        session.add(
            Feedback(
                team_id=TEAM,
                pairing_id=pairing.id or 0,
                meeting_id=meeting.id,
                from_user_id=MENTOR,
                went_well=BOB_WORDS,
                needs_change=BOB_WORDS,
                next_action=BOB_WORDS,
            )
        )
        session.add(
            Scorecard(
                team_id=TEAM,
                pairing_id=pairing.id or 0,
                meeting_id=meeting.id or 0,
                mentee_user_id=MENTEE,
                clarity=7,
                energy=4,
                confidence=8,
                comment=f"{ALICE_WORDS} comment",
            )
        )
        session.add(
            PairNote(
                team_id=TEAM, pairing_id=pairing.id or 0, author_user_id=MENTEE, body=ALICE_WORDS
            )
        )
        alice = session.exec(select(Participant).where(Participant.user_id == MENTEE)).one()
        alice.situation = f"{ALICE_WORDS} situation"
        alice.interests = ["jazz", ALICE_WORDS]
        session.add(alice)
        session.add(SlackUser(team_id=TEAM, user_id=MENTEE, real_name="Alice Ng", email="a@x.io"))


def test_personal_data_holds_what_is_theirs_and_marks_what_is_shared(
    engine: Engine, slack: SlackDouble
) -> None:
    make_pair(engine, slack)
    _seed_words(engine)
    with session_scope(engine) as session:
        data = personal_data(session, team_id=TEAM, user_id=MENTEE)
    text = json.dumps(data)
    assert data["user_id"] == MENTEE
    assert ALICE_WORDS in json.dumps(data["yours"])
    assert {"participant", "pairing", "scorecard", "pairnote", "slackuser"} <= set(data["yours"])
    shared = data["shared_with_your_pairs"]
    # Bob's feedback and notes of their session: Alice's to see, marked as shared.
    assert all(row["shared"] for rows in shared.values() for row in rows)
    assert BOB_WORDS in json.dumps(shared["feedback"])
    assert BOB_WORDS in json.dumps(shared["meeting"])
    assert AGREED_GOAL in text
    # Nothing of the other workspace, or of people outside the pair.
    assert "U0003" not in text


def test_forgetting_erases_their_words_and_name_but_keeps_the_partners_and_the_numbers(
    engine: Engine, slack: SlackDouble
) -> None:
    make_pair(engine, slack)
    _seed_words(engine)
    with session_scope(engine) as session:
        report = forget_person(session, team_id=TEAM, user_id=MENTEE, now=NOW)
    assert report.anything
    with session_scope(engine) as session:
        everything = json.dumps(
            [
                row.model_dump(mode="json")
                for model in PERSON_COLUMNS
                for row in session.exec(select(model))
            ]
            + [row.model_dump(mode="json") for row in session.exec(select(PairNote))]
        )
        pairing = session.exec(select(Pairing)).one()
        card = session.exec(select(Scorecard)).one()
        feedback = session.exec(select(Feedback)).one()
        alice = session.exec(select(Participant).where(Participant.role == "mentee")).one()
        goals = session.exec(select(Goal)).all()
    assert ALICE_WORDS not in everything
    assert MENTEE not in everything
    assert is_erased(pairing.mentee_user_id)
    assert pairing.mentor_user_id == MENTOR
    # Her ratings still count; her comment does not exist any more.
    assert (card.clarity, card.energy, card.confidence, card.comment) == (7, 4, 8, "")
    # Bob's words stay with Bob.
    assert feedback.went_well == BOB_WORDS
    assert (alice.status, alice.situation, alice.interests) == (ParticipantStatus.LEFT, "", [])
    # The goals she proposed lose their words, not their dates and progress.
    assert all(g.statement == "" for g in goals if is_erased(g.proposed_by))
    assert all(g.due_date for g in goals)


def test_retention_purges_a_closed_programs_words_after_its_days(
    engine: Engine, slack: SlackDouble
) -> None:
    make_pair(engine, slack)
    _seed_words(engine)
    with session_scope(engine) as session:
        program = session.exec(select(Program)).one()
        program.status = ProgramStatus.CLOSED
        program.closed_at = NOW - timedelta(days=100)
        program.rule_settings = {"retention_days": 120}
        session.add(program)
    with session_scope(engine) as session:
        assert due_for_purge(session, now=NOW, retention_days=30) == []
        later = NOW + timedelta(days=21)
        [due] = due_for_purge(session, now=later, retention_days=30)
        dry = purge_program_words(session, programs=[due], dry_run=True)
        assert dry.rows["feedback"] == 1
        assert dry.rows["pairnote"] == 1
    with session_scope(engine) as session:
        assert BOB_WORDS in session.exec(select(Feedback)).one().went_well  # a dry run
        [due] = due_for_purge(session, now=NOW + timedelta(days=21), retention_days=30)
        purge_program_words(session, programs=[due])
    with session_scope(engine) as session:
        words = json.dumps(
            [
                row.model_dump(mode="json")
                for model in FREE_TEXT
                for row in session.exec(select(model))
            ]
        )
        meeting = session.exec(select(Meeting)).one()
    assert ALICE_WORDS not in words
    assert BOB_WORDS not in words
    assert (meeting.minutes_held, meeting.status) == (60, MeetingStatus.HELD)


# --- through the bot -----------------------------------------------------------------------------


def test_my_data_comes_as_a_json_file_in_the_persons_dm(
    bot: SlackToBot, slack: SlackDouble, engine: Engine
) -> None:
    make_pair(engine, slack)
    _seed_words(engine)
    answer = bot.ask("my-data", user_id=MENTEE)
    assert "in your DM with me" in answer["text"]
    [shared] = slack.uploaded_files
    assert shared.channel_id == slack.dm_channel_id(MENTEE)
    data = json.loads(shared.content)
    assert data["user_id"] == MENTEE
    assert ALICE_WORDS in json.dumps(data["yours"])
    assert BOB_WORDS in json.dumps(data["shared_with_your_pairs"])


def test_forget_me_says_what_goes_then_erases_it_and_tells_the_partner(
    bot: SlackToBot, slack: SlackDouble, engine: Engine
) -> None:
    make_pair(engine, slack)
    _seed_words(engine)
    bot.command("forget-me", user_id=MENTEE, trigger_id=slack.new_trigger_id())
    [opened] = slack.wait_for("views.open")
    view = opened.params["view"]
    assert_valid_view(view, surface="modal")
    shown = json.dumps(view)
    assert "your profile in 1 program(s)" in shown
    assert "1 shared note(s) you wrote" in shown
    assert "Want a copy first?" in shown
    with session_scope(engine) as session:
        assert ALICE_WORDS in json.dumps(
            [r.model_dump(mode="json") for r in session.exec(select(PairNote))]
        )
    done = bot.submit(view, {}, user_id=MENTEE).json()
    assert done["response_action"] == "update"
    assert "erased" in json.dumps(done["view"])
    with session_scope(engine) as session:
        pairing = session.exec(select(Pairing)).one()
        notes = [r.body for r in session.exec(select(PairNote))]
    assert pairing.status.value == "ended"
    assert ALICE_WORDS not in json.dumps(notes)
    # Bob hears his mentee left, through the outbox.
    assert eventually(lambda: bool(posts(slack, MENTOR)))
    assert "left" in json.dumps(posts(slack, MENTOR)[-1])


def test_forget_me_leaves_nothing_of_the_person_in_the_directorys_memory(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, deps: Deps
) -> None:
    make_pair(engine, slack)
    deps.directory.tz(team_id=TEAM, user_id=MENTEE)  # remembered by this process
    bot.command("forget-me", user_id=MENTEE, trigger_id=slack.new_trigger_id())
    [opened] = slack.wait_for("views.open")
    assert bot.submit(opened.params["view"], {}, user_id=MENTEE).json()["response_action"]
    asked = len(slack.calls_to("users.info"))
    # Neither the database nor the memory holds them: the next lookup has to ask Slack.
    deps.directory.tz(team_id=TEAM, user_id=MENTEE)
    assert len(slack.calls_to("users.info")) == asked + 1


def test_the_scheduler_purges_a_closed_programs_words_once_its_retention_passed(
    engine: Engine, slack: SlackDouble, deps: Deps, clock: FrozenClock
) -> None:
    make_pair(engine, slack)
    _seed_words(engine)
    with session_scope(engine) as session:
        program = session.exec(select(Program)).one()
        program.status = ProgramStatus.CLOSED
        program.closed_at = clock.current - timedelta(days=deps.settings.retention_days - 1)
        session.add(program)
    purge_expired_words(deps)
    with session_scope(engine) as session:
        assert session.exec(select(Feedback)).one().went_well == BOB_WORDS
    clock.advance(timedelta(days=1))
    purge_expired_words(deps)
    with session_scope(engine) as session:
        assert session.exec(select(Feedback)).one().went_well == ""
        assert session.exec(select(PairNote)).one().body == ""
