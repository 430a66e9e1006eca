"""A demo transcript made by hand, whose blocks all come from the bot's real view builders.

The renderers are tested against what the bot really sends: a seeded cohort (the one
``bot.sandbox.demo_digest`` draws the example digest from) gives the digest, its chart and both
kinds of Home tab, and the goal, scorecard and introduction views are built from the same
service dataclasses the handlers pass them. ``sample_transcript`` is what the unit tests, the
browser test and the README's screenshots draw when no real demo run is at hand.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from bot.demo.transcript import Entry, Image, Person, Surface, Transcript
from bot.export import chart_filename, chart_png, digest_for
from bot.sandbox.demo_digest import seed_cohort
from bot.services.goals import GoalBoard, GoalView
from bot.services.home import home_data
from bot.services.pairing import Introduction, PersonIntro
from bot.services.scorecards import ScorecardView
from bot.views.digest import chart_comment
from bot.views.goals import build_agreement_request, build_goal_form, build_goals_overview
from bot.views.home import build_home
from bot.views.matching import build_introduction
from bot.views.scorecards import build_scorecard_prompt
from storage.db import make_engine, session_scope
from storage.enums import GoalProgress, GoalStatus, PairingStatus, Role
from storage.migrate import upgrade
from storage.models import Goal, Milestone, Pairing, SlackUser

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # the seeded cohort's "today": week 13 begins
START = NOW - timedelta(weeks=12)
TEAM = "T0001"
LEAD = "UADMIN"
LEADS_CHANNEL = "CDIGEST"
PROGRAM = "Spring cohort"
PAIRS = 12
LAST_DAY = date(2026, 6, 7)  # the six-month program's last day


@dataclass(frozen=True)
class Cohort:
    """What the seeded cohort gives the transcript: its pair, names, digest, chart, Home tabs."""

    mentor: str
    mentee: str
    pairing_id: int
    names: dict[str, str]
    digest: dict[str, Any]
    chart: bytes
    chart_name: str
    chart_comment: str
    lead_home: dict[str, Any]
    mentee_home: dict[str, Any]


def seeded_cohort() -> Cohort:
    """Seed the example cohort in memory and build what the bot sends from it."""
    engine = make_engine("sqlite://")
    upgrade(engine)
    try:
        with session_scope(engine) as session:
            program = seed_cohort(session, pairs=PAIRS, now=NOW, name=PROGRAM, seed=30)
            pairing = _thriving_pair(session)
            built = digest_for(session, program=program, now=NOW)
            chart = chart_png(built.metrics)
            assert chart is not None, "the seeded cohort draws a chart"
            names = {u.user_id: u.real_name for u in session.exec(select(SlackUser))}
            assert pairing.id is not None
            return Cohort(
                mentor=pairing.mentor_user_id,
                mentee=pairing.mentee_user_id,
                pairing_id=pairing.id,
                names=names,
                digest=built.message,
                chart=chart,
                chart_name=chart_filename(built.metrics),
                chart_comment=chart_comment(built.metrics),
                lead_home=_home(session, LEAD, admin=True, tz="Europe/London"),
                mentee_home=_home(session, pairing.mentee_user_id, tz="Europe/Lisbon"),
            )
    finally:
        engine.dispose()


def _thriving_pair(session: Session) -> Pairing:
    found = session.exec(
        select(Pairing).where(Pairing.status == PairingStatus.ACTIVE).order_by(col(Pairing.id))
    ).first()
    assert found is not None
    return found


def _home(session: Session, user_id: str, *, tz: str, admin: bool = False) -> dict[str, Any]:
    data = home_data(session=session, team_id=TEAM, user_id=user_id, is_admin=admin, now=NOW)
    return build_home(data, tz=tz, today=NOW.date())


def goal_view(
    statement: str,
    *,
    goal_id: int,
    pairing_id: int,
    proposed_by: str,
    agreed_by: str | None = None,
    due: date = date(2026, 5, 29),
    progress: GoalProgress = GoalProgress.NOT_STARTED,
    progress_note: str = "",
    milestones: tuple[tuple[str, date, bool], ...] = (),
) -> GoalView:
    """A goal as the goal views take it (the service's dataclass around a model row)."""
    goal = Goal(
        id=goal_id,
        team_id=TEAM,
        pairing_id=pairing_id,
        statement=statement,
        success_criteria="My director hears the launch update from me, with numbers, unprompted.",
        due_date=due,
        status=GoalStatus.AGREED if agreed_by else GoalStatus.PROPOSED,
        progress=progress,
        progress_note=progress_note,
        proposed_by=proposed_by,
        agreed_by=agreed_by,
        co_created=agreed_by is not None,
    )
    rows = tuple(
        Milestone(
            id=goal_id * 10 + n,
            team_id=TEAM,
            goal_id=goal_id,
            title=title,
            due_date=when,
            position=n,
            done_at=datetime.combine(when, datetime.min.time(), UTC) if done else None,
        )
        for n, (title, when, done) in enumerate(milestones)
    )
    return GoalView(goal=goal, milestones=rows)


def goals_of(cohort: Cohort) -> list[GoalView]:
    """The pair's two goals: one agreed and under way, one the mentee just proposed."""
    return [
        goal_view(
            "Build the stakeholder communication skills that block my path to a senior role",
            goal_id=1,
            pairing_id=cohort.pairing_id,
            proposed_by=cohort.mentee,
            agreed_by=cohort.mentor,
            progress=GoalProgress.ON_TRACK,
            progress_note="ran the February review myself",
            milestones=(
                ("Draft the Q1 launch update", date(2026, 2, 6), True),
                ("Present it to the payments leads", date(2026, 3, 13), False),
            ),
        ),
        goal_view(
            "Lead the design review for the refunds service by the end of April",
            goal_id=2,
            pairing_id=cohort.pairing_id,
            proposed_by=cohort.mentee,
            due=date(2026, 4, 30),
        ),
    ]


def people_of(cohort: Cohort) -> tuple[Person, ...]:
    """The lead, the mentor and the mentee the transcript follows."""
    return (
        Person(LEAD, "Priya Raman", "lead", "Europe/London", "Head of L&D", "runs the cohort"),
        Person(
            cohort.mentor,
            cohort.names[cohort.mentor],
            "mentor",
            "America/New_York",
            "Staff engineer, Payments",
            "a steady mentor",
        ),
        Person(
            cohort.mentee,
            cohort.names[cohort.mentee],
            "mentee",
            "Europe/Lisbon",
            "Engineer, Payments",
            "meets weekly; two goals, one agreed",
        ),
    )


def _at(week: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of the program: week 1 starts on its first day."""
    return START + timedelta(weeks=week - 1, days=day, hours=hour - 9, minutes=minute)


def sample_transcript(cohort: Cohort | None = None) -> Transcript:
    """Twelve weeks in brief: the introduction, goals, a scorecard, Home tabs and the digest."""
    c = cohort or seeded_cohort()
    mentor, mentee = c.mentor, c.mentee
    goals = goals_of(c)
    people = people_of(c)
    transcript = Transcript(
        title=f"{PROGRAM}: twelve weeks with mentorbot",
        start=START,
        end=NOW,
        people=people,
        names={**c.names, **{p.user_id: p.name for p in people}, LEADS_CHANNEL: "mentoring-leads"},
        summary=[
            f"*{PAIRS} pairs* met weekly for twelve weeks in *{PROGRAM}*.",
            f"<@{mentee}> and <@{mentor}> agreed a goal in week 1 and met every week since.",
            f"The leads read the digest in <#{LEADS_CHANNEL}> every Monday.",
        ],
    )
    intro = build_introduction(
        Introduction(
            pairing_ids=(c.pairing_id,),
            program_name=PROGRAM,
            cadence="weekly",
            session_minutes=60,
            length_months=6,
            mentor=PersonIntro(
                mentor, Role.MENTOR, "", ("Stakeholder communication (4/5)",), ("climbing",)
            ),
            mentees=(
                PersonIntro(
                    mentee,
                    Role.MENTEE,
                    "lead the payments roadmap review within a year",
                    ("Stakeholder communication", "System design"),
                    ("climbing", "board games"),
                ),
            ),
            reasons=("Offers Stakeholder communication, which they want", "Both like climbing"),
        )
    )
    overview = build_goals_overview(
        GoalBoard(
            pairing_id=c.pairing_id,
            program_name=PROGRAM,
            viewer_user_id=mentee,
            viewer_role=Role.MENTEE,
            partner_user_id=mentor,
            last_day=LAST_DAY,
            live=True,
            goals=goals,
        ),
        today=NOW.date(),
    )
    form = build_goal_form(pairing_id=c.pairing_id, partner_user_id=mentor, last_day=LAST_DAY)
    request = build_agreement_request(goals[1], proposer_user_id=mentee, program_name=PROGRAM)
    scorecard = build_scorecard_prompt(
        ScorecardView(
            scorecard_id=41,
            pairing_id=c.pairing_id,
            meeting_id=12,
            mentee_user_id=mentee,
            mentor_user_id=mentor,
            session_start=_at(12, 3, 14),
            scores={"clarity": 8, "energy": 7, "confidence": None},
            comment="",
            complete=False,
        ),
        tz="Europe/Lisbon",
    )
    group = f"Group DM: {c.names[mentor]}, {c.names[mentee]}"
    for entry in (
        _message(_at(1, 0, 9), "group_dm", (mentor, mentee), group, intro),
        _action(_at(1, 0, 10, 12), mentee, "typed `/mentor goals`", "DM with mentorbot"),
        _view(_at(1, 0, 10, 12), "modal", mentee, overview, verb="opened"),
        _action(_at(1, 0, 10, 13), mentee, "clicked *Add a goal*", "Goals"),
        _view(_at(1, 0, 10, 13), "modal", mentee, form, verb="pushed"),
        _message(_at(1, 0, 10, 20), "dm", (mentor,), "DM with mentorbot", request),
        _view(_at(12, 3, 15, 5), "home", mentee, c.mentee_home, verb="published"),
        _message(_at(12, 3, 15, 5), "dm", (mentee,), "DM with mentorbot", scorecard),
        _action(_at(12, 3, 15, 7), mentee, "rated *Clarity of direction* 8", "DM with mentorbot"),
        _message(
            _at(13, 0, 9),
            "channel",
            (LEAD,),
            "#mentoring-leads",
            c.digest,
            images=(
                Image(
                    filename=c.chart_name,
                    mimetype="image/png",
                    data_base64=base64.b64encode(c.chart).decode("ascii"),
                    comment=c.chart_comment,
                ),
            ),
        ),
        _view(_at(13, 0, 9, 30), "home", LEAD, c.lead_home, verb="published"),
    ):
        transcript.add(entry)
    return transcript


def _message(
    at: datetime,
    surface: Surface,
    audience: tuple[str, ...],
    where: str,
    payload: dict[str, Any],
    *,
    images: tuple[Image, ...] = (),
) -> Entry:
    return Entry(
        at=at,
        surface=surface,
        audience=audience,
        where=where,
        blocks=tuple(payload["blocks"]),
        text=payload["text"],
        verb="posted",
        images=images,
    )


def _view(
    at: datetime, surface: Surface, user_id: str, view: dict[str, Any], *, verb: str
) -> Entry:
    modal = surface == "modal"
    return Entry(
        at=at,
        surface=surface,
        audience=(user_id,),
        where="Modal" if modal else "Home tab",
        blocks=tuple(view["blocks"]),
        title=view["title"]["text"] if modal else "",
        submit=view.get("submit", {}).get("text", "") if modal else "",
        close=view.get("close", {}).get("text", "") if modal else "",
        verb=verb,
    )


def _action(at: datetime, user_id: str, words: str, where: str) -> Entry:
    return Entry(at=at, surface="action", audience=(user_id,), where=where, text=words)
