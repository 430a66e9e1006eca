"""The authorization matrix: every command, button and modal, sent as every role.

Each surface is the payload a real Slack sends for pair A's ids (modals are the ones the bot
opened for their owners, with their private_metadata as built), sent by each role of the world
in ``tests/authz_world.py``. ``TABLE`` says, per surface and role, whether it is allowed (``Y``)
or refused (``-``). A refusal must tell the person clearly (a warning where they acted, or an
error under a field), change no row of any table, and send nothing to anyone else. An allowed
request must not be refused or apologised for, and must leave other pairs' and other programs'
rows alone; nothing shown outside a pair may carry words the pair wrote. Replays follow: every
id pointing at nothing; pair B's people sending their own forms with pair A's ids inside; a
lead of another program naming their own program; modals naming someone else's DM or modal in
their metadata. A meta-test fails when the app registers a command, action, modal or event that
the matrix does not send.
"""

import json
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlmodel import Session, select

from bot.ids import ActionId, BlockId
from bot.sandbox.slack_double import conversation_id_for
from bot.views.home import (
    FLAG_NUDGE,
    FLAG_REMATCH,
    FLAG_REPORT,
    PAGE_NEXT,
    PAGE_PREVIOUS,
    REMATCH_NOTE,
    REMATCH_REASON,
    REVIEW_PROPOSALS,
)
from bot.views.matching import MATCH_WHY
from handlers.programs import STATUS_ACTIONS
from storage.enums import DeliveryStatus, PairingStatus, ParticipantStatus, ProgramStatus
from storage.models import Delivery, Pairing, Participant, Program
from tests.authz_world import (
    NEW_COLLEAGUE,
    PAIR_A,
    PAIR_B,
    USER,
    Lab,
    Rows,
    Seen,
    Who,
    World,
    changed,
    judge,
    leaks,
    open_lab,
    rows_of,
)
from tests.forms import Answer
from tests.harness import TEAM_ID

# --- the surfaces -------------------------------------------------------------------------------

Send = Callable[[Lab, Who, World], Seen]
Prepare = Callable[[Lab], None]


@dataclass(frozen=True)
class Surface:
    """One thing a person can do in Slack, and how a real Slack sends it for pair A."""

    name: str
    kind: str  # "command", "event", "click" or "submit"
    # What it exercises: the subcommand, the action id, or the name of the world's modal.
    covers: str
    send: Send
    prepare: Prepare | None = None


SURFACES: list[Surface] = []


def command(name: str, words: str, prepare: Prepare | None = None) -> None:
    """``/mentor <words>``: ``{partner}`` names pair A's other person, ``{program}`` its program."""

    def send(lab: Lab, who: Who, w: World) -> Seen:
        return lab.command(who, words.format(partner=w.partner(who), program=w.program_name))

    SURFACES.append(Surface(f"/mentor {name}", "command", words.split()[0], send, prepare))


def click(
    name: str,
    action_id: str,
    value: Callable[[World], object],
    where: str = "message",
    prepare: Prepare | None = None,
    *,
    select: bool = False,
) -> None:
    """A button (``select``: an option) in a DM of the bot's, a Home tab or an open modal."""

    def send(lab: Lab, who: Who, w: World) -> Seen:
        if where == "message":
            view = None
        elif where.startswith("home:"):
            view = lab.world.homes[Who(where.removeprefix("home:"))]
        else:
            view = w.views[where]
        return lab.click(who, action_id, str(value(w)), view=view, select=select)

    SURFACES.append(Surface(name, "click", action_id, send, prepare))


def submit(
    name: str,
    view: str,
    answers: Callable[[World], dict[str, Answer]],
    prepare: Prepare | None = None,
) -> None:
    """A modal the bot opened for its owner, filled in and submitted."""

    def send(lab: Lab, who: Who, w: World) -> Seen:
        # The answers fit the modal as it was opened (its block ids may hold ids): only its
        # metadata points elsewhere when the world's ids do.
        return lab.submit(who, w.views[view], answers(lab.world))

    SURFACES.append(Surface(name, "submit", view, send, prepare))


BACK_ON = datetime(2026, 3, 20, 9, tzinfo=UTC)


def status_of_program(status: ProgramStatus) -> Prepare:
    """Set the program's status before the request (what the surface needs to succeed)."""

    def prepare(lab: Lab) -> None:
        def change(session: Session) -> None:
            program = session.get(Program, lab.world.program_id)
            assert program is not None
            program.status = status
            session.add(program)

        lab.write(change)

    return prepare


def everyone_paused(lab: Lab) -> None:
    """Every participant of the program on a break (``/mentor resume`` needs one)."""

    def change(session: Session) -> None:
        for row in session.exec(select(Participant)).all():
            row.status = ParticipantStatus.PAUSED
            row.paused_until = BACK_ON
            session.add(row)

    lab.write(change)


def pair_paused(lab: Lab) -> None:
    """Pair A on a break (``/mentor resume @partner`` needs it)."""

    def change(session: Session) -> None:
        pairing = session.get(Pairing, lab.world.pairing_id)
        assert pairing is not None
        pairing.status = PairingStatus.PAUSED
        pairing.paused_until = BACK_ON
        session.add(pairing)

    lab.write(change)


def first(w: World, view: str, block_id: str) -> str:
    """The first option of a select in one of the world's modals."""
    for block in w.views[view]["blocks"]:
        if block.get("block_id") == block_id:
            element = block["element"]
            options = element.get("options") or [
                o for g in element.get("option_groups", []) for o in g["options"]
            ]
            return str(options[0]["value"])
    raise KeyError(block_id)


# Commands, in the help's order.
command("help", "help")
command("status", "status")
command("join", "join {program} as mentee")
command("profile", "profile {program}")
command("goals", "goals {partner}")
command("agenda", "agenda {partner}")
command("schedule", "schedule {partner}")
command("log", "log {partner}")
command("feedback", "feedback {partner}")
command("skills", "skills {partner}")
command("plan", "plan {partner}")
command("notes", "notes {partner}")
command("ask-feedback", f"ask-feedback <@{NEW_COLLEAGUE}> How was my demo?")
command("stage", "stage {partner}")
command("stage move", "stage {partner} independent")
command("board", "board {program}")
command("pause", "pause {program}")
command("pause @partner", "pause {partner} until 2026-03-20")
command("resume", "resume {program}", everyone_paused)
command("resume @partner", "resume {partner}", pair_paused)
command("graduate", "graduate {partner}")
command("leave", "leave {program}")
command("my-data", "my-data")
command("forget-me", "forget-me")
command("program list", "program list")
command("program new", "program new")
command("program edit", "program edit {program}")
command("program open", "program open {program}", status_of_program(ProgramStatus.DRAFT))
command("program start", "program start {program}", status_of_program(ProgramStatus.ENROLLING))
command("program close", "program close {program}")
command(
    "program announce", "program announce {program}", status_of_program(ProgramStatus.ENROLLING)
)
command("program invite", f"program invite {{program}} <@{NEW_COLLEAGUE}>")
command("match", "match {program}")
command("pair", f"pair <@{USER[Who.OTHER_MENTOR]}> <@{USER[Who.PARTICIPANT]}> {{program}}")
command("digest", "digest {program}")
command("digest --preview", "digest {program} --preview")
command("report", "report {program}")
command("export", "export {program}")

