"""What happened in a demo run, in a few lines, read from the database the bot wrote.

Every number comes from the bot's own records (sessions held, goals, scorecards, the outbox's
sent messages, red flags), so the summary says what the bot did, not what the script meant.
"""

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from bot.demo import cohort
from bot.demo.cohort import LEAD, Member
from bot.demo.transcript import Transcript
from storage.enums import DeliveryStatus, FlagKind, GoalProgress, GoalStatus, MeetingStatus, Role
from storage.models import Delivery, Flag, Goal, Meeting, Pairing, Participant, Scorecard

if TYPE_CHECKING:
    from bot.demo.stage import Stage


class Matched(Protocol):
    """What the summary reads of a pair the lead approved (the player's ``Pair``)."""

    @property
    def pairing_id(self) -> int: ...

    @property
    def mentee(self) -> Member: ...

    @property
    def mentor(self) -> Member: ...


@dataclass(frozen=True)
class PairRecord:
    """One pair as the bot recorded it."""

    held: int
    minutes: int
    agreed: int
    done: int
    # Each completed scorecard's average, by the session's start.
    scores: tuple[tuple[datetime, float], ...]
    status: str
    ended: datetime | None


def day(moment: datetime | None, member: Member = LEAD) -> str:
    """``moment`` as a day in ``member``'s calendar: "Tue 14 Apr"."""
    if moment is None:
        return "never"
    local = moment.astimezone(ZoneInfo(member.tz))
    return f"{local:%a} {local.day} {local:%b}"


def week(moment: datetime) -> int:
    """The program week of ``moment``."""
    local = moment.astimezone(ZoneInfo(LEAD.tz)).date()
    return (local - cohort.START).days // 7 + 1


def summarise(stage: "Stage", pairs: Sequence[Matched], transcript: Transcript) -> list[str]:
    """The setup, a line per pair, what the bot raised and with whom, and the totals."""
    with stage.deps.read() as session:
        records = {pair.pairing_id: _record(session, pair.pairing_id) for pair in pairs}
        sent = _sent(session)
        flags = list(session.exec(select(Flag).order_by(col(Flag.raised_at))))
        joined = Counter(session.exec(select(Participant.role)).all())
    lines = [_setup(joined, pairs, sent)]
    lines += [_pair_line(pair, records[pair.pairing_id]) for pair in pairs]
    for pair in pairs:
        record = records[pair.pairing_id]
        lines += _lapse_lines(pair, record, sent, flags)
        lines += _score_lines(pair, record, sent, flags)
        lines += _pause_lines(pair, sent)
    lines.append(_digests(sent, transcript))
    lines.append(_totals(transcript, stage.requests))
    return lines


def _record(session: Session, pairing_id: int) -> PairRecord:
    pairing = session.get(Pairing, pairing_id)
    meetings = session.exec(
        select(Meeting).where(
            Meeting.pairing_id == pairing_id, col(Meeting.status) == MeetingStatus.HELD.value
        )
    ).all()
    goals = session.exec(select(Goal).where(Goal.pairing_id == pairing_id)).all()
    starts = {m.id: m.scheduled_start or m.held_at for m in meetings}
    cards = session.exec(
        select(Scorecard).where(
            Scorecard.pairing_id == pairing_id, col(Scorecard.completed_at).is_not(None)
        )
    ).all()
    scores = sorted(
        (start, ((card.clarity or 0) + (card.energy or 0) + (card.confidence or 0)) / 3)
        for card in cards
        if (start := starts.get(card.meeting_id)) is not None
    )
    return PairRecord(
        held=len(meetings),
        minutes=sum(m.minutes_held or 0 for m in meetings),
        agreed=sum(1 for g in goals if g.status is GoalStatus.AGREED),
        done=sum(1 for g in goals if g.progress is GoalProgress.DONE),
        scores=tuple(scores),
        status=pairing.status.value if pairing else "gone",
        ended=pairing.ended_at if pairing else None,
    )


def _sent(session: Session) -> dict[str, list[Delivery]]:
    """Every message the outbox sent, by rule, oldest first."""
    rows = session.exec(
        select(Delivery)
        .where(col(Delivery.status) == DeliveryStatus.SENT.value)
        .order_by(col(Delivery.sent_at), col(Delivery.id))
    ).all()
    by_rule: dict[str, list[Delivery]] = defaultdict(list)
    for row in rows:
        by_rule[row.rule].append(row)
    return by_rule


def _setup(joined: Counter[str], pairs: Sequence[Matched], sent: dict[str, list[Delivery]]) -> str:
    introduced = sent.get("introduction", [])
    created = sent.get("program_created", [])
    return (
        f"{LEAD.name} set up {cohort.PROGRAM} on {day(created[0].sent_at if created else None)}; "
        f"{joined.get(Role.MENTOR, 0)} mentors and {joined.get(Role.MENTEE, 0)} mentees joined "
        f"from the announcement in #{cohort.COHORT_CHANNEL.name}, and {len(pairs)} pairs were "
        f"matched and introduced on {day(introduced[0].sent_at if introduced else None)}."
    )


