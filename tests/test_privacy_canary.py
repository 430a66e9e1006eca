"""A privacy canary: a unique string in every column people write and a recognisable rating in
every score, planted as people would (modals and buttons through the real app); then every
output a lead gets, every outbox message to a lead or a channel, and every log line (at DEBUG,
as the app writes them) is searched for them. None may be there.

Each free-text column of ``bot.services.privacy.FREE_TEXT`` gets its own canary,
``canary-<table>-<column>``: the test fails when a column is added there that nothing plants.
The mentee rates every scorecard 1, 1, 1 and every survey answer 1 (the only one who does), the
mentee scores every skill 1 and the mentor 5: any average a lead saw would be one person's.
"""

import io
import json
import logging
import re
from collections.abc import Iterator
from datetime import date, time, timedelta
from typing import Any

import pytest
from slack_bolt import App
from sqlalchemy import Engine
from sqlmodel import SQLModel, col, select

from bot import charts
from bot.config import LogFormat
from bot.deps import Deps
from bot.ids import ActionId, BlockId
from bot.logs import LibraryFloor, configure_logging, library_floors
from bot.sandbox import slack_double
from bot.sandbox.slack_double import SlackDouble
from bot.services.digest import CohortMetrics
from bot.services.privacy import FREE_TEXT
from bot.views.digest import TOO_FEW
from bot.views.home import FLAG_REPORT
from bot.views.surveys import build_survey_prompt
from bot.wiring import cli
from scheduler.delivery import Deliverer, Pacer
from scheduler.tick import tick
from storage.db import session_scope
from storage.enums import SurveyKind
from storage.models import (
    ActionItem,
    AgendaItem,
    Delivery,
    Feedback,
    Goal,
    GoalUpdate,
    LearningResource,
    Meeting,
    Milestone,
    OutsideFeedbackRequest,
    PairDocument,
    Pairing,
    PairNote,
    Participant,
    PracticeTask,
    Scorecard,
    SurveyResponse,
)
from tests.conftest import FrozenClock
from tests.forms import Answer
from tests.harness import Settle, SlackToBot

LEAD, MENTEE, MENTOR, COLLEAGUE = "UADMIN", "U0001", "U0002", "U0003"
PROGRAM = "Harbour cohort"
DIGEST_CHANNEL = "C0DIGEST"


def canary(table: type[SQLModel], column: str) -> str:
    """The canary planted in one column."""
    return f"canary-{table.__tablename__}-{column}"


CANARY = re.compile(r"canary-[a-z_]+-[a-z_]+")


# --- the app's own logging, at DEBUG, for the whole test ------------------------------------------


class AppLogs:
    """The app's logging at DEBUG, as ``mentorbot run`` sets it up (its handler, filter and
    formats, written here), next to pytest's caplog, which keeps every record at DEBUG."""

    def __init__(self, caplog: pytest.LogCaptureFixture) -> None:
        self.caplog = caplog
        self.written = io.StringIO()

    def install(self) -> None:
        """Configure logging as LOG_LEVEL=DEBUG does, in both formats, keeping caplog."""
        root = logging.getLogger()
        kept = list(root.handlers)
        handlers = []
        for fmt in (LogFormat.JSON, LogFormat.TEXT):
            configure_logging("DEBUG", fmt)
            [handler] = root.handlers
            assert isinstance(handler, logging.StreamHandler)
            handler.setStream(self.written)
            handlers.append(handler)
        root.handlers[:] = [*handlers, *kept]

    def leaks(self) -> list[str]:
        """Canaries in what the app wrote, or in any record it would write (message, fields,
        exception)."""
        found = CANARY.findall(self.written.getvalue())
        floor = LibraryFloor(library_floors("DEBUG"))
        for record in self.caplog.records:
            if floor.filter(record):
                found += CANARY.findall(record.getMessage() + json.dumps(vars(record), default=str))
        return found


