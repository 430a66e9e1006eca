"""`/mentor program …` and the program modal, driven by signed requests like Slack sends."""

import json
from collections.abc import Mapping
from dataclasses import asdict, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlmodel import Session, col, func, select

from bot.deps import Deps
from bot.errors import FieldErrors
from bot.ids import ActionId, BlockId, CallbackId
from bot.sandbox.slack_double import SlackDouble
from bot.services.invitations import InvitationCounts
from bot.services.programs import (
    ProgramCounts,
    ProgramForm,
    ProgramSettings,
    RuleSettings,
    create_program,
    program_counts,
    program_end,
    program_last_day,
    validate_program_form,
    whole_months,
)
from bot.views.enrolment import build_join_picker
from bot.views.program import (
    LIST_MAX_PROGRAMS,
    build_program_announcement,
    build_program_created,
    build_program_list,
    build_program_modal,
)
from scheduler.delivery import Deliverer, Pacer, settle
from scheduler.jobs import start_due_programs
from scheduler.tick import tick
from storage.db import session_scope
from storage.enums import (
    Cadence,
    DeliveryStatus,
    PairingStatus,
    ParticipantStatus,
    ProgramStatus,
    Purpose,
    ReviewStyle,
    Role,
    Structure,
    Visibility,
)
from storage.models import Delivery, Flag, Pairing, Participant, Program, ProgramLead
from tests.blockkit import assert_valid_view
from tests.conftest import FrozenClock
from tests.forms import Answer
from tests.harness import TEAM_ID, Response, SlackToBot, eventually
from tests.pairs import posts

B = BlockId
NAME = "Spring Cohort"
# Everything a lead fills in; the clock stands at Monday 2 March 2026.
ANSWERS: dict[str, Answer] = {
    B.PROGRAM_NAME: NAME,
    B.PROGRAM_PURPOSE: "skills_transfer",
    B.PROGRAM_PURPOSE_DETAIL: "Backend craft",
    B.PROGRAM_COMPANY_GOAL: "Grow senior engineers from within",
    B.PROGRAM_STRUCTURE: "group",
    B.PROGRAM_GROUP_SIZE: 3,
    B.PROGRAM_PLACES: 12,
    B.PROGRAM_SUCCESS: "Two internal promotions; 80% of goals met",
    B.PROGRAM_MEASURES: ["sessions", "goals"],
    B.PROGRAM_REVIEW_STYLE: "formal",
    B.PROGRAM_CADENCE: "weekly",
    B.PROGRAM_SESSION_MINUTES: "45",
    B.PROGRAM_START: date(2026, 4, 1),
    B.PROGRAM_LENGTH: "9",
    B.PROGRAM_COMPETENCIES: "Communication\n- System design\n\nStakeholder management",
    B.PROGRAM_VISIBILITY: "invitation",
    B.PROGRAM_DIGEST_CHANNEL: "C0DIGEST",
    B.PROGRAM_CO_LEADS: ["U0002"],
}
SETTINGS = ProgramSettings(
    name=NAME,
    purpose=Purpose.ONBOARDING,
    purpose_detail="",
    company_goal="Help new joiners settle in",
    structure=Structure.ONE_TO_ONE,
    group_size=2,
    places=12,
    success_measures="Everyone feels at home by month three",
    tracked_measures=["sessions"],
    review_style=ReviewStyle.CASUAL,
    cadence=Cadence.BIWEEKLY,
    session_minutes=60,
    start_date=date(2026, 3, 2),
    length_months=6,
    competencies=["Communication"],
    visibility=Visibility.OPEN,
    digest_channel_id=None,
)


# --- helpers -----------------------------------------------------------------------------------


def open_modal(bot: SlackToBot, slack: SlackDouble, text: str, user_id: str) -> dict[str, Any]:
    """Run a command that opens the program modal; return the (valid) modal it opened."""
    opened = len(slack.calls_to("views.open"))
    trigger_id = slack.new_trigger_id()
    response = bot.command(text, user_id=user_id, trigger_id=trigger_id)
    assert response.status == 200
    call = slack.wait_for("views.open", count=opened + 1)[-1]
    assert call.params["trigger_id"] == trigger_id
    view: dict[str, Any] = call.params["view"]
    assert_valid_view(view, surface="modal")
    return view


def create_through_modal(
    bot: SlackToBot,
    slack: SlackDouble,
    changes: Mapping[str, Answer] | None = None,
    *,
    user_id: str = "UADMIN",
) -> Response:
    """Someone fills in the new-program modal: the standard answers with ``changes``."""
    view = open_modal(bot, slack, "program new", user_id)
    return bot.submit(view, {**ANSWERS, **(changes or {})}, user_id=user_id)


def seed(
    engine: Engine,
    clock: FrozenClock,
    name: str = NAME,
    *,
    status: ProgramStatus = ProgramStatus.DRAFT,
    co_leads: tuple[str, ...] = (),
    **changes: Any,
) -> int:
    """Store a program as the admin would have created it; returns its id."""
    with session_scope(engine) as session:
        program = create_program(
            session=session,
            team_id=TEAM_ID,
            user_id="UADMIN",
            settings=replace(SETTINGS, name=name, **changes),
            co_lead_ids=co_leads,
            now=clock(),
        )
        program.status = status
        assert program.id is not None
        return program.id


