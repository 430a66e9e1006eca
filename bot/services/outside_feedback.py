"""Feedback from outside the program: a mentee asks a colleague for a short structured note.

The colleague answers what the mentee does well and one thing to change, and may rate the skill
behind one goal the mentee chose to show them. The answer goes to the mentee only, who may share
it with their mentor. A colleague may decline; a mentee has at most one open request per
colleague, and requests expire after 14 days.

The colleague's request DM goes through the outbox under ``request_dm_key``. A request whose DM
finally could not be delivered (the outbox gave up on it, and told the mentee) never reached the
colleague: it no longer counts as open, so the mentee may ask again, and it is withdrawn then,
or silently when it would have expired.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from bot.errors import FieldErrors, Forbidden, NotFound, UserError
from bot.ids import BlockId
from bot.services.access import PairChoice, my_pairings
from bot.services.goals import CLOSED_PROGRESS
from storage.enums import DeliveryStatus, GoalStatus, OutsideFeedbackStatus, Role
from storage.models import Delivery, Goal, OutsideFeedbackRequest, Pairing

EXPIRES_AFTER = timedelta(days=14)
QUESTION_MAX = 500
ANSWER_MAX = 1000
RATINGS = (1, 2, 3, 4, 5)
REQUEST_DM_RULE = "outside_feedback_request"
# Outbox states in which a message will never reach its recipient.
UNDELIVERED = (DeliveryStatus.FAILED.value, DeliveryStatus.DROPPED.value)


@dataclass(frozen=True, slots=True)
class GoalChoice:
    """A goal of the mentee the colleague may be asked to rate."""

    goal_id: int
    pairing_id: int
    statement: str


@dataclass(frozen=True, slots=True)
class AskContext:
    """What the ask modal needs: whom, the mentee's pairs and goals, the question so far."""

    colleague_user_id: str
    question: str
    pairings: list[PairChoice]
    goals: list[GoalChoice]


@dataclass(frozen=True, slots=True)
class OutsideRequest:
    """A request as the people involved see it (plain data, no session needed)."""

    id: int
    team_id: str
    pairing_id: int
    program_id: int
    requester_user_id: str
    colleague_user_id: str
    mentor_user_id: str
    question: str
    goal_statement: str | None
    status: OutsideFeedbackStatus
    does_well: str
    to_change: str
    rating: int | None
    shared_with_mentor: bool
    expires_at: datetime


def _view(session: Session, request: OutsideFeedbackRequest) -> OutsideRequest:
    pairing = session.get(Pairing, request.pairing_id)
    goal = session.get(Goal, request.goal_id) if request.goal_id is not None else None
    return OutsideRequest(
        id=request.id or 0,
        team_id=request.team_id,
        pairing_id=request.pairing_id,
        program_id=pairing.program_id if pairing else 0,
        requester_user_id=request.requester_user_id,
        colleague_user_id=request.colleague_user_id,
        mentor_user_id=pairing.mentor_user_id if pairing else "",
        question=request.question,
        goal_statement=goal.statement if goal else None,
        status=request.status,
        does_well=request.does_well,
        to_change=request.to_change,
        rating=request.rating,
        shared_with_mentor=request.shared_with_mentor,
        expires_at=request.expires_at,
    )


# --- whether the colleague ever got it ---------------------------------------------------------


def request_dm_key(request_id: int) -> str:
    """The outbox key of the colleague's request DM: exactly one per request."""
    return f"{REQUEST_DM_RULE}:{request_id}"


def _undelivered(session: Session, requests: list[OutsideFeedbackRequest]) -> set[int]:
    """The ids of the requests whose DM to the colleague the outbox gave up on."""
    keys = {request_dm_key(r.id): r.id for r in requests if r.id is not None}
    if not keys:
        return set()
    failed = session.exec(
        select(Delivery.dedupe_key).where(
            col(Delivery.dedupe_key).in_(list(keys)),
            col(Delivery.status).in_(UNDELIVERED),
        )
    ).all()
    return {keys[key] for key in failed}


