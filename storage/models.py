"""The tables: the whole domain of a mentorship program, every row owned by one workspace.

Conventions:
- every table carries ``team_id`` (the Slack workspace), and every lookup filters on it;
- datetimes are timezone-aware UTC (``UTCDateTime``), calendar dates are plain ``date``;
- enums are stored as their string values (``EnumText``);
- JSON columns are replaced, never mutated in place (SQLAlchemy does not track in-place edits);
- no ORM relationships: services query explicitly, which keeps every query visible and scoped.
"""

from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from storage.enums import (
    AgendaSource,
    Cadence,
    DeliveryStatus,
    FlagKind,
    GoalProgress,
    GoalStatus,
    MeetingStatus,
    OutsideFeedbackStatus,
    PairingStatus,
    ParticipantStatus,
    ProgramStatus,
    Purpose,
    ResourceKind,
    ReviewStyle,
    Role,
    Stage,
    Structure,
    SurveyKind,
    TaskStatus,
    Visibility,
)
from storage.types import EnumText, UTCDateTime, utcnow


def _team_id() -> Any:
    return Field(max_length=32, index=True)


def _created_at() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


def _waits() -> Any:
    """A moment the planner waits until, ``NO_WAIT`` by default (never null: a range of an
    index compares it without reading the row)."""
    return Field(
        default=NO_WAIT,
        sa_type=UTCDateTime,
        nullable=False,
        sa_column_kwargs={"server_default": text("'1970-01-01 00:00:00'")},
    )


def _when(*, index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=True, index=index)


def _user_id(*, index: bool = False) -> Any:
    return Field(max_length=32, index=index)


def _text(*, default: str = "") -> Any:
    return Field(default=default, sa_type=Text, nullable=False)


def _json_list() -> Any:
    return Field(default_factory=list, sa_type=JSON, nullable=False)


def _json_dict() -> Any:
    return Field(default_factory=dict, sa_type=JSON, nullable=False)


# --- workspaces and people -------------------------------------------------------------------


class Workspace(SQLModel, table=True):
    """A Slack workspace that installed the bot, and whether it still has it.

    With OAuth, its tokens live in slack-sdk's installation tables; this row outlives them:
    after an uninstall it says when and why, so the workspace's data is kept for the
    operator's retention and then purged (``mentorbot workspace purge``).
    """

    team_id: str = Field(primary_key=True, max_length=32)
    name: str = Field(default="", max_length=255)
    enterprise_id: str | None = Field(default=None, max_length=32)
    bot_user_id: str | None = Field(default=None, max_length=32)
    installed_by: str | None = Field(default=None, max_length=32)
    installed_at: datetime = _created_at()
    # Set by app_uninstalled or tokens_revoked; cleared by a new install.
    uninstalled_at: datetime | None = _when()
    uninstall_reason: str | None = Field(default=None, max_length=32)