def programs(engine: Engine) -> list[Program]:
    with Session(engine) as session:
        return list(session.exec(select(Program).order_by(col(Program.id))))


def co_leads(engine: Engine, program_id: int) -> list[str]:
    with Session(engine) as session:
        rows = session.exec(select(ProgramLead.user_id).where(ProgramLead.program_id == program_id))
        return sorted(rows)


def count_leads(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(ProgramLead)).one()


def deliveries(engine: Engine) -> list[Delivery]:
    """The announcements in the outbox."""
    with Session(engine) as session:
        query = select(Delivery).where(Delivery.rule == "program_announcement")
        return list(session.exec(query))


def notice(bot: SlackToBot, text: str, **fields: Any) -> str:
    """The private answer to ``/mentor <text>``, after checking it is a valid message."""
    answer = bot.ask(text, **fields)
    assert_valid_view({k: answer[k] for k in ("text", "blocks")}, surface="message")
    assert answer.get("response_type", "ephemeral") == "ephemeral"
    return json.dumps(answer, ensure_ascii=False)


# --- creating a program ------------------------------------------------------------------------


def test_admin_creates_a_program_with_every_field(
    bot: SlackToBot, slack: SlackDouble, engine: Engine
) -> None:
    view = open_modal(bot, slack, "program new", "UADMIN")
    assert view["callback_id"] == CallbackId.PROGRAM
    assert (view["title"]["text"], view["submit"]["text"]) == ("New program", "Create")

    response = bot.submit(view, ANSWERS, user_id="UADMIN")

    assert (response.status, response.body) == (200, "")
    [program] = programs(engine)
    assert program.team_id == TEAM_ID
    assert program.status is ProgramStatus.DRAFT
    assert program.created_by == "UADMIN"
    assert (program.name, program.purpose, program.purpose_detail) == (
        NAME,
        Purpose.SKILLS_TRANSFER,
        "Backend craft",
    )
    assert program.company_goal == "Grow senior engineers from within"
    assert (program.structure, program.group_size, program.places) == (Structure.GROUP, 3, 12)
    assert program.success_measures == "Two internal promotions; 80% of goals met"
    assert program.tracked_measures == ["sessions", "goals"]
    assert program.review_style is ReviewStyle.FORMAL
    assert (program.cadence, program.session_minutes) == (Cadence.WEEKLY, 45)
    assert (program.start_date, program.length_months) == (date(2026, 4, 1), 9)
    assert program.competencies == ["Communication", "System design", "Stakeholder management"]
    assert program.visibility is Visibility.INVITATION
    assert program.digest_channel_id == "C0DIGEST"
    assert program.timezone == "UTC"
    assert program.id is not None
    assert co_leads(engine, program.id) == ["U0002"]

    [dm] = slack.wait_for("chat.postMessage")
    assert dm.params["channel"] == slack.dm_channel_id("UADMIN")
    assert_valid_view(dm.params, surface="message")
    text = json.dumps(dm.params, ensure_ascii=False)
    # Nine months from 1 April: the last day is 31 December, not the day after it.
    assert "1 Apr 2026 → 31 Dec 2026 (9 months)" in text
    assert "1 Apr 2026 to 31 Dec 2026" in dm.params["text"]
    assert "*Midpoint check*\\n16 Aug 2026" in text
    assert f"/mentor program open {NAME}" in text
    assert f"/mentor program announce {NAME}" in text
    assert "<@UADMIN>, <@U0002>" in text


def test_an_end_date_sets_the_length_in_whole_months(
    bot: SlackToBot, slack: SlackDouble, engine: Engine
) -> None:
    response = create_through_modal(bot, slack, {B.PROGRAM_END: date(2026, 9, 28)})
    assert response.status == 200
    [program] = programs(engine)
    assert (program.start_date, program.length_months) == (date(2026, 4, 1), 6)


def test_a_lead_of_one_program_may_create_another(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, clock: FrozenClock
) -> None:
    seed(engine, clock, co_leads=("U0001",))
    response = create_through_modal(bot, slack, {B.PROGRAM_NAME: "Autumn"}, user_id="U0001")
    assert (response.status, response.body) == (200, "")
    assert [p.name for p in programs(engine)] == [NAME, "Autumn"]
    assert programs(engine)[1].timezone == "Europe/Berlin"