@pytest.fixture
def app_logs(caplog: pytest.LogCaptureFixture) -> Iterator[AppLogs]:
    """The app's logging at DEBUG for the whole test; put back as it was afterwards."""
    caplog.set_level(logging.DEBUG)
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    levels = {name: logging.getLogger(name).level for name in library_floors("DEBUG")}
    logs = AppLogs(caplog)
    logs.install()
    try:
        yield logs
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
        for name, value in levels.items():
            logging.getLogger(name).setLevel(value)


# --- people using the bot -------------------------------------------------------------------------


class People:
    """The lead, the pair and a colleague, typing commands, pressing buttons and filling modals
    through the real app; ``leads`` remembers the response_urls and triggers the lead used."""

    def __init__(self, bot: SlackToBot, slack: SlackDouble, deps: Deps, settle: Settle) -> None:
        self.bot, self.slack, self.deps, self.settle = bot, slack, deps, settle
        self.engine = deps.engine
        self.leads: set[str] = set()
        # The columns whose canaries were typed into a modal, as ``table.column``.
        self.typed: set[str] = set()

    def command(self, user: str, text: str) -> tuple[dict[str, Any] | None, str]:
        """``/mentor text``: the answer shown (if any) and the trigger it may open a modal on."""
        url, trigger = self.slack.new_response_url(), self.slack.new_trigger_id()
        if user == LEAD:
            self.leads |= {url, trigger}
        response = self.bot.command(text, user_id=user, response_url=url, trigger_id=trigger)
        assert response.status == 200, (text, response)
        self.settle()
        if response.body:
            return response.json(), trigger
        answers = [
            c.params for c in self.slack.calls_to("response_url") if c.params["response_url"] == url
        ]
        return (answers[0] if answers else None), trigger

    def opened(self, trigger: str) -> dict[str, Any]:
        """The modal opened (or pushed) on ``trigger``."""
        for call in self.slack.calls:
            if (
                call.method in ("views.open", "views.push")
                and call.params.get("trigger_id") == trigger
            ):
                view: dict[str, Any] = call.params["view"]
                return view
        notes = [c.params.get("text") for c in self.slack.calls[-5:]]
        raise AssertionError(f"no modal opened on that trigger; the bot said {notes}")

    def modal(self, user: str, text: str) -> dict[str, Any]:
        """The modal ``/mentor text`` opens."""
        answer, trigger = self.command(user, text)
        try:
            return self.opened(trigger)
        except AssertionError:
            raise AssertionError(f"/mentor {text}: {answer}") from None

    def press(
        self, user: str, where: dict[str, Any], action_id: str, *, channel: str | None = None
    ) -> str:
        """Press the first element ``action_id`` of a modal (``where`` has a ``type``) or a
        message; the trigger, for a modal it opens."""
        element, block_id = _element(where, action_id)
        trigger, url = self.slack.new_trigger_id(), self.slack.new_response_url()
        if user == LEAD:
            self.leads |= {url, trigger}
        fields: dict[str, Any] = {
            "response_url": url,
            "user_id": user,
            "trigger_id": trigger,
            "block_id": block_id,
            "action_type": element["type"],
        }
        if element["type"] == "button":
            value = element.get("value")
        else:
            value = None
            fields["action_fields"] = {"selected_option": element["options"][0]}
        if where.get("type") in ("modal", "home"):
            fields["view"] = where
        else:
            fields["message"] = where
            fields["channel_id"] = channel or self.slack.dm_channel_id(user)
        response = self.bot.action(element["action_id"], value, **fields)
        assert response.status == 200, response
        self.settle()
        return trigger

    def submit(self, user: str, view: dict[str, Any], answers: dict[str, Answer]) -> Any:
        """Submit ``view`` filled with ``answers``; the ack's body (None: the modal closed)."""
        for mark in CANARY.findall(json.dumps(answers, default=str)):
            self.typed.add(mark.removeprefix("canary-").replace("-", ".", 1))
        response = self.bot.submit(view, answers, user_id=user)
        assert response.status == 200, response
        self.settle()
        body = response.json() if response.body else None
        assert not (body and body.get("response_action") == "errors"), (view["callback_id"], body)
        return body

    def dm(self, user: str) -> list[dict[str, Any]]:
        """The messages in ``user``'s DM with the bot, oldest first."""
        return self.slack.messages(self.slack.dm_channel_id(user))

    def last_dm_with(self, user: str, action_id: str) -> dict[str, Any]:
        """The latest DM to ``user`` with an element ``action_id``."""
        for message in reversed(self.dm(user)):
            try:
                _element(message, action_id)
            except LookupError:
                continue
            found: dict[str, Any] = message
            return found
        raise AssertionError(f"no DM to {user} with {action_id}")


