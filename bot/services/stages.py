"""A pairing's stage: where it is in the mentoring process, advanced by what happened.

Stages only move forward by themselves; the pair may move them either way by hand (the mentee
steps back to guided practice on new, complex ground).
"""

from enum import StrEnum

from sqlmodel import Session

from storage.enums import Stage
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


def move_stage(session: Session, *, pairing: Pairing, stage: Stage) -> None:
    """Set the stage by hand, forward or back (not to graduated: graduation has its own flow)."""
    if stage is Stage.GRADUATED:
        raise ValueError("graduate a pair with /mentor graduate")
    pairing.stage = stage
    session.add(pairing)