# --- asking ------------------------------------------------------------------------------------


def _mentee_pairings(session: Session, *, team_id: str, user_id: str) -> list[PairChoice]:
    choices = my_pairings(session, team_id=team_id, user_id=user_id)
    mine = [c for c in choices if c.my_role is Role.MENTEE]
    if mine:
        return mine
    if choices:
        raise Forbidden(
            "Only a mentee asks for feedback from outside the program: it's about their growth."
        )
    raise UserError(
        "You're not in a mentoring pair yet. Join a program with `/mentor join`; a lead will "
        "match you."
    )


def _open_requests(
    session: Session, *, team_id: str, user_id: str, colleague_user_id: str
) -> tuple[list[OutsideFeedbackRequest], list[OutsideFeedbackRequest]]:
    """The mentee's open requests to the colleague: those that reached them (or may still), and
    those whose DM the outbox gave up on."""
    found = list(
        session.exec(
            select(OutsideFeedbackRequest).where(
                OutsideFeedbackRequest.team_id == team_id,
                OutsideFeedbackRequest.requester_user_id == user_id,
                OutsideFeedbackRequest.colleague_user_id == colleague_user_id,
                col(OutsideFeedbackRequest.status) == OutsideFeedbackStatus.OPEN.value,
            )
        )
    )
    lost = _undelivered(session, found)
    return [r for r in found if r.id not in lost], [r for r in found if r.id in lost]


def check_colleague(
    session: Session,
    *,
    team_id: str,
    user_id: str,
    colleague_user_id: str,
    colleague_is_bot: bool = False,
) -> list[PairChoice]:
    """Refuse a colleague who is the mentee, in one of their pairs, a bot, or already asked."""
    pairings = _mentee_pairings(session, team_id=team_id, user_id=user_id)
    if colleague_user_id == user_id:
        raise UserError(
            "Ask a colleague or your manager: you can't give yourself outside feedback."
        )
    if any(colleague_user_id == c.partner_user_id for c in pairings):
        raise UserError(
            f"<@{colleague_user_id}> is your mentor. Ask someone outside your mentoring pair, "
            "such as a colleague or your manager."
        )
    if colleague_is_bot:
        raise UserError(f"<@{colleague_user_id}> is an app, not a person: ask a colleague.")
    pending, _ = _open_requests(
        session, team_id=team_id, user_id=user_id, colleague_user_id=colleague_user_id
    )
    if pending:
        raise UserError(
            f"You already have an open request with <@{colleague_user_id}>. Give them time to "
            "answer; requests expire after 14 days."
        )
    return pairings


def _check_question(question: str) -> str:
    text = question.strip()
    if len(text) > QUESTION_MAX:
        raise FieldErrors(
            {
                BlockId.OUTSIDE_FEEDBACK_QUESTION: (
                    f"Keep the question to {QUESTION_MAX} characters; it has {len(text)}."
                )
            }
        )
    return text


def _goal_choices(session: Session, *, pairings: list[PairChoice]) -> list[GoalChoice]:
    ids = [c.pairing.id for c in pairings if c.pairing.id is not None]
    if not ids:
        return []
    goals = session.exec(
        select(Goal)
        .where(
            col(Goal.pairing_id).in_(ids),
            col(Goal.status) != GoalStatus.WITHDRAWN.value,
            col(Goal.progress).not_in([p.value for p in CLOSED_PROGRESS]),
        )
        .order_by(col(Goal.pairing_id), col(Goal.position), col(Goal.id))
    )
    return [GoalChoice(g.id or 0, g.pairing_id, g.statement) for g in goals]