def _pair_line(pair: Matched, record: PairRecord) -> str:
    hours = record.minutes / 60
    average = sum(s for _, s in record.scores) / len(record.scores) if record.scores else None
    rated = f", scorecards {average:.1f}/10 on average" if average is not None else ""
    if record.status == "graduated" and record.ended and week(record.ended) < cohort.WEEKS:
        end = f"graduated early, on {day(record.ended)}"
    elif record.status == "graduated":
        end = f"graduated on {day(record.ended)}"
    else:
        end = f"still meeting ({record.status})"
    return (
        f"{pair.mentee.name} & {pair.mentor.name}: {count(record.held, 'session')} held "
        f"({hours:.1f} h), {count(record.agreed, 'goal')} agreed, {record.done} done{rated}; "
        f"{end}."
    )


def count(number: int, noun: str) -> str:
    """ "1 goal", "2 goals"."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _for(rows: list[Delivery], pair: Matched, user_id: str | None = None) -> list[Delivery]:
    return [
        r
        for r in rows
        if r.pairing_id == pair.pairing_id and (user_id is None or r.recipient_id == user_id)
    ]


def _lapse_lines(
    pair: Matched, record: PairRecord, sent: dict[str, list[Delivery]], flags: list[Flag]
) -> list[str]:
    nudges = _for(sent.get("lapse_nudge", []), pair)
    if not nudges:
        return []
    told = _for(sent.get("lapse_escalation", []), pair)
    noted = _for(sent.get("lead_nudge", []), pair, pair.mentee.user_id)
    later = [start for start, _ in record.scores if start > (nudges[0].sent_at or start)]
    parts = [
        f"Lapse: {pair.mentee.first_name} and {pair.mentor.first_name} stopped meeting; the bot "
        f"nudged them on {day(nudges[0].sent_at)}"
    ]
    if told:
        parts.append(f"told the leads on {day(told[0].sent_at)}")
    if noted:
        parts.append(
            f"{LEAD.first_name} sent them a note from her Home tab on {day(noted[0].sent_at)}"
        )
    parts.append(f"they met again on {day(later[0])}" if later else "they have not met since")
    return [", ".join(parts) + "."]


def _score_lines(
    pair: Matched, record: PairRecord, sent: dict[str, list[Delivery]], flags: list[Flag]
) -> list[str]:
    low = [f for f in flags if f.pairing_id == pair.pairing_id and f.kind is FlagKind.LOW_SCORECARD]
    if not low or not record.scores:
        return []
    flag = low[0]
    first, worst, last = record.scores[0], min(record.scores, key=lambda s: s[1]), record.scores[-1]
    line = (
        f"Falling scorecards: {pair.mentee.first_name}'s ratings went from {first[1]:.1f} "
        f"(week {week(first[0])}) to {worst[1]:.1f} (week {week(worst[0])}); the bot raised it "
        f"with {pair.mentor.first_name} on {day(flag.raised_at)}"
    )
    if flag.escalated_at is not None:
        line += f" and with the leads on {day(flag.escalated_at)}"
    if flag.resolved_at is not None:
        line += f"; back to {last[1]:.1f} by week {week(last[0])}, cleared {day(flag.resolved_at)}"
    feedback = [
        f for f in flags if f.pairing_id == pair.pairing_id and f.kind is FlagKind.AVOIDED_FEEDBACK
    ]
    if feedback:
        line += (
            f". Earlier, {pair.mentor.first_name} had been nudged on "
            f"{day(feedback[0].raised_at)} to name what should change after each session"
        )
    return [line + "."]


def _pause_lines(pair: Matched, sent: dict[str, list[Delivery]]) -> list[str]:
    mentee = pair.mentee.user_id
    paused = [r for r in sent.get("enrolment_paused", []) if r.recipient_id == mentee]
    back = [r for r in sent.get("pause_ended", []) if r.recipient_id == mentee]
    if not paused:
        return []
    line = (
        f"Pause: {pair.mentee.first_name} took a break from {day(paused[0].sent_at)}; "
        f"{pair.mentor.first_name} was told"
    )
    if back:
        line += f", and the pause ended by itself on {day(back[0].sent_at)}"
    return [line + "."]


def _digests(sent: dict[str, list[Delivery]], transcript: Transcript) -> str:
    digests = sent.get("weekly_digest", [])
    charts = sum(
        len(e.images) for e in transcript.entries if e.where == f"#{cohort.LEADS_CHANNEL.name}"
    )
    return (
        f"Digests: {len(digests)} posted to #{cohort.LEADS_CHANNEL.name} on Monday mornings, "
        f"{charts} with their chart."
    )


def _totals(transcript: Transcript, requests: int) -> str:
    counts = Counter(e.surface for e in transcript.entries)
    messages = counts["dm"] + counts["group_dm"] + counts["channel"]
    return (
        f"In all: {messages} messages, {counts['modal']} modals, {counts['home']} Home tabs and "
        f"{counts['ephemeral']} private replies from the bot, answering {requests} signed "
        "requests."
    )