# The Home tab.
SURFACES.append(
    Surface("home tab opened", "event", "app_home_opened", lambda lab, who, w: lab.open_home(who))
)
click("home: help", ActionId.HOME_HELP, lambda w: "", "home:lead")
click("home: new program", ActionId.PROGRAM_NEW, lambda w: "", "home:lead")
click("home: edit program", ActionId.PROGRAM_EDIT, lambda w: w.program_id, "home:lead")
click(
    "home: open enrolment",
    ActionId.PROGRAM_OPEN_ENROLMENT,
    lambda w: w.program_id,
    "home:lead",
    status_of_program(ProgramStatus.DRAFT),
)
click(
    "home: start program",
    ActionId.PROGRAM_START,
    lambda w: w.program_id,
    "home:lead",
    status_of_program(ProgramStatus.ENROLLING),
)
click("home: close program", ActionId.PROGRAM_CLOSE, lambda w: w.program_id, "home:lead")
click("home: match", ActionId.PROGRAM_MATCH, lambda w: w.program_id, "home:lead")
click("home: review proposals", REVIEW_PROPOSALS, lambda w: w.program_id, "home:lead")
click("home: flags, next", PAGE_NEXT, lambda w: f"0:{w.program_id}:5", "home:lead")
click("home: flags, previous", PAGE_PREVIOUS, lambda w: f"0:{w.program_id}:0", "home:lead")
click("home: nudge", FLAG_NUDGE, lambda w: f"{w.pairing_id}:lapsed", "home:lead")
click("home: pair report", FLAG_REPORT, lambda w: w.pairing_id, "home:lead")
click("home: re-match", FLAG_REMATCH, lambda w: w.pairing_id, "home:lead")
click("home: invite", ActionId.INVITE_OPEN, lambda w: w.program_id, "home:lead")
click("home: invitations", ActionId.INVITATIONS_OPEN, lambda w: w.program_id, "home:lead")
click(
    "invitations: next",
    ActionId.INVITATIONS_NEXT,
    lambda w: f"{w.program_id}:10",
    "invitations",
)
click(
    "invitations: previous",
    ActionId.INVITATIONS_PREVIOUS,
    lambda w: f"{w.program_id}:0",
    "invitations",
)
submit("invite modal", "invite", lambda w: {BlockId.INVITE_PEOPLE: [NEW_COLLEAGUE]})
submit(
    "re-match modal",
    "rematch",
    lambda w: {REMATCH_REASON: "fit", REMATCH_NOTE: "Not a fit."},
)

# Programs and enrolment.
submit(
    "program modal: new",
    "program_new",
    lambda w: {
        BlockId.PROGRAM_NAME: "Summer cohort",
        BlockId.PROGRAM_PURPOSE: first(w, "program_new", BlockId.PROGRAM_PURPOSE),
        BlockId.PROGRAM_COMPANY_GOAL: "Grow our next engineering leads.",
        BlockId.PROGRAM_SUCCESS: "Half of the mentees lead a team within a year.",
        BlockId.PROGRAM_COMPETENCIES: "Negotiation\nPublic speaking",
    },
)
submit("program modal: edit", "program_edit", lambda w: {})
click("join button", ActionId.JOIN, lambda w: f"{w.program_id}:mentee")
click("invitation: not this time", ActionId.INVITATION_DECLINE, lambda w: w.program_id)
click("ask for a re-match", ActionId.REMATCH, lambda w: w.program_id)
submit(
    "join modal",
    "join",
    lambda w: {
        BlockId.JOIN_SITUATION: "I lead a small team.",
        BlockId.JOIN_AIM: "I want to lead a department.",
        BlockId.JOIN_SKILL_1: "Negotiation",
        BlockId.JOIN_SCORE_1: "2",
        BlockId.JOIN_SKILL_2: "Public speaking",
        BlockId.JOIN_SCORE_2: "3",
    },
)
submit("pause modal", "pause", lambda w: {BlockId.PAUSE_UNTIL: date(2026, 3, 20)})
submit("leave modal", "leave", lambda w: {BlockId.LEAVE_NOTE: "Thank you."})
submit("forget-me modal", "forget_me", lambda w: {})

# Matching and the board.
click("proposal: approve", ActionId.MATCH_APPROVE, lambda w: w.proposal_id)
click("proposals: approve all", ActionId.MATCH_APPROVE_ALL, lambda w: w.program_id)
click("proposal: later", ActionId.MATCH_LATER, lambda w: w.proposal_id)
click("proposals: page", ActionId.MATCH_PAGE, lambda w: f"{w.program_id}:0")
click("proposal: swap", ActionId.MATCH_SWAP, lambda w: w.proposal_id)
click("proposal: why", MATCH_WHY, lambda w: w.proposal_id)
submit(
    "swap modal",
    "swap",
    lambda w: {BlockId.MATCH_SWAP_MENTOR: first(w, "swap", BlockId.MATCH_SWAP_MENTOR)},
)
click("board: edit", ActionId.BOARD_EDIT, lambda w: w.program_id)
submit("board modal", "board", lambda w: {f"{BlockId.BOARD_ROLE_PREFIX}{w.pairing_id}": "Guide"})

# Goals.
click("goals: open", ActionId.GOALS_OPEN, lambda w: w.pairing_id)
click("goals: add", ActionId.GOAL_ADD, lambda w: w.pairing_id, "goals")
click("goals: edit", ActionId.GOAL_EDIT, lambda w: w.agreed_goal_id, "goals")
click("goals: agree", ActionId.GOAL_AGREE, lambda w: w.proposed_goal_id)
click("goals: suggest a change", ActionId.GOAL_SUGGEST, lambda w: w.proposed_goal_id)
click("goals: progress", ActionId.GOAL_UPDATE_PROGRESS, lambda w: w.agreed_goal_id, "goals")
click("goals: milestones", ActionId.GOAL_MILESTONES, lambda w: w.agreed_goal_id, "goals")
click(
    "milestone: tick",
    ActionId.GOAL_MILESTONE_TOGGLE,
    lambda w: w.milestone_ids[0],
    "milestones",
)
click("milestone: up", ActionId.GOAL_MILESTONE_UP, lambda w: w.milestone_ids[1], "milestones")
click("milestone: down", ActionId.GOAL_MILESTONE_DOWN, lambda w: w.milestone_ids[0], "milestones")
submit(
    "goal modal: new",
    "goal_new",
    lambda w: {
        BlockId.GOAL_STATEMENT: "Chair the architecture guild meetings by the summer",
        BlockId.GOAL_SUCCESS: "The guild asks me to chair again.",
        BlockId.GOAL_DUE: date(2026, 6, 15),
    },
)
submit("goal modal: edit", "goal_edit", lambda w: {BlockId.GOAL_SUCCESS: "Signed off."})
submit("suggest modal", "goal_suggest", lambda w: {BlockId.GOAL_SUGGESTION: "Name the conference."})
submit(
    "progress modal",
    "goal_progress",
    lambda w: {
        BlockId.GOAL_PROGRESS_STATUS: first(w, "goal_progress", BlockId.GOAL_PROGRESS_STATUS)
    },
)