def ask_context(
    session: Session,
    *,
    team_id: str,
    user_id: str,
    colleague_user_id: str,
    question: str,
    colleague_is_bot: bool = False,
) -> AskContext:
    """Check whom the mentee asks, before the ask modal opens."""
    pairings = check_colleague(
        session,
        team_id=team_id,
        user_id=user_id,
        colleague_user_id=colleague_user_id,
        colleague_is_bot=colleague_is_bot,
    )
    text = _check_question(question)
    return AskContext(
        colleague_user_id=colleague_user_id,
        question=text,
        pairings=pairings,
        goals=_goal_choices(session, pairings=pairings),
    )


def ask_for_feedback(
    session: Session,
    *,
    team_id: str,
    user_id: str,
    colleague_user_id: str,
    pairing_id: int | None,
    goal_id: int | None,
    question: str,
    now: datetime,
    colleague_is_bot: bool = False,
) -> OutsideRequest:
    """Store the mentee's request; it stays open for 14 days."""
    text = _check_question(question)
    pairings = check_colleague(
        session,
        team_id=team_id,
        user_id=user_id,
        colleague_user_id=colleague_user_id,
        colleague_is_bot=colleague_is_bot,
    )
    goals = {g.goal_id: g for g in _goal_choices(session, pairings=pairings)}
    errors: dict[str, str] = {}
    goal = goals.get(goal_id) if goal_id is not None else None
    if goal_id is not None and goal is None:
        errors[BlockId.OUTSIDE_FEEDBACK_GOAL] = "That goal is no longer open; pick another."
    by_id = {c.pairing.id: c for c in pairings}
    if pairing_id is None and len(pairings) == 1:
        pairing_id = pairings[0].pairing.id
    if pairing_id is None or pairing_id not in by_id:
        errors[BlockId.PAIRING] = "Pick the mentor you may share the answer with."
    elif goal is not None and goal.pairing_id != pairing_id:
        errors[BlockId.OUTSIDE_FEEDBACK_GOAL] = "Pick a goal you work on with this mentor."
    if errors:
        raise FieldErrors(errors)
    assert pairing_id is not None
    # A request that never reached the colleague makes way for this one.
    _, lost = _open_requests(
        session, team_id=team_id, user_id=user_id, colleague_user_id=colleague_user_id
    )
    for stale in lost:
        session.delete(stale)
    request = OutsideFeedbackRequest(
        team_id=team_id,
        pairing_id=pairing_id,
        requester_user_id=user_id,
        colleague_user_id=colleague_user_id,
        question=text,
        goal_id=goal_id,
        created_at=now,
        expires_at=now + EXPIRES_AFTER,
    )
    session.add(request)
    session.flush()
    return _view(session, request)


# --- answering ---------------------------------------------------------------------------------


def _for_colleague(
    session: Session, *, team_id: str, user_id: str, request_id: int, now: datetime
) -> OutsideFeedbackRequest:
    """The request, if ``user_id`` is the colleague asked and it is still open."""
    request = session.get(OutsideFeedbackRequest, request_id)
    if request is None or request.team_id != team_id:
        raise NotFound("That feedback request no longer exists.")
    if request.colleague_user_id != user_id:
        raise Forbidden("That feedback request was sent to someone else.")
    if request.status is OutsideFeedbackStatus.ANSWERED:
        raise UserError("You've answered this request already. Thank you!")
    if request.status is OutsideFeedbackStatus.DECLINED:
        raise UserError("You declined this request, so it's closed.")
    if request.status is OutsideFeedbackStatus.EXPIRED or request.expires_at <= now:
        raise UserError(
            "This request has expired (they stay open for 14 days). "
            f"<@{request.requester_user_id}> can ask again if they still want your view."
        )
    return request


def request_to_answer(
    session: Session, *, team_id: str, user_id: str, request_id: int, now: datetime
) -> OutsideRequest:
    """The open request the colleague is about to answer (before the modal opens)."""
    return _view(
        session,
        _for_colleague(session, team_id=team_id, user_id=user_id, request_id=request_id, now=now),
    )