def _element(where: dict[str, Any], action_id: str) -> tuple[dict[str, Any], str]:
    for block in where.get("blocks", []):
        elements = list(block.get("elements", []))
        if block.get("accessory"):
            elements.append(block["accessory"])
        for element in elements:
            if str(element.get("action_id", "")).split(":")[0] == action_id:
                return element, str(block.get("block_id", ""))
    raise LookupError(f"no {action_id} in {json.dumps(where)[:300]}")


# --- planting: the lead sets up, the pair works, a colleague answers ------------------------------


def set_up_program(people: People) -> None:
    """The lead designs an invitation-only program, invites the pair, they join, and are paired."""
    view = people.modal(LEAD, "program new")
    people.submit(
        LEAD,
        view,
        {
            BlockId.PROGRAM_NAME: PROGRAM,
            BlockId.PROGRAM_PURPOSE: "skills_transfer",
            BlockId.PROGRAM_COMPANY_GOAL: "Grow our engineering leads",
            BlockId.PROGRAM_STRUCTURE: "one_to_one",
            BlockId.PROGRAM_PLACES: 10,
            BlockId.PROGRAM_VISIBILITY: "invitation",
            BlockId.PROGRAM_CADENCE: "weekly",
            BlockId.PROGRAM_SESSION_MINUTES: "45",
            BlockId.PROGRAM_START: date(2026, 3, 2),
            BlockId.PROGRAM_LENGTH: "6",
            BlockId.PROGRAM_SUCCESS: "Promotions within a year",
            BlockId.PROGRAM_REVIEW_STYLE: "casual",
            BlockId.PROGRAM_COMPETENCIES: "Negotiation\nPublic speaking",
            BlockId.PROGRAM_DIGEST_CHANNEL: DIGEST_CHANNEL,
            BlockId.PROGRAM_RETENTION: 30,
        },
    )
    people.command(LEAD, f"program open {PROGRAM}")
    people.command(LEAD, f"program invite {PROGRAM} <@{MENTEE}> <@{MENTOR}>")
    profile: dict[str, Answer] = {
        "join_situation": canary(Participant, "situation"),
        "join_aim": canary(Participant, "aim"),
        "join_interests": canary(Participant, "interests"),
        "join_values": canary(Participant, "values"),
        "join_availability": canary(Participant, "availability"),
        "join_practising": canary(Participant, "practising"),
        "join_days": ["1", "2", "3", "4", "5"],
        "join_work_start": time(8, 0),
        "join_work_end": time(19, 0),
        "join_cadence": "weekly",
    }
    # The mentee scores each gap 1, the mentor offers each skill at 5.
    mentee: dict[str, Answer] = {"join_skill_1": "Negotiation", "join_score_1": "1"}
    mentee |= {"join_skill_2": "Public speaking", "join_score_2": "1"}
    mentor: dict[str, Answer] = {
        "join_offer_skill_1": "Negotiation",
        "join_offer_level_1": "5",
        "join_capacity": 2,
    }
    for user, role, own in ((MENTEE, "mentee", mentee), (MENTOR, "mentor", mentor)):
        view = people.modal(user, f"join {PROGRAM} as {role}")
        people.submit(user, view, complete(view, {**profile, **own}))
    # Pairing starts the program: its start date has come.
    people.command(LEAD, f"pair <@{MENTOR}> <@{MENTEE}> {PROGRAM}")