# Sessions, agenda, feedback.
click("schedule: open", ActionId.SCHEDULE_OPEN, lambda w: w.pairing_id)
click("log: open", ActionId.LOG_OPEN, lambda w: w.pairing_id, "home:mentee")
click("did you meet: yes", ActionId.MEETING_HELD, lambda w: w.unlogged_meeting_id)
click("did you meet: moved", ActionId.MEETING_MOVED, lambda w: w.unlogged_meeting_id)
click("did you meet: cancelled", ActionId.MEETING_CANCELLED, lambda w: w.unlogged_meeting_id)
click("schedule: cancel", ActionId.SESSION_CANCEL, lambda w: w.next_meeting_id, "schedule")
submit(
    "schedule modal",
    "schedule",
    lambda w: {BlockId.SESSION_DATE: date(2026, 3, 5), BlockId.SESSION_TIME: "16:00"},
)
submit("cancel modal", "session_cancel", lambda w: {BlockId.SESSION_CANCEL_REASON: "Ill."})
submit(
    "log modal",
    "log",
    lambda w: {
        BlockId.LOG_DATE: date(2026, 2, 26),
        BlockId.LOG_MINUTES: "45",
        BlockId.LOG_NOTES: "We practised the opening.",
    },
)
click("agenda: open", ActionId.AGENDA_OPEN, lambda w: w.pairing_id, "home:mentee")
submit("agenda modal", "agenda", lambda w: {BlockId.AGENDA_NEW: "Questions for the directors"})
click("feedback: open", ActionId.FEEDBACK_OPEN, lambda w: w.held_meeting_id)
submit(
    "feedback modal",
    "feedback",
    lambda w: {
        BlockId.FEEDBACK_WENT_WELL: "You asked sharp questions.",
        BlockId.FEEDBACK_NEEDS_CHANGE: "Bring the numbers next time.",
        BlockId.FEEDBACK_NEXT_ACTION: "Send me the deck by Friday.",
    },
)

# Scorecards, skills, stage, surveys, graduation.
click(
    "scorecard: rate",
    f"{ActionId.SCORECARD_ENERGY_PREFIX}8",
    lambda w: f"{w.scorecard_id}:8",
)
click("scorecard: comment", ActionId.SCORECARD_COMMENT, lambda w: w.scorecard_id)
click(
    "scorecard: add to agenda", ActionId.SCORECARD_RAISE, lambda w: f"{w.scorecard_id}:energy:2:3"
)
click("scorecard: not now", ActionId.SCORECARD_NOT_NOW, lambda w: f"{w.scorecard_id}:energy:2:3")
submit(
    "scorecard comment modal", "scorecard_comment", lambda w: {BlockId.SCORECARD_COMMENT: "Good."}
)
click("skills: open", ActionId.SKILLS_OPEN, lambda w: w.pairing_id)
click("skills: re-assess", ActionId.SKILLS_REASSESS, lambda w: w.pairing_id)
click("skills: gaps to agenda", ActionId.SKILLS_GAPS_TO_AGENDA, lambda w: f"{w.pairing_id}:1")
submit(
    "skills modal",
    "skills",
    lambda w: {f"{BlockId.SKILL_PREFIX}0": "3", f"{BlockId.SKILL_PREFIX}1": "4"},
)
click("stage: pick", ActionId.STAGE_MOVE, lambda w: f"{w.pairing_id}:independent", select=True)
click("survey: open", ActionId.SURVEY_OPEN, lambda w: f"{w.pairing_id}:midpoint")
submit(
    "survey modal",
    "survey",
    lambda w: {
        f"{BlockId.SURVEY_PREFIX}relationship_quality": "4",
        f"{BlockId.SURVEY_PREFIX}goal_alignment": "4",
        f"{BlockId.SURVEY_PREFIX}satisfaction": "5",
    },
)
click("graduation: open", ActionId.GRADUATION_OPEN, lambda w: w.pairing_id)


def graduation_answers(w: World) -> dict[str, Answer]:
    """The graduation review filled in: an outcome for each goal, and what comes next."""
    goals = (w.agreed_goal_id, w.proposed_goal_id)
    return {
        **{
            f"{BlockId.GRADUATION_GOAL_PREFIX}{g}": first(
                w, "graduation", f"{BlockId.GRADUATION_GOAL_PREFIX}{g}"
            )
            for g in goals
        },
        BlockId.GRADUATION_AFTER: first(w, "graduation", BlockId.GRADUATION_AFTER),
    }


submit("graduation modal", "graduation", graduation_answers)

# The leads' report.
click("report: next", ActionId.REPORT_NEXT, lambda w: f"{w.program_id}:20")
click("report: previous", ActionId.REPORT_PREVIOUS, lambda w: f"{w.program_id}:0")

# Learning plans.
click("plan: open", ActionId.PLAN_OPEN, lambda w: w.pairing_id, "home:mentee")
click("plan: a goal's plan", ActionId.PLAN_GOAL_OPEN, lambda w: w.agreed_goal_id, "plan")
click("plan: add a resource", ActionId.PLAN_RESOURCE_ADD, lambda w: w.agreed_goal_id, "plan")
click("plan: add a task", ActionId.PLAN_TASK_ADD, lambda w: w.agreed_goal_id, "plan")
click(
    "plan: tick off a task",
    ActionId.PLAN_TASK_MENU,
    lambda w: f"done:{w.task_id}",
    "plan",
    select=True,
)
click("plan: remove a resource", ActionId.PLAN_RESOURCE_REMOVE, lambda w: w.resource_id, "plan")
submit(
    "resource modal",
    "plan_resource",
    lambda w: {
        BlockId.PLAN_RESOURCE_TITLE: "Crucial Conversations",
        BlockId.PLAN_RESOURCE_KIND: first(w, "plan_resource", BlockId.PLAN_RESOURCE_KIND),
        BlockId.PLAN_RESOURCE_URL: "https://example.com/crucial",
    },
)
submit(
    "task modal",
    "plan_task",
    lambda w: {
        BlockId.PLAN_TASK_TITLE: "Rehearse the opening",
        BlockId.PLAN_TASK_DUE: date(2026, 3, 9),
    },
)

# Notes and documents.
click("notes: open", ActionId.NOTES_OPEN, lambda w: w.pairing_id, "home:mentee")
click("notes: older", f"{ActionId.NOTES_PAGE}:older", lambda w: f"{w.pairing_id}:0", "notes")
click("notes: add a document", ActionId.NOTES_DOCUMENT_ADD, lambda w: w.pairing_id, "notes")
click("notes: remove a document", ActionId.NOTES_DOCUMENT_REMOVE, lambda w: w.document_id, "notes")
click("notes: delete", ActionId.NOTES_DELETE, lambda w: w.pairing_id, "notes")
submit("notes modal", "notes", lambda w: {BlockId.NOTES_NEW: "Next: rehearse with Bob."})
submit(
    "document modal",
    "notes_document",
    lambda w: {
        BlockId.NOTES_DOCUMENT_TITLE: "Agenda doc",
        BlockId.NOTES_DOCUMENT_URL: "https://docs.example.com/d/agenda",
    },
)
submit("delete notes modal", "notes_delete", lambda w: {})

