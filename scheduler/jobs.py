"""Scheduled jobs. Each opens its own unit of work and calls services; a failure is logged and
rolled back, and the next run starts fresh."""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, or_, text, update
from sqlmodel import Session, col, select

from bot.deps import Deps
from bot.directory import CACHE_TTL
from bot.errors import UserError
from bot.gateway import SlackCallError
from bot.services.enrolment import Notification, local_today, resume_due
from bot.services.events import prune_events
from bot.services.leads import program_lead_ids
from bot.services.outside_feedback import expire_requests
from bot.services.pair_state import PairingPauseChange, resume_due_pairings
from bot.services.privacy import due_for_purge, purge_program_words
from bot.services.programs import RuleSettings, start_if_due
from bot.services.signals import NUDGED, Signal, SignalKind, detect_signals, lead_reason
from bot.services.workspaces import due_for_purge as workspaces_past_retention
from bot.services.workspaces import (
    inactive_team_ids,
    is_installed,
    purge_workspace,
    uninstalled_teams,
)
from bot.views.enrolment import build_notification
from bot.views.outside_feedback import build_expired_dm
from bot.views.pair_state import build_partner_pairing_paused
from bot.views.prompts import build_program_started, build_signal_escalation, build_signal_nudge
from scheduler import outbox
from scheduler.outbox import Planned
from scheduler.rules import working_hours
from scheduler.timing import WorkingHours, next_working_moment
from storage.db import refresh_statistics
from storage.enums import (
    DeliveryStatus,
    FlagKind,
    PairingStatus,
    ParticipantStatus,
    ProgramStatus,
    Role,
)
from storage.models import Delivery, Flag, Pairing, Participant, Program, SlackUser

log = logging.getLogger(__name__)


def prune_processed_events(deps: Deps) -> None:
    """Forget Slack event ids old enough that Slack can no longer redeliver them."""
    with deps.session() as session:
        removed = prune_events(session=session, now=deps.now())
    if removed:
        log.info("pruned processed event ids", extra={"removed": removed})


def refresh_database_statistics(deps: Deps) -> None:
    """Keep SQLite's planner statistics current as the data grows (PostgreSQL's autovacuum does
    its own): at start, then every few hours."""
    started = time.perf_counter()
    refresh_statistics(deps.engine)
    log.debug("database statistics refreshed", extra={"seconds": time.perf_counter() - started})


def resume_paused_participants(deps: Deps) -> None:
    """Bring back everyone whose pause has ended; the welcome-backs go through the outbox.

    Resuming and enqueueing share one unit of work: a crash loses neither, and the outbox's
    dedupe keys mean no one is welcomed back twice.
    """
    now = deps.now()
    with deps.session() as session:
        notifications = resume_due(session=session, now=now)
        planned = [
            Planned(
                team_id=program.team_id,
                dedupe_key=(
                    f"resume:{n.program_id}:{n.about_user_id}:{n.recipient_id}:{n.kind.value}:"
                    f"{n.until or now.date()}"
                ),
                rule="pause_ended",
                recipient_id=n.recipient_id,
                payload=build_notification(n),
                # Welcome-backs wait for the person's working hours, like every prompt.
                due_at=next_working_moment(hours, now) or now,
                program_id=n.program_id,
            )
            for n, program, hours in _addressed(session, notifications)
        ]
        planned += _pairings_back(session, resume_due_pairings(session=session, now=now), now)
        enqueued = outbox.enqueue(session, _installed_only(session, planned), now=now)
    if enqueued:
        log.info("resumed paused participants", extra={"notified": enqueued})


def _pairings_back(
    session: Session, changes: list[PairingPauseChange], now: datetime
) -> list[Planned]:
    """Tell both people that a pairing paused on its own runs again."""
    planned = []
    for change in changes:
        pairing = session.get(Pairing, change.pairing_id)
        if pairing is None:
            continue
        for user_id in (change.mentor_user_id, change.mentee_user_id):
            planned.append(
                Planned(
                    team_id=pairing.team_id,
                    dedupe_key=f"pairing_resumed:{change.pairing_id}:{user_id}:{now.date()}",
                    rule="pause_ended",
                    recipient_id=user_id,
                    payload=build_partner_pairing_paused(change, recipient=user_id),
                    due_at=now,
                    program_id=pairing.program_id,
                    pairing_id=change.pairing_id,
                )
            )
    return planned