def complete(view: dict[str, Any], answers: dict[str, Answer]) -> dict[str, Answer]:
    """``answers`` for the blocks ``view`` has, and a plain answer for each required one left."""
    done: dict[str, Answer] = {}
    for block in view.get("blocks", []):
        if block.get("type") != "input":
            continue
        block_id, element = block["block_id"], block["element"]
        if block_id in answers:
            done[block_id] = answers[block_id]
        elif not block.get("optional") and not _has_initial(element):
            done[block_id] = _plain_answer(element)
    return done


def _has_initial(element: dict[str, Any]) -> bool:
    return any(key.startswith("initial_") for key in element)


def _plain_answer(element: dict[str, Any]) -> Answer:
    kind = element["type"]
    if kind in ("static_select", "radio_buttons"):
        return str(element["options"][0]["value"])
    if kind in ("checkboxes", "multi_static_select"):
        return [str(element["options"][0]["value"])]
    if kind == "number_input":
        return 1
    if kind == "datepicker":
        return date(2026, 3, 20)
    if kind == "timepicker":
        return time(10, 0)
    return "plain words"


def work_as_a_pair(people: People) -> None:
    """Goals, sessions, agenda, feedback, scorecards, skills, a survey, a plan, notes, a board
    role and a colleague's feedback: every word a canary, every rating the same low number."""
    first: dict[str, Answer] = {
        BlockId.GOAL_STATEMENT: (
            "Build the negotiation skills to run the vendor review on my own by June "
            + canary(Goal, "statement")
        ),
        BlockId.GOAL_SUCCESS: canary(Goal, "success_criteria"),
        BlockId.GOAL_DUE: date(2026, 6, 30),
        f"{BlockId.GOAL_MILESTONE_TITLE_PREFIX}1": canary(Milestone, "title"),
        f"{BlockId.GOAL_MILESTONE_DUE_PREFIX}1": date(2026, 4, 15),
    }
    second: dict[str, Answer] = {
        BlockId.GOAL_STATEMENT: "Present our migration at the engineering all-hands by May",
        BlockId.GOAL_SUCCESS: "The talk is given and questions answered",
        BlockId.GOAL_DUE: date(2026, 5, 29),
    }
    for answers in (first, second):
        goals = people.modal(MENTEE, "goals")
        people.submit(
            MENTEE, people.opened(people.press(MENTEE, goals, ActionId.GOAL_ADD)), answers
        )
    # The mentor agrees to the first goal and suggests a change to the second.
    people.press(MENTOR, people.modal(MENTOR, "goals"), ActionId.GOAL_AGREE)
    proposed = people.last_dm_with(MENTOR, ActionId.GOAL_SUGGEST)
    suggest = people.opened(people.press(MENTOR, proposed, ActionId.GOAL_SUGGEST))
    people.submit(MENTOR, suggest, {BlockId.GOAL_SUGGESTION: canary(Goal, "change_suggestion")})
    goals = people.modal(MENTEE, "goals")
    progress = people.opened(people.press(MENTEE, goals, ActionId.GOAL_UPDATE_PROGRESS))
    note = f"{canary(Goal, 'progress_note')} {canary(GoalUpdate, 'note')}"
    answers = {
        BlockId.GOAL_PROGRESS_STATUS: "on_track",
        BlockId.GOAL_PROGRESS_NOTE: note,
    }
    people.submit(MENTEE, progress, answers)
    # A session booked and called off, one held and logged, one booked with an agenda.
    book: dict[str, Answer] = {BlockId.SESSION_TIME: time(10, 0), BlockId.SESSION_LENGTH: "45"}
    people.submit(
        MENTEE, people.modal(MENTEE, "schedule"), {BlockId.SESSION_DATE: date(2026, 3, 4), **book}
    )
    schedule = people.modal(MENTEE, "schedule")
    cancel = people.opened(people.press(MENTEE, schedule, ActionId.SESSION_CANCEL))
    people.submit(MENTEE, cancel, {BlockId.SESSION_CANCEL_REASON: canary(Meeting, "cancel_reason")})
    log = people.modal(MENTEE, "log")
    goal_ids = [
        o["value"]
        for b in log["blocks"]
        if b.get("block_id") == BlockId.LOG_GOALS
        for o in b["element"]["options"]
    ]
    people.submit(
        MENTEE,
        log,
        {
            BlockId.LOG_DATE: date(2026, 3, 2),
            BlockId.LOG_MINUTES: 50,
            BlockId.LOG_GOALS: goal_ids,
            BlockId.LOG_NOTES: canary(Meeting, "notes"),
            f"{BlockId.LOG_ACTION_TEXT_PREFIX}1": canary(ActionItem, "text"),
            f"{BlockId.LOG_ACTION_OWNER_PREFIX}1": MENTEE,
        },
    )
    people.submit(
        MENTEE, people.modal(MENTEE, "schedule"), {BlockId.SESSION_DATE: date(2026, 3, 9), **book}
    )
    agenda = people.modal(MENTEE, "agenda")
    people.submit(MENTEE, agenda, {BlockId.AGENDA_NEW: canary(AgendaItem, "text")})
    feedback: dict[str, Answer] = {
        BlockId.FEEDBACK_WENT_WELL: canary(Feedback, "went_well"),
        BlockId.FEEDBACK_NEEDS_CHANGE: canary(Feedback, "needs_change"),
        BlockId.FEEDBACK_NEXT_ACTION: canary(Feedback, "next_action"),
    }
    people.submit(MENTOR, people.modal(MENTOR, "feedback"), feedback)
    # The scorecard the log asked for: 1, 1 and 1, and a comment.
    card = people.last_dm_with(MENTEE, f"{ActionId.SCORECARD_CLARITY_PREFIX}1")
    for prefix in (
        ActionId.SCORECARD_CLARITY_PREFIX,
        ActionId.SCORECARD_ENERGY_PREFIX,
        ActionId.SCORECARD_CONFIDENCE_PREFIX,
    ):
        people.press(MENTEE, card, f"{prefix}1")
    card = people.last_dm_with(MENTEE, ActionId.SCORECARD_COMMENT)
    comment = people.opened(people.press(MENTEE, card, ActionId.SCORECARD_COMMENT))
    people.submit(MENTEE, comment, {BlockId.SCORECARD_COMMENT: canary(Scorecard, "comment")})
    for user, score in ((MENTEE, "1"), (MENTOR, "5")):
        skills = people.modal(user, "skills")
        people.submit(
            user, skills, {f"{BlockId.SKILL_PREFIX}0": score, f"{BlockId.SKILL_PREFIX}1": score}
        )
    # The survey the scheduler sends at the midpoint, answered 1, 1, 1.
    pairing_id = _pairing_id(people)
    prompt = build_survey_prompt(
        SurveyKind.MIDPOINT,
        pairing_id=pairing_id,
        mentee_user_id=MENTEE,
        program_name=PROGRAM,
        partner_user_id=MENTOR,
    )
    people.deps.gateway.post_message(MENTEE, prompt)
    survey = people.opened(people.press(MENTEE, people.dm(MENTEE)[-1], ActionId.SURVEY_OPEN))
    answers = {
        b["block_id"]: "1"
        for b in survey["blocks"]
        if b.get("type") == "input" and b["element"]["type"] == "radio_buttons"
    }
    answers["survey_comment"] = canary(SurveyResponse, "comment")
    people.submit(MENTEE, survey, answers)
    plan = people.modal(MENTEE, "plan")
    resource = people.opened(people.press(MENTEE, plan, ActionId.PLAN_RESOURCE_ADD))
    people.submit(
        MENTEE,
        resource,
        {
            BlockId.PLAN_RESOURCE_TITLE: canary(LearningResource, "title"),
            BlockId.PLAN_RESOURCE_KIND: "book",
            BlockId.PLAN_RESOURCE_URL: f"https://example.com/{canary(LearningResource, 'url')}",
        },
    )
    plan = people.modal(MENTEE, "plan")
    task = people.opened(people.press(MENTEE, plan, ActionId.PLAN_TASK_ADD))
    people.submit(
        MENTEE,
        task,
        {
            BlockId.PLAN_TASK_TITLE: canary(PracticeTask, "title"),
            BlockId.PLAN_TASK_DUE: date(2026, 3, 20),
        },
    )
    people.submit(
        MENTEE, people.modal(MENTEE, "notes"), {BlockId.NOTES_NEW: canary(PairNote, "body")}
    )
    notes = people.modal(MENTOR, "notes")
    document = people.opened(people.press(MENTOR, notes, ActionId.NOTES_DOCUMENT_ADD))
    people.submit(
        MENTOR,
        document,
        {
            BlockId.NOTES_DOCUMENT_TITLE: canary(PairDocument, "title"),
            BlockId.NOTES_DOCUMENT_URL: f"https://example.com/{canary(PairDocument, 'url')}",
        },
    )
    shown, _ = people.command(MENTEE, "board")
    assert shown is not None
    board = people.opened(people.press(MENTEE, shown, ActionId.BOARD_EDIT))
    people.submit(
        MENTEE, board, {f"{BlockId.BOARD_ROLE_PREFIX}{pairing_id}": canary(Pairing, "board_role")}
    )
    ask = people.modal(MENTEE, f"ask-feedback <@{COLLEAGUE}|carol>")
    people.submit(
        MENTEE,
        ask,
        {BlockId.OUTSIDE_FEEDBACK_QUESTION: canary(OutsideFeedbackRequest, "question")},
    )
    request = people.last_dm_with(COLLEAGUE, ActionId.OUTSIDE_FEEDBACK_GIVE)
    give = people.opened(people.press(COLLEAGUE, request, ActionId.OUTSIDE_FEEDBACK_GIVE))
    people.submit(
        COLLEAGUE,
        give,
        {
            BlockId.OUTSIDE_FEEDBACK_DOES_WELL: canary(OutsideFeedbackRequest, "does_well"),
            BlockId.OUTSIDE_FEEDBACK_TO_CHANGE: canary(OutsideFeedbackRequest, "to_change"),
        },
    )


