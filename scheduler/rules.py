"""The timed work: which prompts and nudges are due, planned into the outbox exactly once.

Every rule is a set-based query for the few rows that may be due around now (never a scan that
loads every pairing), turned into ``Planned`` messages whose dedupe key names the rule, the
subject and the period. A message is enqueued only once its delivery moment (moved into the
recipient's working hours) is near, so a session moved or cancelled before then simply yields no
prompt, and one whose moment has passed (the bot was down) is dropped instead of flooding anyone.
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, type_coerce
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from bot.export import build_digest_for
from bot.services.leads import program_lead_ids
from bot.services.programs import RuleSettings, program_end, program_midpoint
from bot.services.scorecards import ScorecardView, ensure_scorecard, scorecard_view
from bot.services.stages import PairEvent, note_event
from bot.views.prompts import (
    build_agenda_prompt,
    build_did_you_meet,
    build_due_reminder,
    build_graduation_prompt,
    build_lapse_escalation,
    build_lapse_nudge,
    build_reassessment_prompt,
    build_session_reminder,
)
from bot.views.scorecards import build_scorecard_prompt
from bot.views.surveys import build_survey_prompt
from scheduler.outbox import Planned
from scheduler.timing import WorkingHours, delivery_time
from storage.enums import (
    FlagKind,
    GoalProgress,
    GoalStatus,
    MeetingStatus,
    PairingStatus,
    ProgramStatus,
    SurveyKind,
)
from storage.models import (
    Delivery,
    Flag,
    Goal,
    Meeting,
    Milestone,
    Pairing,
    Participant,
    Program,
)
from storage.types import UTCDateTime

# Rows are read in slices: a planning pass over 100,000 pairings must not hold them all.
YIELD_PER = 1000
# A message is enqueued when its moment is at most this far ahead.
HORIZON = timedelta(minutes=10)
# Working hours can move a prompt this far earlier (a long weekend), so look that far ahead.
SHIFT_LOOKAHEAD = timedelta(days=4)
# A booked session still counts against a lapse this long after it starts: the pair may be in it,
# or not have logged it yet ("did you meet?" asks them a day after it ends).
UNLOGGED_GRACE = timedelta(days=2)
# Survey prompts stay worth sending for two weeks after their day.
SURVEY_WINDOW = timedelta(days=14)
DIGEST_RULE = "weekly_digest"
DIGEST_WINDOW = timedelta(hours=12)
# Module-level aliases keep the queries' cache keys stable, so SQLAlchemy compiles them once.
_MENTOR = aliased(Participant, name="mentor")
_MENTEE = aliased(Participant, name="mentee")


@dataclass(frozen=True, slots=True)
class PairRow:
    """A running pairing with its program and both people, as rules need them."""

    pairing: Pairing
    program: Program
    mentor: Participant
    mentee: Participant


def scorecard_delivery(
    card: ScorecardView,
    *,
    team_id: str,
    tz: str,
    due_at: datetime,
    program_id: int | None = None,
) -> Planned:
    """The outbox row for a session's scorecard DM: one per meeting, whoever asks first."""
    return Planned(
        team_id=team_id,
        dedupe_key=f"scorecard:{card.meeting_id}",
        rule="scorecard",
        recipient_id=card.mentee_user_id,
        payload=build_scorecard_prompt(card, tz=tz),
        due_at=due_at,
        # A rating is about a recent session: after a week it's noise.
        expires_at=due_at + timedelta(days=7),
        program_id=program_id,
        pairing_id=card.pairing_id,
    )


def last_digest_moment(program: Program, now: datetime) -> datetime:
    """The latest digest weekday and hour (in the program's timezone) at or before ``now``."""
    zone = WorkingHours(tz=program.timezone).zone
    local = now.astimezone(zone)
    days_back = (local.weekday() - program.digest_weekday) % 7
    day = local.date() - timedelta(days=days_back)
    moment = datetime.combine(day, time(program.digest_hour % 24), tzinfo=zone)
    if moment > now:
        moment = datetime.combine(
            day - timedelta(days=7), time(program.digest_hour % 24), tzinfo=zone
        )
    return moment.astimezone(UTC)


