"""A realistic cohort, seeded in bulk, and the example digest in ``docs/`` drawn from it.

Run ``python -m bot.sandbox.demo_digest`` from the repository root to (re)write
``docs/digest-example.md`` and ``docs/digest-example.png`` from an in-memory database; the same
seed and clock give the same files. ``seed_cohort`` also feeds the benchmark
(``bench/bench_digest.py``) and the tests of large programs.
"""

import argparse
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col

from storage.enums import (
    AgendaSource,
    Cadence,
    FlagKind,
    GoalProgress,
    GoalStatus,
    MeetingStatus,
    PairingStatus,
    ParticipantStatus,
    ProgramStatus,
    Role,
    Stage,
    SurveyKind,
)
from storage.models import (
    ActionItem,
    AgendaItem,
    Feedback,
    Flag,
    Goal,
    Meeting,
    MeetingGoal,
    Pairing,
    Participant,
    Program,
    Scorecard,
    SkillAssessment,
    SkillRating,
    SlackUser,
    SurveyResponse,
)

DEMO_NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DEMO_PAIRS = 60
DEMO_SEED = 30
COMPETENCIES = (
    "Stakeholder communication",
    "Giving feedback",
    "System design",
    "Negotiation",
    "Public speaking",
    "Prioritisation",
)
FIRST = [
    "Ada",
    "Amara",
    "Ben",
    "Chen",
    "Dara",
    "Eli",
    "Femi",
    "Gus",
    "Hana",
    "Ines",
    "Jon",
    "Kai",
    "Lena",
    "Mo",
    "Nia",
    "Omar",
    "Pia",
    "Quinn",
    "Rosa",
    "Sam",
    "Tara",
    "Uma",
    "Vic",
    "Wen",
    "Xavi",
    "Yara",
    "Zoe",
    "Ivo",
    "Lux",
    "Noor",
]
LAST = [
    "Okafor",
    "Lin",
    "Park",
    "Shah",
    "Ortiz",
    "Novak",
    "Berg",
    "Costa",
    "Diaz",
    "Evans",
    "Fox",
    "Garcia",
    "Haas",
    "Ito",
    "Jensen",
    "Kim",
    "Lopez",
    "Moreau",
    "Nagy",
    "Olsen",
    "Pereira",
    "Rossi",
    "Sato",
    "Tan",
    "Ueda",
    "Vogel",
    "Weber",
    "Young",
    "Zhou",
    "Adler",
]
SUBSTANTIVE = (
    "Bring the numbers to the review instead of describing them",
    "Say no to the extra project until the launch is out",
    "Ask for the decision explicitly at the end",
    "Write the design doc before the meeting, not after",
)
TRIVIAL = ("Nothing really, all good!", "none", "Keep it up.", "n/a")


@dataclass
class _Rows:
    """Rows to insert in bulk, per table, with the next free id of each."""

    rows: dict[type[SQLModel], list[dict[str, Any]]]
    next_id: dict[type[SQLModel], int]

    def add(self, model: type[SQLModel], **values: Any) -> int:
        """Queue a row; returns its id."""
        row_id = self.next_id[model]
        self.next_id[model] = row_id + 1
        self.rows[model].append({"id": row_id, **values})
        return row_id

    def link(self, model: type[SQLModel], **values: Any) -> None:
        """Queue a row of a table keyed by what it links (no id of its own)."""
        self.rows[model].append(values)