def _pairing_id(people: People) -> int:
    with session_scope(people.engine) as session:
        pairing = session.exec(select(Pairing).where(Pairing.mentee_user_id == MENTEE)).one()
        return pairing.id or 0


def plant_the_rest(engine: Engine) -> set[str]:
    """Plant the canary of each column of FREE_TEXT that holds none yet in a stored row directly
    (a mentee's skills are the program's competencies, a suggested change is cleared when the
    goal is agreed, match reasons are the bot's, a running pairing has no end reason; and any
    column added since): the columns planted so, as ``table.column``."""
    planted = set()
    with session_scope(engine) as session:
        for model, groups in FREE_TEXT.items():
            rows = list(session.exec(select(model)))
            for column in (c for words in groups for c in words.columns):
                mark = canary(model, column)
                if any(mark in json.dumps(getattr(r, column), default=str) for r in rows):
                    continue
                assert rows, f"no {model.__tablename__} row to plant {mark} in"
                current = getattr(rows[0], column)
                setattr(rows[0], column, [*current, mark] if isinstance(current, list) else mark)
                session.add(rows[0])
                planted.add(f"{model.__tablename__}.{column}")
    return planted


# --- everything a lead gets -----------------------------------------------------------------------


def lead_outputs(people: People, clock: FrozenClock) -> None:
    """The lead's commands (the program list, the report, the CSV, the digest previewed and
    posted), three weeks of the scheduler (weekly digests, a lapse escalated to the lead), then
    the lead's Home tab with a red flag's report and the invitations list."""
    for text in (
        "program list",
        f"report {PROGRAM}",
        f"export {PROGRAM}",
        f"digest {PROGRAM} --preview",
        f"digest {PROGRAM}",
    ):
        people.command(LEAD, text)
    deliverer = Deliverer(people.deps, worker="canary", pacer=Pacer(sleep=lambda _: None))
    for _ in range(24):
        clock.advance(timedelta(days=1))
        tick(people.deps, deliverer)
    people.bot.event(slack_double.app_home_opened_event(LEAD))
    people.settle()
    home = people.slack.home_view(LEAD)
    assert home is not None
    for action_id in (FLAG_REPORT, ActionId.INVITATIONS_OPEN):
        people.opened(people.press(LEAD, home, action_id))