# Outside feedback.
submit("ask modal", "ask", lambda w: {})
click("outside feedback: give", ActionId.OUTSIDE_FEEDBACK_GIVE, lambda w: w.open_request_id)
click("outside feedback: decline", ActionId.OUTSIDE_FEEDBACK_DECLINE, lambda w: w.open_request_id)
click("outside feedback: share", ActionId.OUTSIDE_FEEDBACK_SHARE, lambda w: w.answered_request_id)
submit(
    "outside feedback modal",
    "outside_feedback",
    lambda w: {
        BlockId.OUTSIDE_FEEDBACK_DOES_WELL: "Clear structure.",
        BlockId.OUTSIDE_FEEDBACK_TO_CHANGE: "Fewer slides.",
        BlockId.OUTSIDE_FEEDBACK_RATING: "4",
    },
)


# What no surface claims: a button or a form of an older version (or a forged one).
STALE_BUTTON_ID = "notes_open_v0"
STALE_FORM_ID = "notes_modal_v0"
click("a button nobody listens for", STALE_BUTTON_ID, lambda w: w.pairing_id)
SURFACES.append(
    Surface(
        "a form nobody listens for",
        "submit",
        STALE_FORM_ID,
        lambda lab, who, w: lab.submit(
            who, {**w.views["notes"], "callback_id": STALE_FORM_ID}, {BlockId.NOTES_NEW: "Hi."}
        ),
    )
)
FALLBACKS = {"a button nobody listens for", "a form nobody listens for"}


# --- the matrix -------------------------------------------------------------------------------

