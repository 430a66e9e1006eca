"""A pair's own controls: moving its stage by hand, and pausing or resuming one pairing.

Stages advance by themselves from what happened (``bot.services.stages.note_event``); here either
person moves them forward or back. Pausing a whole participation (every pairing of a person) lives
in ``bot.services.enrolment``; this pauses a single pairing and leaves the people's other pairings
running.
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session, col, select

from bot.commands import COMMAND
from bot.errors import FieldErrors, UserError
from bot.markup import escape
from bot.services.access import PairChoice, pairing_for, partner_of, resolve_pairing
from bot.services.enrolment import check_pause_date, local_today
from bot.services.stages import ORDER, move_stage
from storage.enums import PairingStatus, ParticipantStatus, Stage
from storage.models import Pairing, Participant, Program

STAGE_NAMES: dict[Stage, str] = {
    Stage.RAPPORT: "Rapport",
    Stage.GOAL_SETTING: "Goal setting",
    Stage.CADENCE_PLANNED: "Cadence planned",
    Stage.DEMONSTRATION: "Demonstration",
    Stage.ROLE_PLAY: "Role-play",
    Stage.GUIDED_PRACTICE: "Guided practice",
    Stage.INDEPENDENT: "Independent",
    Stage.CONCLUDING: "Concluding",
    Stage.GRADUATED: "Graduated",
}
# Graduation has its own flow (both people review their goals), so it is never picked by hand.
MOVABLE_STAGES = tuple(stage for stage in ORDER if stage is not Stage.GRADUATED)
LIVE = (PairingStatus.ACTIVE, PairingStatus.PAUSED)
_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")


@dataclass(frozen=True, slots=True)
class StageView:
    """Where a pairing is, as its stage picker shows it."""

    pairing_id: int
    program_name: str
    partner_user_id: str
    stage: Stage


@dataclass(frozen=True, slots=True)
class StageMoved:
    """A stage moved by hand, for the confirmation and the partner's DM."""

    pairing_id: int
    program_id: int
    program_name: str
    actor_user_id: str
    partner_user_id: str
    before: Stage
    after: Stage

    @property
    def backwards(self) -> bool:
        """Whether the pair stepped back."""
        return ORDER.index(self.after) < ORDER.index(self.before)


@dataclass(frozen=True, slots=True)
class PairingPauseChange:
    """A pairing paused or resumed, for the confirmation and the partner's DM."""

    pairing_id: int
    program_name: str
    actor_user_id: str | None
    mentor_user_id: str
    mentee_user_id: str
    paused: bool
    until: date | None = None
    program_id: int | None = None

    def partner_of(self, user_id: str) -> str:
        """The other person of the pair."""
        return self.mentee_user_id if user_id == self.mentor_user_id else self.mentor_user_id


def mentioned_user(word: str) -> str | None:
    """The user id of a ``<@U123|name>`` mention, or None."""
    found = _MENTION.match(word.strip())
    return found.group(1) if found else None


# --- stages -------------------------------------------------------------------------------------


def _normal(text: str) -> str:
    words = text.strip().lower().removeprefix("execution:").strip()
    return re.sub(r"[\s\-_]+", "_", words)


_BY_NAME = {
    **{_normal(stage.value): stage for stage in ORDER},
    **{_normal(name): stage for stage, name in STAGE_NAMES.items()},
    "roleplay": Stage.ROLE_PLAY,
}


def stage_names_hint() -> str:
    """The stages a pair may pick, as a command would name them."""
    return ", ".join(f"`{stage.value}`" for stage in MOVABLE_STAGES)


def _graduate_instead() -> UserError:
    return UserError(
        f"Graduation has its own step: `{COMMAND} graduate` reviews your goals with your "
        "partner and celebrates."
    )


def parse_stage(text: str) -> Stage:
    """The stage ``text`` names (``guided_practice`` or "guided practice"); else a clear refusal."""
    stage = _BY_NAME.get(_normal(text))
    if stage is Stage.GRADUATED:
        raise _graduate_instead()
    if stage is None:
        raise UserError(
            f"I don't know the stage *{escape(text.strip())}*. Pick one of {stage_names_hint()}."
        )
    return stage


def _program_name(session: Session, pairing: Pairing) -> str:
    program = session.get(Program, pairing.program_id)
    return program.name if program is not None else "your program"


def _require_live(pairing: Pairing) -> None:
    if pairing.status is PairingStatus.GRADUATED:
        raise UserError("This pair has graduated, so its stage stays *Graduated*.")
    if pairing.status not in LIVE:
        raise UserError("This mentoring pair has ended, so its stage can't change.")


def stage_view(session: Session, *, team_id: str, user_id: str, hint: str = "") -> StageView:
    """The stage of the pairing the person means (their only one, or the partner they name)."""
    choice = resolve_pairing(session, team_id=team_id, user_id=user_id, hint=hint)
    return _stage_view(choice)


def _stage_view(choice: PairChoice) -> StageView:
    return StageView(
        pairing_id=choice.pairing.id or 0,
        program_name=choice.program.name,
        partner_user_id=choice.partner_user_id,
        stage=choice.pairing.stage,
    )


def stage_view_for(session: Session, *, team_id: str, user_id: str, pairing_id: int) -> StageView:
    """The stage of one pairing, if the person is in it."""
    pairing = pairing_for(session, team_id=team_id, user_id=user_id, pairing_id=pairing_id)
    return StageView(
        pairing_id=pairing_id,
        program_name=_program_name(session, pairing),
        partner_user_id=partner_of(pairing, user_id),
        stage=pairing.stage,
    )