def _next_ids(session: Session, models: Sequence[type[SQLModel]]) -> dict[type[SQLModel], int]:
    found = {}
    for model in models:
        table: Any = model.__table__  # type: ignore[attr-defined]
        top = session.execute(sa.select(sa.func.max(table.c.id))).scalar()
        found[model] = int(top or 0) + 1
    return found


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def seed_cohort(
    session: Session,
    *,
    pairs: int,
    now: datetime,
    name: str = "Spring cohort",
    weeks: int = 12,
    seed: int = 7,
    team_id: str = "T0001",
    lead: str = "UADMIN",
    digest_channel_id: str | None = "CDIGEST",
) -> Program:
    """Store an ACTIVE weekly program ``weeks`` weeks in, with ``pairs`` pairings and their history.

    Most pairs meet about weekly and do their part; a few lapse, stall, pause or graduated early,
    and a few show each failure mode the digest flags. Rows go in with bulk inserts.
    """
    rng = random.Random(seed)  # noqa: S311 - made-up demo data, not secrets
    start = (now - timedelta(weeks=weeks)).date()
    program = Program(
        team_id=team_id,
        name=name,
        status=ProgramStatus.ACTIVE,
        cadence=Cadence.WEEKLY,
        start_date=start,
        length_months=6,
        competencies=list(COMPETENCIES),
        digest_channel_id=digest_channel_id,
        created_by=lead,
    )
    session.add(program)
    session.flush()
    assert program.id is not None
    tables: list[type[SQLModel]] = [
        Participant,
        Pairing,
        Meeting,
        AgendaItem,
        Scorecard,
        Feedback,
        ActionItem,
        Goal,
        MeetingGoal,
        SkillAssessment,
        SkillRating,
        SurveyResponse,
        Flag,
        SlackUser,
    ]
    keyed = [t for t in tables if t is not MeetingGoal]
    out = _Rows({t: [] for t in tables}, _next_ids(session, keyed))
    existing = set(session.execute(sa.select(col(SlackUser.user_id))).scalars())
    today = now.date()
    midpoint = start + (start + timedelta(days=182) - start) / 2
    tag = f"{program.id:03d}"

    def person(user_id: str, role: Role) -> int:
        if user_id not in existing:
            existing.add(user_id)
            out.add(
                SlackUser,
                team_id=team_id,
                user_id=user_id,
                real_name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                tz="UTC",
                refreshed_at=now,
            )
        return out.add(
            Participant,
            team_id=team_id,
            program_id=program.id,
            user_id=user_id,
            role=role,
            status=ParticipantStatus.ACTIVE,
            joined_at=now - timedelta(weeks=weeks + 1),
            updated_at=now,
        )

    for i in range(pairs):
        mentor, mentee = f"UM{tag}{i:05d}", f"UE{tag}{i:05d}"
        mentor_id, mentee_id = person(mentor, Role.MENTOR), person(mentee, Role.MENTEE)
        started = _at(start + timedelta(days=rng.randint(0, 4)), 9)
        roll = rng.random()
        status = (
            PairingStatus.PAUSED
            if roll < 0.04
            else PairingStatus.GRADUATED
            if roll < 0.07
            else PairingStatus.ENDED
            if roll < 0.08
            else PairingStatus.ACTIVE
        )
        ended = (
            now - timedelta(days=rng.randint(5, 20))
            if status
            in (
                PairingStatus.GRADUATED,
                PairingStatus.ENDED,
            )
            else None
        )
        profile = rng.random()
        lapsed = status is PairingStatus.ACTIVE and profile < 0.06
        lapsing = status is PairingStatus.ACTIVE and 0.06 <= profile < 0.11
        stalled = status is PairingStatus.ACTIVE and 0.11 <= profile < 0.15
        low = rng.random() < 0.05
        drift = rng.random() < 0.05
        avoided = rng.random() < 0.04
        one_sided = rng.random() < 0.05
        gap = rng.random() < 0.04
        until = ended or now
        if lapsed:
            until = now - timedelta(days=rng.randint(15, 30))
        elif lapsing:
            until = now - timedelta(days=rng.randint(11, 13))
        elif status is PairingStatus.PAUSED:
            until = now - timedelta(days=rng.randint(14, 28))
        pairing_id = out.add(
            Pairing,
            team_id=team_id,
            program_id=program.id,
            mentor_id=mentor_id,
            mentee_id=mentee_id,
            mentor_user_id=mentor,
            mentee_user_id=mentee,
            status=status,
            stage=Stage.GRADUATED
            if status is PairingStatus.GRADUATED
            else rng.choice([Stage.DEMONSTRATION, Stage.GUIDED_PRACTICE, Stage.INDEPENDENT]),
            match_reasons=[],
            created_at=started,
            started_at=started,
            ended_at=ended,
            end_reason="graduated" if status is PairingStatus.GRADUATED else "",
        )
        agreed_goals: list[int] = []
        for position in range(rng.choice([2, 2, 3])):
            if stalled:
                goal_status, progress = GoalStatus.PROPOSED, GoalProgress.NOT_STARTED
            elif status is PairingStatus.GRADUATED:
                goal_status, progress = GoalStatus.AGREED, GoalProgress.DONE
            else:
                goal_status = GoalStatus.AGREED
                progress = rng.choices(
                    [
                        GoalProgress.ON_TRACK,
                        GoalProgress.AT_RISK,
                        GoalProgress.DONE,
                        GoalProgress.NOT_STARTED,
                    ],
                    weights=[60, 15, 15, 10],
                )[0]
            goal_id = out.add(
                Goal,
                team_id=team_id,
                pairing_id=pairing_id,
                statement="A private goal statement",
                due_date=today + timedelta(days=rng.randint(-10, 120)),
                status=goal_status,
                progress=progress,
                proposed_by=mentee,
                agreed_by=mentor if goal_status is GoalStatus.AGREED else None,
                position=position,
                created_at=started,
                updated_at=started,
            )
            if goal_status is GoalStatus.AGREED:
                agreed_goals.append(goal_id)
        held: list[datetime] = []
        day = started
        while day + timedelta(hours=2) < until:
            if rng.random() < 0.95:
                held.append(day + timedelta(hours=rng.randint(1, 6)))
            day += timedelta(days=7 + rng.choice([-1, 0, 0, 0, 1]))
        for n, at in enumerate(held):
            recent = n >= len(held) - 3
            meeting_id = out.add(
                Meeting,
                team_id=team_id,
                pairing_id=pairing_id,
                status=MeetingStatus.HELD,
                scheduled_start=at,
                duration_minutes=60,
                held_at=at,
                minutes_held=rng.choice([45, 60, 60, 60, 90]),
                notes="Private notes of the pair",
                created_at=at - timedelta(days=3),
            )
            drifting = drift and recent and n != len(held) - 3
            if agreed_goals and not drifting:
                out.link(
                    MeetingGoal,
                    team_id=team_id,
                    meeting_id=meeting_id,
                    goal_id=rng.choice(agreed_goals),
                )
            if not drifting:
                for position in range(rng.randint(1, 3)):
                    out.add(
                        AgendaItem,
                        team_id=team_id,
                        pairing_id=pairing_id,
                        meeting_id=meeting_id,
                        text="A private agenda item",
                        source=AgendaSource.MENTEE,
                        added_by=mentee,
                        position=position,
                        covered=True,
                        created_at=at - timedelta(days=1),
                    )
            if rng.random() < 0.85:
                scores = [min(max(round(rng.gauss(7.6, 1.1)), 1), 10) for _ in range(3)]
                if low and recent and n != len(held) - 2:
                    scores[0] = rng.randint(3, 5)
                out.add(
                    Scorecard,
                    team_id=team_id,
                    pairing_id=pairing_id,
                    meeting_id=meeting_id,
                    mentee_user_id=mentee,
                    clarity=scores[0],
                    energy=scores[1],
                    confidence=scores[2],
                    comment="A private comment",
                    created_at=at + timedelta(hours=1),
                    completed_at=at + timedelta(hours=2),
                )
            if avoided or rng.random() < 0.9:
                out.add(
                    Feedback,
                    team_id=team_id,
                    pairing_id=pairing_id,
                    meeting_id=meeting_id,
                    from_user_id=mentor,
                    went_well="Private praise",
                    needs_change=rng.choice(TRIVIAL if avoided else SUBSTANTIVE),
                    next_action="A private next step",
                    created_at=at + timedelta(hours=3),
                )
            due = (at + timedelta(days=5)).date()
            done = None
            if due < today and not one_sided and rng.random() < 0.96:
                done = at + timedelta(days=rng.randint(1, 5))
            out.add(
                ActionItem,
                team_id=team_id,
                pairing_id=pairing_id,
                meeting_id=meeting_id,
                text="A private action",
                owner_user_id=mentee,
                due_date=due,
                done_at=done,
                created_at=at,
            )
        if status is PairingStatus.ACTIVE and not (lapsed or lapsing) and held:
            nxt = held[-1] + timedelta(days=7)
            if nxt > now:
                out.add(
                    Meeting,
                    team_id=team_id,
                    pairing_id=pairing_id,
                    status=MeetingStatus.SCHEDULED,
                    scheduled_start=nxt,
                    duration_minutes=60,
                    held_at=None,
                    minutes_held=None,
                    notes="",
                    created_at=held[-1],
                )
        rounds = 1 + (started <= now - timedelta(weeks=6) and rng.random() < 0.8)
        if rng.random() < 0.95:
            mentee_first = {c: rng.randint(1, 4) for c in COMPETENCIES}
            mentor_first = {
                c: min(max(s + rng.choice([-2, -1, 0, 0, 1]), 1), 5)
                for c, s in mentee_first.items()
            }
            for round_ in range(1, rounds + 1):
                for role, user in ((Role.MENTEE, mentee), (Role.MENTOR, mentor)):
                    assessment = out.add(
                        SkillAssessment,
                        team_id=team_id,
                        pairing_id=pairing_id,
                        round=round_,
                        rater_role=role,
                        rater_user_id=user,
                        submitted_at=started + timedelta(weeks=6 * (round_ - 1), days=2),
                    )
                    for c in COMPETENCIES:
                        base = mentee_first[c] if role is Role.MENTEE else mentor_first[c]
                        if round_ > 1:
                            # Talking about a gap closes it: the second round mostly agrees.
                            grown = min(mentee_first[c] + rng.choice([0, 1, 1]), 5)
                            base = grown if role is Role.MENTEE else grown + rng.choice([-1, 0, 0])
                        if gap and c == COMPETENCIES[0]:
                            base = 5 if role is Role.MENTEE else 2
                        out.add(
                            SkillRating,
                            team_id=team_id,
                            assessment_id=assessment,
                            competency=c,
                            score=base,
                        )
        if midpoint <= today and status is not PairingStatus.ENDED:
            for user in (mentor, mentee):
                if rng.random() < 0.7:
                    out.add(
                        SurveyResponse,
                        team_id=team_id,
                        program_id=program.id,
                        pairing_id=pairing_id,
                        user_id=user,
                        kind=SurveyKind.MIDPOINT,
                        scores={
                            "relationship_quality": rng.randint(3, 5),
                            "goal_alignment": rng.randint(2, 5),
                            "satisfaction": rng.randint(3, 5),
                        },
                        comment="A private survey comment",
                        submitted_at=now,
                    )
        if rng.random() < 0.004 and status in (PairingStatus.ACTIVE, PairingStatus.PAUSED):
            out.add(
                Flag,
                team_id=team_id,
                program_id=program.id,
                participant_id=None,
                kind=FlagKind.DELIVERY_FAILED,
                dedupe_key=f"delivery_failed:{mentee}:account_inactive",
                detail=f"<@{mentee}>: account_inactive",
                raised_at=now - timedelta(days=rng.randint(1, 20)),
            )
    for i in range(max(1, pairs // 60)):
        waiting = f"UW{tag}{i:05d}"
        participant = person(waiting, Role.MENTEE)
        out.add(
            Flag,
            team_id=team_id,
            program_id=program.id,
            participant_id=participant,
            kind=FlagKind.UNMATCHED,
            dedupe_key=f"unmatched:{participant}:{now.isoformat()}",
            detail="no mentor with capacity offers their skills",
            raised_at=now - timedelta(days=rng.randint(1, 10)),
        )
    for model in tables:
        rows = out.rows[model]
        if rows:
            # One executemany per table needs the same keys in every row.
            keys = set().union(*rows)
            assert all(len(row) == len(keys) for row in rows), f"uneven {model.__name__} rows"
            table: Any = model.__table__  # type: ignore[attr-defined]
            session.execute(sa.insert(table), rows)
    session.flush()
    return program


def render_example(out_dir: Path, *, pairs: int = DEMO_PAIRS) -> tuple[Path, Path]:
    """Seed an in-memory cohort and write the example digest (Markdown) and its chart (PNG)."""
    from bot.export import chart_png, digest_for
    from bot.views.digest import message_as_text
    from storage.db import make_engine, session_scope
    from storage.migrate import upgrade

    engine = make_engine("sqlite://")
    upgrade(engine)
    with session_scope(engine) as session:
        program = seed_cohort(session, pairs=pairs, now=DEMO_NOW, seed=DEMO_SEED)
        digest = digest_for(session, program=program, now=DEMO_NOW)
    engine.dispose()
    chart = chart_png(digest.metrics)
    if chart is None:
        raise RuntimeError("the demo cohort produced no chart")
    out_dir.mkdir(parents=True, exist_ok=True)
    png, md = out_dir / "digest-example.png", out_dir / "digest-example.md"
    png.write_bytes(chart)
    blocks = len(digest.message["blocks"])
    md.write_text(
        "# Example cohort digest\n\n"
        "Generated by `python -m bot.sandbox.demo_digest` (run from the repository root): a "
        f"seeded, in-memory cohort of {pairs} pairs, 12 weeks into a weekly six-month program, on "
        f"{DEMO_NOW:%A} {DEMO_NOW.day} {DEMO_NOW:%B %Y}. Run it again after changing the "
        "digest and commit both files.\n\n"
        "This is what the leads' digest channel shows: the message below "
        f"({blocks} Block Kit blocks; Slack allows 50), then the chart, uploaded to the same "
        "channel. The `:emoji:` codes render as icons in Slack.\n\n"
        "## The message\n\n"
        f"{message_as_text(digest.message)}\n\n"
        "## The chart\n\n"
        f"![Sessions per week against plan, and the scorecard trend]({png.name})\n\n"
        "## The notification text\n\n"
        f"> {digest.message['text']}\n",
        encoding="utf-8",
    )
    return md, png


def main(argv: Sequence[str] | None = None) -> int:
    """Write docs/digest-example.md and docs/digest-example.png."""
    parser = argparse.ArgumentParser(
        prog="python -m bot.sandbox.demo_digest",
        description="Render the example cohort digest (Markdown and chart) into docs/.",
    )
    parser.add_argument("--out-dir", type=Path, default=Path("docs"), help="default: docs")
    parser.add_argument("--pairs", type=int, default=DEMO_PAIRS, help=f"default: {DEMO_PAIRS}")
    args = parser.parse_args(argv)
    md, png = render_example(args.out_dir, pairs=args.pairs)
    sys.stdout.write(f"wrote {md} and {png}\n")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