# Y: allowed, -: refused. Columns: the outsider, the participant without a pair, pair A's mentee
# and mentor, pair B's mentee and mentor, the program's lead, co-lead, a workspace admin, the lead
# of another program, and the colleague pair A's mentee asked for outside feedback.
TABLE = """
surface                    out  par  mee  mor  ome  omr  lea  col  adm  oth  clg
/mentor help                Y    Y    Y    Y    Y    Y    Y    Y    Y    Y    Y
/mentor status              Y    Y    Y    Y    Y    Y    Y    Y    Y    Y    Y
/mentor join                Y    Y    Y    Y    Y    Y    Y    Y    -    -    -
/mentor profile             -    Y    Y    Y    Y    Y    -    -    -    -    -
/mentor goals               -    -    Y    Y    -    -    -    -    -    -    -
/mentor agenda              -    -    Y    Y    -    -    -    -    -    -    -
/mentor schedule            -    -    Y    Y    -    -    -    -    -    -    -
/mentor log                 -    -    Y    Y    -    -    -    -    -    -    -
/mentor feedback            -    -    Y    Y    -    -    -    -    -    -    -
/mentor skills              -    -    Y    Y    -    -    -    -    -    -    -
/mentor plan                -    -    Y    Y    -    -    -    -    -    -    -
/mentor notes               -    -    Y    Y    -    -    -    -    -    -    -
/mentor ask-feedback        -    -    Y    -    Y    -    -    -    -    -    -
/mentor stage               -    -    Y    Y    -    -    -    -    -    -    -
/mentor stage move          -    -    Y    Y    -    -    -    -    -    -    -
/mentor board               Y    Y    Y    Y    Y    Y    Y    Y    Y    Y    Y
/mentor pause               -    Y    Y    Y    Y    Y    -    -    -    -    -
/mentor pause @partner      -    -    Y    Y    -    -    -    -    -    -    -
/mentor resume              -    Y    Y    Y    Y    Y    -    -    -    -    -
/mentor resume @partner     -    -    Y    Y    -    -    -    -    -    -    -
/mentor graduate            -    -    Y    Y    -    -    -    -    -    -    -
/mentor leave               -    Y    Y    Y    Y    Y    -    -    -    -    -
/mentor my-data             Y    Y    Y    Y    Y    Y    Y    Y    Y    Y    Y
/mentor forget-me           Y    Y    Y    Y    Y    Y    Y    Y    Y    Y    Y
/mentor program list        Y    Y    Y    Y    Y    Y    Y    Y    Y    Y    Y
/mentor program new         -    -    -    -    -    -    Y    Y    Y    Y    -
/mentor program edit        -    -    -    -    -    -    Y    Y    Y    -    -
/mentor program open        -    -    -    -    -    -    Y    Y    Y    -    -
/mentor program start       -    -    -    -    -    -    Y    Y    Y    -    -
/mentor program close       -    -    -    -    -    -    Y    Y    Y    -    -
/mentor program announce    -    -    -    -    -    -    Y    Y    Y    -    -
/mentor program invite      -    -    -    -    -    -    Y    Y    Y    -    -
/mentor match               -    -    -    -    -    -    Y    Y    Y    -    -
/mentor pair                -    -    -    -    -    -    Y    Y    Y    -    -
/mentor digest              -    -    -    -    -    -    Y    Y    Y    -    -
/mentor digest --preview    -    -    -    -    -    -    Y    Y    Y    -    -
/mentor report              -    -    -    -    -    -    Y    Y    Y    -    -
/mentor export              -    -    -    -    -    -    Y    Y    Y    -    -
home tab opened             Y    Y    Y    Y    Y    Y    Y    Y    Y    Y    Y
home: help                  Y    Y    Y    Y    Y    Y    Y    Y    Y    Y    Y
home: new program           -    -    -    -    -    -    Y    Y    Y    Y    -
home: edit program          -    -    -    -    -    -    Y    Y    Y    -    -
home: open enrolment        -    -    -    -    -    -    Y    Y    Y    -    -
home: start program         -    -    -    -    -    -    Y    Y    Y    -    -
home: close program         -    -    -    -    -    -    Y    Y    Y    -    -
home: match                 -    -    -    -    -    -    Y    Y    Y    -    -
home: review proposals      -    -    -    -    -    -    Y    Y    Y    -    -
home: flags, next           -    -    -    -    -    -    Y    Y    Y    -    -
home: flags, previous       -    -    -    -    -    -    Y    Y    Y    -    -
home: nudge                 -    -    -    -    -    -    Y    Y    Y    -    -
home: pair report           -    -    -    -    -    -    Y    Y    Y    -    -
home: re-match              -    -    -    -    -    -    Y    Y    Y    -    -
home: invite                -    -    -    -    -    -    Y    Y    Y    -    -
home: invitations           -    -    -    -    -    -    Y    Y    Y    -    -
invitations: next           -    -    -    -    -    -    Y    Y    Y    -    -
invitations: previous       -    -    -    -    -    -    Y    Y    Y    -    -
invite modal                -    -    -    -    -    -    Y    Y    Y    -    -
re-match modal              -    -    -    -    -    -    Y    Y    Y    -    -
program modal: new          -    -    -    -    -    -    Y    Y    Y    Y    -
program modal: edit         -    -    -    -    -    -    Y    Y    Y    -    -
join button                 Y    Y    Y    Y    Y    Y    Y    Y    -    -    -
invitation: not this time   Y    -    -    -    -    -    -    -    -    -    -
ask for a re-match          -    Y    Y    -    Y    -    -    -    -    -    -
join modal                  Y    Y    Y    Y    Y    Y    Y    Y    -    -    -
pause modal                 -    Y    Y    Y    Y    Y    -    -    -    -    -
leave modal                 -    Y    Y    Y    Y    Y    -    -    -    -    -
forget-me modal             Y    Y    Y    Y    Y    Y    Y    Y    Y    Y    Y
proposal: approve           -    -    -    -    -    -    Y    Y    Y    -    -
proposals: approve all      -    -    -    -    -    -    Y    Y    Y    -    -
proposal: later             -    -    -    -    -    -    Y    Y    Y    -    -
proposals: page             -    -    -    -    -    -    Y    Y    Y    -    -
proposal: swap              -    -    -    -    -    -    Y    Y    Y    -    -
proposal: why               -    -    -    -    -    -    Y    Y    Y    -    -
swap modal                  -    -    -    -    -    -    Y    Y    Y    -    -
board: edit                 -    -    Y    -    Y    -    -    -    -    -    -
board modal                 -    -    Y    -    -    -    -    -    -    -    -
goals: open                 -    -    Y    Y    -    -    -    -    -    -    -
goals: add                  -    -    Y    Y    -    -    -    -    -    -    -
goals: edit                 -    -    Y    Y    -    -    -    -    -    -    -
goals: agree                -    -    -    Y    -    -    -    -    -    -    -
goals: suggest a change     -    -    -    Y    -    -    -    -    -    -    -
goals: progress             -    -    Y    Y    -    -    -    -    -    -    -
goals: milestones           -    -    Y    Y    -    -    -    -    -    -    -
milestone: tick             -    -    Y    Y    -    -    -    -    -    -    -
milestone: up               -    -    Y    Y    -    -    -    -    -    -    -
milestone: down             -    -    Y    Y    -    -    -    -    -    -    -
goal modal: new             -    -    Y    Y    -    -    -    -    -    -    -
goal modal: edit            -    -    Y    Y    -    -    -    -    -    -    -
suggest modal               -    -    -    Y    -    -    -    -    -    -    -
progress modal              -    -    Y    Y    -    -    -    -    -    -    -
schedule: open              -    -    Y    Y    -    -    -    -    -    -    -
log: open                   -    -    Y    Y    -    -    -    -    -    -    -
did you meet: yes           -    -    Y    Y    -    -    -    -    -    -    -
did you meet: moved         -    -    Y    Y    -    -    -    -    -    -    -
did you meet: cancelled     -    -    Y    Y    -    -    -    -    -    -    -
schedule: cancel            -    -    Y    Y    -    -    -    -    -    -    -
schedule modal              -    -    Y    Y    -    -    -    -    -    -    -
cancel modal                -    -    Y    Y    -    -    -    -    -    -    -
log modal                   -    -    Y    Y    -    -    -    -    -    -    -
agenda: open                -    -    Y    Y    -    -    -    -    -    -    -
agenda modal                -    -    Y    Y    -    -    -    -    -    -    -
feedback: open              -    -    Y    Y    -    -    -    -    -    -    -
feedback modal              -    -    Y    Y    -    -    -    -    -    -    -
scorecard: rate             -    -    Y    -    -    -    -    -    -    -    -
scorecard: comment          -    -    Y    -    -    -    -    -    -    -    -
scorecard: add to agenda    -    -    Y    -    -    -    -    -    -    -    -
scorecard: not now          -    -    Y    -    -    -    -    -    -    -    -
scorecard comment modal     -    -    Y    -    -    -    -    -    -    -    -
skills: open                -    -    Y    Y    -    -    -    -    -    -    -
skills: re-assess           -    -    Y    Y    -    -    -    -    -    -    -
skills: gaps to agenda      -    -    Y    Y    -    -    -    -    -    -    -
skills modal                -    -    Y    Y    -    -    -    -    -    -    -
stage: pick                 -    -    Y    Y    -    -    -    -    -    -    -
survey: open                -    -    Y    Y    -    -    -    -    -    -    -
survey modal                -    -    Y    Y    -    -    -    -    -    -    -
graduation: open            -    -    Y    Y    -    -    -    -    -    -    -
graduation modal            -    -    Y    Y    -    -    -    -    -    -    -
report: next                -    -    -    -    -    -    Y    Y    Y    -    -
report: previous            -    -    -    -    -    -    Y    Y    Y    -    -
plan: open                  -    -    Y    Y    -    -    -    -    -    -    -
plan: a goal's plan         -    -    Y    Y    -    -    -    -    -    -    -
plan: add a resource        -    -    Y    Y    -    -    -    -    -    -    -
plan: add a task            -    -    Y    Y    -    -    -    -    -    -    -
plan: tick off a task       -    -    Y    Y    -    -    -    -    -    -    -
plan: remove a resource     -    -    Y    Y    -    -    -    -    -    -    -
resource modal              -    -    Y    Y    -    -    -    -    -    -    -
task modal                  -    -    Y    Y    -    -    -    -    -    -    -
notes: open                 -    -    Y    Y    -    -    -    -    -    -    -
notes: older                -    -    Y    Y    -    -    -    -    -    -    -
notes: add a document       -    -    Y    Y    -    -    -    -    -    -    -
notes: remove a document    -    -    Y    Y    -    -    -    -    -    -    -
notes: delete               -    -    Y    Y    -    -    -    -    -    -    -
notes modal                 -    -    Y    Y    -    -    -    -    -    -    -
document modal              -    -    Y    Y    -    -    -    -    -    -    -
delete notes modal          -    -    Y    Y    -    -    -    -    -    -    -
ask modal                   -    -    Y    -    Y    -    -    -    -    -    -
outside feedback: give      -    -    -    -    -    -    -    -    -    -    Y
outside feedback: decline   -    -    -    -    -    -    -    -    -    -    Y
outside feedback: share     -    -    Y    -    -    -    -    -    -    -    -
outside feedback modal      -    -    -    -    -    -    -    -    -    -    Y
a button nobody listens for -    -    -    -    -    -    -    -    -    -    -
a form nobody listens for   -    -    -    -    -    -    -    -    -    -    -
"""
COLUMNS = list(Who)


def _allowed() -> dict[str, dict[Who, bool]]:
    rows: dict[str, dict[Who, bool]] = {}
    for line in TABLE.strip().splitlines()[1:]:
        words = line.split()
        name, marks = " ".join(words[: -len(COLUMNS)]), words[-len(COLUMNS) :]
        assert all(m in "Y-" for m in marks), line
        rows[name] = {who: mark == "Y" for who, mark in zip(COLUMNS, marks, strict=True)}
    return rows


ALLOWED = _allowed()


# --- replays: another pair's ids, DMs and modals inside a payload -----------------------------


def with_meta(view: dict[str, Any], **changes: object) -> dict[str, Any]:
    """``view`` with its private_metadata changed as a forger would change it."""
    meta = json.loads(view.get("private_metadata") or "{}")
    return {**view, "private_metadata": json.dumps({**meta, **changes}, separators=(",", ":"))}