@pytest.mark.parametrize(
    ("changes", "block_id", "error"),
    [
        ({B.PROGRAM_PLACES: 0}, B.PROGRAM_PLACES, "Places must be at least 1."),
        (
            {B.PROGRAM_END: date(2026, 3, 20)},
            B.PROGRAM_END,
            "The end date must be after the start date.",
        ),
        (
            {B.PROGRAM_END: date(2028, 10, 1)},
            B.PROGRAM_END,
            "A program runs 1 to 24 months; that's 30.",
        ),
        (
            {B.PROGRAM_COMPETENCIES: "\n".join(f"Skill {n}" for n in range(21))},
            B.PROGRAM_COMPETENCIES,
            "At most 20 competencies; you listed 21.",
        ),
        (
            {B.PROGRAM_COMPETENCIES: "Communication\ncommunication"},
            B.PROGRAM_COMPETENCIES,
            "“communication” is listed twice.",
        ),
        ({B.PROGRAM_NAME: None}, B.PROGRAM_NAME, "Give the program a name."),
        (
            {B.PROGRAM_GROUP_SIZE: None},
            B.PROGRAM_GROUP_SIZE,
            "Say how many mentees share a mentor (2 to 12).",
        ),
        (
            {B.PROGRAM_PURPOSE: "other", B.PROGRAM_PURPOSE_DETAIL: None},
            B.PROGRAM_PURPOSE_DETAIL,
            "Say in a few words what the program is for.",
        ),
        (
            {B.PROGRAM_START: date(2026, 3, 1)},
            B.PROGRAM_START,
            "The start date is in the past; pick today or later.",
        ),
    ],
)
def test_each_bad_answer_is_shown_under_its_field_and_nothing_is_stored(
    bot: SlackToBot,
    slack: SlackDouble,
    engine: Engine,
    changes: dict[str, Answer],
    block_id: str,
    error: str,
) -> None:
    response = create_through_modal(bot, slack, changes)

    assert response.status == 200
    assert response.json() == {"response_action": "errors", "errors": {block_id: error}}
    assert programs(engine) == []
    assert count_leads(engine) == 0
    assert slack.calls_to("chat.postMessage") == []


def test_every_bad_answer_is_reported_at_once(
    bot: SlackToBot, slack: SlackDouble, engine: Engine
) -> None:
    response = create_through_modal(
        bot,
        slack,
        {B.PROGRAM_NAME: "  ", B.PROGRAM_PLACES: 0, B.PROGRAM_COMPETENCIES: None},
    )
    assert set(response.json()["errors"]) == {
        B.PROGRAM_NAME,
        B.PROGRAM_PLACES,
        B.PROGRAM_COMPETENCIES,
    }
    assert programs(engine) == []


def test_a_name_already_taken_in_any_case_is_refused(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, clock: FrozenClock
) -> None:
    seed(engine, clock)
    response = create_through_modal(bot, slack, {B.PROGRAM_NAME: "spring  cohort"})
    assert response.json() == {
        "response_action": "errors",
        "errors": {B.PROGRAM_NAME: "A program called *spring cohort* already exists."},
    }
    assert len(programs(engine)) == 1


def test_an_expired_trigger_is_logged_and_the_lead_told(
    bot: SlackToBot, slack: SlackDouble, caplog: pytest.LogCaptureFixture
) -> None:
    slack.fail_next("views.open", error="expired_trigger_id")
    response = bot.command("program new", user_id="UADMIN", response_url=slack.new_response_url())
    assert (response.status, response.body) == (200, "")
    [answer] = slack.wait_for("response_url")
    assert "Slack didn't open the form in time" in answer.params["text"]
    assert_valid_view(answer.params, surface="message")
    assert any(getattr(r, "error", None) == "expired_trigger_id" for r in caplog.records)


# --- who may run lead commands -----------------------------------------------------------------


def test_a_form_submitted_long_after_its_admin_was_demoted_is_refused(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, clock: FrozenClock
) -> None:
    view = open_modal(bot, slack, "program new", "UADMIN")
    slack.add_user("UADMIN", name="ada", real_name="Ada Admin", tz="UTC", is_admin=False)
    # Within minutes of the click that opened it, the form takes that click's answer.
    clock.advance(timedelta(minutes=31))
    response = bot.submit(view, ANSWERS, user_id="UADMIN")
    assert response.json()["response_action"] == "errors"
    assert "admin" in json.dumps(response.json()).lower()
    assert programs(engine) == []


def test_only_admins_and_leads_may_create_a_program(
    bot: SlackToBot, slack: SlackDouble, engine: Engine
) -> None:
    text = notice(bot, "program new", user_id="U0001")
    assert "Only workspace admins and program leads can create a program" in text
    assert slack.calls_to("views.open") == []


@pytest.mark.parametrize("action", ["edit", "open", "start", "close", "announce"])
def test_someone_who_does_not_lead_the_program_is_refused(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, clock: FrozenClock, action: str
) -> None:
    seed(engine, clock, status=ProgramStatus.ENROLLING, co_leads=("U0002",))

    text = notice(bot, f"program {action} {NAME}", user_id="U0001")

    assert ":warning: Only workspace admins and the leads of *Spring Cohort* can" in text
    [program] = programs(engine)
    assert program.status is ProgramStatus.ENROLLING
    assert slack.calls_to("views.open") == []
    assert slack.calls_to("chat.postMessage") == []


def test_a_co_lead_added_on_create_may_edit_and_open_the_program(
    bot: SlackToBot, slack: SlackDouble, engine: Engine
) -> None:
    create_through_modal(bot, slack)

    view = open_modal(bot, slack, f"program edit {NAME}", "U0002")
    assert bot.submit(view, {B.PROGRAM_PLACES: 14}, user_id="U0002").body == ""
    assert "is open for enrolment" in notice(bot, f"program open {NAME}", user_id="U0002")

    [program] = programs(engine)
    assert (program.places, program.status) == (14, ProgramStatus.ENROLLING)


# --- editing -----------------------------------------------------------------------------------