def _answer(value: str, *, block_id: str, missing: str, errors: dict[str, str]) -> str:
    text = value.strip()
    if not text:
        errors[block_id] = missing
    elif len(text) > ANSWER_MAX:
        errors[block_id] = f"Keep this to {ANSWER_MAX} characters; it has {len(text)}."
    return text


def answer_request(
    session: Session,
    *,
    team_id: str,
    user_id: str,
    request_id: int,
    does_well: str,
    to_change: str,
    rating: str | None,
    now: datetime,
) -> OutsideRequest:
    """Store the colleague's note; it goes to the mentee only."""
    errors: dict[str, str] = {}
    well = _answer(
        does_well,
        block_id=BlockId.OUTSIDE_FEEDBACK_DOES_WELL,
        missing="Say one thing they do well, as specifically as you can.",
        errors=errors,
    )
    change = _answer(
        to_change,
        block_id=BlockId.OUTSIDE_FEEDBACK_TO_CHANGE,
        missing="Say one thing they could change or do more of.",
        errors=errors,
    )
    score: int | None = None
    if rating:
        score = int(rating) if rating.isdigit() and int(rating) in RATINGS else None
        if score is None:
            errors[BlockId.OUTSIDE_FEEDBACK_RATING] = "Pick a rating from 1 to 5, or leave it."
    if errors:
        raise FieldErrors(errors)
    request = _for_colleague(
        session, team_id=team_id, user_id=user_id, request_id=request_id, now=now
    )
    request.does_well, request.to_change = well, change
    request.rating = score if request.goal_id is not None else None
    request.status = OutsideFeedbackStatus.ANSWERED
    request.answered_at = now
    session.add(request)
    session.flush()
    return _view(session, request)


def decline_request(
    session: Session, *, team_id: str, user_id: str, request_id: int, now: datetime
) -> OutsideRequest:
    """The colleague declines; the mentee is told politely."""
    request = _for_colleague(
        session, team_id=team_id, user_id=user_id, request_id=request_id, now=now
    )
    request.status = OutsideFeedbackStatus.DECLINED
    request.answered_at = now
    session.add(request)
    session.flush()
    return _view(session, request)


def share_with_mentor(
    session: Session, *, team_id: str, user_id: str, request_id: int
) -> tuple[OutsideRequest, bool]:
    """The mentee shares an answer with the pair's mentor; False when it was shared already."""
    request = session.get(OutsideFeedbackRequest, request_id)
    if request is None or request.team_id != team_id or request.requester_user_id != user_id:
        raise NotFound("That feedback is no longer here to share.")
    if request.status is not OutsideFeedbackStatus.ANSWERED:
        raise UserError("There is no answer to share yet.")
    pairing = session.get(Pairing, request.pairing_id)
    if pairing is None or pairing.team_id != team_id or pairing.mentee_user_id != user_id:
        raise NotFound("That mentoring pair no longer exists, so there is no mentor to share with.")
    first = not request.shared_with_mentor
    if first:
        request.shared_with_mentor = True
        session.add(request)
        session.flush()
    return _view(session, request), first


def expire_requests(session: Session, *, now: datetime) -> list[OutsideRequest]:
    """Close every open request older than 14 days (all workspaces); returns the ones to tell
    their mentee about.

    A request whose DM never reached the colleague is withdrawn instead, without a word: the
    mentee heard when the outbox gave up on it.
    """
    due = list(
        session.exec(
            select(OutsideFeedbackRequest).where(
                col(OutsideFeedbackRequest.status) == OutsideFeedbackStatus.OPEN.value,
                col(OutsideFeedbackRequest.expires_at) <= now,
            )
        )
    )
    lost = _undelivered(session, due)
    expired = []
    for request in due:
        if request.id in lost:
            session.delete(request)
            continue
        request.status = OutsideFeedbackStatus.EXPIRED
        session.add(request)
        expired.append(request)
    session.flush()
    return [_view(session, r) for r in expired]
