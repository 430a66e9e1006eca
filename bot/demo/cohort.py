"""The demo's cohort: who is in it, what they tell the bot, and what each of them does, by week.

One program lead (Berlin), four mentors and six mentees across six timezones. The mentees carry
the story, each with a pattern a program lead would recognise:

- Priya (Bangalore) and her mentor are the thriving pair: every week, an agenda every time,
  feedback after every session, milestones met, a graduation at the end.
- Tom (Berlin) lapses: two sessions, a cancelled third, then silence until the bot's nudges
  and his lead's note bring the pair back.
- Ana (São Paulo) keeps meeting, but her scorecards fall from week four: the bot raises it
  with her mentor, then with the lead, and the ratings recover.
- Hiro (Tokyo) reaches his goals early and graduates in week seven.
- Emily (New York) often forgets to log a session: "did you meet?" reminds her.
- Aisha (London) takes a week off with ``/mentor pause`` and comes back by herself.

The pairs are not fixed here: the lead runs the real matching, and each mentee's story plays
with whoever the bot proposed. Everything a person types is written below; when they act is
the player's business (``bot.demo.play``), in their own working hours.
"""

from dataclasses import dataclass, field
from datetime import date, time
from typing import Literal

from bot.demo.capture import Channel
from bot.demo.transcript import Person

RoleName = Literal["lead", "mentor", "mentee"]
# Clarity of direction, energy after the session, confidence in the next step: 1 to 10.
Ratings = tuple[int, int, int]

PROGRAM = "Spring cohort"
START = date(2026, 3, 2)  # a Monday: week 1 begins here
WEEKS = 12
COMPETENCIES = (
    "System design",
    "Stakeholder communication",
    "Giving feedback",
    "Public speaking",
)
EMAIL_DOMAIN = "northwind.example"
# Every session lasts this long (the program's own length, set by the lead).
SESSION_MINUTES = 45


@dataclass(frozen=True)
class Member:
    """One of the cohort: how Slack knows them, and how they describe themselves on joining."""

    user_id: str
    handle: str
    name: str
    role: RoleName
    tz: str
    title: str
    story: str = ""
    # The join modal's answers. A mentee's skills are gaps self-scored 1-5; a mentor's are the
    # skills they offer, with their level.
    situation: str = ""
    aim: str = ""
    skills: tuple[tuple[str, int], ...] = ()
    interests: str = ""
    values: str = ""
    capacity: int = 1
    work_start: time = time(9)
    work_end: time = time(17, 30)
    availability: str = ""

    @property
    def first_name(self) -> str:
        """How the others call them."""
        return self.name.split()[0]

    @property
    def email(self) -> str:
        """Their work address (Slack shares it with the bot, so calendar invites name them)."""
        return f"{self.handle}@{EMAIL_DOMAIN}"

    def as_person(self) -> Person:
        """How the transcript introduces them."""
        return Person(
            user_id=self.user_id,
            name=self.name,
            role=self.role,
            tz=self.tz,
            title=self.title,
            story=self.story,
        )


LEAD = Member(
    "U04LENA",
    "lena.hoffmann",
    "Lena Hoffmann",
    "lead",
    "Europe/Berlin",
    "Head of Engineering Enablement",
    story="Runs the program: sets it up, matches, reads the weekly digest, steps in when asked.",
)