def test_edit_opens_the_modal_prefilled_and_saves_changes(
    bot: SlackToBot, slack: SlackDouble, engine: Engine
) -> None:
    create_through_modal(bot, slack)
    [program] = programs(engine)

    view = open_modal(bot, slack, "program edit spring cohort", "UADMIN")

    assert (view["title"]["text"], view["submit"]["text"]) == ("Edit program", "Save")
    assert view["private_metadata"] == str(program.id)
    elements = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert elements[B.PROGRAM_NAME]["initial_value"] == NAME
    assert elements[B.PROGRAM_GROUP_SIZE]["initial_value"] == "3"
    assert elements[B.PROGRAM_LENGTH]["initial_option"]["value"] == "9"
    assert elements[B.PROGRAM_CO_LEADS]["initial_users"] == ["U0002"]
    assert elements[B.PROGRAM_DIGEST_CHANNEL]["initial_conversation"] == "C0DIGEST"

    # Saved untouched, the prefilled modal stores the same program.
    assert bot.submit(view, {}, user_id="UADMIN").body == ""
    [same] = programs(engine)
    assert same.model_dump(exclude={"updated_at"}) == program.model_dump(exclude={"updated_at"})

    changes: dict[str, Answer] = {
        B.PROGRAM_NAME: "Spring Cohort 2026",
        B.PROGRAM_STRUCTURE: "one_to_one",
        B.PROGRAM_PLACES: 15,
        B.PROGRAM_CO_LEADS: ["U0001"],
    }
    assert bot.submit(view, changes, user_id="UADMIN").body == ""
    [edited] = programs(engine)
    assert (edited.id, edited.name, edited.places) == (program.id, "Spring Cohort 2026", 15)
    assert (edited.structure, edited.group_size) == (Structure.ONE_TO_ONE, 2)
    assert edited.id is not None
    assert co_leads(engine, edited.id) == ["U0001"]
    assert len(slack.calls_to("chat.postMessage")) == 1  # only the creation DM


def test_a_lead_sets_retention_and_the_group_floor_and_other_overrides_stay(
    bot: SlackToBot, slack: SlackDouble, engine: Engine
) -> None:
    create_through_modal(bot, slack, {B.PROGRAM_RETENTION: 90, B.PROGRAM_MIN_GROUP: 5})
    [program] = programs(engine)
    assert program.rule_settings == {"retention_days": 90, "min_group_size": 5}
    assert RuleSettings.for_program(program).group_floor == 5
    # An override set by other means (an operator) survives the lead's edits.
    with session_scope(engine) as session:
        stored = session.get(Program, program.id)
        assert stored is not None
        stored.rule_settings = {**stored.rule_settings, "escalate_after_days": 7}
        session.add(stored)

    view = open_modal(bot, slack, "program edit spring cohort", "UADMIN")
    elements = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert elements[B.PROGRAM_RETENTION]["initial_value"] == "90"
    assert elements[B.PROGRAM_MIN_GROUP]["initial_value"] == "5"
    assert "365 days" in str(view)  # the workspace's default, named in the hint

    cleared: dict[str, Answer] = {B.PROGRAM_RETENTION: "", B.PROGRAM_MIN_GROUP: ""}
    assert bot.submit(view, cleared, user_id="UADMIN").body == ""
    [edited] = programs(engine)
    assert edited.rule_settings == {"min_group_size": 3, "escalate_after_days": 7}


@pytest.mark.parametrize(
    ("answers", "errors"),
    [
        (
            {B.PROGRAM_MIN_GROUP: 2},
            {
                B.PROGRAM_MIN_GROUP: "At least 3: below that an average is one person's answer, "
                "or can be worked back to it."
            },
        ),
        (
            {B.PROGRAM_MIN_GROUP: 51},
            {B.PROGRAM_MIN_GROUP: "Give a whole number of people, 3 to 50."},
        ),
        (
            {B.PROGRAM_RETENTION: 0},
            {
                B.PROGRAM_RETENTION: "Keep words for a whole number of days, 1 to 36,500; leave "
                "it empty for this workspace's default."
            },
        ),
    ],
)
def test_a_group_floor_below_three_or_a_retention_out_of_range_is_refused(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, answers: dict[str, Answer], errors: Any
) -> None:
    response = create_through_modal(bot, slack, answers)
    assert response.json() == {"response_action": "errors", "errors": errors}
    assert programs(engine) == []


def test_an_edit_submitted_by_someone_else_changes_nothing(
    bot: SlackToBot, slack: SlackDouble, engine: Engine
) -> None:
    create_through_modal(bot, slack)
    view = open_modal(bot, slack, f"program edit {NAME}", "UADMIN")

    refused = bot.submit(view, {B.PROGRAM_PLACES: 99}, user_id="U0001")
    # Another workspace is not served at all: its submission reaches no listener.
    other_team = bot.submit(view, {B.PROGRAM_PLACES: 99}, user_id="UADMIN", team_id="T0OTHER")

    assert "Only workspace admins and the leads" in refused.json()["errors"][B.PROGRAM_NAME]
    assert (other_team.status, other_team.body) == (200, "")
    assert programs(engine)[0].places == 12


def test_a_closed_program_cannot_be_edited(
    bot: SlackToBot, engine: Engine, clock: FrozenClock
) -> None:
    seed(engine, clock, status=ProgramStatus.CLOSED)
    assert "a closed program can't be edited" in notice(
        bot, f"program edit {NAME}", user_id="UADMIN"
    )


