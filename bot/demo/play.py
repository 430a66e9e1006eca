"""The player: twelve weeks of the cohort in ``bot.demo.cohort``, played in accelerated time.

Simulated time (``bot.demo.timeline``) moves from one moment to the next, in order, and at each
moment someone acts (a slash command, a click, a modal submitted, the Home tab opened: each a
signed request to the running bot, ``bot.demo.stage``), the scheduler plans, or the outbox
delivers what falls due.

People react to what the bot sends them, as people do: a prompt is read and answered a little
later, inside the reader's working hours, through the buttons and modals the bot offered. What
each one types and picks is in ``bot.demo.answers``. Nothing is written to the database but by
the bot; the player only reads it, to know which prompt a message carried.
"""

import bisect
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from functools import partial
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlmodel import col, func, select

from bot.demo import cohort
from bot.demo.answers import (
    GRADUATION_NOTE,
    SURVEY_WORDS,
    best_option,
    buttons,
    element_of,
    join_answers,
    meeting_slot,
    mentor_feedback,
    options_of,
    pick,
    progress_note,
    session_notes,
    skill_scores,
)
from bot.demo.cohort import BY_ID, LEAD, SESSION_MINUTES, Member, Story
from bot.demo.stage import (
    DATABASE_FILE,
    Message,
    Person,
    SimulatedClock,
    Stage,
    StageError,
    Step,
    find_element,
    has_element,
)
from bot.demo.summary import summarise
from bot.demo.timeline import (
    ACT,
    DELIVER,
    PLAN,
    Scheduler,
    Timeline,
    friday,
    hours_of,
    local,
    planning_points,
    week_of,
    week_start,
)
from bot.demo.transcript import JSON, Transcript
from bot.demo.transcript import Person as PersonInTranscript
from bot.ids import ActionId, BlockId
from bot.sandbox.forms import Answer
from bot.sandbox.slack_double import RecordedCall
from bot.services.scorecards import DIMENSIONS, LABELS
from bot.views.home import FLAG_NUDGE, FLAG_REPORT
from bot.views.matching import MATCH_WHY
from bot.views.scorecards import rating_action_id
from scheduler.timing import next_working_moment
from storage.enums import MeetingStatus, PairingStatus
from storage.models import Delivery, Meeting, Pairing

# A session nobody logs gets its scorecard prompt this long after it ends (the rule's default).
SCORECARD_AFTER = timedelta(minutes=60)
TITLE = f"{cohort.PROGRAM}: twelve weeks of mentoring in Slack"


class Progress(Protocol):
    """Told how far the play has got, to show it."""

    def moved(self, week: int, fraction: float) -> None:
        """Simulated time is ``fraction`` of the way through ``week``."""

    def week_done(self, stats: "WeekStats") -> None:
        """A week is over."""


@dataclass(frozen=True)
class WeekStats:
    """What one simulated week held."""

    week: int
    messages: int
    sessions: int


@dataclass(frozen=True)
class Delivered:
    """A message the outbox delivered, with the prompts (rules) it carried."""

    rules: tuple[str, ...]
    recipient: str
    pairing_id: int | None
    message: Message


@dataclass
class Pair:
    """A pair the lead approved, and where its story stands."""

    pairing_id: int
    mentee: Member
    mentor: Member
    story: Story
    # The session booked for each week, as UTC start times.
    booked: dict[int, datetime] = field(default_factory=dict)
    # The mentor heard from the bot that something needs to change: their feedback gets real.
    nudged: bool = False
    # Who has added their part of the graduation.
    graduation_parts: set[str] = field(default_factory=set)
    # The closing surveys each person answered: (person, the survey button's value).
    surveyed: set[tuple[Member, str]] = field(default_factory=set)
    low_score_answers: int = 0

    @property
    def graduated(self) -> bool:
        """Both people have added their part: the pairing is over."""
        return len(self.graduation_parts) == 2

    def next_week(self, after: int) -> int | None:
        """The next week after ``after`` the pair means to meet (a cancelled one included)."""
        later = [w for w in self.story.meets | self.story.cancelled if w > after]
        return min(later) if later else None

    def member(self, user_id: str) -> Member | None:
        """The pair's member with ``user_id``."""
        return next((m for m in (self.mentee, self.mentor) if m.user_id == user_id), None)

    def partner(self, member: Member) -> Member:
        """The other person of the pair."""
        return self.mentor if member is self.mentee else self.mentee

    def happy(self, week: int) -> bool:
        """Whether the mentee rated their latest session by ``week`` 6 or more throughout."""
        held = [w for w in self.story.meets if w <= week]
        latest = self.story.ratings.get(max(held), self.story.usual) if held else self.story.usual
        return min(latest) >= 6

    def last_session_end(self) -> datetime | None:
        """When the pair's last booked session ends."""
        if not self.booked:
            return None
        return max(self.booked.values()) + timedelta(minutes=SESSION_MINUTES)


