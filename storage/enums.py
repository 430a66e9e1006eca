"""The domain's closed vocabularies, stored as their string values."""

from enum import StrEnum


class ProgramStatus(StrEnum):
    """Where a program is in its life; only an active program runs its schedule."""

    DRAFT = "draft"
    ENROLLING = "enrolling"
    ACTIVE = "active"
    CLOSED = "closed"


class Purpose(StrEnum):
    """Why a program exists."""

    ENGAGEMENT = "engagement"
    ONBOARDING = "onboarding"
    REVERSE_MENTORING = "reverse_mentoring"
    SKILLS_TRANSFER = "skills_transfer"
    LEADERSHIP = "leadership"
    OTHER = "other"


class Structure(StrEnum):
    """One mentor with one mentee, or small groups."""

    ONE_TO_ONE = "one_to_one"
    GROUP = "group"


class ReviewStyle(StrEnum):
    """How progress is reviewed."""

    FORMAL = "formal"
    CASUAL = "casual"


class Cadence(StrEnum):
    """How often a pair is expected to meet."""

    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    MONTHLY = "monthly"
    AS_NEEDED = "as_needed"

    @property
    def days(self) -> int | None:
        """Days between sessions, or None when the pair meets as needed."""
        return {"weekly": 7, "biweekly": 14, "monthly": 30}.get(self.value)


class Visibility(StrEnum):
    """Who may join a program."""

    OPEN = "open"
    INVITATION = "invitation"


class Role(StrEnum):
    """A participant's side of the relationship."""

    MENTOR = "mentor"
    MENTEE = "mentee"


class ParticipantStatus(StrEnum):
    """Whether a participant takes part right now."""

    ACTIVE = "active"
    PAUSED = "paused"
    LEFT = "left"


class PairingStatus(StrEnum):
    """A pairing's life: proposed by matching, then running until it ends."""

    PROPOSED = "proposed"
    ACTIVE = "active"
    PAUSED = "paused"
    ENDED = "ended"
    GRADUATED = "graduated"
    DECLINED = "declined"


class Stage(StrEnum):
    """Where a pair is in the mentoring process (gradual release of responsibility)."""

    RAPPORT = "rapport"
    GOAL_SETTING = "goal_setting"
    CADENCE_PLANNED = "cadence_planned"
    DEMONSTRATION = "demonstration"
    ROLE_PLAY = "role_play"
    GUIDED_PRACTICE = "guided_practice"
    INDEPENDENT = "independent"
    CONCLUDING = "concluding"
    GRADUATED = "graduated"


class GoalStatus(StrEnum):
    """Whether both people have agreed a goal."""

    PROPOSED = "proposed"
    AGREED = "agreed"
    CHANGE_SUGGESTED = "change_suggested"
    WITHDRAWN = "withdrawn"


class GoalProgress(StrEnum):
    """How a goal is going."""

    NOT_STARTED = "not_started"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    DONE = "done"
    DROPPED = "dropped"


class MeetingStatus(StrEnum):
    """A session's outcome; moved and cancelled sessions stay as history."""

    SCHEDULED = "scheduled"
    HELD = "held"
    MOVED = "moved"
    CANCELLED = "cancelled"


class AgendaSource(StrEnum):
    """Where an agenda item came from."""

    MENTEE = "mentee"
    MENTOR = "mentor"
    ACTION_ITEM = "action_item"
    SCORECARD = "scorecard"
    SKILL_GAP = "skill_gap"
    PRACTICE_TASK = "practice_task"


class SurveyKind(StrEnum):
    """The surveys a program asks for."""

    MIDPOINT = "midpoint"
    FINAL = "final"
    INDEPENDENCE = "independence"
    EXIT = "exit"


class TaskStatus(StrEnum):
    """A learning-plan practice task's state."""

    TODO = "todo"
    DOING = "doing"
    DONE = "done"


class ResourceKind(StrEnum):
    """What a learning-plan resource is."""

    ARTICLE = "article"
    BOOK = "book"
    COURSE = "course"
    VIDEO = "video"
    PERSON = "person"
    OTHER = "other"


class OutsideFeedbackStatus(StrEnum):
    """A request for feedback from someone outside the program."""

    OPEN = "open"
    ANSWERED = "answered"
    DECLINED = "declined"
    EXPIRED = "expired"


class DeliveryStatus(StrEnum):
    """An outbox row's state; a ``sending`` row whose lease ran out is reconciled, not resent."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    DROPPED = "dropped"


class FlagKind(StrEnum):
    """Red flags raised to the pair first and to leads next."""

    LAPSED = "lapsed"
    LOW_SCORECARD = "low_scorecard"
    AGENDA_DRIFT = "agenda_drift"
    ONE_SIDED_EFFORT = "one_sided_effort"
    AVOIDED_FEEDBACK = "avoided_feedback"
    SKILL_GAP_UNRESOLVED = "skill_gap_unresolved"
    STALLED = "stalled"
    DELIVERY_FAILED = "delivery_failed"
    UNMATCHED = "unmatched"