def _addressed(
    session: Session, notifications: list[Notification]
) -> list[tuple[Notification, Program, WorkingHours]]:
    """Each notification with its program and its recipient's working hours (two queries)."""
    if not notifications:
        return []
    program_ids = {n.program_id for n in notifications}
    programs = {
        p.id: p for p in session.exec(select(Program).where(col(Program.id).in_(program_ids)))
    }
    people = {
        (p.program_id, p.user_id): working_hours(p)
        for p in session.exec(
            select(Participant).where(
                col(Participant.program_id).in_(program_ids),
                col(Participant.user_id).in_({n.recipient_id for n in notifications}),
            )
        )
    }
    return [
        (n, programs[n.program_id], people.get((n.program_id, n.recipient_id), WorkingHours()))
        for n in dict.fromkeys(notifications)
    ]


def _installed_only(session: Session, planned: list[Planned]) -> list[Planned]:
    """The messages for workspaces that still have the bot (one small query, when any)."""
    if not planned:
        return planned
    gone = inactive_team_ids(session)
    return [p for p in planned if p.team_id not in gone] if gone else planned


TIMEZONE_REFRESH_BATCH = 100


def refresh_timezones(deps: Deps) -> None:
    """Keep participants' timezones in step with Slack (people travel and move).

    Asks ``users.info`` only for people whose cached record is a day old, a batch per run, so
    the prompts follow a move within a day without spending the method's rate limit.
    """
    now = deps.now()
    with deps.session() as session:
        stale = session.exec(
            select(Participant.team_id, Participant.user_id)
            .join(Program, col(Program.id) == col(Participant.program_id))
            .outerjoin(
                SlackUser,
                (col(SlackUser.team_id) == col(Participant.team_id))
                & (col(SlackUser.user_id) == col(Participant.user_id)),
            )
            .where(
                col(Program.status).in_(
                    [ProgramStatus.ENROLLING.value, ProgramStatus.ACTIVE.value]
                ),
                col(Participant.status) != ParticipantStatus.LEFT.value,
                # An uninstalled workspace's token is gone: nobody there can be asked about.
                col(Participant.team_id).not_in(uninstalled_teams()),
                or_(col(SlackUser.id).is_(None), col(SlackUser.refreshed_at) < now - CACHE_TTL),
            )
            .distinct()
            .limit(TIMEZONE_REFRESH_BATCH)
        ).all()
    moved = 0
    for team_id, user_id in stale:
        try:
            # Slack is asked outside the unit of work: a slow answer must not hold the database.
            tz = deps.directory.person(team_id=team_id, user_id=user_id).tz
        except (UserError, SlackCallError) as exc:
            log.info("timezone not refreshed", extra={"user_id": user_id, "error": str(exc)})
            continue
        with deps.session() as session:
            moved += _set_timezone(session, team_id=team_id, user_id=user_id, tz=tz)
    if moved:
        log.info("timezones refreshed", extra={"changed": moved})