def working_hours(person: Participant) -> WorkingHours:
    """A participant's working week."""
    return WorkingHours(
        tz=person.timezone,
        start=person.work_start,
        end=person.work_end,
        days=frozenset(int(d) for d in person.work_days if d.isdigit()),
    )


class Planner:
    """Runs every rule for one moment and yields what is due."""

    def __init__(self, session: Session, *, now: datetime, horizon: timedelta = HORIZON) -> None:
        self.session = session
        self.now = now
        # Plan at least this often: a message is enqueued when it falls due within the horizon.
        self.horizon = horizon
        self._settings: dict[int, RuleSettings] = {}

    def settings(self, program: Program) -> RuleSettings:
        """The program's rule settings (parsed once per pass)."""
        program_id = program.id or 0
        if program_id not in self._settings:
            self._settings[program_id] = RuleSettings.for_program(program)
        return self._settings[program_id]

    def plan(self) -> Iterator[Planned]:
        """Every message due around now, from every rule."""
        yield from self.agenda_prompts()
        yield from self.session_reminders()
        yield from self.scorecards()
        yield from self.did_you_meet()
        yield from self.lapses()
        yield from self.reassessments()
        yield from self.midpoint_surveys()
        yield from self.closing_prompts()
        yield from self.weekly_digests()
        yield from self.due_reminders()

    # --- helpers ---------------------------------------------------------------------------

    def _planned(
        self,
        row: PairRow,
        person: Participant,
        *,
        rule: str,
        key: str,
        target: datetime,
        expires: datetime | None,
        payload: dict[str, Any],
    ) -> Planned | None:
        """A message for ``person`` if its working-hours moment is due within the horizon."""
        due = delivery_time(working_hours(person), target, now=self.now, expires=expires)
        if due is None or due > self.now + self.horizon:
            return None
        return Planned(
            team_id=row.pairing.team_id,
            dedupe_key=key,
            rule=rule,
            recipient_id=person.user_id,
            payload=payload,
            due_at=due,
            expires_at=expires,
            program_id=row.program.id,
            pairing_id=row.pairing.id,
        )

    def _pair_query(self) -> Any:
        mentor, mentee = _MENTOR, _MENTEE
        return (
            select(Pairing, Program, mentor, mentee)
            .join(Program, col(Program.id) == col(Pairing.program_id))
            .join(mentor, col(mentor.id) == col(Pairing.mentor_id))
            .join(mentee, col(mentee.id) == col(Pairing.mentee_id))
            .where(
                col(Program.status) == ProgramStatus.ACTIVE.value,
                col(Pairing.status) == PairingStatus.ACTIVE.value,
            )
        )

    def _meetings(
        self, *, status: MeetingStatus, start_from: datetime, start_to: datetime
    ) -> Iterator[tuple[Meeting, PairRow]]:
        query = (
            self._pair_query()
            .add_columns(Meeting)
            .join(Meeting, col(Meeting.pairing_id) == col(Pairing.id))
            .where(
                col(Meeting.status) == status.value,
                col(Meeting.scheduled_start) >= start_from,
                col(Meeting.scheduled_start) < start_to,
            )
            .execution_options(yield_per=YIELD_PER)
        )
        for pairing, program, mentor, mentee, meeting in self.session.exec(query):
            yield meeting, PairRow(pairing, program, mentor, mentee)

    # --- the rules -------------------------------------------------------------------------

    def agenda_prompts(self) -> Iterator[Planned]:
        """To the mentee, ``agenda_prompt_hours`` before each scheduled session."""
        longest = timedelta(hours=max(RuleSettings().agenda_prompt_hours, 72))
        for meeting, row in self._meetings(
            status=MeetingStatus.SCHEDULED,
            start_from=self.now,
            start_to=self.now + longest + SHIFT_LOOKAHEAD,
        ):
            start = meeting.scheduled_start
            assert start is not None
            hours = self.settings(row.program).agenda_prompt_hours
            planned = self._planned(
                row,
                row.mentee,
                rule="agenda_prompt",
                key=f"agenda_prompt:{meeting.id}",
                target=start - timedelta(hours=hours),
                expires=start,
                payload=build_agenda_prompt(
                    pairing_id=row.pairing.id or 0,
                    partner_user_id=row.mentor.user_id,
                    start=start,
                    tz=row.mentee.timezone,
                ),
            )
            if planned:
                yield planned

    def session_reminders(self) -> Iterator[Planned]:
        """To both, ``reminder_minutes`` before each scheduled session (not moved into hours)."""
        for meeting, row in self._meetings(
            status=MeetingStatus.SCHEDULED,
            start_from=self.now,
            start_to=self.now + timedelta(hours=2),
        ):
            start = meeting.scheduled_start
            assert start is not None
            minutes = self.settings(row.program).reminder_minutes
            due = start - timedelta(minutes=minutes)
            if due > self.now + self.horizon:
                continue
            for person, partner in ((row.mentor, row.mentee), (row.mentee, row.mentor)):
                yield Planned(
                    team_id=row.pairing.team_id,
                    dedupe_key=f"reminder:{meeting.id}:{person.user_id}",
                    rule="session_reminder",
                    recipient_id=person.user_id,
                    payload=build_session_reminder(
                        pairing_id=row.pairing.id or 0,
                        partner_user_id=partner.user_id,
                        start=start,
                        tz=person.timezone,
                        minutes=meeting.duration_minutes,
                    ),
                    # A reminder is for the session itself: it was booked in working time.
                    due_at=max(due, self.now),
                    expires_at=start,
                    program_id=row.program.id,
                    pairing_id=row.pairing.id,
                )

    def scorecards(self) -> Iterator[Planned]:
        """To the mentee, an hour after a session's end when nobody has logged it."""
        for meeting, row in self._meetings(
            status=MeetingStatus.SCHEDULED,
            start_from=self.now - timedelta(days=2),
            start_to=self.now,
        ):
            start = meeting.scheduled_start
            assert start is not None
            after = self.settings(row.program).scorecard_after_minutes
            due = start + timedelta(minutes=meeting.duration_minutes + after)
            if due > self.now + self.horizon:
                continue
            card, _ = ensure_scorecard(
                self.session, team_id=row.pairing.team_id, meeting_id=meeting.id or 0, now=due
            )
            if card is None or card.completed_at is not None:
                continue
            shown = scorecard_view(self.session, scorecard=card)
            yield scorecard_delivery(
                shown,
                team_id=row.pairing.team_id,
                tz=row.mentee.timezone,
                due_at=max(due, self.now),
                program_id=row.program.id,
            )

    def did_you_meet(self) -> Iterator[Planned]:
        """To both, a day after a scheduled session that nobody logged."""
        for meeting, row in self._meetings(
            status=MeetingStatus.SCHEDULED,
            start_from=self.now - timedelta(days=8),
            start_to=self.now,
        ):
            start = meeting.scheduled_start
            assert start is not None
            end = start + timedelta(minutes=meeting.duration_minutes)
            target = end + timedelta(hours=self.settings(row.program).did_you_meet_hours)
            if target > self.now + SHIFT_LOOKAHEAD:
                continue
            for person, partner in ((row.mentor, row.mentee), (row.mentee, row.mentor)):
                planned = self._planned(
                    row,
                    person,
                    rule="did_you_meet",
                    key=f"did_you_meet:{meeting.id}:{person.user_id}",
                    target=max(target, end),
                    expires=end + timedelta(days=7),
                    payload=build_did_you_meet(
                        meeting_id=meeting.id or 0,
                        partner_user_id=partner.user_id,
                        start=start,
                        tz=person.timezone,
                    ),
                )
                if planned:
                    yield planned

    def _active_programs(self) -> list[Program]:
        return list(
            self.session.exec(
                select(Program).where(col(Program.status) == ProgramStatus.ACTIVE.value)
            )
        )

    def lapses(self) -> Iterator[Planned]:
        """Nudge the pair at 1.5 times the cadence without a session; tell the leads at 2 times.

        The key holds the last session's date, so one gap yields one nudge, however long the
        bot was down; a new session starts a new gap.
        """
        last_held = (
            select(
                col(Meeting.pairing_id).label("pairing_id"),
                func.max(col(Meeting.held_at)).label("last"),
            )
            .where(col(Meeting.status) == MeetingStatus.HELD.value)
            .group_by(col(Meeting.pairing_id))
            .subquery()
        )
        # Pairs with a session booked, as one grouped subquery joined by pairing: a correlated
        # EXISTS let SQLite scan every booked session of the workspace once per pairing.
        booked = (
            select(col(Meeting.pairing_id).label("pairing_id"))
            .where(
                col(Meeting.status) == MeetingStatus.SCHEDULED.value,
                col(Meeting.scheduled_start) > self.now - UNLOGGED_GRACE,
            )
            .group_by(col(Meeting.pairing_id))
            .subquery()
        )
        since = type_coerce(
            func.coalesce(last_held.c.last, col(Pairing.started_at)), UTCDateTime()
        ).label("since")
        for program in self._active_programs():
            settings = self.settings(program)
            gap = timedelta(days=program.cadence.days or program.max_gap_days)
            query = (
                self._pair_query()
                .add_columns(since)
                .outerjoin(last_held, last_held.c.pairing_id == col(Pairing.id))
                .outerjoin(booked, booked.c.pairing_id == col(Pairing.id))
                .where(
                    col(Pairing.program_id) == program.id,
                    since <= self.now - gap * settings.lapse_nudge_factor,
                    booked.c.pairing_id.is_(None),
                )
                .execution_options(yield_per=YIELD_PER)
            )
            leads = program_lead_ids(self.session, program=program)
            for pairing, _program, mentor, mentee, last in self.session.exec(query):
                row = PairRow(pairing, program, mentor, mentee)
                yield from self._lapse_messages(row, last, gap, settings, leads)

    def _lapse_messages(
        self,
        row: PairRow,
        last: datetime,
        gap: timedelta,
        settings: RuleSettings,
        leads: list[str],
    ) -> Iterator[Planned]:
        days = (self.now - last).days
        period = last.isoformat()
        for person, partner in ((row.mentor, row.mentee), (row.mentee, row.mentor)):
            planned = self._planned(
                row,
                person,
                rule="lapse_nudge",
                key=f"lapse_nudge:{row.pairing.id}:{period}:{person.user_id}",
                target=last + gap * settings.lapse_nudge_factor,
                expires=self.now + timedelta(days=7),
                payload=build_lapse_nudge(
                    pairing_id=row.pairing.id or 0,
                    partner_user_id=partner.user_id,
                    days=days,
                    program_name=row.program.name,
                ),
            )
            if planned:
                yield planned
        if self.now - last < gap * settings.lapse_escalation_factor:
            return
        self._raise_lapse_flag(row, period)
        for lead in leads:
            yield Planned(
                team_id=row.pairing.team_id,
                dedupe_key=f"lapse_escalation:{row.pairing.id}:{period}:{lead}",
                rule="lapse_escalation",
                recipient_id=lead,
                payload=build_lapse_escalation(
                    mentor_user_id=row.mentor.user_id,
                    mentee_user_id=row.mentee.user_id,
                    days=days,
                    program_name=row.program.name,
                ),
                due_at=self.now,
                program_id=row.program.id,
                pairing_id=row.pairing.id,
            )

    def _raise_lapse_flag(self, row: PairRow, period: str) -> None:
        key = f"lapsed:{row.pairing.id}:{period}"
        known = self.session.exec(
            select(Flag.id).where(Flag.team_id == row.pairing.team_id, Flag.dedupe_key == key)
        ).first()
        if known is None:
            self.session.add(
                Flag(
                    team_id=row.pairing.team_id,
                    program_id=row.program.id or 0,
                    pairing_id=row.pairing.id,
                    kind=FlagKind.LAPSED,
                    dedupe_key=key,
                    detail="no session for twice the planned cadence",
                    raised_at=self.now,
                    escalated_at=self.now,
                )
            )

    def reassessments(self) -> Iterator[Planned]:
        """To both, every ``reassessment_weeks`` since the pairing started (latest period only)."""
        for program in self._active_programs():
            every = timedelta(weeks=self.settings(program).reassessment_weeks)
            query = (
                self._pair_query()
                .where(
                    col(Pairing.program_id) == program.id,
                    col(Pairing.started_at) <= self.now - every,
                )
                .execution_options(yield_per=YIELD_PER)
            )
            for pairing, _program, mentor, mentee in self.session.exec(query):
                assert pairing.started_at is not None
                period = int((self.now - pairing.started_at) / every)
                target = pairing.started_at + every * period
                if self.now - target > timedelta(days=7):
                    continue  # that period's prompt was due long ago: wait for the next one
                row = PairRow(pairing, program, mentor, mentee)
                for person, partner in ((mentor, mentee), (mentee, mentor)):
                    planned = self._planned(
                        row,
                        person,
                        rule="skill_reassessment",
                        key=f"reassess:{pairing.id}:{period}:{person.user_id}",
                        target=target,
                        expires=target + timedelta(days=14),
                        payload=build_reassessment_prompt(
                            pairing_id=pairing.id or 0, partner_user_id=partner.user_id
                        ),
                    )
                    if planned:
                        yield planned

    def _programs_at(self, moment: Callable[[Program], date], window: timedelta) -> list[Program]:
        """Active programs whose ``moment`` (a date) fell within the last ``window``."""
        today = self.now.date()
        return [p for p in self._active_programs() if moment(p) <= today < moment(p) + window]

    def _pairs_of(self, program: Program) -> Iterator[PairRow]:
        query = (
            self._pair_query()
            .where(col(Pairing.program_id) == program.id)
            .execution_options(yield_per=YIELD_PER)
        )
        for pairing, _program, mentor, mentee in self.session.exec(query):
            yield PairRow(pairing, program, mentor, mentee)

    def _at_work_start(self, person: Participant, day: date) -> datetime:
        return datetime.combine(day, person.work_start, tzinfo=working_hours(person).zone)

    def midpoint_surveys(self) -> Iterator[Planned]:
        """To both, at the program's midpoint: how is the relationship going?"""
        for program in self._programs_at(program_midpoint, SURVEY_WINDOW):
            midpoint = program_midpoint(program)
            for row in self._pairs_of(program):
                for person, partner in ((row.mentor, row.mentee), (row.mentee, row.mentor)):
                    planned = self._planned(
                        row,
                        person,
                        rule="midpoint_survey",
                        key=f"survey:midpoint:{row.pairing.id}:{person.user_id}",
                        target=self._at_work_start(person, midpoint),
                        expires=self._at_work_start(person, midpoint + SURVEY_WINDOW),
                        payload=build_survey_prompt(
                            SurveyKind.MIDPOINT,
                            pairing=row.pairing,
                            program_name=program.name,
                            partner_user_id=partner.user_id,
                        ),
                    )
                    if planned:
                        yield planned

    def closing_prompts(self) -> Iterator[Planned]:
        """To both, ``final_survey_days`` before the end: reflect, audit independence, graduate."""
        for program in self._active_programs():
            end = program_end(program)
            start = end - timedelta(days=self.settings(program).final_survey_days)
            if not start <= self.now.date() < end:
                continue
            for row in self._pairs_of(program):
                note_event(self.session, pairing=row.pairing, event=PairEvent.FINAL_SURVEY_DUE)
                for person, partner in ((row.mentor, row.mentee), (row.mentee, row.mentor)):
                    planned = self._planned(
                        row,
                        person,
                        rule="graduation_prompt",
                        key=f"graduation:{row.pairing.id}:{person.user_id}",
                        target=self._at_work_start(person, start),
                        expires=self._at_work_start(person, end),
                        payload=build_graduation_prompt(
                            pairing_id=row.pairing.id or 0,
                            partner_user_id=partner.user_id,
                            program_name=program.name,
                            end=end - timedelta(days=1),
                        ),
                    )
                    if planned:
                        yield planned

    def weekly_digests(self) -> Iterator[Planned]:
        """The cohort digest to the program's channel, on its weekday and hour, in its timezone."""
        for program in self._active_programs():
            if not program.digest_channel_id:
                continue
            moment = last_digest_moment(program, self.now)
            if self.now - moment > DIGEST_WINDOW:
                continue  # the bot was down all day: wait for next week rather than post late
            key = f"{DIGEST_RULE}:{program.id}:{moment.date().isoformat()}"
            planned_before = self.session.exec(
                select(Delivery.id).where(col(Delivery.dedupe_key) == key)
            ).first()
            if planned_before is not None:
                continue  # building a digest is the costly part: do it once a week
            yield Planned(
                team_id=program.team_id,
                dedupe_key=key,
                rule=DIGEST_RULE,
                recipient_id=program.digest_channel_id,
                channel_id=program.digest_channel_id,
                payload=build_digest_for(self.session, program=program, now=self.now),
                due_at=self.now,
                expires_at=moment + DIGEST_WINDOW,
                program_id=program.id,
            )

    def due_reminders(self) -> Iterator[Planned]:
        """To the mentee, ``due_reminder_days`` before an open goal or milestone is due."""
        today = self.now.date()
        # Working hours can move a reminder earlier (a Sunday's to the Friday): look that far too.
        horizon = today + timedelta(days=RuleSettings().due_reminder_days + 1) + SHIFT_LOOKAHEAD
        open_goal = (
            col(Goal.status) == GoalStatus.AGREED.value,
            col(Goal.progress).not_in([GoalProgress.DONE.value, GoalProgress.DROPPED.value]),
        )
        goals = (
            self._pair_query()
            .add_columns(Goal)
            .join(Goal, col(Goal.pairing_id) == col(Pairing.id))
            .where(*open_goal, col(Goal.due_date) >= today, col(Goal.due_date) <= horizon)
            .execution_options(yield_per=YIELD_PER)
        )
        for pairing, program, mentor, mentee, goal in self.session.exec(goals):
            yield from self._due(
                PairRow(pairing, program, mentor, mentee),
                "goal",
                goal.id or 0,
                goal.statement,
                goal.due_date,
            )
        milestones = (
            self._pair_query()
            .add_columns(Milestone)
            .join(Goal, col(Goal.pairing_id) == col(Pairing.id))
            .join(Milestone, col(Milestone.goal_id) == col(Goal.id))
            .where(
                *open_goal,
                col(Milestone.done_at).is_(None),
                col(Milestone.due_date) >= today,
                col(Milestone.due_date) <= horizon,
            )
            .execution_options(yield_per=YIELD_PER)
        )
        for pairing, program, mentor, mentee, milestone in self.session.exec(milestones):
            yield from self._due(
                PairRow(pairing, program, mentor, mentee),
                "milestone",
                milestone.id or 0,
                milestone.title,
                milestone.due_date,
            )

    def _due(
        self, row: PairRow, what: str, item_id: int, title: str, due: Any
    ) -> Iterable[Planned]:
        days = self.settings(row.program).due_reminder_days
        local_morning = datetime.combine(due - timedelta(days=days), row.mentee.work_start)
        target = local_morning.replace(tzinfo=working_hours(row.mentee).zone)
        planned = self._planned(
            row,
            row.mentee,
            rule=f"{what}_due",
            key=f"{what}_due:{item_id}:{due.isoformat()}",
            target=target,
            expires=datetime.combine(due, row.mentee.work_end).replace(
                tzinfo=working_hours(row.mentee).zone
            ),
            payload=build_due_reminder(
                pairing_id=row.pairing.id or 0, what=what, title=title[:150], due=due
            ),
        )
        return [planned] if planned else []
