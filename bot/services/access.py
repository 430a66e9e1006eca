"""Which pairing a person means, and the rule that a pair's data belongs to the pair alone."""

from dataclasses import dataclass

from sqlalchemy import bindparam
from sqlmodel import Session, col, or_, select

from bot.errors import Forbidden, NotFound, UserError
from bot.markup import escape
from storage.enums import PairingStatus, Role
from storage.models import Pairing, Program

# Pairings a person can still act in: running, or paused (a paused pair may still write notes).
OPEN_STATUSES = (PairingStatus.ACTIVE, PairingStatus.PAUSED)


@dataclass(frozen=True, slots=True)
class PairChoice:
    """One of a person's pairings, as a picker shows it."""

    pairing: Pairing
    program: Program
    partner_user_id: str
    my_role: Role

    @property
    def label(self) -> str:
        """How the choice reads in a select: the partner's mention can't render there."""
        return (
            f"{self.program.name}: your {('mentee' if self.my_role is Role.MENTOR else 'mentor')}"
        )


def role_in(pairing: Pairing, user_id: str) -> Role:
    """The person's side of the pairing; Forbidden if they are not in it."""
    if user_id == pairing.mentor_user_id:
        return Role.MENTOR
    if user_id == pairing.mentee_user_id:
        return Role.MENTEE
    raise Forbidden("That belongs to another mentoring pair, so you can't see or change it.")


def partner_of(pairing: Pairing, user_id: str) -> str:
    """The other person of the pair."""
    return (
        pairing.mentee_user_id
        if role_in(pairing, user_id) is Role.MENTOR
        else pairing.mentor_user_id
    )


def pairing_for(session: Session, *, team_id: str, user_id: str, pairing_id: int) -> Pairing:
    """The pairing, if ``user_id`` is in it and it belongs to the workspace; otherwise refuse."""
    pairing = session.get(Pairing, pairing_id)
    if pairing is None or pairing.team_id != team_id:
        raise NotFound("That mentoring pair no longer exists.")
    role_in(pairing, user_id)
    return pairing


# Looked up by nearly every click and command: built once (building it and its cache key took
# longer than SQLite ran it).
_MY_PAIRINGS = (
    select(Pairing, Program)
    .join(Program, col(Program.id) == col(Pairing.program_id))
    .where(
        Pairing.team_id == bindparam("team_id"),
        or_(
            col(Pairing.mentor_user_id) == bindparam("user_id"),
            col(Pairing.mentee_user_id) == bindparam("user_id"),
        ),
        col(Pairing.status).in_(bindparam("statuses", expanding=True)),
    )
    .order_by(col(Pairing.started_at).desc(), col(Pairing.id).desc())
)


def my_pairings(
    session: Session,
    *,
    team_id: str,
    user_id: str,
    statuses: tuple[PairingStatus, ...] = OPEN_STATUSES,
) -> list[PairChoice]:
    """The person's pairings as mentor or mentee, newest first."""
    rows = session.exec(
        _MY_PAIRINGS,
        params={"team_id": team_id, "user_id": user_id, "statuses": [s.value for s in statuses]},
    ).all()
    return [
        PairChoice(pairing, program, partner_of(pairing, user_id), role_in(pairing, user_id))
        for pairing, program in rows
    ]


def resolve_pairing(
    session: Session,
    *,
    team_id: str,
    user_id: str,
    hint: str = "",
    statuses: tuple[PairingStatus, ...] = OPEN_STATUSES,
) -> PairChoice:
    """The pairing a command means: the only one, or the one ``hint`` names (partner or program).

    ``hint`` may be a mention (``<@U123|name>``), a user id or a program name.
    """
    choices = my_pairings(session, team_id=team_id, user_id=user_id, statuses=statuses)
    if not choices:
        raise UserError(
            "You're not in a mentoring pair yet. Join a program with `/mentor join`; "
            "a lead will match you."
        )
    wanted = hint.strip()
    if wanted:
        user = wanted.removeprefix("<@").split("|")[0].rstrip(">").upper()
        picked = [
            c
            for c in choices
            if c.partner_user_id == user or c.program.name.lower() == wanted.lower()
        ]
        if len(picked) == 1:
            return picked[0]
        if not picked:
            raise UserError(
                f"You have no mentoring pair matching *{escape(wanted)}*. {_listing(choices)}"
            )
        choices = picked
    if len(choices) == 1:
        return choices[0]
    raise UserError(f"You're in several mentoring pairs. {_listing(choices)}")


def _listing(choices: list[PairChoice]) -> str:
    names = ", ".join(f"<@{c.partner_user_id}> ({c.program.name})" for c in choices[:10])
    return f"Name your partner, e.g. `@name`: {names}."