def lead_facing(people: People) -> dict[str, str]:
    """Everything shown to the lead or posted in a channel, by where it went, as text (a
    pair's group DM is the pair's)."""
    slack = people.slack
    lead_dm = slack.dm_channel_id(LEAD)
    seen: dict[str, str] = {}
    lead_views = _views_opened_for_lead(people)
    for number, call in enumerate(slack.calls):
        p, method = call.params, call.method
        channel = str(p.get("channel") or "")
        if method.startswith("chat.") and (
            channel in (LEAD, lead_dm) or channel[:1] == "C" or p.get("user") == LEAD
        ):
            seen[f"{number} {method} {channel}"] = json.dumps(p, ensure_ascii=False)
        elif method == "views.publish" and p.get("user_id") == LEAD:
            seen[f"{number} home"] = json.dumps(p, ensure_ascii=False)
        elif (method in ("views.open", "views.push") and p.get("trigger_id") in people.leads) or (
            method == "views.update" and p.get("view_id") in lead_views
        ):
            seen[f"{number} {method}"] = json.dumps(p, ensure_ascii=False)
        elif method == "response_url" and p.get("response_url") in people.leads:
            seen[f"{number} answer"] = json.dumps(p, ensure_ascii=False)
    for upload in slack.uploaded_files:
        if upload.channel_id in (lead_dm, LEAD) or str(upload.channel_id)[:1] == "C":
            text = upload.content.decode("utf-8", errors="replace")
            seen[f"file {upload.filename}"] = f"{upload.initial_comment}\n{text}"
    return seen


