"""Invitations: who a program's leads invited, who joined and who declined.

An invitation-only program admits only the people its leads invited (besides its leads, and
people who already took part in it); for an open program an invitation is a nudge. Nothing here
talks to Slack: handlers turn user groups and channels into people before anything is stored.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from bot.commands import COMMAND
from bot.errors import Forbidden, NotFound, UserError
from bot.services.leads import program_lead_ids
from storage.enums import ParticipantStatus, ProgramStatus, Visibility
from storage.models import Invitation, InvitationStatus, Participant, Program, SlackUser

# Slack escapes what a slash command mentions: <@U…|name>, <!subteam^S…|@handle>, <#C…|name>.
USER_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
GROUP_MENTION = re.compile(r"^<!subteam\^(S[A-Z0-9]+)(?:\|[^>]*)?>$")
CHANNEL_MENTION = re.compile(r"^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$")
# People one invitation round may reach: a bigger channel is a broadcast, not an invitation.
INVITE_MAX = 1000
# Names per page of the leads' list: 100 mentions stay well inside a section's 3,000 characters.
INVITATION_PAGE = 100
# Programs people can be invited to: the invitation's Join buttons must work.
INVITABLE = (ProgramStatus.ENROLLING, ProgramStatus.ACTIVE)
# The list shows who took the invitation up first, then who has still to answer.
STATUS_ORDER = (InvitationStatus.JOINED, InvitationStatus.INVITED, InvitationStatus.DECLINED)
USAGE = f"`{COMMAND} program invite PROGRAM @person @group #channel`"


@dataclass(frozen=True, slots=True)
class InviteWords:
    """``/mentor program invite`` split: the program's name, then who is invited."""

    program_name: str
    user_ids: tuple[str, ...] = ()
    usergroup_ids: tuple[str, ...] = ()
    channel_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class InvitationCounts:
    """A program's invitations by answer: still open, taken up, turned down."""

    waiting: int = 0
    joined: int = 0
    declined: int = 0

    @property
    def total(self) -> int:
        """Everyone invited, whatever they answered."""
        return self.waiting + self.joined + self.declined


@dataclass(frozen=True, slots=True)
class Invited:
    """What one invitation round did: who is newly invited, and who was left out and why."""

    new: tuple[Invitation, ...] = ()
    already_invited: int = 0
    declined_before: int = 0
    already_in: int = 0
    leads: int = 0


@dataclass(frozen=True, slots=True)
class InvitationPage:
    """One page of a program's invitations, in ``STATUS_ORDER``, with the program's totals."""

    program_id: int
    offset: int
    total: int
    rows: tuple[tuple[str, InvitationStatus], ...]
    counts: InvitationCounts


# --- reading the command ------------------------------------------------------------------------


def parse_invite_words(args: Sequence[str]) -> InviteWords:
    """``Spring cohort <@U1|ana> <!subteam^S1|@devs> <#C1|general>``: the program's name is the
    words before the first mention (names may hold spaces); every word after it is a mention."""
    words = list(args)
    first = next((n for n, word in enumerate(words) if _mentions(word)), len(words))
    name = " ".join(words[:first]).strip()
    users: list[str] = []
    groups: list[str] = []
    channels: list[str] = []
    unread = 0
    for word in words[first:]:
        for pattern, found in (
            (USER_MENTION, users),
            (GROUP_MENTION, groups),
            (CHANNEL_MENTION, channels),
        ):
            match = pattern.match(word)
            if match:
                found.append(match.group(1))
                break
        else:
            unread += 1
    if not name:
        raise UserError(f"Which program? Name it before the people: {USAGE}.")
    if unread:
        raise UserError(
            "After the program's name, mention only people (@name), user groups (@group) and "
            f"channels (#channel): I couldn't read {unread} of the words. {USAGE}"
        )
    if not (users or groups or channels):
        raise UserError(f"Who should I invite to *{name}*? {USAGE}")
    return InviteWords(
        name,
        tuple(dict.fromkeys(users)),
        tuple(dict.fromkeys(groups)),
        tuple(dict.fromkeys(channels)),
    )


def _mentions(word: str) -> bool:
    return any(p.match(word) for p in (USER_MENTION, GROUP_MENTION, CHANNEL_MENTION))


# --- inviting -----------------------------------------------------------------------------------


def require_invitable(program: Program) -> None:
    """People are invited to a program that takes sign-ups, so that their Join button works."""
    if program.status in INVITABLE:
        return
    if program.status is ProgramStatus.DRAFT:
        raise UserError(
            f"*{program.name}* isn't open for enrolment yet, so an invitation's Join button "
            f"wouldn't work. Open it first: `{COMMAND} program open {program.name}`."
        )
    raise UserError(f"*{program.name}* has closed: nobody can join it any more.")