class Player:
    """Drives the cohort's twelve weeks through the stage."""

    def __init__(self, stage: Stage, *, seed: int, progress: Progress | None = None) -> None:
        self.stage = stage
        # When people act varies with the seed: a story, not a secret.
        self.rng = random.Random(seed)  # noqa: S311
        self.progress = progress
        self.timeline = Timeline()
        self.scheduler = Scheduler(stage)
        self.end = datetime.combine(week_start(cohort.WEEKS + 1), time(0), tzinfo=UTC)
        self.pairs: dict[int, Pair] = {}
        self.announcement: Message | None = None
        self._points = planning_points(self.end)
        self._delivery_moments: set[datetime] = set()
        self._week = 1
        self._week_messages = 0

    # --- simulated time ----------------------------------------------------------------------

    def _plan_at(self, moment: datetime) -> None:
        """Add a planning point: the scheduler also wakes when an unlogged session's scorecard
        falls due (the running bot, planning every minute, would send it then)."""
        if moment not in self._points and moment < self.end:
            bisect.insort(self._points, moment)
            self.timeline.add(moment, PLAN, self._plan)

    def _next_point(self, moment: datetime) -> datetime:
        return next((p for p in self._points if p > moment), self.end)

    def at(self, moment: datetime, act: Callable[[], object]) -> None:
        """Someone does ``act`` at ``moment`` (what the bot sent in answer is reacted to)."""

        def then() -> None:
            try:
                act()
            except StageError as error:
                self.stage.problems.add(f"{self.stage.clock.now:%a %d %b %H:%M}: {error}")
            self._heard(self.stage.news())

        if moment < self.end:
            self.timeline.add(moment, ACT, then)

    def later(self, member: Member, after: datetime, low: int, high: int) -> datetime:
        """``low`` to ``high`` minutes after ``after``, moved into ``member``'s working hours."""
        moment = after + timedelta(minutes=self.rng.randint(low, high))
        return next_working_moment(hours_of(member), moment) or moment

    def run(self) -> None:
        """Play from the first Monday to the end of week 12."""
        for point in self._points:
            self.timeline.add(point, PLAN, self._plan)
        self._week_one()
        for user_id, week, weekday, clock in cohort.HOME_VISITS:
            member = BY_ID[user_id]
            self.at(local(member, week, weekday, clock), partial(self.stage.open_home, user_id))
        while self.timeline:
            moment, run = self.timeline.pop()
            if moment >= self.end:
                break
            self._advance(moment)
            run()
        self._advance(self.end)

    def _advance(self, moment: datetime) -> None:
        """Move the clock, closing the weeks it passes."""
        while self._week <= cohort.WEEKS and week_of(moment) > self._week:
            self._close_week()
        self.stage.clock.now = max(moment, self.stage.clock.now)
        if self.progress is not None and self._week <= cohort.WEEKS:
            begun = datetime.combine(week_start(self._week), time(0), tzinfo=ZoneInfo(LEAD.tz))
            fraction = (moment - begun) / timedelta(weeks=1)
            self.progress.moved(self._week, min(max(fraction, 0.0), 1.0))

    def _close_week(self) -> None:
        begun = datetime.combine(week_start(self._week), time(0), tzinfo=ZoneInfo(LEAD.tz))
        with self.stage.deps.read() as session:
            held = session.exec(
                select(func.count()).where(
                    col(Meeting.status) == MeetingStatus.HELD.value,
                    col(Meeting.held_at) >= begun,
                    col(Meeting.held_at) < begun + timedelta(weeks=1),
                )
            ).one()
        if self.progress is not None:
            self.progress.week_done(WeekStats(self._week, self._week_messages, int(held)))
        self._week += 1
        self._week_messages = 0

    def _plan(self) -> None:
        self.scheduler.housekeeping()
        for moment in self.scheduler.plan(self._next_point(self.stage.clock.now)):
            if moment not in self._delivery_moments:
                self._delivery_moments.add(moment)
                self.timeline.add(moment, DELIVER, partial(self._deliver, moment))
        self.stage.settle()
        self._heard(self.stage.news())

    def _deliver(self, moment: datetime) -> None:
        self._delivery_moments.discard(moment)
        self.scheduler.deliver()
        self.stage.settle()
        self._heard(self.stage.news())

    def _pause(self, minutes: int) -> None:
        """Time passes while someone fills in a form (the request is signed when it is sent)."""
        self.stage.clock.now += timedelta(minutes=minutes)

    # --- what people hear, and how they react --------------------------------------------------

    def _heard(self, calls: Sequence[RecordedCall]) -> None:
        """React to the bot's new messages (after an action or a delivery pass)."""
        posted = [c for c in calls if c.method == "chat.postMessage"]
        self._week_messages += len(posted)
        for delivered in self._delivered(posted):
            self.stage.remember(delivered.message)
            pair = self.pairs.get(delivered.pairing_id or 0)
            for rule in dict.fromkeys(delivered.rules):
                reaction = getattr(self, f"on_{rule}", None)
                if reaction is not None:
                    reaction(delivered, pair)

    def _delivered(self, posted: Sequence[RecordedCall]) -> list[Delivered]:
        """The outbox's messages among ``posted``, each with the prompts it carried (read from
        the outbox by the dedupe keys the message's metadata names)."""
        sent: list[tuple[RecordedCall, list[str]]] = []
        for call in posted:
            payload = (call.params.get("metadata") or {}).get("event_payload") or {}
            keys = [str(k) for k in payload.get("keys") or [payload.get("key")] if k]
            if keys:
                sent.append((call, keys))
        if not sent:
            return []
        with self.stage.deps.read() as session:
            rows = session.exec(
                select(Delivery).where(
                    col(Delivery.dedupe_key).in_([k for _, keys in sent for k in keys])
                )
            ).all()
        by_key = {row.dedupe_key: row for row in rows}
        found = []
        for call, keys in sent:
            carried = [by_key[k] for k in keys if k in by_key]
            ts = next((row.message_ts for row in carried if row.message_ts), None)
            if not carried or ts is None:
                continue
            blocks = call.params.get("blocks")
            message = Message(
                str(call.params.get("channel")),
                ts,
                tuple(blocks) if isinstance(blocks, list) else (),
                str(call.params.get("text", "")),
            )
            found.append(
                Delivered(
                    rules=tuple(row.rule for row in carried),
                    recipient=carried[0].recipient_id,
                    pairing_id=next((row.pairing_id for row in carried if row.pairing_id), None),
                    message=message,
                )
            )
        return found

    def _current(self, message: Message) -> Message:
        return self.stage.message(message.channel, message.ts)

    def _modal(self, step: Step, what: str) -> JSON:
        if step.modal is None:
            said = [
                str(c.params.get("text", ""))[:160]
                for c in step.calls
                if c.method in ("response_url", "chat.postEphemeral", "chat.postMessage")
            ]
            raise StageError(f"the bot opened no modal for {what}; it said {said}")
        return step.modal

    # --- week 1: the program is set up, people join, the lead matches --------------------------

    def _week_one(self) -> None:
        lead = LEAD.user_id
        program = cohort.PROGRAM
        self.at(local(LEAD, 1, 0, time(9, 5)), self._create_program)
        self.at(
            local(LEAD, 1, 0, time(9, 20)),
            lambda: self.stage.command(lead, f"program open {program}"),
        )
        announced = local(LEAD, 1, 0, time(9, 25))
        self.at(
            announced,
            lambda: self.stage.command(
                lead, f"program announce {program}", channel=cohort.COHORT_CHANNEL.channel_id
            ),
        )
        for index, member in enumerate((*cohort.MENTORS, *cohort.MENTEES)):
            day = 0 if member.role == "mentor" or index % 2 else 1
            moment = local(member, 1, day, time(11 + self.rng.randint(0, 4)))
            joins = self.later(member, max(moment, announced), 10, 50)
            self.at(joins, partial(self._join, member))
        self.at(
            local(LEAD, 1, 2, time(9, 45)),
            lambda: self.stage.command(lead, f"match {program}"),
        )

    def _create_program(self) -> None:
        step = self.stage.command(LEAD.user_id, "program new")
        view = self._modal(step, "the program form")
        self._pause(7)
        self.stage.submit(LEAD.user_id, view, dict(cohort.PROGRAM_FORM))

    def _join(self, member: Member) -> None:
        """The member clicks "Join as mentor" (or mentee) in the announcement and fills it in."""
        announcement = self._announcement()
        value = next(
            str(block["accessory"]["value"])
            for block in announcement.blocks
            if (block.get("accessory") or {}).get("action_id") == ActionId.JOIN
            and str(block["accessory"].get("value", "")).endswith(f":{member.role}")
        )
        step = self.stage.click(member.user_id, announcement, ActionId.JOIN, value=value)
        view = self._modal(step, f"{member.name}'s sign-up")
        self._pause(self.rng.randint(4, 9))
        self.stage.submit(member.user_id, view, join_answers(member))

    def _announcement(self) -> Message:
        if self.announcement is None:
            channel = cohort.COHORT_CHANNEL.channel_id
            found = [
                m for m in self.stage.messages(channel) if has_element(m.blocks, ActionId.JOIN)
            ]
            if not found:
                raise StageError("the program's announcement is not in #mentoring")
            self.announcement = found[-1]
        return self.announcement

    def _learn_pairs(self) -> None:
        """The pairs the lead approved, read once they are running."""
        stories = {story.mentee: story for story in cohort.STORIES}
        with self.stage.deps.read() as session:
            rows = session.exec(
                select(Pairing).where(col(Pairing.status) == PairingStatus.ACTIVE.value)
            ).all()
            for row in rows:
                if row.id is not None and row.id not in self.pairs:
                    self.pairs[row.id] = Pair(
                        pairing_id=row.id,
                        mentee=BY_ID[row.mentee_user_id],
                        mentor=BY_ID[row.mentor_user_id],
                        story=stories[row.mentee_user_id],
                    )

    # --- the lead ---------------------------------------------------------------------------------

    def on_match_proposals(self, delivered: Delivered, pair: Pair | None) -> None:
        """The lead reads the proposals, asks why for the first one, and approves them all."""
        lead = LEAD.user_id
        moment = self.later(LEAD, self.stage.clock.now, 3, 6)
        message = delivered.message
        self.at(moment, lambda: self.stage.click(lead, self._current(message), MATCH_WHY))

        def approve() -> None:
            self.stage.click(lead, self._current(message), ActionId.MATCH_APPROVE_ALL)
            self._learn_pairs()

        self.at(moment + timedelta(minutes=6), approve)

    def on_lapse_escalation(self, delivered: Delivered, pair: Pair | None) -> None:
        """Told a pair has lapsed, the lead sends both a note from her Home tab."""
        if pair is not None:
            moment = self.later(LEAD, self.stage.clock.now, 60, 180)
            self.at(moment, lambda: self._from_home(pair, FLAG_NUDGE, "lapsed"))

    def on_signal_escalation(self, delivered: Delivered, pair: Pair | None) -> None:
        """Told a pair's scores keep falling, the lead opens the pair's report."""
        if pair is not None:
            moment = self.later(LEAD, self.stage.clock.now, 60, 180)
            self.at(moment, lambda: self._from_home(pair, FLAG_REPORT, ""))

    def _from_home(self, pair: Pair, action_id: str, kind: str) -> None:
        self.stage.open_home(LEAD.user_id)
        home = self.stage.home(LEAD.user_id)
        if home is None:
            raise StageError("the lead's Home tab was never published")
        value = f"{pair.pairing_id}:{kind}" if kind else str(pair.pairing_id)
        element, _ = find_element(
            home.get("blocks", []),
            action_id,
            value=value,
            startswith=not kind,
        )
        self.stage.click(LEAD.user_id, home, action_id, value=str(element.get("value")))

    # --- a pair's sessions ------------------------------------------------------------------------

    def on_introduction(self, delivered: Delivered, pair: Pair | None) -> None:
        """The pair is introduced: the mentee books the first session, and what the story has
        them do later (goals, progress, a pause, an early graduation) is set for its day."""
        if pair is None:
            self._learn_pairs()
            pair = self.pairs.get(delivered.pairing_id or 0)
        if pair is None:
            return
        story, mentee = pair.story, pair.mentee
        first = min(story.meets)
        message = delivered.message
        booking = self.later(mentee, self.stage.clock.now, 20, 90)
        self.at(booking, lambda: self.book(pair, first, message))
        if story.goals:
            monday = local(mentee, first + 1, 0, time(11, 30))
            self.at(self.later(mentee, monday, 0, 120), lambda: self.propose_goals(pair))
        for week in sorted(story.progress_weeks):
            afternoon = local(mentee, week, story.weekday, time(15, 30))
            self.at(
                self.later(mentee, afternoon, 0, 60),
                partial(self.update_progress, pair, week),
            )
        if story.pause is not None:
            self.at(local(mentee, story.pause - 1, 4, time(15)), lambda: self.pause(pair))
        if story.graduates is not None and story.graduates < cohort.WEEKS:
            monday = local(mentee, story.graduates, 0, time(10, 30))
            self.at(monday, lambda: self.graduate_early(pair))

    def session_start(self, pair: Pair, week: int) -> datetime:
        """When the pair meets in ``week``: on the story's weekday, in the middle of the hours
        both work."""
        day = week_start(week) + timedelta(days=pair.story.weekday)
        return meeting_slot(pair.mentee, pair.mentor, day)

    def book(self, pair: Pair, week: int, shown: Message | None) -> None:
        """The mentee books the session of ``week`` (from a message's button, or by command)."""
        if pair.graduated or week in pair.booked:
            return
        mentee = pair.mentee
        if shown is not None and has_element(self._current(shown).blocks, ActionId.SCHEDULE_OPEN):
            step = self.stage.click(mentee.user_id, self._current(shown), ActionId.SCHEDULE_OPEN)
        else:
            step = self.stage.command(mentee.user_id, f"schedule <@{pair.mentor.user_id}>")
        view = self._modal(step, f"{mentee.name}'s booking")
        start = self.session_start(pair, week)
        at_home = start.astimezone(ZoneInfo(mentee.tz))
        self._pause(2)
        self.stage.submit(
            mentee.user_id,
            view,
            {
                BlockId.SESSION_DATE: at_home.date(),
                BlockId.SESSION_TIME: at_home.time(),
                BlockId.SESSION_LENGTH: str(SESSION_MINUTES),
            },
        )
        pair.booked[week] = start
        self._plan_at(start + timedelta(minutes=SESSION_MINUTES) + SCORECARD_AFTER)
        self._after_session(pair, week, start)

    def _after_session(self, pair: Pair, week: int, start: datetime) -> None:
        """What the pair does once the session of ``week`` is over: the mentee logs it (unless
        the story has them wait for "did you meet?"), and scores skills after the first."""
        end = start + timedelta(minutes=SESSION_MINUTES)
        story, mentee = pair.story, pair.mentee
        if week in story.cancelled or week in story.unlogged:
            return
        self.at(self.later(mentee, end, 15, 40), lambda: self.log(pair, week))
        if week == min(story.meets):
            self.at(self.later(mentee, end, 60, 120), lambda: self.score_skills(pair, mentee))

    def log(self, pair: Pair, week: int, step: Step | None = None) -> None:
        """The mentee logs the session: notes, the goals it served, an action item."""
        if pair.graduated:
            return
        mentee = pair.mentee
        step = step or self.stage.command(mentee.user_id, f"log <@{pair.mentor.user_id}>")
        view = self._modal(step, f"{mentee.name}'s session log")
        self._pause(3)
        answers: dict[str, Answer] = {
            BlockId.LOG_NOTES: session_notes(pair.story, week),
        }
        goals = options_of(view, BlockId.LOG_GOALS)
        if goals:
            answers[BlockId.LOG_GOALS] = goals
        following = pair.next_week(week)
        if following is not None and following in pair.story.meets:
            item = pick(pair.story.agenda, week + 1)
            answers[f"{BlockId.LOG_ACTION_TEXT_PREFIX}1"] = f"Prepare: {item}"[:200]
            due = self.session_start(pair, following).astimezone(ZoneInfo(mentee.tz)).date()
            answers[f"{BlockId.LOG_ACTION_DUE_PREFIX}1"] = due - timedelta(days=1)
        self.stage.submit(mentee.user_id, view, answers)

    def on_session_logged(self, delivered: Delivered, pair: Pair | None) -> None:
        """The mentor gives feedback; the mentee books the next session."""
        if pair is None:
            return
        week = week_of(self.stage.clock.now - timedelta(hours=12))
        message = delivered.message
        if delivered.recipient == pair.mentor.user_id:
            moment = self.later(pair.mentor, self.stage.clock.now, 45, 150)
            self.at(moment, lambda: self.give_feedback(pair, message, week))
            return
        following = pair.next_week(week)
        if following is None or following in pair.booked:
            return
        comeback = pair.story.comeback
        if comeback is not None and following >= comeback and comeback not in pair.booked:
            return  # the lapsing pair books again only when the lead's note reaches them
        moment = self.later(pair.mentee, self.stage.clock.now, 5, 30)
        self.at(moment, lambda: self.book(pair, following, message))

    def give_feedback(self, pair: Pair, message: Message, week: int) -> None:
        """The mentor's three-part feedback on the session."""
        mentor = pair.mentor
        step = self.stage.click(mentor.user_id, self._current(message), ActionId.FEEDBACK_OPEN)
        view = self._modal(step, f"{mentor.name}'s feedback")
        self._pause(5)
        feedback = mentor_feedback(pair.story, week, nudged=pair.nudged)
        self.stage.submit(
            mentor.user_id,
            view,
            {
                BlockId.FEEDBACK_WENT_WELL: feedback.went_well,
                BlockId.FEEDBACK_NEEDS_CHANGE: feedback.needs_change,
                BlockId.FEEDBACK_NEXT_ACTION: feedback.next_action,
            },
        )

    def on_scorecard(self, delivered: Delivered, pair: Pair | None) -> None:
        """The mentee rates the session: three taps."""
        if pair is None:
            return
        week = week_of(self.stage.clock.now - timedelta(hours=12))
        ratings = pair.story.ratings.get(week, pair.story.usual)
        message = delivered.message

        def rate() -> None:
            for dimension, score in zip(DIMENSIONS, ratings, strict=True):
                self.stage.click(
                    pair.mentee.user_id,
                    self._current(message),
                    rating_action_id(dimension, score),
                    say=f"rated “{LABELS[dimension]}” {score}/10",
                )

        self.at(self.later(pair.mentee, self.stage.clock.now, 5, 25), rate)

    def on_low_score_suggestion(self, delivered: Delivered, pair: Pair | None) -> None:
        """The mentee takes the bot's suggestion once (the low score goes on the agenda)."""
        if pair is None:
            return
        first = pair.low_score_answers == 0
        pair.low_score_answers += 1
        action = ActionId.SCORECARD_RAISE if first else ActionId.SCORECARD_NOT_NOW
        message = delivered.message

        def answer() -> None:
            current = self._current(message)
            if has_element(current.blocks, action):
                self.stage.click(pair.mentee.user_id, current, action)

        self.at(self.later(pair.mentee, self.stage.clock.now, 2, 10), answer)

    def on_agenda_prompt(self, delivered: Delivered, pair: Pair | None) -> None:
        """The mentee writes the agenda, and ticks off the actions they did."""
        if pair is None:
            return
        message = delivered.message
        week = week_of(self.stage.clock.now + timedelta(days=1))

        def write() -> None:
            if pair.graduated:
                return
            step = self.stage.click(
                pair.mentee.user_id, self._current(message), ActionId.AGENDA_OPEN
            )
            view = self._modal(step, f"{pair.mentee.name}'s agenda")
            self._pause(4)
            items = [pick(pair.story.agenda, week + offset) for offset in (0, 1)]
            answers: dict[str, Answer] = {BlockId.AGENDA_NEW: "\n".join(dict.fromkeys(items))}
            for block in view.get("blocks", []):
                block_id = str(block.get("block_id", ""))
                if block_id.startswith(BlockId.AGENDA_DONE_PREFIX):
                    answers[block_id] = [str(o["value"]) for o in block["element"]["options"]]
            self.stage.submit(pair.mentee.user_id, view, answers)

        self.at(self.later(pair.mentee, self.stage.clock.now, 20, 60), write)

    def on_did_you_meet(self, delivered: Delivered, pair: Pair | None) -> None:
        """The mentee answers: we met (and logs it there and then), or it was cancelled."""
        if pair is None or delivered.recipient != pair.mentee.user_id:
            return
        message = delivered.message
        week = week_of(self.stage.clock.now - timedelta(days=1))
        cancelled = week in pair.story.cancelled
        action = ActionId.MEETING_CANCELLED if cancelled else ActionId.MEETING_HELD

        def answer() -> None:
            step = self.stage.click(pair.mentee.user_id, self._current(message), action)
            if not cancelled:
                self.log(pair, week, step)

        self.at(self.later(pair.mentee, self.stage.clock.now, 10, 45), answer)

    def pause(self, pair: Pair) -> None:
        """The mentee takes a week off; they're back by themselves."""
        mentee = pair.mentee
        step = self.stage.command(mentee.user_id, f"pause {cohort.PROGRAM}")
        view = self._modal(step, f"{mentee.name}'s pause")
        back = week_start((pair.story.pause or 0) + 1)
        self.stage.submit(mentee.user_id, view, {BlockId.PAUSE_UNTIL: back})

    def on_lead_nudge(self, delivered: Delivered, pair: Pair | None) -> None:
        """The lead's note brings the lapsed pair back: the mentee books again."""
        if pair is None or delivered.recipient != pair.mentee.user_id:
            return
        comeback = pair.story.comeback
        if comeback is not None and comeback not in pair.booked:
            message = delivered.message
            moment = self.later(pair.mentee, self.stage.clock.now, 30, 90)
            self.at(moment, lambda: self.book(pair, comeback, message))

    def on_signal_nudge(self, delivered: Delivered, pair: Pair | None) -> None:
        """A mentor the bot nudged takes it to heart: their feedback gets specific."""
        if pair is not None and delivered.recipient == pair.mentor.user_id:
            pair.nudged = True

    # --- goals and skills -------------------------------------------------------------------------

    def propose_goals(self, pair: Pair) -> None:
        """The mentee writes the pair's goals, with dated milestones."""
        mentee = pair.mentee
        step = self.stage.command(mentee.user_id, f"goals <@{pair.mentor.user_id}>")
        overview_id = str(self._modal(step, f"{mentee.name}'s goals")["id"])
        for plan in pair.story.goals:
            step = self.stage.click(mentee.user_id, self.stage.view(overview_id), ActionId.GOAL_ADD)
            form = self._modal(step, f"{mentee.name}'s goal")
            self._pause(6)
            answers: dict[str, Answer] = {
                BlockId.GOAL_STATEMENT: plan.statement,
                BlockId.GOAL_SUCCESS: plan.success,
                BlockId.GOAL_DUE: friday(plan.due_week),
            }
            for row, (title, due_week) in enumerate(plan.milestones, start=1):
                answers[f"{BlockId.GOAL_MILESTONE_TITLE_PREFIX}{row}"] = title
                answers[f"{BlockId.GOAL_MILESTONE_DUE_PREFIX}{row}"] = friday(due_week)
            self.stage.submit(mentee.user_id, form, answers)

    def on_goal_agreement(self, delivered: Delivered, pair: Pair | None) -> None:
        """The mentor agrees to the goal the mentee proposed."""
        if pair is None:
            return
        message = delivered.message
        self.at(
            self.later(pair.mentor, self.stage.clock.now, 30, 120),
            lambda: self.stage.click(
                pair.mentor.user_id, self._current(message), ActionId.GOAL_AGREE
            ),
        )

    def update_progress(self, pair: Pair, week: int) -> None:
        """The mentee says how the first goal is going (done, in the story's last such week)."""
        if pair.graduated:
            return
        mentee = pair.mentee
        step = self.stage.command(mentee.user_id, f"goals <@{pair.mentor.user_id}>")
        overview = self._modal(step, f"{mentee.name}'s goals")
        if not has_element(overview.get("blocks", []), ActionId.GOAL_UPDATE_PROGRESS):
            return
        step = self.stage.click(mentee.user_id, overview, ActionId.GOAL_UPDATE_PROGRESS)
        form = self._modal(step, f"{mentee.name}'s progress")
        done = week >= max(pair.story.progress_weeks)
        self._pause(2)
        self.stage.submit(
            mentee.user_id,
            form,
            {
                BlockId.GOAL_PROGRESS_STATUS: "done" if done else "on_track",
                BlockId.GOAL_PROGRESS_NOTE: progress_note(pair.story, week, done=done),
            },
        )

    def score_skills(self, pair: Pair, member: Member) -> None:
        """The person scores the skill matrix (by command)."""
        step = self.stage.command(member.user_id, f"skills <@{pair.partner(member).user_id}>")
        self._fill_skills(pair, member, self._modal(step, f"{member.name}'s skill scores"))

    def _fill_skills(self, pair: Pair, member: Member, view: JSON) -> None:
        if has_element(view.get("blocks", []), ActionId.SKILLS_REASSESS):
            # The last round is closed: its comparison shows, with a button for the next one.
            step = self.stage.click(member.user_id, view, ActionId.SKILLS_REASSESS)
            view = self._modal(step, f"{member.name}'s new round of skill scores")
        self._pause(3)
        later_round = week_of(self.stage.clock.now) > 6
        self.stage.submit(
            member.user_id,
            view,
            skill_scores(pair.mentee, by_mentor=member is pair.mentor, later_round=later_round),
        )

    def on_skills_prompt(self, delivered: Delivered, pair: Pair | None) -> None:
        """The partner scores the skill matrix too, from the prompt's button."""
        member = pair.member(delivered.recipient) if pair else None
        if pair is None or member is None:
            return
        message = delivered.message

        def score() -> None:
            step = self.stage.click(member.user_id, self._current(message), ActionId.SKILLS_OPEN)
            self._fill_skills(pair, member, self._modal(step, f"{member.name}'s skill scores"))

        self.at(self.later(member, self.stage.clock.now, 30, 180), score)

    def on_skills_comparison(self, delivered: Delivered, pair: Pair | None) -> None:
        """The mentee puts the widest skill gaps on the next agenda."""
        if pair is None or delivered.recipient != pair.mentee.user_id:
            return
        message = delivered.message

        def to_agenda() -> None:
            current = self._current(message)
            if has_element(current.blocks, ActionId.SKILLS_GAPS_TO_AGENDA):
                self.stage.click(pair.mentee.user_id, current, ActionId.SKILLS_GAPS_TO_AGENDA)

        self.at(self.later(pair.mentee, self.stage.clock.now, 10, 60), to_agenda)

    def on_skill_reassessment(self, delivered: Delivered, pair: Pair | None) -> None:
        """Six weeks on: both score the skill matrix again."""
        member = pair.member(delivered.recipient) if pair else None
        if pair is None or member is None:
            return
        message = delivered.message

        def score() -> None:
            current = self._current(message)
            step = self.stage.click(member.user_id, current, ActionId.SKILLS_OPEN)
            self._fill_skills(pair, member, self._modal(step, f"{member.name}'s skill scores"))

        self.at(self.later(member, self.stage.clock.now, 30, 200), score)

    # --- surveys and graduation -------------------------------------------------------------------

    def on_midpoint_survey(self, delivered: Delivered, pair: Pair | None) -> None:
        """Both answer the midpoint survey (Ana's pair, in its bad patch, less happily)."""
        self._surveys(delivered, pair)

    def _surveys(self, delivered: Delivered, pair: Pair | None) -> None:
        member = pair.member(delivered.recipient) if pair else None
        if pair is None or member is None:
            return
        message = delivered.message
        happy = pair.happy(week_of(self.stage.clock.now))

        def answer() -> None:
            current = self._current(message)
            for element in buttons(current.blocks):
                action = str(element.get("action_id", ""))
                if action.startswith(ActionId.SURVEY_OPEN):
                    value = str(element.get("value"))
                    step = self.stage.click(member.user_id, current, action, value=value)
                    self.answer_survey(member, step, happy=happy)

        self.at(self.later(member, self.stage.clock.now, 30, 200), answer)

    def answer_survey(self, member: Member, step: Step, *, happy: bool) -> None:
        """The person answers a survey (midpoint, final reflection, independence audit)."""
        view = self._modal(step, f"{member.name}'s survey")
        self._pause(4)
        answers: dict[str, Answer] = {}
        for block in view.get("blocks", []):
            block_id = str(block.get("block_id", ""))
            if block.get("type") != "input" or not block_id.startswith(BlockId.SURVEY_PREFIX):
                continue
            element = block["element"]
            if element.get("options"):
                answers[block_id] = best_option(element, low=not happy)
            else:
                answers[block_id] = SURVEY_WORDS[happy]
        self.stage.submit(member.user_id, view, answers)

    def on_graduation_prompt(self, delivered: Delivered, pair: Pair | None) -> None:
        """Two weeks before the end: a pair whose story ends now graduates after its last
        session, then both answer the closing surveys."""
        member = pair.member(delivered.recipient) if pair else None
        if pair is None or member is None or pair.story.graduates != cohort.WEEKS:
            return
        message = delivered.message
        after = max(self.stage.clock.now, pair.last_session_end() or self.stage.clock.now)
        self.at(self.later(member, after, 60, 180), lambda: self._close(pair, member, message))

    def on_graduation_request(self, delivered: Delivered, pair: Pair | None) -> None:
        """The partner graduated their side: the other adds theirs."""
        member = pair.member(delivered.recipient) if pair else None
        if pair is None or member is None:
            return
        message = delivered.message
        self.at(
            self.later(member, self.stage.clock.now, 30, 120),
            lambda: self._close(pair, member, message),
        )

    def _close(self, pair: Pair, member: Member, message: Message) -> None:
        """The person adds their graduation part (once), then answers the closing surveys the
        message offers (the final reflection, the independence audit) that they haven't yet."""
        current = self._current(message)
        if member.user_id not in pair.graduation_parts:
            step = self.stage.click(member.user_id, current, ActionId.GRADUATION_OPEN)
            self.graduate(pair, member, step)
        for element in buttons(current.blocks):
            action, value = str(element.get("action_id", "")), str(element.get("value"))
            if action.startswith(ActionId.SURVEY_OPEN) and (member, value) not in pair.surveyed:
                step = self.stage.click(member.user_id, current, action, value=value)
                self.answer_survey(member, step, happy=True)
                pair.surveyed.add((member, value))

    def graduate_early(self, pair: Pair) -> None:
        """The mentee's goals are met: they start their graduation themselves."""
        step = self.stage.command(pair.mentee.user_id, f"graduate <@{pair.mentor.user_id}>")
        self.graduate(pair, pair.mentee, step)

    def graduate(self, pair: Pair, member: Member, step: Step) -> None:
        """The person adds their part of the graduation: goals reviewed, what comes next, and
        a celebration in #mentoring."""
        view = self._modal(step, f"{member.name}'s graduation")
        self._pause(5)
        answers: dict[str, Answer] = {}
        for block in view.get("blocks", []):
            block_id = str(block.get("block_id", ""))
            if block_id.startswith(BlockId.GRADUATION_GOAL_PREFIX):
                answers[block_id] = best_option(block["element"], prefer=("achieved",))
            elif block_id.startswith(BlockId.GRADUATION_NOTE_PREFIX):
                answers[block_id] = GRADUATION_NOTE
        answers[BlockId.GRADUATION_AFTER] = best_option(
            element_of(view, BlockId.GRADUATION_AFTER), prefer=("peers", "peer_advisors")
        )
        answers[BlockId.GRADUATION_CHANNEL] = cohort.COHORT_CHANNEL.channel_id
        self.stage.submit(member.user_id, view, answers)
        pair.graduation_parts.add(member.user_id)