MENTORS = (
    Member(
        "U04DANIEL",
        "daniel.okafor",
        "Daniel Okafor",
        "mentor",
        "Europe/London",
        "Staff engineer, Payments",
        situation=(
            "Staff engineer on Payments for six years; I lead the design reviews and coach "
            "the engineers who run our incident reviews."
        ),
        aim="Get better at coaching rather than telling, and grow two tech leads this year.",
        skills=(("Giving feedback", 5), ("Stakeholder communication", 4), ("System design", 4)),
        interests="running, sourdough, jazz",
        values="candour, craft, kindness",
        capacity=2,
        work_start=time(9),
        work_end=time(17, 30),
    ),
    Member(
        "U04KENJI",
        "kenji.watanabe",
        "Kenji Watanabe",
        "mentor",
        "Asia/Tokyo",
        "Principal engineer, Platform",
        situation=(
            "Principal engineer on the platform team in Tokyo; I own the service mesh and the "
            "architecture review board."
        ),
        aim="Share what I learnt the hard way about large systems, and practise listening.",
        skills=(("System design", 5), ("Public speaking", 3)),
        interests="bouldering, film photography, jazz",
        values="curiosity, craft, patience",
        capacity=2,
        work_start=time(9),
        work_end=time(18),
    ),
    Member(
        "U04LAURA",
        "laura.chen",
        "Laura Chen",
        "mentor",
        "America/New_York",
        "Engineering manager, Growth",
        situation=(
            "Engineering manager of two Growth teams in New York; before that eight years as a "
            "mobile engineer and QA lead."
        ),
        aim="Help engineers find their voice with product and leadership.",
        skills=(("Stakeholder communication", 5), ("Giving feedback", 4)),
        interests="cycling, board games, podcasts",
        values="candour, ownership, humour",
        capacity=1,
        work_start=time(9),
        work_end=time(17),
    ),
    Member(
        "U04RAFAEL",
        "rafael.costa",
        "Rafael Costa",
        "mentor",
        "America/Sao_Paulo",
        "Director of Product Engineering",
        situation=(
            "Director of Product Engineering in São Paulo; I speak at conferences and run our "
            "quarterly engineering all-hands."
        ),
        aim="Give back: help a new speaker get on stage.",
        skills=(("Public speaking", 5), ("Stakeholder communication", 4)),
        interests="football, samba, cooking",
        values="generosity, courage, craft",
        capacity=1,
        work_start=time(9),
        work_end=time(18),
    ),
)

MENTEES = (
    Member(
        "U04PRIYA",
        "priya.raman",
        "Priya Raman",
        "mentee",
        "Asia/Kolkata",
        "Software engineer II, Checkout",
        story="The thriving pair: every week, agenda ready, feedback acted on; graduates.",
        situation=(
            "Three years on Checkout; I ship features well but freeze when a design grows past "
            "one service, and I rarely speak in the architecture review."
        ),
        aim=(
            "Lead the design of a multi-service feature end to end and present it to the "
            "architecture review by the summer."
        ),
        skills=(("System design", 2), ("Stakeholder communication", 3)),
        interests="bouldering, sketching, jazz",
        values="curiosity, craft",
        work_start=time(10),
        work_end=time(18, 30),
    ),
    Member(
        "U04TOM",
        "tom.becker",
        "Tom Becker",
        "mentee",
        "Europe/Berlin",
        "Backend engineer, Search",
        story="The lapsing pair: a cancelled session in week 6, silence, then the nudges work.",
        situation=(
            "Backend engineer on Search for two years; my team is about to get two juniors and "
            "I have never given anyone structured feedback."
        ),
        aim="Give clear, kind feedback in code review and one-to-ones, and run our retros.",
        skills=(("Giving feedback", 2), ("System design", 3)),
        interests="running, chess",
        values="candour, kindness",
        work_start=time(8, 30),
        work_end=time(17),
        availability="Busy release weeks at the start of April.",
    ),
    Member(
        "U04ANA",
        "ana.souza",
        "Ana Souza",
        "mentee",
        "America/Sao_Paulo",
        "Data engineer, Analytics",
        story="Falling scorecards from week 4: raised with her mentor, then the lead; recovers.",
        situation=(
            "Data engineer on Analytics; my work feeds every board deck, but someone else "
            "always presents it."
        ),
        aim="Present our data platform's roadmap at the all-hands in May myself.",
        skills=(("Public speaking", 1), ("Stakeholder communication", 2)),
        interests="football, cooking, podcasts",
        values="generosity, courage",
        work_start=time(9),
        work_end=time(18),
    ),
    Member(
        "U04HIRO",
        "hiro.tanaka",
        "Hiro Tanaka",
        "mentee",
        "Asia/Tokyo",
        "Site reliability engineer",
        story="Reaches his goals early and graduates in week 7.",
        situation=(
            "SRE in Tokyo; I run our on-call well but the capacity model I own is a "
            "spreadsheet nobody trusts."
        ),
        aim="Design the new capacity service and get it approved by the review board.",
        skills=(("System design", 3), ("Public speaking", 2)),
        interests="film photography, bouldering",
        values="patience, craft",
        work_start=time(9),
        work_end=time(18),
    ),
    Member(
        "U04EMILY",
        "emily.carter",
        "Emily Carter",
        "mentee",
        "America/New_York",
        "QA engineer, Mobile",
        story="Often forgets to log a session: “did you meet?” does it for her.",
        situation=(
            "QA engineer on the mobile apps; I find the problems early but struggle to get "
            "product managers to act on them."
        ),
        aim="Move into a QA lead role, owning release quality with product.",
        skills=(("Stakeholder communication", 2), ("Giving feedback", 3)),
        interests="board games, cycling, podcasts",
        values="ownership, humour",
        work_start=time(9),
        work_end=time(17),
    ),
    Member(
        "U04AISHA",
        "aisha.bello",
        "Aisha Bello",
        "mentee",
        "Europe/London",
        "Frontend engineer, Design systems",
        story="Pauses for a week's holiday in week 6 and comes back by herself.",
        situation=(
            "Frontend engineer on the design system; teams depend on our components but I "
            "find it hard to say no to their requests."
        ),
        aim="Run the design system's roadmap with the product teams as its tech lead.",
        skills=(("Stakeholder communication", 2), ("Giving feedback", 3)),
        interests="sourdough, running, sketching",
        values="kindness, craft",
        work_start=time(9),
        work_end=time(17, 30),
        availability="On holiday in the week of 6 April.",
    ),
)