def with_select(view: dict[str, Any], block_id: str, value: str) -> dict[str, Any]:
    """``view`` with one more select whose only option is ``value`` (a forged answer)."""
    option = {"text": {"type": "plain_text", "text": value}, "value": value}
    select = {"type": "static_select", "action_id": "input", "options": [option]}
    block = {"type": "input", "block_id": block_id, "label": {"type": "plain_text", "text": "x"}}
    kept = [b for b in view["blocks"] if b.get("block_id") != block_id]
    return {**view, "blocks": [*kept, {**block, "element": select}]}


@dataclass(frozen=True)
class Replay:
    """A payload of one person's with another pair's ids, DM or modal inside it."""

    name: str
    who: Who
    send: Callable[[Lab, World], Seen]
    refused: bool
    # Whose rows, people, DMs and modals it must leave alone.
    victims: tuple[Who, ...] = PAIR_A
    prepare: Prepare | None = None


# A modal of someone else's, named in a forged private_metadata.
THEIR_VIEW = "V0THEIRS00"


def b_got_a_dm(lab: Lab) -> None:
    """Pair B's mentee has a DM from the bot that the outbox delivered (for metadata to name)."""
    user = USER[Who.OTHER_MENTEE]
    ts = lab.slack.add_message(user, "Your scorecard", user=lab.slack.bot_user_id)
    channel = conversation_id_for([user])

    def delivered(session: Session) -> None:
        session.add(
            Delivery(
                team_id=TEAM_ID,
                dedupe_key="scorecard_prompt:b",
                rule="scorecard_prompt",
                pairing_id=lab.world.other_pairing_id,
                recipient_id=user,
                channel_id=channel,
                message_ts=ts,
                status=DeliveryStatus.SENT,
                due_at=datetime(2026, 3, 1, 9, tzinfo=UTC),
            )
        )

    lab.write(delivered)


def b_dm(lab: Lab) -> dict[str, str]:
    """Where pair B's mentee's DM from the bot is (``b_got_a_dm``)."""
    channel = conversation_id_for([USER[Who.OTHER_MENTEE]])
    return {"channel": channel, "ts": str(lab.slack.messages(channel)[-1]["ts"])}