# --- status ------------------------------------------------------------------------------------


def test_a_program_is_opened_started_and_closed(
    bot: SlackToBot, engine: Engine, clock: FrozenClock
) -> None:
    seed(engine, clock)

    opened = notice(bot, f"program open {NAME}", user_id="UADMIN")
    assert programs(engine)[0].status is ProgramStatus.ENROLLING
    started = notice(bot, f"program start {NAME}", user_id="UADMIN")
    assert programs(engine)[0].status is ProgramStatus.ACTIVE
    clock.current = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
    closed = notice(bot, f"program close {NAME}", user_id="UADMIN")

    assert f"`/mentor program announce {NAME}`" in opened
    assert "*Spring Cohort* is active" in started
    assert "*Spring Cohort* is closed" in closed
    [program] = programs(engine)
    assert (program.status, program.closed_at) == (ProgramStatus.CLOSED, clock.current)


@pytest.mark.parametrize(
    ("status", "action", "error"),
    [
        (ProgramStatus.CLOSED, "close", "*Spring Cohort* is already closed."),
        (ProgramStatus.CLOSED, "start", "a closed program can't be reopened"),
        (ProgramStatus.CLOSED, "open", "a closed program can't be reopened"),
        (ProgramStatus.ACTIVE, "start", "*Spring Cohort* is already active."),
        (ProgramStatus.ACTIVE, "open", "is active, so it can't be open for enrolment again"),
        (ProgramStatus.ENROLLING, "open", "is already open for enrolment"),
    ],
)
def test_impossible_status_changes_are_explained_and_change_nothing(
    bot: SlackToBot,
    engine: Engine,
    clock: FrozenClock,
    status: ProgramStatus,
    action: str,
    error: str,
) -> None:
    seed(engine, clock, status=status)
    text = notice(bot, f"program {action} {NAME}", user_id="UADMIN")
    assert ":warning:" in text
    assert error in text
    [program] = programs(engine)
    assert (program.status, program.closed_at) == (status, None)


def test_a_draft_program_can_start_straight_away(
    bot: SlackToBot, engine: Engine, clock: FrozenClock
) -> None:
    seed(engine, clock)
    notice(bot, f"program start {NAME}", user_id="UADMIN")
    assert programs(engine)[0].status is ProgramStatus.ACTIVE


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("program", "What should I do with programs?"),
        ("program frobnicate", "I don't know `/mentor program frobnicate`"),
        ("program open", "Which program? Add its name: `/mentor program open NAME`"),
        ("program edit", "Which program?"),
        # Only programs open to everyone are named back: this one is a draft.
        ("program close Winter", "There is no program called *Winter*. Programs here: none open"),
    ],
)
def test_malformed_program_commands_get_a_private_problem(
    bot: SlackToBot, engine: Engine, clock: FrozenClock, text: str, error: str
) -> None:
    seed(engine, clock)
    answer = notice(bot, text, user_id="UADMIN")
    assert ":warning:" in answer
    assert error in answer
    assert programs(engine)[0].status is ProgramStatus.DRAFT


def test_help_lists_the_program_command_on_one_line(bot: SlackToBot) -> None:
    text = notice(bot, "help")
    assert "`/mentor program new | list | edit NAME | open NAME | start NAME | close NAME" in text
    assert "invite NAME @people @group #channel`" in text


# --- listing -----------------------------------------------------------------------------------


def enrol(
    session: Session, program_id: int, user_id: str, role: Role, status: ParticipantStatus
) -> Participant:
    participant = Participant(
        team_id=TEAM_ID, program_id=program_id, user_id=user_id, role=role, status=status
    )
    session.add(participant)
    session.flush()
    return participant


def populate(engine: Engine, program_id: int) -> None:
    """Two mentors (one left), four mentees: two active (one matched), one paused, one left."""
    with session_scope(engine) as session:
        mentor = enrol(session, program_id, "UM1", Role.MENTOR, ParticipantStatus.ACTIVE)
        enrol(session, program_id, "UM2", Role.MENTOR, ParticipantStatus.LEFT)
        matched = enrol(session, program_id, "UE1", Role.MENTEE, ParticipantStatus.ACTIVE)
        proposed = enrol(session, program_id, "UE2", Role.MENTEE, ParticipantStatus.ACTIVE)
        enrol(session, program_id, "UE3", Role.MENTEE, ParticipantStatus.PAUSED)
        enrol(session, program_id, "UE4", Role.MENTEE, ParticipantStatus.LEFT)
        for mentee, status in ((matched, PairingStatus.ACTIVE), (proposed, PairingStatus.PROPOSED)):
            assert mentor.id is not None
            assert mentee.id is not None
            session.add(
                Pairing(
                    team_id=TEAM_ID,
                    program_id=program_id,
                    mentor_id=mentor.id,
                    mentee_id=mentee.id,
                    mentor_user_id=mentor.user_id,
                    mentee_user_id=mentee.user_id,
                    status=status,
                )
            )