def move_pairing_stage(
    session: Session, *, team_id: str, user_id: str, pairing_id: int, stage: Stage
) -> StageMoved:
    """Either person moves their pairing to ``stage``, forward or back (never to graduated)."""
    pairing = pairing_for(session, team_id=team_id, user_id=user_id, pairing_id=pairing_id)
    _require_live(pairing)
    if stage is Stage.GRADUATED:
        raise _graduate_instead()
    before = pairing.stage
    if before is stage:
        raise UserError(f"Your pairing is already at *{STAGE_NAMES[stage]}*.")
    move_stage(session, pairing=pairing, stage=stage)
    session.flush()
    return StageMoved(
        pairing_id=pairing_id,
        program_id=pairing.program_id,
        program_name=_program_name(session, pairing),
        actor_user_id=user_id,
        partner_user_id=partner_of(pairing, user_id),
        before=before,
        after=stage,
    )


# --- pausing one pairing ------------------------------------------------------------------------


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _members(session: Session, pairing: Pairing) -> tuple[Participant, Participant]:
    rows = {
        p.id: p
        for p in session.exec(
            select(Participant).where(
                col(Participant.id).in_([pairing.mentor_id, pairing.mentee_id])
            )
        )
    }
    return rows[pairing.mentor_id], rows[pairing.mentee_id]


def _own_timezone(pairing: Pairing, members: tuple[Participant, Participant], user_id: str) -> str:
    mentor, mentee = members
    return mentor.timezone if user_id == pairing.mentor_user_id else mentee.timezone


def _change(
    pairing: Pairing, program_name: str, actor: str | None, until: date | None
) -> PairingPauseChange:
    return PairingPauseChange(
        pairing_id=pairing.id or 0,
        program_name=program_name,
        actor_user_id=actor,
        mentor_user_id=pairing.mentor_user_id,
        mentee_user_id=pairing.mentee_user_id,
        paused=pairing.status is PairingStatus.PAUSED,
        until=until,
        program_id=pairing.program_id,
    )


def pause_pairing(
    session: Session, *, team_id: str, user_id: str, hint: str, until: date | None, now: datetime
) -> PairingPauseChange:
    """Pause one pairing, until the start of ``until`` in the person's timezone or until resumed."""
    choice = resolve_pairing(session, team_id=team_id, user_id=user_id, hint=hint)
    pairing = choice.pairing
    if pairing.status is PairingStatus.PAUSED:
        raise UserError(
            f"Your pairing with <@{choice.partner_user_id}> is already paused. "
            f"`{COMMAND} resume <@{choice.partner_user_id}>` starts it again."
        )
    members = _members(session, pairing)
    timezone = _own_timezone(pairing, members, user_id)
    back_on: date | None = None
    if until is not None:
        try:
            back_on = check_pause_date(until, today=local_today(timezone, now))
        except FieldErrors as exc:
            raise UserError(str(exc)) from None
    pairing.status = PairingStatus.PAUSED
    pairing.paused_until = (
        datetime.combine(back_on, time(0), tzinfo=_zone(timezone)).astimezone(UTC)
        if back_on
        else None
    )
    session.add(pairing)
    session.flush()
    return _change(pairing, choice.program.name, user_id, back_on)


def resume_pairing(
    session: Session, *, team_id: str, user_id: str, hint: str, now: datetime
) -> PairingPauseChange:
    """Run a paused pairing again now (unless one of the two is on a break of their own)."""
    choice = resolve_pairing(session, team_id=team_id, user_id=user_id, hint=hint)
    pairing = choice.pairing
    if pairing.status is not PairingStatus.PAUSED:
        raise UserError(f"Your pairing with <@{choice.partner_user_id}> isn't paused.")
    for member in _members(session, pairing):
        if member.status is ParticipantStatus.PAUSED:
            if member.user_id == user_id:
                raise UserError(
                    f"You're on a break from *{choice.program.name}*; "
                    f"`{COMMAND} resume {choice.program.name}` ends it and this pairing runs again."
                )
            raise UserError(
                f"<@{member.user_id}> is taking a break from *{choice.program.name}*; "
                "your pairing runs again when they're back."
            )
    _resume(session, pairing)
    return _change(pairing, choice.program.name, user_id, None)


def _resume(session: Session, pairing: Pairing) -> None:
    pairing.status = PairingStatus.ACTIVE
    pairing.paused_until = None
    session.add(pairing)
    session.flush()


def resume_due_pairings(session: Session, *, now: datetime) -> list[PairingPauseChange]:
    """Run again every paused pairing whose day came (not those whose people are on a break)."""
    # SKIP LOCKED: another running copy of the bot resuming the same pairings leaves them to it.
    due = session.exec(
        select(Pairing)
        .where(Pairing.status == PairingStatus.PAUSED, col(Pairing.paused_until) <= now)
        .order_by(col(Pairing.id))
        .with_for_update(skip_locked=True)
    ).all()
    changes = []
    for pairing in due:
        if any(m.status is ParticipantStatus.PAUSED for m in _members(session, pairing)):
            continue  # the person's own pause owns this pairing; resuming them resumes it
        _resume(session, pairing)
        changes.append(_change(pairing, _program_name(session, pairing), None, None))
    return changes
