"""A pairing's stage: where it is in the mentoring process, advanced by what happened.

Stages only move forward by themselves; the pair may move them either way by hand (the mentee
steps back to guided practice on new, complex ground).
"""

from enum import StrEnum

from sqlalchemy import update
from sqlmodel import Session, col, select

from storage.enums import PairingStatus, Stage
from storage.models import Pairing

ORDER = (
    Stage.RAPPORT,
    Stage.GOAL_SETTING,
    Stage.CADENCE_PLANNED,
    Stage.DEMONSTRATION,
    Stage.ROLE_PLAY,
    Stage.GUIDED_PRACTICE,
    Stage.INDEPENDENT,
    Stage.CONCLUDING,
    Stage.GRADUATED,
)


class PairEvent(StrEnum):
    """Things that happen to a pair and can move its stage."""

    FIRST_SESSION_HELD = "first_session_held"
    SECOND_SESSION_HELD = "second_session_held"
    GOALS_AGREED = "goals_agreed"
    SESSION_SCHEDULED = "session_scheduled"
    FINAL_SURVEY_DUE = "final_survey_due"
    GRADUATED = "graduated"


# The stage an event moves a pairing to at least: rapport lasts one or two sessions, goals come
# next, then a planned cadence starts execution.
_AT_LEAST = {
    PairEvent.SECOND_SESSION_HELD: Stage.GOAL_SETTING,
    PairEvent.GOALS_AGREED: Stage.CADENCE_PLANNED,
    PairEvent.FINAL_SURVEY_DUE: Stage.CONCLUDING,
    PairEvent.GRADUATED: Stage.GRADUATED,
}


def note_event(session: Session, *, pairing: Pairing, event: PairEvent) -> bool:
    """Advance the pairing's stage if ``event`` implies a later one; True when it moved."""
    target = _AT_LEAST.get(event)
    if target is None and event is PairEvent.SESSION_SCHEDULED:
        target = Stage.DEMONSTRATION if pairing.stage is Stage.CADENCE_PLANNED else None
    if target is None or ORDER.index(target) <= ORDER.index(pairing.stage):
        return False
    pairing.stage = target
    session.add(pairing)
    return True


def note_event_for_program(
    session: Session, *, program_id: int, event: PairEvent, limit: int | None = None
) -> int:
    """``note_event`` for every running pairing of a program, in one statement; how many moved.

    Only pairings behind the event's stage are written, so repeating it changes nothing; with
    ``limit``, at most that many move (repeat until fewer move, each in a short transaction).
    """
    target = _AT_LEAST.get(event)
    if target is None:
        raise ValueError(f"{event} moves each pairing by its own stage: use note_event")
    behind = [stage.value for stage in ORDER[: ORDER.index(target)]]
    which = col(Pairing.id).in_(
        select(col(Pairing.id))
        .where(
            col(Pairing.program_id) == program_id,
            col(Pairing.status) == PairingStatus.ACTIVE.value,
            col(Pairing.stage).in_(behind),
        )
        .limit(limit)
    )
    moved = session.execute(
        update(Pairing)
        .where(which)
        .values(stage=target)
        .execution_options(synchronize_session="fetch")
    )
    return int(getattr(moved, "rowcount", 0) or 0)


def move_stage(session: Session, *, pairing: Pairing, stage: Stage) -> None:
    """Set the stage by hand, forward or back (not to graduated: graduation has its own flow)."""
    if stage is Stage.GRADUATED:
        raise ValueError("graduate a pair with /mentor graduate")
    pairing.stage = stage
    session.add(pairing)