def test_the_list_shows_dates_and_head_counts(
    bot: SlackToBot, engine: Engine, clock: FrozenClock
) -> None:
    program_id = seed(engine, clock, status=ProgramStatus.ENROLLING)
    seed(engine, clock, "Autumn", status=ProgramStatus.CLOSED, cadence=Cadence.MONTHLY)
    populate(engine, program_id)

    text = notice(bot, "program list", user_id="UADMIN")

    assert "Programs (2)" in text
    assert (
        "*Spring Cohort* · Enrolling\\n2 Mar 2026 → 1 Sep 2026 · midpoint 2 Jun 2026 · "
        "every two weeks\\nPlaces filled: 2/12 · enrolled: 1 mentor, 3 mentees"
    ) in text
    assert "*Autumn* · Closed" in text
    assert "Places filled: 0/12 · enrolled: 0 mentors, 0 mentees" in text
    assert "*Invitations:* none sent." in text  # an admin sees every program's invitations

    # Someone who leads nothing sees the program open to join, not the closed one.
    theirs = notice(bot, "program list", user_id="U0001")
    assert "Programs (1)" in theirs
    assert "*Spring Cohort* · Enrolling" in theirs
    assert "Autumn" not in theirs
    assert "Invitations" not in theirs


def test_an_empty_workspace_is_told_how_to_begin(bot: SlackToBot) -> None:
    assert "There are no programs yet" in notice(bot, "program list", user_id="UADMIN")
    assert "There are no programs open to you right now" in notice(bot, "program list")


def test_many_programs_fit_one_message(bot: SlackToBot, engine: Engine, clock: FrozenClock) -> None:
    for n in range(LIST_MAX_PROGRAMS + 15):
        seed(engine, clock, f"Cohort {n:02d}")
    answer = bot.ask("program list", user_id="UADMIN")
    assert_valid_view(answer, surface="message")
    assert len(answer["blocks"]) <= 50
    assert "…and 15 more: " in json.dumps(answer, ensure_ascii=False)
    # Drafts are their leads' business: someone who leads none sees none of them.
    assert "There are no programs open to you right now" in notice(bot, "program list")


def test_program_counts_come_from_one_query(engine: Engine, clock: FrozenClock) -> None:
    busy, empty = seed(engine, clock), seed(engine, clock, "Empty")
    populate(engine, busy)
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    with Session(engine) as session:
        both = list(session.exec(select(Program)))
        event.listen(engine, "before_cursor_execute", record)
        try:
            counts = program_counts(session=session, programs=both)
        finally:
            event.remove(engine, "before_cursor_execute", record)

    assert len(statements) == 1
    assert counts[busy] == ProgramCounts(
        mentors=1, mentors_active=1, mentees=3, mentees_active=2, mentees_matched=1
    )
    assert counts[busy].mentees_unmatched == 2
    assert counts[empty] == ProgramCounts()


# --- announcing --------------------------------------------------------------------------------


def test_an_enrolling_program_is_announced_with_join_buttons(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, clock: FrozenClock
) -> None:
    program_id = seed(engine, clock, status=ProgramStatus.ENROLLING, co_leads=("U0002",))
    populate(engine, program_id)

    answer = notice(bot, f"program announce {NAME}", user_id="UADMIN", channel_id="C0MENTOR")

    assert "The announcement of *Spring Cohort* is on its way to <#C0MENTOR>" in answer
    [post] = slack.wait_for("chat.postMessage")
    assert post.params["channel"] == "C0MENTOR"
    assert_valid_view(post.params, surface="message")
    buttons = [b["accessory"] for b in post.params["blocks"] if "accessory" in b]
    assert [(b["action_id"], b["value"], b["text"]["text"]) for b in buttons] == [
        (ActionId.JOIN, f"{program_id}:mentee", "Join as mentee"),
        (ActionId.JOIN, f"{program_id}:mentor", "Join as mentor"),
    ]
    text = json.dumps(post.params, ensure_ascii=False)
    for expected in (
        "Spring Cohort",
        "Onboarding",
        "Help new joiners settle in",
        "Every two weeks, 60 min sessions",
        "2 Mar 2026 → 1 Sep 2026",
        "10 of 12 mentee places left",
        "Everyone in the workspace",
        "<@UADMIN>, <@U0002>",
    ):
        assert expected in text
    assert len(slack.messages("C0MENTOR")) == 1


def test_a_draft_program_is_not_announced(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, clock: FrozenClock
) -> None:
    seed(engine, clock)
    text = notice(bot, f"program announce {NAME}", user_id="UADMIN")
    assert "isn't open for enrolment yet" in text
    assert f"/mentor program open {NAME}" in text
    assert slack.calls_to("chat.postMessage") == []


@pytest.mark.parametrize("error", ["not_in_channel", "channel_not_found"])
def test_announcing_where_the_bot_is_not_invited_says_to_invite_it(
    bot: SlackToBot,
    slack: SlackDouble,
    engine: Engine,
    deps: Deps,
    clock: FrozenClock,
    error: str,
) -> None:
    seed(engine, clock, status=ProgramStatus.ENROLLING)
    if error == "not_in_channel":
        slack.add_channel("C0PRIVATE", is_member=False)
    else:  # a private channel the bot was never invited to looks absent
        slack.fail_next("chat.postMessage", error=error)

    answer = notice(bot, f"program announce {NAME}", user_id="UADMIN", channel_id="C0PRIVATE")

    assert "is on its way to <#C0PRIVATE>" in answer
    assert eventually(lambda: [d.status for d in deliveries(engine)] == [DeliveryStatus.FAILED])
    # The notice goes out with the failure's own delivery pass, or else with the next one.
    Deliverer(deps, worker="test", pacer=Pacer(sleep=lambda _: None)).run()
    assert eventually(lambda: len(posts(slack, "UADMIN")) == 1)
    [told] = posts(slack, "UADMIN")
    assert told["text"] == (
        ":warning: I couldn't deliver the announcement of Spring Cohort to <#C0PRIVATE>: "
        "I'm not a member of <#C0PRIVATE> (invite me with `/invite @mentorbot`)."
    )
    assert slack.messages("C0PRIVATE") == []
    # A channel the lead picked is theirs to fix: no red flag on the program for it.
    with Session(engine) as session:
        assert session.exec(select(Flag)).all() == []