def _views_opened_for_lead(people: People) -> set[str]:
    """The ids Slack gave the modals opened on the lead's triggers."""
    opened = [
        c.params["view"]
        for c in people.slack.calls
        if c.method in ("views.open", "views.push") and c.params.get("trigger_id") in people.leads
    ]
    return {
        view_id
        for view_id, kept in people.slack.views.items()
        for view in opened
        if (kept["callback_id"], kept["private_metadata"], kept["blocks"])
        == (view.get("callback_id"), view.get("private_metadata", ""), view.get("blocks"))
    }


def lead_deliveries(engine: Engine) -> dict[str, str]:
    """The outbox's messages to a lead or a channel, whatever became of them."""
    with session_scope(engine) as session:
        rows = session.exec(
            select(Delivery).where(
                (col(Delivery.recipient_id) == LEAD) | col(Delivery.recipient_id).startswith("C")
            )
        ).all()
        return {
            f"delivery {r.id} {r.rule}": json.dumps(r.payload, ensure_ascii=False) for r in rows
        }


def purge_dry_run(
    people: People,
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    logs: AppLogs,
) -> str:
    """The lead closes the program; past its retention, ``mentorbot purge --dry-run`` (with
    LOG_LEVEL=DEBUG) says what would go: its output, and the log lines it wrote."""
    people.command(LEAD, f"program close {PROGRAM}")
    clock.advance(timedelta(days=31))
    for name, value in {
        "DATABASE_URL": people.engine.url.render_as_string(hide_password=False),
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_API_URL": people.slack.api_url,
        "LOG_LEVEL": "DEBUG",
        "LOG_FORMAT": "json",
    }.items():
        monkeypatch.setenv(name, value)
    offline = cli._offline_deps
    # The command line's clock: the test's, where the program closed a month ago.
    monkeypatch.setattr(cli, "_offline_deps", lambda settings, at=None: offline(settings, clock()))
    capsys.readouterr()
    status = cli.main(["purge", "--dry-run"])
    printed = capsys.readouterr()
    logs.install()  # the command line configured logging its own way
    assert status == 0, printed
    assert f"({PROGRAM})" in printed.out, printed.out
    return printed.out + printed.err