EVERYONE = (LEAD, *MENTORS, *MENTEES)
BY_ID = {member.user_id: member for member in EVERYONE}

COHORT_CHANNEL = Channel(
    "C04MENTORING", "mentoring", tuple(m.user_id for m in EVERYONE), private=False
)
LEADS_CHANNEL = Channel("C04LEADS", "mentoring-leads", (LEAD.user_id,), private=True)
CHANNELS = (COHORT_CHANNEL, LEADS_CHANNEL)

# What the lead answers in the new-program modal, by block id.
PROGRAM_FORM: dict[str, str | int | date | list[str]] = {
    "program_name": PROGRAM,
    "program_purpose": "skills_transfer",
    "program_purpose_detail": "Senior engineering skills, from design to the room",
    "program_company_goal": (
        "Grow our next tech leads from within: half of this year's tech lead roles filled "
        "internally."
    ),
    "program_structure": "one_to_one",
    "program_places": 6,
    "program_visibility": "open",
    "program_cadence": "biweekly",
    "program_session_minutes": str(SESSION_MINUTES),
    "program_start": START,
    "program_length": "3",
    "program_success": (
        "Every mentee meets at least two of their three goals; scorecards average 7 or more."
    ),
    "program_measures": ["sessions", "goals"],
    "program_review_style": "casual",
    "program_competencies": "\n".join(COMPETENCIES),
    "program_digest_channel": LEADS_CHANNEL.channel_id,
}


@dataclass(frozen=True)
class GoalPlan:
    """A goal a mentee proposes in week 3, with dated milestones (by week of the program)."""

    statement: str
    success: str
    due_week: int
    milestones: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class Feedback:
    """A mentor's three-part feedback after a session."""

    went_well: str
    needs_change: str
    next_action: str


@dataclass(frozen=True)
class Story:
    """What one mentee's pair does over the twelve weeks (weeks counted from ``START``)."""

    mentee: str
    # The weeks the pair holds a session, on this weekday (0 = Monday).
    meets: frozenset[int]
    weekday: int
    # Scorecard ratings by week (weeks missing here get the ``usual`` ones).
    ratings: dict[int, Ratings] = field(default_factory=dict)
    usual: Ratings = (8, 8, 8)
    goals: tuple[GoalPlan, ...] = ()
    # Weeks the mentee doesn't log the session: "did you meet?" asks the next day.
    unlogged: frozenset[int] = frozenset()
    # Weeks a booked session doesn't happen: "did you meet?" is answered "It was cancelled".
    cancelled: frozenset[int] = frozenset()
    # The week a lapsed pair books again, after the lead's nudge.
    comeback: int | None = None
    # The week the mentee takes off with /mentor pause.
    pause: int | None = None
    # The week the mentee graduates early, with /mentor graduate.
    graduates: int | None = None
    # The weeks the mentee marks a milestone done and updates the goal's progress.
    progress_weeks: frozenset[int] = frozenset()
    agenda: tuple[str, ...] = ()
    feedback: tuple[Feedback, ...] = ()


