"""Shared notes and documents: one place for the pair, private to them, deleted on request."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select

from bot.deps import Deps
from bot.ids import ActionId, BlockId, CallbackId
from bot.sandbox.slack_double import SlackDouble
from bot.services.notes import delete_pair_material
from scheduler.outbox import OUTCOME_UNKNOWN
from storage.db import session_scope
from storage.enums import DeliveryStatus, MeetingStatus, PairingStatus, ResourceKind, Role
from storage.models import (
    Goal,
    LearningResource,
    Meeting,
    OutsideFeedbackRequest,
    PairDocument,
    Pairing,
    PairNote,
    Participant,
    PracticeTask,
    ProgramLead,
)
from tests.blockkit import assert_valid_view
from tests.conftest import FrozenClock
from tests.harness import SlackToBot, eventually
from tests.pairs import MENTEE, MENTOR, OUTSIDER, TEAM, Pair, make_pair, posts
from tests.test_plans import (
    ADMIN,
    click_in,
    deliver,
    ephemeral,
    home,
    new_view,
    press_home,
    settled,
    submit,
    text,
    updated,
    values,
)

SESSION_NOTES = "We mapped who the directors listen to; Alice drafts the opening."
NOTE = "I'll run the dry run with Bob on Thursday."
DOC = "https://docs.example.com/d/q3-review"


@pytest.fixture
def pair(engine: Engine, slack: SlackDouble) -> Pair:
    """Bob mentors Alice; they held one session with notes on Sunday 1 March."""
    found = make_pair(engine, slack)
    with session_scope(engine) as session:
        session.add(
            Meeting(
                team_id=TEAM,
                pairing_id=found.pairing_id,
                status=MeetingStatus.HELD,
                scheduled_start=datetime(2026, 3, 1, 15, tzinfo=UTC),
                held_at=datetime(2026, 3, 1, 15, tzinfo=UTC),
                minutes_held=60,
                notes=SESSION_NOTES,
                logged_by=MENTOR,
            )
        )
    return found


def notes(bot: SlackToBot, slack: SlackDouble, user: str) -> dict[str, Any]:
    """``/mentor notes`` as ``user``: the notes modal."""
    view = new_view(slack, "views.open", lambda: bot.command("notes", user_id=user))
    assert view["callback_id"] == CallbackId.NOTES
    return view


def stored_notes(engine: Engine) -> list[PairNote]:
    """Every stored running-notes entry."""
    with session_scope(engine) as session:
        return list(session.exec(select(PairNote).order_by(col(PairNote.id))))


def documents(engine: Engine) -> list[PairDocument]:
    """Every stored document link."""
    with session_scope(engine) as session:
        return list(session.exec(select(PairDocument).order_by(col(PairDocument.id))))


def add_document(
    bot: SlackToBot, slack: SlackDouble, view: dict[str, Any], title: str, url: str, user: str
) -> Any:
    """Push the document form from the notes modal and submit it."""
    form = new_view(
        slack,
        "views.push",
        lambda: click_in(
            bot,
            slack,
            view,
            ActionId.NOTES_DOCUMENT_ADD,
            values(view, ActionId.NOTES_DOCUMENT_ADD)[0],
            user,
        ),
    )
    assert form["callback_id"] == CallbackId.NOTES_DOCUMENT
    return submit(
        bot, form, {BlockId.NOTES_DOCUMENT_TITLE: title, BlockId.NOTES_DOCUMENT_URL: url}, user
    )


# --- notes and a document, visible to both -------------------------------------------------------


def test_notes_and_a_document_are_shared_by_both_people(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, clock: FrozenClock, pair: Pair
) -> None:
    view = notes(bot, slack, MENTEE)
    assert SESSION_NOTES in text(view)
    assert "Session on Sun 1 Mar 2026" in text(view)
    assert "program leads never see them" in text(view)

    answer = submit(bot, view, {BlockId.NOTES_NEW: NOTE}, MENTEE).json()
    assert answer["response_action"] == "update"
    fresh = answer["view"]
    assert_valid_view(fresh, surface="modal")
    shown = text(fresh)
    # Newest first: today's note (Monday 2 March, 10:00 in Berlin) above Sunday's session notes.
    assert "Mon 2 Mar 2026, 10:00" in shown
    assert shown.index(NOTE) < shown.index(SESSION_NOTES)
    [note] = stored_notes(engine)
    assert (note.pairing_id, note.author_user_id, note.body, note.created_at) == (
        pair.pairing_id,
        MENTEE,
        NOTE,
        clock.current,
    )

    # The mentor adds a document link; the notes modal underneath is redrawn with it.
    mentor_view = notes(bot, slack, MENTOR)
    assert NOTE in text(mentor_view)
    assert SESSION_NOTES in text(mentor_view)
    redrawn = updated(
        slack,
        mentor_view["id"],
        lambda: add_document(bot, slack, mentor_view, "Q3 review deck", DOC, MENTOR),
    )
    assert f"<{DOC}|Q3 review deck (docs.example.com)>" in text(redrawn)
    assert "added by <@U0002> on Mon 2 Mar 2026" in text(redrawn)
    [document] = documents(engine)
    assert (document.pairing_id, document.title, document.url, document.added_by) == (
        pair.pairing_id,
        "Q3 review deck",
        DOC,
        MENTOR,
    )
    # The mentee sees it too, from the Home tab's Notes button.
    tab = home(bot, slack, MENTEE)
    assert "shared notes: 2 entries, 1 document" in text(tab)
    opened = new_view(
        slack,
        "views.open",
        lambda: press_home(bot, slack, ActionId.NOTES_OPEN, str(pair.pairing_id), MENTEE),
    )
    assert "Q3 review deck" in text(opened)
    assert NOTE in text(opened)


def test_bad_input_gets_inline_errors_and_stores_nothing(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, pair: Pair
) -> None:
    view = notes(bot, slack, MENTEE)
    errors = submit(bot, view, {BlockId.NOTES_NEW: "   "}, MENTEE).json()["errors"]
    assert errors == {BlockId.NOTES_NEW: "Write something before you save the note."}
    answer = add_document(bot, slack, view, "", "www.example.com/deck", MENTEE).json()
    assert answer["errors"][BlockId.NOTES_DOCUMENT_TITLE] == "Give the document a title."
    assert (
        "Links must start with http:// or https://" in answer["errors"][BlockId.NOTES_DOCUMENT_URL]
    )
    fresh = notes(bot, slack, MENTEE)
    answer = add_document(bot, slack, fresh, "Deck", "", MENTEE).json()
    assert list(answer["errors"]) == [BlockId.NOTES_DOCUMENT_URL]
    assert stored_notes(engine) == []
    assert documents(engine) == []


# --- private to the pair -------------------------------------------------------------------------


def test_a_lead_or_anyone_else_is_refused_and_nothing_leaks(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, pair: Pair
) -> None:
    with session_scope(engine) as session:
        session.add(
            ProgramLead(team_id=TEAM, program_id=pair.program_id, user_id=OUTSIDER, added_by=ADMIN)
        )
    view = notes(bot, slack, MENTEE)
    submit(bot, view, {BlockId.NOTES_NEW: NOTE}, MENTEE)
    opened = len(slack.calls_to("views.open"))

    for outsider in (OUTSIDER, ADMIN):
        assert "not in a mentoring pair" in text(ephemeral(bot.ask("notes", user_id=outsider)))
        url = slack.new_response_url()
        press_home(
            bot, slack, ActionId.NOTES_OPEN, str(pair.pairing_id), outsider, response_url=url
        )
        refusal = bot.answer_to(url)
        assert "another mentoring pair" in text(refusal)
        assert NOTE not in text(refusal)
        # A forged submission of the pair's modal stores nothing.
        forged = submit(bot, view, {BlockId.NOTES_NEW: "Snooping"}, outsider).json()
        assert "another mentoring pair" in forged["errors"][BlockId.NOTES_NEW]
        status = text(ephemeral(bot.ask("status", user_id=outsider)))
        assert NOTE not in status
        assert SESSION_NOTES not in status
        assert NOTE not in text(home(bot, slack, outsider))
    assert len(slack.calls_to("views.open")) == opened
    assert [n.body for n in stored_notes(engine)] == [NOTE]


# --- deleting on request ------------------------------------------------------------------------


def _second_pair(engine: Engine, slack: SlackDouble, program_id: int) -> int:
    """Carol mentors Dan (U0004) in the same program, with notes, a document and a task."""
    slack.add_user("U0004", name="dan", real_name="Dan Other", tz="Europe/Paris")
    with session_scope(engine) as session:
        people = []
        for user_id, role in ((OUTSIDER, Role.MENTOR), ("U0004", Role.MENTEE)):
            person = Participant(team_id=TEAM, program_id=program_id, user_id=user_id, role=role)
            session.add(person)
            session.flush()
            people.append(person)
        other = Pairing(
            team_id=TEAM,
            program_id=program_id,
            mentor_id=people[0].id or 0,
            mentee_id=people[1].id or 0,
            mentor_user_id=OUTSIDER,
            mentee_user_id="U0004",
            status=PairingStatus.ACTIVE,
        )
        session.add(other)
        session.flush()
        _material(session, other.id or 0, "other")
        return other.id or 0


def _material(session: Any, pairing_id: int, tag: str) -> None:
    goal = Goal(
        team_id=TEAM,
        pairing_id=pairing_id,
        statement=f"A {tag} goal with enough words to be specific",
        due_date=date(2026, 6, 1),
        proposed_by=MENTEE,
    )
    session.add(goal)
    session.flush()
    session.add(PairNote(team_id=TEAM, pairing_id=pairing_id, author_user_id=MENTEE, body=tag))
    session.add(
        PairDocument(team_id=TEAM, pairing_id=pairing_id, title=tag, url=DOC, added_by=MENTEE)
    )
    session.add(
        LearningResource(
            team_id=TEAM, goal_id=goal.id or 0, title=tag, kind=ResourceKind.BOOK, added_by=MENTEE
        )
    )
    session.add(PracticeTask(team_id=TEAM, goal_id=goal.id or 0, title=tag))
    session.add(
        OutsideFeedbackRequest(
            team_id=TEAM,
            pairing_id=pairing_id,
            requester_user_id=MENTEE,
            colleague_user_id="U0005",
            expires_at=datetime(2026, 3, 16, tzinfo=UTC),
        )
    )


def _counts(engine: Engine, pairing_id: int) -> dict[str, int]:
    with session_scope(engine) as session:
        goal_ids = list(session.exec(select(Goal.id).where(Goal.pairing_id == pairing_id)))
        return {
            "notes": len(
                session.exec(select(PairNote).where(PairNote.pairing_id == pairing_id)).all()
            ),
            "documents": len(
                session.exec(
                    select(PairDocument).where(PairDocument.pairing_id == pairing_id)
                ).all()
            ),
            "resources": len(
                session.exec(
                    select(LearningResource).where(col(LearningResource.goal_id).in_(goal_ids))
                ).all()
            ),
            "tasks": len(
                session.exec(
                    select(PracticeTask).where(col(PracticeTask.goal_id).in_(goal_ids))
                ).all()
            ),
            "outside": len(
                session.exec(
                    select(OutsideFeedbackRequest).where(
                        OutsideFeedbackRequest.pairing_id == pairing_id
                    )
                ).all()
            ),
            "session_notes": len(
                session.exec(
                    select(Meeting).where(
                        Meeting.pairing_id == pairing_id, col(Meeting.notes) != ""
                    )
                ).all()
            ),
        }


def test_delete_pair_material_removes_only_that_pairs_material(
    slack: SlackDouble, engine: Engine, pair: Pair
) -> None:
    other = _second_pair(engine, slack, pair.program_id)
    with session_scope(engine) as session:
        _material(session, pair.pairing_id, "ours")
    before_other = _counts(engine, other)
    assert _counts(engine, pair.pairing_id) == {
        "notes": 1,
        "documents": 1,
        "resources": 1,
        "tasks": 1,
        "outside": 1,
        "session_notes": 1,
    }
    with session_scope(engine) as session:
        pairing = session.get(Pairing, pair.pairing_id)
        assert pairing is not None
        deleted = delete_pair_material(session, pairing=pairing)
    assert (deleted.notes, deleted.session_notes, deleted.documents) == (1, 1, 1)
    assert (deleted.resources, deleted.tasks, deleted.outside_feedback) == (1, 1, 1)
    assert set(_counts(engine, pair.pairing_id).values()) == {0}
    assert _counts(engine, other) == before_other
    with session_scope(engine) as session:
        # Goals are the pair's record, not material: they stay.
        assert len(session.exec(select(Goal).where(Goal.pairing_id == pair.pairing_id)).all()) == 3


def test_either_person_deletes_their_notes_after_confirming(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, pair: Pair
) -> None:
    other = _second_pair(engine, slack, pair.program_id)
    with session_scope(engine) as session:
        _material(session, pair.pairing_id, "ours")
    view = notes(bot, slack, MENTOR)
    confirm = new_view(
        slack,
        "views.push",
        lambda: click_in(bot, slack, view, ActionId.NOTES_DELETE, str(pair.pairing_id), MENTOR),
    )
    assert confirm["callback_id"] == CallbackId.NOTES_DELETE
    assert "<@U0001> will be told" in text(confirm)
    assert _counts(engine, pair.pairing_id)["notes"] == 1  # nothing gone before confirming

    # Someone else can't confirm it for them: the confirmation has no field to show why under,
    # so it closes and they hear why by DM.
    forged = submit(bot, confirm, {}, OUTSIDER)
    assert forged.body == ""
    [refusal] = slack.wait_for("chat.postMessage")
    assert refusal.params["channel"] in (OUTSIDER, slack.dm_channel_id(OUTSIDER))
    assert "another mentoring pair" in text(refusal.params)
    assert _counts(engine, pair.pairing_id)["notes"] == 1

    answer = submit(bot, confirm, {}, MENTOR).json()
    assert answer["response_action"] == "update"
    assert "Deleted: 1 note, 1 session's notes, 1 document link" in text(answer["view"])
    assert "A message telling <@U0001> is on its way" in text(answer["view"])
    counts = _counts(engine, pair.pairing_id)
    assert (counts["notes"], counts["session_notes"], counts["documents"]) == (0, 0, 0)
    # Learning plans and outside feedback are not notes: they stay.
    assert (counts["resources"], counts["tasks"], counts["outside"]) == (1, 1, 1)
    assert _counts(engine, other)["notes"] == 1
    [told] = slack.wait_for("chat.postMessage", 2)[1:]
    assert told.params["channel"] == slack.dm_channel_id(MENTEE)
    [dm] = posts(slack, MENTEE)
    assert "<@U0002> deleted your shared notes" in text(dm)
    redrawn = slack.wait_for("views.update")[-1].params["view"]
    assert SESSION_NOTES not in text(redrawn)


def _confirm_delete(bot: SlackToBot, slack: SlackDouble, pair: Pair) -> dict[str, Any]:
    """Bob opens the notes and pushes the delete confirmation."""
    view = notes(bot, slack, MENTOR)
    return new_view(
        slack,
        "views.push",
        lambda: click_in(bot, slack, view, ActionId.NOTES_DELETE, str(pair.pairing_id), MENTOR),
    )


@pytest.mark.parametrize("reached_slack", [False, True])
def test_the_partners_notice_survives_a_slack_500_and_lands_once(
    bot: SlackToBot,
    slack: SlackDouble,
    engine: Engine,
    clock: FrozenClock,
    deps: Deps,
    pair: Pair,
    reached_slack: bool,
) -> None:
    confirm = _confirm_delete(bot, slack, pair)
    # Slack answers 500 (having posted the message or not): the outcome is unknown.
    slack.fail_next("chat.postMessage", status=500, apply=reached_slack)
    assert submit(bot, confirm, {}, MENTOR).json()["response_action"] == "update"
    first = settled(engine, "notes_deleted", DeliveryStatus.PENDING)
    assert first.error == OUTCOME_UNKNOWN
    assert stored_notes(engine) == []  # deleted all the same

    clock.advance(timedelta(minutes=1))
    deliver(deps)
    [told] = slack.messages(slack.dm_channel_id(MENTEE))
    assert "<@U0002> deleted your shared notes" in text(told)
    assert settled(engine, "notes_deleted", DeliveryStatus.SENT).attempts == 2
    assert posts(slack, MENTOR) == []  # nothing for Bob to hear about


def test_bob_hears_when_alice_can_never_be_told(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, deps: Deps, pair: Pair
) -> None:
    confirm = _confirm_delete(bot, slack, pair)
    slack.fail_next("chat.postMessage", error="account_inactive")
    assert submit(bot, confirm, {}, MENTOR).json()["response_action"] == "update"
    settled(engine, "notes_deleted", DeliveryStatus.FAILED)
    # The failure notice goes out in the same after-ack delivery, not at the next pass.
    assert eventually(lambda: bool(posts(slack, MENTOR)))
    [notice] = posts(slack, MENTOR)
    assert "I couldn't deliver the news that you deleted your shared notes to <@U0001>" in text(
        notice
    )
    assert "deactivated" in text(notice)
    assert slack.messages(slack.dm_channel_id(MENTEE)) == []


# --- long lists ---------------------------------------------------------------------------------


def test_long_notes_are_paged_within_block_kit_limits(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, pair: Pair
) -> None:
    start = datetime(2026, 1, 1, 9, tzinfo=UTC)
    with session_scope(engine) as session:
        for n in range(40):
            session.add(
                PairNote(
                    team_id=TEAM,
                    pairing_id=pair.pairing_id,
                    author_user_id=MENTEE if n % 2 else MENTOR,
                    body=f"Note number {n:02d} " + "z" * 1900,
                    created_at=start + timedelta(days=n),
                )
            )
            session.add(
                PairDocument(
                    team_id=TEAM,
                    pairing_id=pair.pairing_id,
                    title=f"Doc {n:02d}",
                    url="https://example.com/" + "d" * 1900,
                    added_by=MENTOR,
                    created_at=start + timedelta(days=n),
                )
            )
    first = notes(bot, slack, MENTEE)  # new_view checks Block Kit's limits
    shown = text(first)
    # Newest first: Sunday's session notes, then notes 39 down to 26.
    assert shown.index(SESSION_NOTES) < shown.index("Note number 39")
    assert "Note number 26" in shown
    assert "Note number 25" not in shown
    assert "Showing 1 to 15 of 41." in shown
    assert "Showing the newest 10 of 40 documents." in shown
    assert values(first, ActionId.NOTES_PAGE) == [f"{pair.pairing_id}:15"]
    older = updated(
        slack,
        first["id"],
        lambda: click_in(
            bot, slack, first, f"{ActionId.NOTES_PAGE}:older", f"{pair.pairing_id}:15", MENTEE
        ),
    )
    assert "Note number 25" in text(older)
    assert "Note number 11" in text(older)
    assert "Note number 26" not in text(older)
    assert "Note number 10" not in text(older)
    assert values(older, ActionId.NOTES_PAGE) == [f"{pair.pairing_id}:0", f"{pair.pairing_id}:30"]


def test_a_session_logged_with_notes_appears_in_the_running_notes(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, pair: Pair
) -> None:
    tab = home(bot, slack, MENTOR)
    assert "shared notes: 1 entry, 0 documents" in text(tab)
    view = notes(bot, slack, MENTOR)
    assert "logged by <@U0002>" in text(view)