def invite_people(
    session: Session, *, program: Program, user_ids: Iterable[str], invited_by: str, now: datetime
) -> Invited:
    """Invite each of ``user_ids`` who is not in the program, not a lead and not invited yet,
    leaving out anyone Slack told us is a bot or deactivated (as the directory has cached them:
    asking Slack about each would be slow)."""
    wanted = _people_only(session, program.team_id, dict.fromkeys(u for u in user_ids if u))
    if len(wanted) > INVITE_MAX:
        raise UserError(f"That's {len(wanted):,} people: I invite at most {INVITE_MAX:,} at once.")
    leads = set(program_lead_ids(session, program=program))
    taking_part = set(_taking_part(session, program, wanted))
    answers = _answers(session, program, wanted)
    fresh: list[str] = []
    already = declined = inside = leading = 0
    for user_id in wanted:
        if user_id in taking_part:
            inside += 1
        elif user_id in leads:
            leading += 1
        elif answers.get(user_id) is InvitationStatus.DECLINED:
            declined += 1
        elif user_id in answers:
            already += 1
        else:
            fresh.append(user_id)
    rows = _insert(session, program, fresh, invited_by=invited_by, now=now)
    return Invited(
        new=tuple(rows),
        # Someone invited by another lead a moment ago counts as already invited.
        already_invited=already + len(fresh) - len(rows),
        declined_before=declined,
        already_in=inside,
        leads=leading,
    )


def _insert(
    session: Session, program: Program, user_ids: list[str], *, invited_by: str, now: datetime
) -> list[Invitation]:
    """Store the invitations; one another lead stored meanwhile is left as it is."""

    def row(user_id: str) -> Invitation:
        return Invitation(
            team_id=program.team_id,
            program_id=_id(program),
            user_id=user_id,
            invited_by=invited_by,
            invited_at=now,
        )

    rows = [row(u) for u in user_ids]
    try:
        with session.begin_nested():
            session.add_all(rows)
        return rows
    except IntegrityError:
        # Another lead invited one of them meanwhile: store the others one by one below.
        pass
    stored = []
    for user_id in user_ids:
        one = row(user_id)
        try:
            with session.begin_nested():
                session.add(one)
        except IntegrityError:
            continue
        stored.append(one)
    return stored


def _people_only(session: Session, team_id: str, user_ids: Iterable[str]) -> list[str]:
    wanted = list(user_ids)
    if not wanted:
        return []
    skipped = set(
        session.exec(
            select(SlackUser.user_id).where(
                SlackUser.team_id == team_id,
                col(SlackUser.user_id).in_(wanted),
                sa.or_(col(SlackUser.is_bot).is_(True), col(SlackUser.deleted).is_(True)),
            )
        ).all()
    )
    return [u for u in wanted if u not in skipped]


def _taking_part(session: Session, program: Program, user_ids: list[str]) -> list[str]:
    if not user_ids:
        return []
    return list(
        session.exec(
            select(Participant.user_id).where(
                Participant.team_id == program.team_id,
                Participant.program_id == _id(program),
                col(Participant.user_id).in_(user_ids),
                col(Participant.status) != ParticipantStatus.LEFT,
            )
        ).all()
    )


def _answers(
    session: Session, program: Program, user_ids: list[str]
) -> dict[str, InvitationStatus]:
    if not user_ids:
        return {}
    rows = session.exec(
        select(Invitation.user_id, Invitation.status).where(
            Invitation.team_id == program.team_id,
            Invitation.program_id == _id(program),
            col(Invitation.user_id).in_(user_ids),
        )
    ).all()
    return {user_id: InvitationStatus(status) for user_id, status in rows}


# --- who may join ---------------------------------------------------------------------------------


def find_invitation(session: Session, *, program: Program, user_id: str) -> Invitation | None:
    """The person's invitation to ``program``, whatever its answer."""
    return session.exec(
        select(Invitation).where(
            Invitation.team_id == program.team_id,
            Invitation.program_id == _id(program),
            Invitation.user_id == user_id,
        )
    ).first()


def may_join(session: Session, *, program: Program, user_id: str) -> bool:
    """Whether the program admits the person: anyone for an open program; for one by invitation,
    the invited (a "not this time" can be changed), its leads and people who took part in it."""
    if program.visibility is not Visibility.INVITATION:
        return True
    if find_invitation(session, program=program, user_id=user_id) is not None:
        return True
    took_part = session.exec(
        select(Participant.id).where(
            Participant.team_id == program.team_id,
            Participant.program_id == _id(program),
            Participant.user_id == user_id,
        )
    ).first()
    return took_part is not None or user_id in program_lead_ids(session, program=program)


def require_invited(session: Session, *, program: Program, user_id: str) -> None:
    """Refuse someone an invitation-only program does not admit, naming a lead to ask."""
    if may_join(session, program=program, user_id=user_id):
        return
    lead = program_lead_ids(session, program=program)[0]
    raise Forbidden(
        f"*{program.name}* is by invitation only, and you haven't been invited. "
        f"If you'd like to take part, ask its lead <@{lead}>."
    )


def mark_joined(session: Session, *, program: Program, user_id: str, now: datetime) -> None:
    """The person joined: their invitation, if they had one, is taken up."""
    invitation = find_invitation(session, program=program, user_id=user_id)
    if invitation is None or invitation.status is InvitationStatus.JOINED:
        return
    invitation.status = InvitationStatus.JOINED
    invitation.answered_at = now
    session.add(invitation)
    session.flush()