# --- the proof ------------------------------------------------------------------------------------

# How one person's rating would read to a lead: an average of their 1s ("1.0", a survey's
# "1.0/5", "0% yes"), their 5s, or the pair's skill gap ("+4.0").
RATINGS = re.compile(r"(?<![\d.])[15]\.0(?!\d)|[+-]4\.0|\d\.\d/5\b|\d+% yes")
PNG = b"\x89PNG\r\n\x1a\n"


def test_no_canary_reaches_a_lead_a_channel_an_export_or_a_log(
    bot: SlackToBot,
    slack: SlackDouble,
    deps: Deps,
    app: App,
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    app_logs: AppLogs,
) -> None:
    slack.add_user(COLLEAGUE, name="carol", real_name="Carol Col", tz="UTC")
    slack.add_channel(DIGEST_CHANNEL, name="mentoring-leads")
    charted: list[CohortMetrics] = []

    def chart(metrics: CohortMetrics) -> bytes:
        charted.append(metrics)
        return PNG  # the picture is drawn from these inputs alone

    monkeypatch.setattr(charts, "render_digest_chart", chart)
    people = People(
        bot,
        slack,
        deps,
        Settle(monkeypatch, app.listener_runner.listener_executor, deps.background),
    )
    set_up_program(people)
    work_as_a_pair(people)
    # Every column people write holds its canary; what they typed is where they typed it.
    assert not plant_the_rest(deps.engine) & people.typed
    assert plant_the_rest(deps.engine) == set()
    # The canaries are where they belong: the pair's own DMs carry them.
    assert canary(Goal, "statement") in json.dumps(people.dm(MENTOR))
    assert canary(Feedback, "went_well") in json.dumps(people.dm(MENTEE))
    lead_outputs(people, clock)
    purged = purge_dry_run(people, clock, monkeypatch, capsys, app_logs)
    shown = {**lead_facing(people), **lead_deliveries(deps.engine), "purge --dry-run": purged}
    # What was searched: the escalation, the CSV, the Home tab, the digest in its channel.
    for where in (
        "lapse_escalation",
        "file mentorbot-",
        "home",
        f"chat.postMessage {DIGEST_CHANNEL}",
    ):
        assert any(where in found for found in shown), (where, sorted(shown))

    leaks = {where: CANARY.findall(text) for where, text in shown.items() if CANARY.search(text)}
    assert leaks == {}
    ratings = {
        where: RATINGS.findall(text) for where, text in shown.items() if RATINGS.search(text)
    }
    assert ratings == {}
    digests = [text for text in shown.values() if "Cohort digest" in text]
    assert digests
    assert all(TOO_FEW in text for text in digests)
    assert charted
    for metrics in charted:
        assert not CANARY.search(repr(metrics))
        assert set(metrics.scores.latest.values()) <= {None}
        assert all(set(week.averages.values()) <= {None} for week in metrics.weeks)
        assert all(a.average is None for survey in metrics.surveys for a in survey.averages)
        assert metrics.skill_growth == {}
    assert app_logs.leaks() == []