REPLAYS = [
    Replay(
        "goal form: B's pairing, A's goal",
        Who.OTHER_MENTEE,
        lambda lab, w: lab.submit(
            Who.OTHER_MENTEE,
            with_meta(w.views["goal_edit"], pairing_id=w.other_pairing_id),
            {BlockId.GOAL_SUCCESS: "Rewritten by B."},
        ),
        refused=True,
    ),
    Replay(
        "agenda: B's agenda, A's items ticked",
        Who.OTHER_MENTEE,
        lambda lab, w: lab.submit(
            Who.OTHER_MENTEE,
            with_meta(
                w.views["agenda"], pairing_id=w.other_pairing_id, meeting_id=w.other_meeting_id
            ),
            {
                f"{BlockId.AGENDA_REMOVE_PREFIX}0": [str(w.agenda_item_id)],
                f"{BlockId.AGENDA_DONE_PREFIX}0": [str(w.action_item_id)],
            },
        ),
        refused=False,
    ),
    Replay(
        "agenda: B's pairing, A's session",
        Who.OTHER_MENTEE,
        lambda lab, w: lab.submit(
            Who.OTHER_MENTEE,
            with_meta(w.views["agenda"], pairing_id=w.other_pairing_id),
            {BlockId.AGENDA_NEW: "B's item on A's session"},
        ),
        refused=True,
    ),
    Replay(
        "feedback: B's pairing, A's session",
        Who.OTHER_MENTOR,
        lambda lab, w: lab.submit(
            Who.OTHER_MENTOR,
            with_meta(w.views["feedback"], pairing_id=w.other_pairing_id),
            {
                BlockId.FEEDBACK_WENT_WELL: "Well.",
                BlockId.FEEDBACK_NEEDS_CHANGE: "Change the opening.",
                BlockId.FEEDBACK_NEXT_ACTION: "Rewrite it.",
            },
        ),
        refused=True,
    ),
    Replay(
        "schedule: B's pairing, A's session moved",
        Who.OTHER_MENTEE,
        lambda lab, w: lab.submit(
            Who.OTHER_MENTEE,
            with_meta(w.views["schedule"], pairing_id=w.other_pairing_id),
            {BlockId.SESSION_DATE: date(2026, 3, 6), BlockId.SESSION_TIME: "10:00"},
        ),
        refused=True,
    ),
    Replay(
        "cancel: B's pairing, A's session",
        Who.OTHER_MENTEE,
        lambda lab, w: lab.submit(
            Who.OTHER_MENTEE,
            with_meta(w.views["session_cancel"], pairing_id=w.other_pairing_id),
            {BlockId.SESSION_CANCEL_REASON: "Cancelled by B."},
        ),
        refused=True,
    ),
    Replay(
        "cancel button: B's schedule modal, A's session",
        Who.OTHER_MENTEE,
        lambda lab, w: lab.click(
            Who.OTHER_MENTEE,
            ActionId.SESSION_CANCEL,
            str(w.next_meeting_id),
            view=with_meta(w.views["schedule"], pairing_id=w.other_pairing_id),
        ),
        refused=True,
    ),
    Replay(
        "log: B's pairing, A's goal ticked",
        Who.OTHER_MENTOR,
        lambda lab, w: lab.submit(
            Who.OTHER_MENTOR,
            with_meta(w.views["log"], pairing_id=w.other_pairing_id),
            {
                BlockId.LOG_DATE: date(2026, 3, 1),
                BlockId.LOG_MINUTES: "30",
                BlockId.LOG_GOALS: [str(w.agreed_goal_id)],
            },
        ),
        refused=True,
    ),
    Replay(
        "ask: B's mentee picks A's pairing",
        Who.OTHER_MENTEE,
        lambda lab, w: lab.submit(
            Who.OTHER_MENTEE,
            with_select(w.views["ask"], BlockId.PAIRING, str(w.pairing_id)),
            {BlockId.PAIRING: str(w.pairing_id)},
        ),
        refused=True,
    ),
    Replay(
        "ask: B's mentee picks A's goal",
        Who.OTHER_MENTEE,
        lambda lab, w: lab.submit(
            Who.OTHER_MENTEE,
            w.views["ask"],
            {BlockId.OUTSIDE_FEEDBACK_GOAL: str(w.agreed_goal_id)},
        ),
        refused=True,
    ),
    Replay(
        "graduation: B's pairing, A's goals",
        Who.OTHER_MENTEE,
        lambda lab, w: lab.submit(
            Who.OTHER_MENTEE,
            with_meta(w.views["graduation"], pairing_id=w.other_pairing_id),
            graduation_answers(w),
        ),
        refused=False,
    ),
    Replay(
        "re-match: another program's lead names their program",
        Who.OTHER_LEAD,
        lambda lab, w: lab.submit(
            Who.OTHER_LEAD,
            with_meta(w.views["rematch"], program_id=w.other_program_id),
            {REMATCH_REASON: "fit"},
        ),
        refused=True,
    ),
    Replay(
        "swap: another program's lead names their program",
        Who.OTHER_LEAD,
        lambda lab, w: lab.submit(
            Who.OTHER_LEAD,
            with_meta(w.views["swap"], program_id=w.other_program_id),
            {BlockId.MATCH_SWAP_MENTOR: first(w, "swap", BlockId.MATCH_SWAP_MENTOR)},
        ),
        refused=True,
    ),
    Replay(
        "suggest: B's goal, A's DM named in metadata",
        Who.OTHER_MENTOR,
        lambda lab, w: lab.submit(
            Who.OTHER_MENTOR,
            with_meta(w.views["goal_suggest"], goal_id=w.other_goal_id),
            {BlockId.GOAL_SUGGESTION: "Say which review."},
        ),
        refused=False,
    ),
    Replay(
        "document: B's pairing, A's notes modal named in metadata",
        Who.OTHER_MENTEE,
        lambda lab, w: lab.submit(
            Who.OTHER_MENTEE,
            with_meta(w.views["notes_document"], pairing_id=w.other_pairing_id),
            {
                BlockId.NOTES_DOCUMENT_TITLE: "B's doc",
                BlockId.NOTES_DOCUMENT_URL: "https://docs.example.com/d/b",
            },
        ),
        refused=False,
    ),
    Replay(
        "scorecard comment: A's card, B's DM named in metadata",
        Who.MENTEE,
        lambda lab, w: lab.submit(
            Who.MENTEE,
            with_meta(w.views["scorecard_comment"], **b_dm(lab)),
            {BlockId.SCORECARD_COMMENT: "Useful."},
        ),
        refused=False,
        victims=PAIR_B,
        prepare=b_got_a_dm,
    ),
    Replay(
        "suggest: A's goal, B's DM named in metadata",
        Who.MENTOR,
        lambda lab, w: lab.submit(
            Who.MENTOR,
            with_meta(w.views["goal_suggest"], **b_dm(lab)),
            {BlockId.GOAL_SUGGESTION: "Name the conference."},
        ),
        refused=False,
        victims=PAIR_B,
        prepare=b_got_a_dm,
    ),
    Replay(
        "outside feedback: the answer names B's DM",
        Who.COLLEAGUE,
        lambda lab, w: lab.submit(
            Who.COLLEAGUE,
            with_meta(w.views["outside_feedback"], **b_dm(lab)),
            {
                BlockId.OUTSIDE_FEEDBACK_DOES_WELL: "Clear.",
                BlockId.OUTSIDE_FEEDBACK_TO_CHANGE: "Shorter.",
                BlockId.OUTSIDE_FEEDBACK_RATING: "4",
            },
        ),
        refused=False,
        victims=PAIR_B,
        prepare=b_got_a_dm,
    ),
    Replay(
        "swap: the lead's modal names B's DM",
        Who.LEAD,
        lambda lab, w: lab.submit(
            Who.LEAD,
            with_meta(w.views["swap"], **b_dm(lab)),
            {BlockId.MATCH_SWAP_MENTOR: first(w, "swap", BlockId.MATCH_SWAP_MENTOR)},
        ),
        refused=False,
        victims=PAIR_B,
        prepare=b_got_a_dm,
    ),
    Replay(
        "goal modal: someone else's overview named in metadata",
        Who.MENTEE,
        lambda lab, w: lab.submit(
            Who.MENTEE,
            with_meta(w.views["goal_progress"], overview=THEIR_VIEW),
            {BlockId.GOAL_PROGRESS_STATUS: first(w, "goal_progress", BlockId.GOAL_PROGRESS_STATUS)},
        ),
        refused=False,
        victims=PAIR_B,
    ),
    Replay(
        "milestone: someone else's overview named in metadata",
        Who.MENTEE,
        lambda lab, w: lab.click(
            Who.MENTEE,
            ActionId.GOAL_MILESTONE_TOGGLE,
            str(w.milestone_ids[0]),
            view=with_meta(w.views["milestones"], overview=THEIR_VIEW),
        ),
        refused=False,
        victims=PAIR_B,
    ),
    Replay(
        "plan: someone else's plan named in metadata",
        Who.MENTEE,
        lambda lab, w: lab.submit(
            Who.MENTEE,
            with_meta(
                w.views["plan_task"],
                plan={"pairing_id": w.pairing_id, "goal_id": None, "view_id": THEIR_VIEW},
            ),
            {BlockId.PLAN_TASK_TITLE: "Rehearse", BlockId.PLAN_TASK_DUE: date(2026, 3, 9)},
        ),
        refused=False,
        victims=PAIR_B,
    ),
    Replay(
        "notes: delete, someone else's notes modal named in metadata",
        Who.MENTEE,
        lambda lab, w: lab.submit(
            Who.MENTEE, with_meta(w.views["notes_delete"], notes_view_id=THEIR_VIEW), {}
        ),
        refused=False,
        victims=PAIR_B,
    ),
]


# --- the tests -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """The world, built once for the module (each test puts it back as built)."""
    with open_lab(tmp_path_factory.mktemp("authz")) as built:
        yield built


def _foreign(who: Who, w: World) -> tuple[set[int], set[int]]:
    """The pairings and programs a request by ``who`` about pair A must leave alone."""
    pairings = {
        Who.OTHER_MENTEE: {w.pairing_id},
        Who.OTHER_MENTOR: {w.pairing_id},
        Who.MENTEE: {w.other_pairing_id},
        Who.MENTOR: {w.other_pairing_id},
        # The colleague answers pair A's mentee: that request is pair A's.
        Who.COLLEAGUE: {w.other_pairing_id},
    }.get(who, {w.pairing_id, w.other_pairing_id})
    if who in (Who.LEAD, Who.CO_LEAD, Who.ADMIN):
        pairings = set()  # a lead's decisions may touch any pair of their program
    programs = {w.program_id} if who is Who.OTHER_LEAD else {w.other_program_id}
    return pairings, programs


def _only_the_actor_renamed(before: list[Any], after: list[Any], user_id: str) -> bool:
    """Whether ``after`` differs from ``before`` only where a column held ``user_id``."""
    # Erasing oneself (forget-me) replaces one's id everywhere with a pseudonym.
    if len(before) != len(after):
        return False
    for old, new in zip(before, after, strict=True):
        if any(old[k] != new[k] and old[k] != user_id for k in old):
            return False
    return True


def _errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.ERROR]


def _check_refused(seen: Seen, before: Rows, after: Rows) -> None:
    verdict = judge(seen)
    assert verdict.refused, f"allowed, expected a refusal: {verdict.shown} {verdict.opened}"
    assert changed(before, after) == {}, "a refusal changed the database"
    assert verdict.stray == [], "a refusal reached someone else or changed something in Slack"
    assert verdict.opened == [], "a refusal opened a form"