def _set_timezone(session: Session, *, team_id: str, user_id: str, tz: str) -> int:
    result = session.execute(
        update(Participant)
        .where(
            col(Participant.team_id) == team_id,
            col(Participant.user_id) == user_id,
            col(Participant.timezone) != tz,
        )
        .values(timezone=tz)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def expire_outside_feedback(deps: Deps) -> None:
    """Close outside-feedback requests unanswered for 14 days; each mentee hears via the outbox.

    Expiring and enqueueing share one unit of work, and the dedupe key names the request, so a
    crash or a second process never loses or doubles the notice.
    """
    now = deps.now()
    with deps.session() as session:
        expired = expire_requests(session, now=now)
        planned = [
            Planned(
                team_id=r.team_id,
                dedupe_key=f"outside_feedback_expired:{r.id}",
                rule="outside_feedback_expired",
                recipient_id=r.requester_user_id,
                payload=build_expired_dm(r),
                due_at=now,
                program_id=r.program_id or None,
                pairing_id=r.pairing_id,
            )
            for r in expired
        ]
        enqueued = outbox.enqueue(session, _installed_only(session, planned), now=now)
    if expired:
        log.info("outside feedback expired", extra={"expired": len(expired), "told": enqueued})


def start_due_programs(deps: Deps) -> None:
    """Start every enrolling program whose start date has come (in its timezone) and that has a
    running pair, and tell its leads through the outbox.

    A lead must never be left with a program that was matched but never started: its pairs
    would get no prompts and its digest would never come. Starting and telling share one unit of
    work, and the key names the program, so each lead hears once.
    """
    now = deps.now()
    running = exists().where(
        col(Pairing.program_id) == col(Program.id),
        col(Pairing.status) == PairingStatus.ACTIVE.value,
    )
    with deps.session() as session:
        candidates = session.exec(
            select(Program).where(
                col(Program.status) == ProgramStatus.ENROLLING.value,
                # A day ahead of UTC's date: the program's own timezone decides below.
                col(Program.start_date) <= (now + timedelta(days=1)).date(),
                running,
                col(Program.team_id).not_in(uninstalled_teams()),
            )
        ).all()
        planned = []
        for program in candidates:
            today = local_today(program.timezone, now)
            if not start_if_due(session=session, program=program, today=today, now=now):
                continue
            pairs = session.exec(
                select(func.count()).where(
                    col(Pairing.program_id) == program.id,
                    col(Pairing.status) == PairingStatus.ACTIVE.value,
                )
            ).one()
            payload = build_program_started(
                program_name=program.name, start=program.start_date, today=today, pairs=int(pairs)
            )
            planned += [
                Planned(
                    team_id=program.team_id,
                    dedupe_key=f"program_started:{program.id}:{lead}",
                    rule="program_started",
                    recipient_id=lead,
                    payload=payload,
                    due_at=now,
                    program_id=program.id,
                )
                for lead in program_lead_ids(session, program=program)
            ]
        told = outbox.enqueue(session, planned, now=now)
    if planned:
        log.info("programs started on their start date", extra={"told": told})


# --- failure modes: the pair first, the leads next -----------------------------------------------

NUDGE_RULE = "signal_nudge"
ESCALATION_RULE = "signal_escalation"
# A nudge not delivered within a week (the person was away) has lost its moment.
NUDGE_LIFETIME = timedelta(days=7)
# Flags this job keeps: ``signal:<kind>:<pairing id>:<epoch seconds raised>``.
FLAG_PREFIX = "signal:"
SIGNAL_FLAG_KINDS = [kind.flag_kind for kind in SignalKind]
# On PostgreSQL one copy of the bot reconciles a program at a time ("mbsg").
PG_SIGNALS_LOCK = 0x6D627367


@dataclass(frozen=True, slots=True)
class _Episode:
    """One stretch of time a signal holds: its key, and when the pair was first nudged."""

    signal: Signal
    key: str
    nudged_at: datetime | None


def raise_signals(deps: Deps) -> None:
    """Raise each failure mode of a running pair with the person who can fix it, then, if it
    persists, with the program's leads; resolve it when the data no longer shows it.

    A new signal opens a red flag and queues a private nudge (due at the recipient's next working
    moment); a flag still open ``escalate_after_days`` after it was raised reaches the leads once;
    a signal that clears resolves its flag, and a later recurrence is a new flag with a new nudge.
    Each program is read, then reconciled in one unit of work, flags and messages together; the
    outbox keys name the flag, so running the job again adds nothing.
    """
    now = deps.now()
    with deps.session() as session:
        resolved = _resolve_finished(session, now)
    with deps.read() as session:
        program_ids = session.exec(
            select(Program.id).where(
                col(Program.status) == ProgramStatus.ACTIVE.value,
                col(Program.team_id).not_in(uninstalled_teams()),
            )
        ).all()
    planned = 0
    for program_id in program_ids:
        # Read outside the write lock: a large program takes a second or two to read, and
        # people's clicks must not wait for it. A change in between is caught next hour.
        with deps.read() as session:
            program = session.get(Program, program_id)
            signals = detect_signals(session, program=program, now=now) if program else []
        with deps.session() as session:
            program = session.get(Program, program_id)
            if program is None or program.status is not ProgramStatus.ACTIVE:
                continue
            if not _signals_turn(session, program_id or 0):
                continue
            planned += outbox.enqueue(session, _reconcile(session, program, signals, now), now=now)
    if planned or resolved:
        log.info("failure modes reconciled", extra={"planned": planned, "resolved": resolved})


def _signals_turn(session: Session, program_id: int) -> bool:
    """This transaction's turn to reconcile the program: SQLite's write transaction already
    serialises the runs; PostgreSQL takes an advisory lock, released at commit."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    taken = session.execute(
        text("SELECT pg_try_advisory_xact_lock(:key, :program)"),
        {"key": PG_SIGNALS_LOCK, "program": program_id},
    ).scalar()
    return bool(taken)


def _open_flags(session: Session, *where: Any) -> list[Flag]:
    return list(
        session.exec(
            select(Flag).where(
                col(Flag.resolved_at).is_(None),
                col(Flag.kind).in_([k.value for k in SIGNAL_FLAG_KINDS]),
                col(Flag.dedupe_key).startswith(FLAG_PREFIX),
                *where,
            )
        )
    )


def _resolve_finished(session: Session, now: datetime) -> int:
    """Resolve the flags of pairs that stopped running (paused, finished, or in a program that
    no longer runs): nobody is nudged about them, and a pair back from a pause starts afresh."""
    running_pair = exists().where(
        col(Pairing.id) == col(Flag.pairing_id),
        col(Pairing.status) == PairingStatus.ACTIVE.value,
    )
    running_program = exists().where(
        col(Program.id) == col(Flag.program_id),
        col(Program.status) == ProgramStatus.ACTIVE.value,
    )
    stopped = _open_flags(session, or_(~running_pair, ~running_program))
    _resolve(session, stopped, now)
    return len(stopped)


def _resolve(session: Session, flags: list[Flag], now: datetime) -> None:
    """Mark the flags resolved, and drop their nudges that are still waiting to go out."""
    for flag in flags:
        flag.resolved_at = now
        session.add(flag)
    if flags:
        resolved = {flag.dedupe_key for flag in flags}
        pairings = {flag.pairing_id for flag in flags}
        _drop_nudges(session, col(Delivery.pairing_id).in_(pairings), drop=resolved.__contains__)


def _drop_nudges(session: Session, where: Any, *, drop: Callable[[str], bool]) -> None:
    """Drop the waiting nudges (matching ``where``) whose episode key ``drop`` accepts."""
    waiting = session.exec(
        select(Delivery.id, Delivery.dedupe_key).where(
            col(Delivery.status) == DeliveryStatus.PENDING.value,
            col(Delivery.rule) == NUDGE_RULE,
            where,
        )
    ).all()
    # A nudge's key is "<rule>:<episode key>:<user id>".
    stale = [i for i, key in waiting if drop(key.partition(":")[2].rsplit(":", 1)[0])]
    if stale:
        session.execute(
            update(Delivery)
            .where(
                col(Delivery.id).in_(stale),
                col(Delivery.status) == DeliveryStatus.PENDING.value,
            )
            .values(status=DeliveryStatus.DROPPED, error="resolved before it was sent")
        )


def _reconcile(
    session: Session, program: Program, signals: list[Signal], now: datetime
) -> list[Planned]:
    """Open, escalate and resolve the program's flags from its signals; the messages that go."""
    settings = RuleSettings.for_program(program)
    after = timedelta(days=settings.escalate_after_days)
    open_flags = {
        (flag.pairing_id, flag.kind): flag
        for flag in _open_flags(session, col(Flag.program_id) == program.id)
    }
    episodes: list[_Episode] = []
    seen: set[tuple[int | None, FlagKind]] = set()
    for signal in signals:
        kind = signal.kind.flag_kind
        seen.add((signal.pairing_id, kind))
        flag = open_flags.get((signal.pairing_id, kind))
        if flag is None:
            flag = Flag(
                team_id=program.team_id,
                program_id=program.id or 0,
                pairing_id=signal.pairing_id,
                kind=kind,
                dedupe_key=f"{FLAG_PREFIX}{signal.kind.value}:{signal.pairing_id}:{_epoch(now)}",
                raised_at=now,
            )
            episodes.append(_Episode(signal, flag.dedupe_key, None))
        elif flag.escalated_at is None:
            episodes.append(_Episode(signal, flag.dedupe_key, flag.raised_at))
        # The numbers the leads see follow the data; no private text ever goes in.
        flag.detail = lead_reason(signal)[:255]
        if flag.escalated_at is None and now - flag.raised_at >= after:
            flag.escalated_at = now
        session.add(flag)
    _resolve(session, [f for key, f in open_flags.items() if key not in seen], now)
    return _messages(session, program, episodes, now=now, after=after, settings=settings)


def _messages(
    session: Session,
    program: Program,
    episodes: list[_Episode],
    *,
    now: datetime,
    after: timedelta,
    settings: RuleSettings,
) -> list[Planned]:
    """The nudges of new episodes and the leads' messages of those that outlasted ``after``."""
    new = [e for e in episodes if e.nudged_at is None]
    due = [e for e in episodes if e.nudged_at is not None and now - e.nudged_at >= after]
    planned: list[Planned] = []
    hours = _hours(session, program, new)
    days = round(settings.escalate_after_days)
    for episode in new:
        signal = episode.signal
        for role in NUDGED[signal.kind]:
            user = signal.user_of(role)
            moment = next_working_moment(hours.get((user, role), WorkingHours()), now) or now
            planned.append(
                Planned(
                    team_id=program.team_id,
                    dedupe_key=f"{NUDGE_RULE}:{episode.key}:{user}",
                    rule=NUDGE_RULE,
                    recipient_id=user,
                    payload=build_signal_nudge(signal, role=role, escalate_after_days=days),
                    due_at=moment,
                    expires_at=moment + NUDGE_LIFETIME,
                    program_id=program.id,
                    pairing_id=signal.pairing_id,
                    bundle=True,
                )
            )
    leads = program_lead_ids(session, program=program) if due else []
    for episode in due:
        signal = episode.signal
        assert episode.nudged_at is not None
        payload = build_signal_escalation(
            signal,
            program_name=program.name,
            nudged=[signal.user_of(role) for role in NUDGED[signal.kind]],
            days=(now - episode.nudged_at).days,
        )
        planned += [
            Planned(
                team_id=program.team_id,
                dedupe_key=f"{ESCALATION_RULE}:{episode.key}:{lead}",
                rule=ESCALATION_RULE,
                recipient_id=lead,
                payload=payload,
                due_at=now,
                program_id=program.id,
                pairing_id=signal.pairing_id,
            )
            for lead in leads
        ]
    return planned


def _hours(
    session: Session, program: Program, episodes: list[_Episode]
) -> dict[tuple[str, Role], WorkingHours]:
    """The working hours of everyone to nudge, by (user id, role), in one query."""
    users = {e.signal.user_of(r) for e in episodes for r in NUDGED[e.signal.kind]}
    if not users:
        return {}
    people = session.exec(
        select(Participant).where(
            col(Participant.program_id) == program.id, col(Participant.user_id).in_(users)
        )
    )
    return {(p.user_id, p.role): working_hours(p) for p in people}


def _epoch(moment: datetime | None) -> int:
    return int(moment.timestamp()) if moment is not None else 0


# Every housekeeping job, with how often the running bot runs it (``tick`` runs each once).
def purge_expired_words(deps: Deps) -> None:
    """Erase what the pairs of a closed program wrote once its retention has passed
    (``RETENTION_DAYS`` after it closed, or the program's own ``retention_days``).

    Counts, dates and scores stay, so the program's report still adds up; running it again
    finds the words gone and changes nothing.
    """
    with deps.session() as session:
        programs = due_for_purge(
            session, now=deps.now(), retention_days=deps.settings.retention_days
        )
        report = purge_program_words(session, programs=programs)
    erased = {table: rows for table, rows in report.rows.items() if rows}
    if erased:
        log.info(
            "retention: words purged",
            extra={"programs": [pid for pid, _ in report.programs], "rows": erased},
        )


def purge_uninstalled_workspaces(deps: Deps) -> None:
    """Delete every row of the workspaces uninstalled longer ago than
    ``WORKSPACE_RETENTION_DAYS``, each in one transaction; the log says how many rows went.

    A workspace that installed the bot again since it was found due keeps its data.
    """
    retention = deps.settings.workspace_retention_days
    with deps.read() as session:
        due = workspaces_past_retention(session, now=deps.now(), retention_days=retention)
    for team_id in due:
        with deps.session() as session:
            if is_installed(session, team_id=team_id):
                continue
            counts = purge_workspace(session, team_id=team_id)
        log.info(
            "retention: workspace purged",
            extra={
                "team_id": team_id,
                "rows": {table: rows for table, rows in counts.items() if rows},
                "total": sum(counts.values()),
            },
        )


HOUSEKEEPING: tuple[tuple[Callable[[Deps], None], timedelta], ...] = (
    (prune_processed_events, timedelta(hours=1)),
    (resume_paused_participants, timedelta(minutes=15)),
    (refresh_timezones, timedelta(hours=1)),
    (expire_outside_feedback, timedelta(hours=1)),
    # Before the failure modes: a program that starts now has its pairs looked at in this run.
    (start_due_programs, timedelta(hours=1)),
    (raise_signals, timedelta(hours=1)),
    (purge_expired_words, timedelta(hours=6)),
    (purge_uninstalled_workspaces, timedelta(hours=6)),
    (refresh_database_statistics, timedelta(hours=6)),
)