# --- pure parts --------------------------------------------------------------------------------


def test_every_view_shows_the_programs_last_day() -> None:
    # Six months from 2 March: the schedule stops on 2 September, so 1 September is the last day.
    program = Program(
        id=7,
        team_id=TEAM_ID,
        created_by="UADMIN",
        status=ProgramStatus.ENROLLING,
        **asdict(SETTINGS),
    )
    assert (program_last_day(program), program_end(program)) == (date(2026, 9, 1), date(2026, 9, 2))
    shown = {
        "created": build_program_created(program, co_lead_ids=[]),
        "announcement": build_program_announcement(program, places_left=3, lead_ids=["UADMIN"]),
        "list": build_program_list([program], {}),
        "picker": build_join_picker([program], {7: 0}),
    }
    for where, message in shown.items():
        text = json.dumps(message, ensure_ascii=False)
        assert "1 Sep 2026" in text, where
        assert "2 Sep 2026" not in text, where


def form(**changes: Any) -> ProgramForm:
    base = ProgramForm(
        name=NAME,
        purpose="onboarding",
        company_goal="Help new joiners settle in",
        structure="one_to_one",
        places="10",
        success_measures="Everyone settled",
        review_style="casual",
        cadence="monthly",
        session_minutes="30",
        start_date=date(2026, 3, 2),
        length_months="12",
        competencies="Communication",
        visibility="open",
    )
    return replace(base, **changes)


def test_validation_returns_clean_settings() -> None:
    settings = validate_program_form(
        form(name="  Spring   Cohort ", competencies="• Communication\n2. Design  docs\n"),
        today=date(2026, 3, 2),
    )
    assert settings.name == NAME
    assert settings.competencies == ["Communication", "Design docs"]
    assert (settings.places, settings.length_months, settings.session_minutes) == (10, 12, 30)


def test_validation_reports_friendly_messages() -> None:
    with pytest.raises(FieldErrors) as caught:
        validate_program_form(
            form(
                places="600",
                structure="group",
                group_size="15",
                length_months="30",
                competencies="x" * 81,
                co_lead_ids=[f"U{n}" for n in range(11)],
                start_date=date(2025, 1, 1),
            ),
            today=date(2026, 3, 2),
            current_start=date(2025, 1, 1),
        )
    assert caught.value.errors == {
        B.PROGRAM_PLACES: "At most 500 places; that's 600.",
        B.PROGRAM_GROUP_SIZE: "Groups have 2 to 12 mentees; that's 15.",
        B.PROGRAM_LENGTH: "A program runs 1 to 24 months; that's 30.",
        B.PROGRAM_COMPETENCIES: (
            "Keep each competency to 80 characters; “xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…” has 81."
        ),
        B.PROGRAM_CO_LEADS: "At most 10 co-leads; you picked 11.",
    }


@pytest.mark.parametrize("name", ["<!channel> cohort", "R&D", "a <b> c"])
def test_a_name_with_markup_characters_is_refused(name: str) -> None:
    with pytest.raises(FieldErrors) as caught:
        validate_program_form(form(name=name), today=date(2026, 3, 2))
    assert caught.value.errors == {
        B.PROGRAM_NAME: (
            "Leave out <, > and &: Slack changes them in commands, so nobody could type the name."
        )
    }


def test_places_cannot_drop_below_the_enrolled_mentees() -> None:
    with pytest.raises(FieldErrors) as caught:
        validate_program_form(form(places="3"), today=date(2026, 3, 2), enrolled_mentees=4)
    assert caught.value.errors == {
        B.PROGRAM_PLACES: "4 mentees are already enrolled; places can't be fewer than that."
    }


@pytest.mark.parametrize(
    ("end", "months"),
    [(date(2026, 9, 2), 6), (date(2026, 9, 16), 6), (date(2026, 9, 17), 7), (date(2026, 3, 9), 0)],
)
def test_whole_months_round_to_the_nearest(end: date, months: int) -> None:
    assert whole_months(date(2026, 3, 2), end) == months