def people_with_roles(pairs: Sequence[Pair]) -> list[PersonInTranscript]:
    """The cohort as the transcript introduces it, each mentor with the mentees they got."""
    mentees: dict[str, list[str]] = {}
    for pair in pairs:
        mentees.setdefault(pair.mentor.user_id, []).append(pair.mentee.first_name)
    people = []
    for member in cohort.EVERYONE:
        person = member.as_person()
        if member.role == "mentor":
            names = mentees.get(member.user_id, [])
            story = f"Mentors {' and '.join(names)}." if names else "Not matched this round."
            person = replace(person, story=story)
        people.append(person)
    return people


# --- one run ---------------------------------------------------------------------------------


@dataclass
class Result:
    """What a run produced: the transcript, and what went wrong (nothing, normally)."""

    transcript: Transcript
    problems: list[str]
    requests: int
    database: Path


def play(out_dir: Path, *, seed: int = 2026, progress: Progress | None = None) -> Result:
    """Play the cohort's twelve weeks against the Slack double; the bot's database goes in
    ``out_dir``, the only place anything is written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    clock = SimulatedClock(datetime.combine(cohort.START, time(0), tzinfo=UTC))
    transcript = Transcript(
        title=TITLE,
        start=clock.now,
        end=clock.now,
        people=tuple(member.as_person() for member in cohort.EVERYONE),
    )
    people = [
        Person(m.user_id, m.handle, m.name, m.tz, m.email, is_admin=m is LEAD)
        for m in cohort.EVERYONE
    ]
    with Stage(
        out_dir, clock=clock, people=people, channels=cohort.CHANNELS, transcript=transcript
    ) as stage:
        player = Player(stage, seed=seed, progress=progress)
        player.run()
        transcript.end = player.end
        pairs = sorted(player.pairs.values(), key=lambda p: cohort.MENTEES.index(p.mentee))
        transcript.people = tuple(people_with_roles(pairs))
        transcript.summary = summarise(stage, pairs, transcript)
        problems = list(stage.problems.lines) + [
            f"{p.at:%a %d %b %H:%M}: Slack refused {p.method}: {p.error}"
            for p in stage.capture.problems
        ]
        return Result(transcript, problems, stage.requests, out_dir / DATABASE_FILE)


__all__ = ["Progress", "Result", "WeekStats", "play"]