def _check_allowed(seen: Seen, before: Rows, after: Rows, w: World) -> None:
    verdict = judge(seen)
    assert not verdict.refused, f"refused, expected it allowed: {verdict.problems}"
    assert verdict.shown or verdict.opened or verdict.stray or changed(before, after), (
        "allowed, but nothing happened"
    )
    pairings, programs = _foreign(seen.who, w)
    theirs_before = rows_of(before, pairing_ids=pairings, program_ids=programs)
    theirs_after = rows_of(after, pairing_ids=pairings, program_ids=programs)
    for table, rows in theirs_before.items():
        assert _only_the_actor_renamed(rows, theirs_after[table], seen.user_id), (
            f"another pair's or program's {table} changed"
        )


@pytest.mark.parametrize(
    ("surface", "who"),
    [pytest.param(s, who, id=f"{s.name} as {who.value}") for s in SURFACES for who in Who],
)
def test_cell(lab: Lab, surface: Surface, who: Who, caplog: pytest.LogCaptureFixture) -> None:
    before = lab.fresh(surface.prepare)
    seen = surface.send(lab, who, lab.world)
    after = lab.dump()
    assert seen.status == 200, seen.body
    assert judge(seen).apologies == [], "the bot failed instead of answering"
    assert _errors(caplog) == []
    assert leaks(seen) == [], "pair A's words reached someone outside the pair"
    if ALLOWED[surface.name][who]:
        _check_allowed(seen, before, after, lab.world)
    else:
        _check_refused(seen, before, after)


# Surfaces whose payload names no id, program or partner: nothing to point elsewhere.
NAMES_NOTHING = FALLBACKS | {
    "/mentor help",
    "/mentor status",
    "/mentor ask-feedback",
    "/mentor my-data",
    "/mentor forget-me",
    "/mentor program list",
    "/mentor program new",
    "home tab opened",
    "home: help",
    "home: new program",
    "program modal: new",
    "forget-me modal",
    "ask modal",
}


@pytest.mark.parametrize(
    "surface", [pytest.param(s, id=s.name) for s in SURFACES if s.name not in NAMES_NOTHING]
)
def test_ids_that_name_nothing_are_refused(
    lab: Lab, surface: Surface, caplog: pytest.LogCaptureFixture
) -> None:
    who = next(who for who in Who if ALLOWED[surface.name][who])
    before = lab.fresh(surface.prepare)
    seen = surface.send(lab, who, lab.world.missing())
    assert seen.status == 200, seen.body
    assert judge(seen).apologies == []
    assert _errors(caplog) == []
    _check_refused(seen, before, lab.dump())


def _touches(seen: Seen, w: World, victims: tuple[Who, ...]) -> list[str]:
    """Slack calls that reach ``victims``, or a DM or modal of theirs."""
    people = {USER[who] for who in victims}
    places = people | {conversation_id_for([u]) for u in people} | {conversation_id_for(people)}
    views = {THEIR_VIEW}
    if victims == PAIR_A:
        views |= {str(v.get("id")) for v in w.views.values()}
    found = []
    for call in seen.calls:
        params = call.params
        targets = {
            str(params.get(k))
            for k in ("channel", "channel_id", "user", "user_id", "view_id")
            if params.get(k)
        }
        targets |= set(str(params.get("users") or "").split(","))
        if targets & (places | views):
            found.append(f"{call.method} {sorted(targets & (places | views))}")
    return found


@pytest.mark.parametrize("replay", [pytest.param(r, id=r.name) for r in REPLAYS])
def test_ids_dms_and_modals_of_another_pair_inside_a_payload_are_left_alone(
    lab: Lab, replay: Replay, caplog: pytest.LogCaptureFixture
) -> None:
    w = lab.world
    before = lab.fresh(replay.prepare)
    seen = replay.send(lab, w)
    after = lab.dump()
    verdict = judge(seen)
    assert seen.status == 200, seen.body
    assert verdict.apologies == []
    assert _errors(caplog) == []
    assert verdict.refused is replay.refused, verdict.problems or verdict.shown
    theirs = {w.pairing_id if replay.victims == PAIR_A else w.other_pairing_id}
    assert rows_of(before, pairing_ids=theirs, program_ids=set()) == rows_of(
        after, pairing_ids=theirs, program_ids=set()
    ), "the other pair's rows changed"
    assert _touches(seen, w, replay.victims) == [], "the other pair's DMs or modals were touched"
    assert leaks(seen) == []
    if replay.refused:
        _check_refused(seen, before, after)


# --- nothing registered is left out -------------------------------------------------------------

# Events Slack sends about the installation itself: no person acts in them, so there is no role
# to send them as (tests/test_workspaces.py covers them).
INSTALLATION_EVENTS = {"app_uninstalled", "tokens_revoked"}
NOBODY_USES = "zz-no-surface-uses-this"


def _matches(constraint: str | re.Pattern[str], key: str) -> bool:
    if isinstance(constraint, re.Pattern):
        return constraint.fullmatch(key) is not None
    return constraint == key


def _catches_all(constraint: str | re.Pattern[str]) -> bool:
    """Whether ``constraint`` is the fallback that takes what no surface claims."""
    return _matches(constraint, NOBODY_USES)


def _callback_of(lab: Lab, surface: Surface) -> str:
    view = lab.world.views.get(surface.covers)
    return str(view["callback_id"]) if view else surface.covers


def test_every_registered_command_action_and_modal_is_in_the_matrix(lab: Lab) -> None:
    registry = lab.registry
    sent = {
        "action": {s.covers for s in SURFACES if s.kind == "click"},
        "view": {_callback_of(lab, s) for s in SURFACES if s.kind == "submit"},
        "event": {s.covers for s in SURFACES if s.kind == "event"} | INSTALLATION_EVENTS,
    }
    fallback_keys = {STALE_BUTTON_ID, STALE_FORM_ID}
    registered = {"action": registry.actions, "view": registry.views, "event": registry.events}
    for kind, constraints in registered.items():
        for constraint in constraints:
            if kind == "event" and _catches_all(constraint):
                continue  # takes and drops events no surface listens for: it acts for nobody
            assert any(_matches(constraint, key) for key in sent[kind]), f"{kind} {constraint}"
        for key in sent[kind]:
            # Bolt runs the first listener that matches: the surface's own, not the fallback.
            first = next((c for c in constraints if _matches(c, key)), None)
            assert first is not None, f"no listener for the {kind} {key}"
            assert _catches_all(first) is (key in fallback_keys), f"{key} reaches {first}"
    [router] = registry.routers
    typed = {s.covers for s in SURFACES if s.kind == "command"}
    assert {sub.name for sub in router.subcommands} == typed
    program_actions = {s.name.split()[2] for s in SURFACES if s.name.startswith("/mentor program")}
    assert {"new", "list", "edit", "announce", "invite", *STATUS_ACTIONS} == program_actions


def test_the_table_has_a_row_for_each_surface_and_each_allows_someone() -> None:
    assert [s.name for s in SURFACES] == list(ALLOWED)
    assert len(set(ALLOWED)) == len(SURFACES), "two surfaces share a name"
    for name, row in ALLOWED.items():
        if name in FALLBACKS:
            assert not any(row.values()), f"{name}: a fallback allows nobody"
        else:
            assert any(row.values()), f"{name}: nobody allowed, so its payload never shown to work"