def test_views_stay_valid_at_their_limits() -> None:
    long = "x" * 1000
    program = Program(
        id=7,
        team_id=TEAM_ID,
        created_by="UADMIN",
        status=ProgramStatus.ENROLLING,
        **{
            **asdict(SETTINGS),
            "name": "n" * 80,
            "company_goal": long,
            "success_measures": long,
            "purpose": Purpose.OTHER,
            "purpose_detail": "p" * 255,
            "competencies": [f"{n:02d}" + "c" * 78 for n in range(20)],
            "tracked_measures": ["sessions", "hours", "goals", "scorecards", "skills", "surveys"],
            "structure": Structure.GROUP,
            "group_size": 12,
        },
    )
    ten = [f"U{n:04d}" for n in range(10)]
    assert_valid_view(
        build_program_modal(program=program, co_lead_ids=ten, today=date(2026, 3, 2)),
        surface="modal",
    )
    assert_valid_view(
        build_program_modal(program=None, co_lead_ids=[], today=date(2026, 3, 2)), surface="modal"
    )
    assert_valid_view(build_program_created(program, co_lead_ids=ten), surface="message")
    assert_valid_view(
        build_program_announcement(program, places_left=0, lead_ids=["UADMIN", *ten]),
        surface="message",
    )
    listing = build_program_list([program] * 100, {7: ProgramCounts(mentees_active=500)})
    assert_valid_view(listing, surface="message")
    counted = InvitationCounts(waiting=10**6, joined=10**6, declined=10**6)
    led = build_program_list([program] * 45, {}, invitations={7: counted})
    assert_valid_view(led, surface="message")
    assert "*Invitations:* 3,000,000 · 1,000,000 joined" in json.dumps(led, ensure_ascii=False)


# --- starting by itself ------------------------------------------------------------------------


def _started_notices(engine: Engine) -> list[Delivery]:
    with Session(engine) as session:
        query = (
            select(Delivery).where(Delivery.rule == "program_started").order_by(col(Delivery.id))
        )
        return list(session.exec(query))


def test_a_matched_program_starts_itself_on_its_start_date_and_tells_its_leads(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, deps: Deps, clock: FrozenClock
) -> None:
    program_id = seed(
        engine,
        clock,
        status=ProgramStatus.ENROLLING,
        co_leads=("U0002",),
        start_date=date(2026, 3, 9),
    )
    with session_scope(engine) as session:
        program = session.get(Program, program_id)
        assert program is not None
        program.timezone = "Europe/Berlin"
        session.add(program)
        enrol(session, program_id, "UM1", Role.MENTOR, ParticipantStatus.ACTIVE)
        enrol(session, program_id, "UE1", Role.MENTEE, ParticipantStatus.ACTIVE)
    for user_id in ("UM1", "UE1"):
        slack.add_user(user_id, name=user_id.lower(), real_name=user_id, tz="Europe/Berlin")
    # A week early the lead pairs them by hand: the program waits for its date.
    answer = bot.ask(f"pair <@UM1|um1> <@UE1|ue1> {NAME}", user_id="UADMIN")
    assert answer["text"].startswith("Paired <@UM1> with <@UE1>.")
    deliverer = Deliverer(deps, worker="start", pacer=Pacer(sleep=lambda _: None))
    for moment in (datetime(2026, 3, 2, 10, tzinfo=UTC), datetime(2026, 3, 8, 22, 59, tzinfo=UTC)):
        clock.current = moment  # 23:59 on Sunday in Berlin is still the day before
        start_due_programs(deps)
        assert programs(engine)[0].status is ProgramStatus.ENROLLING
    assert _started_notices(engine) == []

    # 23:30 UTC on Sunday 8 March is Monday 9 March in Berlin: its first day.
    clock.current = datetime(2026, 3, 8, 23, 30, tzinfo=UTC)
    start_due_programs(deps)
    start_due_programs(deps)
    [program] = programs(engine)
    assert program.status is ProgramStatus.ACTIVE
    assert [(d.recipient_id, d.program_id) for d in _started_notices(engine)] == [
        ("UADMIN", program_id),
        ("U0002", program_id),
    ]
    settle(deps)
    deliverer.run()
    for lead in ("UADMIN", "U0002"):
        [told] = [p for p in posts(slack, lead) if "started" in p["text"]]
        said = json.dumps(told, ensure_ascii=False)
        assert "*Spring Cohort* started today on its start date: 1 pair is running" in said
    clock.current = datetime(2026, 3, 9, 9, tzinfo=UTC)
    start_due_programs(deps)
    assert len(_started_notices(engine)) == 2


def test_a_program_nobody_was_paired_in_waits_and_tick_runs_the_start(
    engine: Engine, deps: Deps, clock: FrozenClock
) -> None:
    waiting = seed(engine, clock, status=ProgramStatus.ENROLLING, start_date=date(2026, 3, 2))
    ready = seed(
        engine, clock, "Matched", status=ProgramStatus.ENROLLING, start_date=date(2026, 3, 2)
    )
    populate(engine, ready)
    draft = seed(engine, clock, "Draft", start_date=date(2026, 3, 2))
    populate(engine, draft)
    deliverer = Deliverer(deps, worker="tick", pacer=Pacer(sleep=lambda _: None))
    tick(deps, deliverer)
    status = {p.id: p.status for p in programs(engine)}
    # Only an enrolling program with a running pair starts; a draft is the lead's to open.
    assert status == {
        waiting: ProgramStatus.ENROLLING,
        ready: ProgramStatus.ACTIVE,
        draft: ProgramStatus.DRAFT,
    }
    [notice_] = _started_notices(engine)
    assert (notice_.recipient_id, notice_.program_id, notice_.status) == (
        "UADMIN",
        ready,
        DeliveryStatus.SENT,
    )