def _weeks(first: int, last: int, *, without: tuple[int, ...] = ()) -> frozenset[int]:
    return frozenset(w for w in range(first, last + 1) if w not in without)


STORIES = (
    Story(
        mentee="U04PRIYA",
        meets=_weeks(2, 12),
        weekday=2,
        ratings={2: (7, 8, 7), 3: (8, 8, 8), 4: (8, 9, 8), 5: (9, 9, 8)},
        usual=(9, 9, 9),
        goals=(
            GoalPlan(
                "Lead the design of the split-payments feature across checkout, ledger and "
                "notifications, so I can own multi-service work on my own",
                "The design doc is approved by the architecture review with me presenting it, "
                "and the two other teams sign off their parts.",
                due_week=11,
                milestones=(
                    ("Map the three services' APIs and failure modes", 5),
                    ("Write the design doc and review it with my mentor", 8),
                    ("Present the design to the architecture review", 10),
                ),
            ),
            GoalPlan(
                "Speak up in the architecture review every week, because staying quiet keeps "
                "my ideas out of the platform",
                "I raise at least one point or question in every review for six weeks, and one "
                "of them changes a design.",
                due_week=12,
                milestones=(("Bring one written question to each review", 6),),
            ),
        ),
        progress_weeks=frozenset({4, 8, 11}),
        graduates=12,
        agenda=(
            "How you split a feature across services: where the seams go",
            "My first draft of the split-payments context diagram",
            "Idempotency across checkout and ledger: what can go wrong?",
            "Review my design doc outline",
            "Rehearse the architecture review presentation",
            "What I said in this week's review, and what I held back",
        ),
        feedback=(
            Feedback(
                "You came with a concrete diagram and questions, which made the hour count.",
                "You jump to the solution before naming the failure modes: list them first.",
                "Write the failure-mode table for the ledger call before next week.",
            ),
            Feedback(
                "Your design doc reads well: the trade-offs section is honest.",
                "The rollout plan is one line; reviewers will ask about it first.",
                "Draft a three-step rollout with a kill switch.",
            ),
        ),
    ),
    Story(
        mentee="U04TOM",
        meets=frozenset({2, 4, 9, 11}),
        weekday=1,
        ratings={2: (7, 7, 6), 4: (6, 7, 6)},
        usual=(8, 8, 7),
        cancelled=frozenset({6}),
        comeback=9,
        progress_weeks=frozenset({4, 11}),
        goals=(
            GoalPlan(
                "Give structured, kind feedback in code review and one-to-ones before our two "
                "juniors start, because I avoid the hard part today",
                "Both juniors say in their first month that my feedback is clear, and I have "
                "given one piece of difficult feedback in person.",
                due_week=12,
                milestones=(("Rewrite five review comments as situation-behaviour-impact", 4),),
            ),
        ),
        agenda=(
            "The feedback I avoided giving last sprint",
            "Situation-behaviour-impact on three real review comments",
            "How to open a difficult one-to-one",
            "Planning our first retro together",
        ),
        feedback=(
            Feedback(
                "You were honest about the conversation you dodged.",
                "Your examples stay abstract; bring the real comment next time.",
                "Pick one review comment this week and rewrite it with me.",
            ),
        ),
    ),
    Story(
        mentee="U04ANA",
        meets=frozenset({2, 4, 6, 8, 10, 12}),
        weekday=3,
        ratings={
            2: (8, 8, 8),
            4: (7, 6, 7),
            6: (5, 5, 6),
            8: (5, 4, 5),
            10: (6, 6, 7),
            12: (8, 8, 8),
        },
        progress_weeks=frozenset({4, 10}),
        graduates=12,
        goals=(
            GoalPlan(
                "Present the data platform roadmap at the May all-hands myself, to be seen as "
                "the owner of the work I do",
                "I give the ten-minute roadmap talk at the all-hands and take the questions "
                "without help.",
                due_week=11,
                milestones=(
                    ("Outline the talk and its three messages", 5),
                    ("Dry run in front of the Analytics team", 9),
                ),
            ),
        ),
        agenda=(
            "The three messages of the roadmap talk",
            "How to handle a question I can't answer on stage",
            "My slides, first pass",
            "Nerves: what to do in the first minute",
        ),
        feedback=(
            Feedback("Good energy and a clear story.", "Nothing really, all good.", "Keep going."),
            Feedback("The outline is clearer.", "Nothing much.", "Practise the opening."),
            Feedback(
                "You named your three messages in the first minute.",
                "You read from the slides when a question throws you: look up and pause.",
                "Record a five-minute run-through and watch it before we meet.",
            ),
            Feedback(
                "The dry run held the room, and you took two hard questions calmly.",
                "The roadmap slide has eleven bullets; three will land, eleven won't.",
                "Cut the roadmap slide to three items and rehearse it twice.",
            ),
        ),
    ),
    Story(
        mentee="U04HIRO",
        meets=frozenset({2, 4, 6}),
        weekday=1,
        usual=(9, 8, 9),
        graduates=7,
        goals=(
            GoalPlan(
                "Design the capacity service that replaces our spreadsheet, so capacity calls "
                "are made from data the teams trust",
                "The review board approves the design and two teams plan their quarter with it.",
                due_week=7,
                milestones=(
                    ("Write the capacity model's requirements with two teams", 3),
                    ("Design review with the board", 6),
                ),
            ),
        ),
        progress_weeks=frozenset({4, 6}),
        agenda=(
            "What the teams actually need from a capacity model",
            "Storage and forecasting options",
            "Preparing the board review",
            "After the approval: handing the build over",
        ),
        feedback=(
            Feedback(
                "You did the homework: the requirements are specific and signed off.",
                "You present every option as equal; say which one you recommend and why.",
                "Lead the next review with your recommendation on the first slide.",
            ),
        ),
    ),
    Story(
        mentee="U04EMILY",
        meets=frozenset({3, 5, 7, 9, 11}),
        weekday=3,
        ratings={5: (7, 7, 7), 9: (7, 8, 7)},
        unlogged=frozenset({5, 9}),
        progress_weeks=frozenset({4, 11}),
        graduates=12,
        goals=(
            GoalPlan(
                "Own release quality with the product managers of both apps, to grow into the "
                "QA lead role",
                "I run the release go/no-go for two releases and product accept my risk calls.",
                due_week=12,
                milestones=(("Propose a release checklist to both PMs", 6),),
            ),
        ),
        agenda=(
            "How to frame a bug as a product risk",
            "The go/no-go meeting: who decides what",
            "My draft release checklist",
            "Saying no to a release, kindly",
        ),
        feedback=(
            Feedback(
                "You framed the crash rate in the customers' terms: that lands with product.",
                "You apologise before every risk you raise; state it plainly.",
                "Lead Thursday's go/no-go and state one risk without softening it.",
            ),
        ),
    ),
    Story(
        mentee="U04AISHA",
        meets=frozenset({2, 4, 7, 9, 11}),
        weekday=0,
        pause=6,
        progress_weeks=frozenset({4, 9}),
        graduates=12,
        goals=(
            GoalPlan(
                "Run the design system roadmap with the product teams as its tech lead, so "
                "requests stop arriving as surprises",
                "The roadmap is reviewed with four product teams each quarter and every "
                "request goes through it.",
                due_week=12,
                milestones=(("Run the first roadmap review with two teams", 8),),
            ),
        ),
        agenda=(
            "Saying no to a component request without losing the team",
            "What goes on the roadmap, and who decides",
            "Preparing the first roadmap review",
            "How the review went",
        ),
        feedback=(
            Feedback(
                "Your roadmap draft is realistic and the priorities are clear.",
                "You say yes in the meeting and no by message afterwards; say it in the room.",
                "Decline one request in the room this week, with the reason.",
            ),
        ),
    ),
)

# Who opens the Home tab when, besides the lead answering what the bot tells her:
# (user id, week, weekday, local time).
HOME_VISITS = (
    (LEAD.user_id, 1, 2, time(9, 40)),
    ("U04PRIYA", 4, 1, time(11, 15)),
    ("U04KENJI", 5, 3, time(10, 5)),
    (LEAD.user_id, 12, 4, time(15, 0)),
)