class SlackUser(SQLModel, table=True):
    """What Slack told us about a person (``users.info``), cached: timezone and admin rights."""

    __table_args__ = (UniqueConstraint("team_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = _team_id()
    user_id: str = _user_id()
    real_name: str = Field(default="", max_length=255)
    # Only with the users:read.email scope; calendar invites name people by it.
    email: str | None = Field(default=None, max_length=255)
    tz: str = Field(default="UTC", max_length=64)
    tz_offset_seconds: int = 0
    is_admin: bool = False
    is_owner: bool = False
    is_bot: bool = False
    deleted: bool = False
    refreshed_at: datetime = _created_at()
    # The bot's direct-message conversation with them (``conversations.open``, asked once): kept
    # apart from Slack's answers about them, which a refresh rewrites.
    dm_channel_id: str | None = Field(default=None, max_length=32)


# --- programs --------------------------------------------------------------------------------

# Since when a pair has not met: its last held session, or its start.
QUIET_SINCE = "coalesce(last_held_at, started_at)"
# "Not waiting": the value of a ``..._after`` column the planner has set no wait in.
NO_WAIT = datetime(1970, 1, 1, tzinfo=UTC)
# A ``..._after`` column's "nothing left to plan": its rule's prompts for the row are planned, or
# no longer worth sending (migration 0012). Whatever would change that clears it by trigger.
NEVER = datetime(9999, 1, 1, tzinfo=UTC)
# The lapse rule's two partial indexes and the pairing column each one leaves pairs out by.
LAPSE_MARKERS = {
    "ix_pairing_lapse_nudge": "lapse_nudged_for",
    "ix_pairing_lapse_escalation": "lapse_escalated_for",
}


def open_gap(marker: str) -> str:
    """SQL: the pair's current gap is not yet marked planned in ``marker``. A query must say it
    in these very words for SQLite to read the partial index that holds only such pairs."""
    return f"{marker} IS NULL OR {marker} <> {QUIET_SINCE}"


class Program(SQLModel, table=True):
    """A mentorship cohort and all of its settings."""

    __table_args__ = (
        UniqueConstraint("team_id", "name"),
        Index("ix_program_team_status", "team_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = _team_id()
    name: str = Field(max_length=80)
    status: ProgramStatus = Field(default=ProgramStatus.DRAFT, sa_type=EnumText(ProgramStatus))
    purpose: Purpose = Field(default=Purpose.SKILLS_TRANSFER, sa_type=EnumText(Purpose))
    purpose_detail: str = Field(default="", max_length=255)
    company_goal: str = _text()
    structure: Structure = Field(default=Structure.ONE_TO_ONE, sa_type=EnumText(Structure))
    group_size: int = 2
    places: int = 20
    success_measures: str = _text()
    tracked_measures: list[str] = _json_list()
    review_style: ReviewStyle = Field(default=ReviewStyle.CASUAL, sa_type=EnumText(ReviewStyle))
    cadence: Cadence = Field(default=Cadence.BIWEEKLY, sa_type=EnumText(Cadence))
    session_minutes: int = 60
    max_gap_days: int = 30
    start_date: date
    length_months: int = 6
    visibility: Visibility = Field(default=Visibility.OPEN, sa_type=EnumText(Visibility))
    competencies: list[str] = _json_list()
    digest_channel_id: str | None = Field(default=None, max_length=32)
    digest_weekday: int = 0
    digest_hour: int = 9
    timezone: str = Field(default="UTC", max_length=64)
    # Overrides of the scheduler's rule defaults (hours before a session, lapse factors, ...).
    rule_settings: dict[str, Any] = _json_dict()
    created_by: str = _user_id()
    created_at: datetime = _created_at()
    updated_at: datetime = _created_at()
    closed_at: datetime | None = _when()


class ProgramLead(SQLModel, table=True):
    """A person who runs a program besides the workspace admins."""

    __table_args__ = (UniqueConstraint("program_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = _team_id()
    program_id: int = Field(foreign_key="program.id", index=True)
    user_id: str = _user_id(index=True)
    added_by: str = _user_id()
    added_at: datetime = _created_at()


class InvitationStatus(StrEnum):
    """Where a lead's invitation stands: waiting for an answer, taken up, or turned down."""

    INVITED = "invited"
    JOINED = "joined"
    DECLINED = "declined"


class Invitation(SQLModel, table=True):
    """A lead's invitation of one person to a program, and the person's answer to it."""

    __table_args__ = (
        UniqueConstraint("program_id", "user_id"),
        Index("ix_invitation_program_status", "program_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = _team_id()
    program_id: int = Field(foreign_key="program.id")
    user_id: str = _user_id(index=True)
    invited_by: str = _user_id()
    invited_at: datetime = _created_at()
    status: InvitationStatus = Field(
        default=InvitationStatus.INVITED, sa_type=EnumText(InvitationStatus)
    )
    answered_at: datetime | None = _when()


class Participant(SQLModel, table=True):
    """Someone enrolled in a program as mentor or mentee, with the profile matching uses."""

    __table_args__ = (
        UniqueConstraint("program_id", "user_id", "role"),
        Index("ix_participant_program_role_status", "program_id", "role", "status"),
        # Planning reads the distinct working weeks from this index alone. The timezone comes
        # last so that the index never looks like a way into participants by timezone.
        Index("ix_participant_hours", "work_days", "work_start", "work_end", "timezone"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = _team_id()
    program_id: int = Field(foreign_key="program.id")
    user_id: str = _user_id(index=True)
    role: Role = Field(sa_type=EnumText(Role))
    status: ParticipantStatus = Field(
        default=ParticipantStatus.ACTIVE, sa_type=EnumText(ParticipantStatus)
    )
    situation: str = _text()
    aim: str = _text()
    # [{"skill": "...", "score": 1-5}]: a mentee's gaps (self-scored), or the skills a mentor
    # offers with the level they offer each at.
    skills: list[dict[str, Any]] = _json_list()
    # A mentor's skills they want to practise as a mentor (coaching, giving hard feedback...).
    practising: list[str] = _json_list()
    interests: list[str] = _json_list()
    values: list[str] = _json_list()
    availability: str = _text()
    preferred_cadence: Cadence | None = Field(default=None, sa_type=EnumText(Cadence))
    # Quieter mode: only the prompts that need an answer (no reminders or nudges for information).
    quiet: bool = False
    capacity: int = 1
    timezone: str = Field(default="UTC", max_length=64)
    work_start: time = Field(default=time(9, 0))
    work_end: time = Field(default=time(18, 0))
    # ISO weekdays the person works, Monday=1: "12345" is Monday to Friday.
    work_days: str = Field(default="12345", max_length=7)
    paused_until: datetime | None = _when(index=True)
    joined_at: datetime = _created_at()
    updated_at: datetime = _created_at()
    left_at: datetime | None = _when()


class Pairing(SQLModel, table=True):
    """A mentor and a mentee working together (or one member of a group, by ``group_key``)."""

    __table_args__ = (
        # A program's running pairs, by start, with the last re-assessment period planned: a
        # period's window is a range, and the pairs it has planned are left out in the index
        # itself (migration 0011).
        Index(
            "ix_pairing_reassessment",
            "program_id",
            "status",
            "started_at",
            "reassessed_period",
            "reassess_after",
        ),
        Index("ix_pairing_people", "team_id", "mentor_user_id", "mentee_user_id"),
        # Running pairs that have not met since a moment (the lapse rule), holding only those
        # whose gap still has a nudge, or an escalation, to plan (migration 0011).
        *(
            Index(
                name,
                "program_id",
                text(QUIET_SINCE),
                *waits,
                sqlite_where=text(open_gap(marker)),
                postgresql_where=text(open_gap(marker)),
            )
            for (name, marker), waits in zip(
                LAPSE_MARKERS.items(), (["lapse_nudge_after"], []), strict=True
            )
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = _team_id()
    program_id: int = Field(foreign_key="program.id")
    mentor_id: int = Field(foreign_key="participant.id", index=True)
    mentee_id: int = Field(foreign_key="participant.id", index=True)
    # Denormalised so "never repeat a past pairing" is one indexed lookup across programs.
    mentor_user_id: str = _user_id()
    mentee_user_id: str = _user_id()
    group_key: str | None = Field(default=None, max_length=64, index=True)
    board_role: str | None = Field(default=None, max_length=40)
    status: PairingStatus = Field(default=PairingStatus.PROPOSED, sa_type=EnumText(PairingStatus))
    stage: Stage = Field(default=Stage.RAPPORT, sa_type=EnumText(Stage))
    match_score: float | None = None
    match_reasons: list[str] = _json_list()
    conversation_id: str | None = Field(default=None, max_length=32)
    approved_by: str | None = Field(default=None, max_length=32)
    created_at: datetime = _created_at()
    started_at: datetime | None = _when()
    # The pair's last held session (``held_at``), kept right by triggers on ``meeting`` (migration
    # 0009) whoever writes the sessions: read it, never set it.
    last_held_at: datetime | None = _when()
    # The gap (named by its start, ``coalesce(last_held_at, started_at)``) whose nudges, and
    # whose escalation to the leads, are all planned: the planner's note that it need not read
    # this pair again until it meets and falls quiet anew (migration 0011).
    lapse_nudged_for: datetime | None = _when()
    lapse_escalated_for: datetime | None = _when()
    # The latest re-assessment period whose prompts to both are planned (0: none yet).
    reassessed_period: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # Until when a pair's open lapse nudge, or re-assessment prompt, waits for its person's next
    # working day (``NO_WAIT``: it does not): the planner reads it again from that moment.
    lapse_nudge_after: datetime = _waits()
    reassess_after: datetime = _waits()
    paused_until: datetime | None = _when(index=True)
    ended_at: datetime | None = _when()
    end_reason: str = Field(default="", max_length=255)
    continue_as_peers: bool = False


# --- goals -----------------------------------------------------------------------------------


class Goal(SQLModel, table=True):
    """A specific, time-bound goal of a pairing, co-created once the mentor agrees."""

    __table_args__ = (Index("ix_goal_pairing_position", "pairing_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = _team_id()
    pairing_id: int = Field(foreign_key="pairing.id")
    statement: str = _text()
    success_criteria: str = _text()
    due_date: date = Field(index=True)
    status: GoalStatus = Field(default=GoalStatus.PROPOSED, sa_type=EnumText(GoalStatus))
    progress: GoalProgress = Field(default=GoalProgress.NOT_STARTED, sa_type=EnumText(GoalProgress))
    progress_note: str = Field(default="", max_length=255)
    change_suggestion: str = _text()
    proposed_by: str = _user_id()
    agreed_by: str | None = Field(default=None, max_length=32)
    agreed_at: datetime | None = _when()
    co_created: bool = False
    position: int = 0
    created_at: datetime = _created_at()
    updated_at: datetime = _created_at()
    # When the due reminder is worth reading again (``NEVER``: it is planned).
    due_reminder_after: datetime = _waits()


class Milestone(SQLModel, table=True):
    """A dated step toward a goal."""

    __table_args__ = (Index("ix_milestone_goal_position", "goal_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = _team_id()
    goal_id: int = Field(foreign_key="goal.id")
    title: str = Field(max_length=255)
    due_date: date = Field(index=True)
    position: int = 0
    done_at: datetime | None = _when()
    due_reminder_after: datetime = _waits()


class GoalUpdate(SQLModel, table=True):
    """One progress update on a goal, kept as history."""

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = _team_id()
    goal_id: int = Field(foreign_key="goal.id", index=True)
    meeting_id: int | None = Field(default=None, foreign_key="meeting.id")
    progress: GoalProgress = Field(sa_type=EnumText(GoalProgress))
    note: str = Field(default="", max_length=255)
    by_user_id: str = _user_id()
    at: datetime = _created_at()


# --- sessions --------------------------------------------------------------------------------


class Meeting(SQLModel, table=True):
    """A mentoring session: scheduled, held, moved or cancelled (history is kept)."""

    __table_args__ = (
        Index("ix_meeting_pairing_start", "pairing_id", "scheduled_start"),
        Index("ix_meeting_status_start", "status", "scheduled_start"),
        # Whether a pair has a session booked, one probe (the lapse rule).
        Index("ix_meeting_pairing_booked", "pairing_id", "status", "scheduled_start"),
        # A pair's last held session, found from the index alone (lapse detection).
        Index("ix_meeting_pairing_held", "pairing_id", "status", "held_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = _team_id()
    pairing_id: int = Field(foreign_key="pairing.id")
    status: MeetingStatus = Field(default=MeetingStatus.SCHEDULED, sa_type=EnumText(MeetingStatus))
    scheduled_start: datetime | None = _when()
    duration_minutes: int = 60
    held_at: datetime | None = _when()
    minutes_held: int | None = None
    # Private to the pair: never shown to leads, never exported.
    notes: str = _text()
    scheduled_by: str | None = Field(default=None, max_length=32)
    logged_by: str | None = Field(default=None, max_length=32)
    rescheduled_from_id: int | None = Field(default=None, foreign_key="meeting.id")
    cancelled_at: datetime | None = _when()
    cancel_reason: str = Field(default="", max_length=255)
    agenda_submitted_at: datetime | None = _when()
    ics_uid: str | None = Field(default=None, max_length=128)
    created_at: datetime = _created_at()
    # When each timed prompt's rule is worth reading this session again (``NEVER``: it is
    # planned), so the planner passes over what waits for a working day or is done.
    agenda_prompt_after: datetime = _waits()
    scorecard_after: datetime = _waits()
    did_you_meet_after: datetime = _waits()


class MeetingGoal(SQLModel, table=True):
    """Which goals a held session touched."""

    meeting_id: int = Field(foreign_key="meeting.id", primary_key=True)
    goal_id: int = Field(foreign_key="goal.id", primary_key=True)
    team_id: str = _team_id()


class AgendaItem(SQLModel, table=True):
    """One item on the agenda of a pair's next session; the mentee owns the agenda."""

    __table_args__ = (Index("ix_agenda_pairing_meeting", "pairing_id", "meeting_id"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = _team_id()
    pairing_id: int = Field(foreign_key="pairing.id")
    meeting_id: int | None = Field(default=None, foreign_key="meeting.id")
    text: str = _text()
    source: AgendaSource = Field(default=AgendaSource.MENTEE, sa_type=EnumText(AgendaSource))
    added_by: str = _user_id()
    position: int = 0
    covered: bool = False
    created_at: datetime = _created_at()


class ActionItem(SQLModel, table=True):
    """Something someone agreed to do before the next session."""

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = _team_id()
    pairing_id: int = Field(foreign_key="pairing.id", index=True)
    meeting_id: int | None = Field(default=None, foreign_key="meeting.id")
    text: str = _text()
    owner_user_id: str = _user_id()
    due_date: date | None = None
    done_at: datetime | None = _when()
    created_at: datetime = _created_at()


class Feedback(SQLModel, table=True):
    """Structured feedback after a session, always in three parts."""

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = _team_id()
    pairing_id: int = Field(foreign_key="pairing.id", index=True)
    meeting_id: int | None = Field(default=None, foreign_key="meeting.id")
    from_user_id: str = _user_id()
    went_well: str = _text()
    needs_change: str = _text()
    next_action: str = _text()
    created_at: datetime = _created_at()


class Scorecard(SQLModel, table=True):
    """The mentee's 1-to-10 ratings of one session."""

    __table_args__ = (UniqueConstraint("meeting_id"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = _team_id()
    pairing_id: int = Field(foreign_key="pairing.id", index=True)
    meeting_id: int = Field(foreign_key="meeting.id")
    mentee_user_id: str = _user_id()
    clarity: int | None = None
    energy: int | None = None
    confidence: int | None = None
    comment: str = _text()
    created_at: datetime = _created_at()
    completed_at: datetime | None = _when()


class SkillAssessment(SQLModel, table=True):
    """One person's scoring of the program's competencies in one assessment round."""

    __table_args__ = (UniqueConstraint("pairing_id", "round", "rater_role"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = _team_id()
    pairing_id: int = Field(foreign_key="pairing.id", index=True)
    round: int = 1
    rater_role: Role = Field(sa_type=EnumText(Role))
    rater_user_id: str = _user_id()
    submitted_at: datetime = _created_at()


class SkillRating(SQLModel, table=True):
    """One competency's 1-to-5 score inside an assessment."""

    __table_args__ = (UniqueConstraint("assessment_id", "competency"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = _team_id()
    assessment_id: int = Field(foreign_key="skillassessment.id", index=True)
    competency: str = Field(max_length=80)
    score: int


class SurveyResponse(SQLModel, table=True):
    """One person's answers to one survey of a pairing."""

    __table_args__ = (UniqueConstraint("pairing_id", "user_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = _team_id()
    program_id: int = Field(foreign_key="program.id", index=True)
    pairing_id: int = Field(foreign_key="pairing.id")
    user_id: str = _user_id()
    kind: SurveyKind = Field(sa_type=EnumText(SurveyKind))
    # Numeric answers by question key; aggregates may be shown to leads.
    scores: dict[str, int] = _json_dict()
    # Free text: private to the pair, never in a digest or export.
    comment: str = _text()
    submitted_at: datetime = _created_at()


# --- learning plans, notes and outside feedback ----------------------------------------------


class LearningResource(SQLModel, table=True):
    """A link, book, course or person that helps with a goal."""

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = _team_id()
    goal_id: int = Field(foreign_key="goal.id", index=True)
    title: str = Field(max_length=255)
    url: str | None = Field(default=None, max_length=2000)
    kind: ResourceKind = Field(default=ResourceKind.ARTICLE, sa_type=EnumText(ResourceKind))
    added_by: str = _user_id()
    created_at: datetime = _created_at()


class PracticeTask(SQLModel, table=True):
    """A practice task of a goal's learning plan, owned by the mentee."""

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = _team_id()
    goal_id: int = Field(foreign_key="goal.id", index=True)
    title: str = Field(max_length=255)
    due_date: date | None = Field(default=None, index=True)
    status: TaskStatus = Field(default=TaskStatus.TODO, sa_type=EnumText(TaskStatus))
    created_at: datetime = _created_at()
    done_at: datetime | None = _when()


class PairNote(SQLModel, table=True):
    """A dated entry in the pair's shared running notes (private to the pair)."""

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = _team_id()
    pairing_id: int = Field(foreign_key="pairing.id", index=True)
    meeting_id: int | None = Field(default=None, foreign_key="meeting.id")
    author_user_id: str = _user_id()
    body: str = _text()
    created_at: datetime = _created_at()


class PairDocument(SQLModel, table=True):
    """A document link the pair keeps together."""

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = _team_id()
    pairing_id: int = Field(foreign_key="pairing.id", index=True)
    title: str = Field(max_length=255)
    url: str = Field(max_length=2000)
    added_by: str = _user_id()
    created_at: datetime = _created_at()


class OutsideFeedbackRequest(SQLModel, table=True):
    """A mentee's request for a short structured note from someone outside the program."""

    __table_args__ = (Index("ix_outside_feedback_status_expiry", "status", "expires_at"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = _team_id()
    pairing_id: int = Field(foreign_key="pairing.id", index=True)
    requester_user_id: str = _user_id()
    colleague_user_id: str = _user_id(index=True)
    question: str = _text()
    goal_id: int | None = Field(default=None, foreign_key="goal.id")
    status: OutsideFeedbackStatus = Field(
        default=OutsideFeedbackStatus.OPEN, sa_type=EnumText(OutsideFeedbackStatus)
    )
    does_well: str = _text()
    to_change: str = _text()
    rating: int | None = None
    shared_with_mentor: bool = False
    created_at: datetime = _created_at()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    answered_at: datetime | None = _when()


# --- signals and delivery --------------------------------------------------------------------


class Flag(SQLModel, table=True):
    """A red flag on a pairing or program; carries no private text."""

    __table_args__ = (
        UniqueConstraint("team_id", "dedupe_key"),
        Index("ix_flag_program_open", "program_id", "resolved_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = _team_id()
    program_id: int = Field(foreign_key="program.id")
    pairing_id: int | None = Field(default=None, foreign_key="pairing.id", index=True)
    participant_id: int | None = Field(default=None, foreign_key="participant.id")
    kind: FlagKind = Field(sa_type=EnumText(FlagKind))
    dedupe_key: str = Field(max_length=255)
    detail: str = Field(default="", max_length=255)
    raised_at: datetime = _created_at()
    escalated_at: datetime | None = _when()
    resolved_at: datetime | None = _when()


class Delivery(SQLModel, table=True):
    """One outgoing Slack message in the outbox; ``dedupe_key`` makes planning idempotent."""

    __table_args__ = (
        UniqueConstraint("dedupe_key"),
        Index("ix_delivery_status_due", "status", "due_at"),
        Index("ix_delivery_lease", "status", "lease_until"),
        # Which delivery a message in Slack is (a modal may name one: is it the actor's?).
        Index("ix_delivery_message", "message_ts"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = _team_id()
    dedupe_key: str = Field(max_length=255)
    rule: str = Field(max_length=64)
    program_id: int | None = Field(default=None, foreign_key="program.id", index=True)
    pairing_id: int | None = Field(default=None, foreign_key="pairing.id", index=True)
    recipient_id: str = Field(max_length=32)
    channel_id: str | None = Field(default=None, max_length=32)
    # The chat.postMessage arguments (text, blocks, ...) as built by a view builder.
    payload: dict[str, Any] = _json_dict()
    # What delivering needs beyond the message (``outbox.Planned.extras``): the sender to tell
    # if it fails, a group DM's members, a file to share, pairings that keep the conversation.
    extras: dict[str, Any] = _json_dict()
    due_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    # Past this moment the message is pointless (the session already happened): drop, don't send.
    expires_at: datetime | None = _when()
    status: DeliveryStatus = Field(default=DeliveryStatus.PENDING, sa_type=EnumText(DeliveryStatus))
    attempts: int = 0
    claimed_by: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = _when()
    next_attempt_at: datetime | None = _when()
    sent_at: datetime | None = _when()
    message_ts: str | None = Field(default=None, max_length=32)
    error: str | None = Field(default=None, max_length=255)
    created_at: datetime = _created_at()


class ProcessedEvent(SQLModel, table=True):
    """Slack event ids already handled: Slack retries deliveries and Bolt does not de-duplicate."""

    event_id: str = Field(primary_key=True, max_length=64)
    team_id: str = _team_id()
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class ChannelPace(SQLModel, table=True):
    """When a conversation may next take a message, shared by every running copy of the bot:
    each send claims its moment here (``scheduler.delivery.claim_slot``), so the copies
    together keep to Slack's pace for the channel instead of each keeping to it alone."""

    team_id: str = Field(primary_key=True, max_length=32)
    channel_id: str = Field(primary_key=True, max_length=32)
    # The channel's theoretical arrival time (generic cell-rate algorithm), in seconds on the
    # pacers' clock: wall time, the one clock every copy reads alike. Not a datetime column,
    # because the arithmetic is done in one upsert that both backends must spell the same.
    next_free: float


import storage.slack_tables  # noqa: E402, F401  (slack-sdk's OAuth tables, in the same metadata)