def decline_invitation(session: Session, *, program: Program, user_id: str, now: datetime) -> bool:
    """Record "not this time"; False when it was recorded already. Refused for someone with no
    invitation, or who joined."""
    invitation = find_invitation(session, program=program, user_id=user_id)
    if invitation is None:
        raise NotFound(f"You have no invitation to *{program.name}*.")
    if invitation.status is InvitationStatus.JOINED:
        raise UserError(
            f"You've joined *{program.name}* already. To leave it: "
            f"`{COMMAND} leave {program.name}`."
        )
    if invitation.status is InvitationStatus.DECLINED:
        return False
    invitation.status = InvitationStatus.DECLINED
    invitation.answered_at = now
    session.add(invitation)
    session.flush()
    return True


def invited_program_ids(session: Session, *, team_id: str, user_id: str) -> set[int]:
    """The programs the person was invited to (whatever they answered)."""
    rows = session.exec(
        select(Invitation.program_id).where(
            Invitation.team_id == team_id, Invitation.user_id == user_id
        )
    ).all()
    return set(rows)


def programs_visible_to(
    session: Session, *, team_id: str, user_id: str, led_ids: Iterable[int]
) -> list[Program]:
    """The programs someone who is no admin may see listed: the ones they lead, the ones they
    took part in, and those they may join (open, or by invitation and invited); never a draft
    or an invitation-only program they were not invited to. Newest start first."""
    took_part = (
        sa.exists()
        .where(
            col(Participant.program_id) == col(Program.id),
            col(Participant.team_id) == team_id,
            col(Participant.user_id) == user_id,
        )
        .correlate(Program)
    )
    invited = (
        sa.exists()
        .where(
            col(Invitation.program_id) == col(Program.id),
            col(Invitation.team_id) == team_id,
            col(Invitation.user_id) == user_id,
        )
        .correlate(Program)
    )
    joinable = sa.and_(
        col(Program.status).in_([ProgramStatus.ENROLLING.value, ProgramStatus.ACTIVE.value]),
        sa.or_(col(Program.visibility) == Visibility.OPEN.value, invited),
    )
    query = select(Program).where(
        Program.team_id == team_id,
        sa.or_(col(Program.id).in_(list(led_ids)), took_part, joinable),
    )
    return list(session.exec(query.order_by(col(Program.start_date).desc(), col(Program.id))))


# --- what the leads see -------------------------------------------------------------------------


def invitation_counts(
    session: Session, *, programs: Iterable[Program]
) -> dict[int, InvitationCounts]:
    """Each program's invitations by answer, in one grouped query (programs with none left out)."""
    by_id = {p.id: p for p in programs if p.id is not None}
    if not by_id:
        return {}
    rows = session.exec(
        select(Invitation.program_id, Invitation.status, func.count())
        .where(
            col(Invitation.program_id).in_(list(by_id)),
            col(Invitation.team_id).in_(sorted({p.team_id for p in by_id.values()})),
        )
        .group_by(col(Invitation.program_id), col(Invitation.status))
    ).all()
    tallies: dict[int, dict[InvitationStatus, int]] = {}
    for program_id, status, count in rows:
        tallies.setdefault(int(program_id), {})[InvitationStatus(status)] = int(count)
    return {
        program_id: InvitationCounts(
            waiting=found.get(InvitationStatus.INVITED, 0),
            joined=found.get(InvitationStatus.JOINED, 0),
            declined=found.get(InvitationStatus.DECLINED, 0),
        )
        for program_id, found in tallies.items()
    }


def invitation_page(session: Session, *, program: Program, offset: int) -> InvitationPage:
    """One page of the program's invitations: joined first, then open ones, then declined."""
    counts = invitation_counts(session, programs=[program]).get(_id(program), InvitationCounts())
    total = counts.total
    last = max(total - 1, 0) // INVITATION_PAGE * INVITATION_PAGE
    start = min(max(offset, 0) // INVITATION_PAGE * INVITATION_PAGE, last)
    rank = sa.case(
        *((col(Invitation.status) == s.value, n) for n, s in enumerate(STATUS_ORDER)),
        else_=len(STATUS_ORDER),
    )
    rows = session.exec(
        select(Invitation.user_id, Invitation.status)
        .where(Invitation.team_id == program.team_id, Invitation.program_id == _id(program))
        .order_by(rank, col(Invitation.invited_at), col(Invitation.id))
        .offset(start)
        .limit(INVITATION_PAGE)
    ).all()
    return InvitationPage(
        program_id=_id(program),
        offset=start,
        total=total,
        rows=tuple((user_id, InvitationStatus(status)) for user_id, status in rows),
        counts=counts,
    )


def _id(program: Program) -> int:
    if program.id is None:  # pragma: no cover - only unsaved rows lack an id
        raise ValueError("Program has not been saved")
    return int(program.id)
