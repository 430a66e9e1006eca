"""Load: mentorbot over HTTP under signed Slack requests, beside a bare Bolt app that only acks.

Run from the repository root: ``python bench/bench_load.py`` (about ten minutes on 2 cores).
Shorter: ``--seconds 8``; SQLite only: ``--no-postgres``; other client counts: ``--clients 8 32``;
``--logs DIR`` keeps the servers' logs. PostgreSQL is a throwaway server with stock settings (as
``bench/bench_planning.py`` starts it) when ``initdb`` is found, or ``--database-url`` (emptied!).
Prints figures; asserts nothing. ``docs/benchmarks.md`` has the table and what it shows.

Each piece runs in a process of its own, as in production: the Slack double serves the Web API
(Slack is another machine); mentorbot is the real Bolt app behind the real waitress server,
built as ``mentorbot run --http --workers N`` builds it (``--workers``, default one a core: N
processes serving one port, each with 16 threads, JSON logs to a file), without its scheduler;
the bare app is a Bolt app behind the same server stack (signature check, workers and all)
whose listeners only ack. The driver holds keep-alive connections and sends signed requests in
a closed loop: each client sends its next request as soon as the last one is answered, so at
saturation the latency is about the clients divided by the throughput. Ack latency is the time
to the HTTP answer. The mix, over a program of 200 pairs seeded through the services (a lead,
100 mentors, 200 mentees, two agreed goals with two milestones each, a session booked):

- ``/mentor status`` 25% and ``/mentor goals @partner`` 20% (the overview modal opens after
  the ack);
- clicks that write: a milestone ticked or unticked 20%, "Open the agenda" 10% (opening pulls
  open action items onto the agenda, then the modal opens);
- modal submissions, stored before the ack: a goal progress update 15%, an agenda item added
  by the mentee 10% (which shares the agenda with the mentor by DM, through the outbox).

Each backend's database also holds ``--pairings`` (default 100,000) more active pairings of
another workspace, as ``bench/bench_planning.py`` builds them. With the planner on, the server
being measured runs planning passes back to back in a thread of its first worker, as the
bot's scheduler would: first a catch-up pass over an emptied outbox (the heavy one), then the
pass of each following minute. The bot's clock runs a day before the planner's, so nothing the
planner enqueues falls due for the bot's own deliverer during the run.

A request is an error when its answer is not a 200, a command or click is answered with text
(the help, not the ack), or a submission is answered with field errors; and after the ack, when
the bot told someone of a problem (a ``:warning:`` notice) or a Web API call failed, as the
Slack double saw them. The errors column counts both; the lines under the table say what they
were, with each surface's latencies. ``cpu ms/req`` is the CPU time the server's processes (its
workers) used in the measured window (Linux), divided by the requests answered: the work after
the ack included, and the planner's passes when it runs.
"""

import argparse
import asyncio
import contextlib
import json
import math
import multiprocessing
import os
import platform
import random
import re
import signal
import socket
import sqlite3
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

# Run as a plain script, so the repository root is not on sys.path by itself.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from slack_bolt import Ack, App
from slack_sdk import WebClient
from sqlalchemy import Engine, text

from bench.bench_planning import NOW as PLAN_NOW
from bench.bench_planning import TEAM as PLAN_TEAM
from bench.bench_planning import build, planning_deps, stock_postgres
from bot.config import LogFormat, Settings
from bot.ids import ActionId, BlockId, CallbackId
from bot.logs import configure_logging
from bot.sandbox import slack_double
from bot.sandbox.postgres import postgres_binaries_available
from bot.sandbox.slack_double import SlackDouble
from bot.services.agenda import agenda_for
from bot.services.enrolment import ProfileData, enrol
from bot.services.goals import GoalForm, MilestoneForm, agree_goal, goal_to_change
from bot.services.goals import submit_goal_form as store_goal
from bot.services.pairing import pair_by_hand
from bot.services.programs import ProgramSettings, create_program, set_program_status
from bot.services.sessions import ScheduleForm, next_meeting, schedule_session
from bot.views.agenda import build_agenda_modal
from bot.views.goals import build_progress_modal
from bot.wiring.app import build_app
from bot.wiring.runtime import build_deps
from bot.wiring.server import build_wsgi_app, http_server
from bot.wiring.workers import METRICS_FOLDER_ENV, listen, worker_socket
from scheduler.rules import NOTED
from scheduler.tick import plan_due
from storage.db import make_engine, session_scope
from storage.enums import (
    Cadence,
    GoalProgress,
    ProgramStatus,
    Purpose,
    ReviewStyle,
    Role,
    Structure,
    Visibility,
)
from storage.migrate import upgrade
from storage.models import NO_WAIT, Delivery, Goal, Pairing, Participant, Program

TEAM = slack_double.DEFAULT_TEAM_ID
SECRET = "b7d2bench0c1e4f8a9d3e6f7a8b9c0d1e"  # noqa: S105 - the bench's own signing secret
TOKEN = "xoxb-bench-load"  # noqa: S105 - a token only the Slack double knows
CLIENTS = (16, 64)
# As docs/deploy.md advises: one worker a core.
WORKERS = os.cpu_count() or 1
SECONDS = 15.0
WARMUP = 3.0
PAIRINGS = 100_000
PAIRS = 200
# The bot lives a day before the planner's data, so what the planner enqueues is never due for it.
BOT_START = PLAN_NOW - timedelta(days=1)
TIMEZONES = ("Europe/Berlin", "America/New_York", "Asia/Kolkata", "Europe/London", "UTC")
LEAD = "ULEAD0001"
COMPETENCIES = ["Stakeholder communication", "Negotiation", "Public speaking"]
# Each pair's two goals, with the weeks until they are due.
GOALS = (
    ("Run the quarterly planning review with the directors on my own", 10),
    ("Negotiate the team's roadmap with product without escalating", 16),
)
# How long a client waits for an answer before it counts the request as failed. Slack itself
# gives up after 3 s; later answers are timed all the same, and counted apart.
REQUEST_TIMEOUT = 10.0
SLACK_TIMEOUT = 3.0
FORM = "application/x-www-form-urlencoded"
# Placeholders in the request templates, replaced in each request: Slack sends a fresh trigger
# (the double refuses a used one), a response_url of its own, and people write new things.
TRIGGER, RESPONSE_URL, FRESH = "BENCHTRIGGER", "BENCHRESPONSEURL", "BENCHFRESH"
# The surfaces of the mix, with their weights.
MIX = {
    "status": 25,
    "goals": 20,
    "milestone click": 20,
    "agenda click": 10,
    "progress submit": 15,
    "agenda submit": 10,
}
SUBMISSIONS = frozenset({"progress submit", "agenda submit"})
# How the bot tells someone of a problem (bot.views.notice): a warning sign, then the text.
PROBLEM = ":warning: "
SPAWN = multiprocessing.get_context("spawn")


def bot_clock(started: float) -> Callable[[], datetime]:
    """The bot's clock: ``BOT_START`` at the wall time ``started``, moving in real time."""
    return lambda: BOT_START + timedelta(seconds=time.time() - started)


# --- the seeded program ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SeededPair:
    """One pair of the program, with what its requests need: ids and the modals Slack shows."""

    pairing_id: int
    mentee: str
    mentor: str
    milestone_ids: tuple[int, ...]
    progress_view: dict[str, Any]
    agenda_view: dict[str, Any]


def people(pairs: int) -> list[tuple[str, str]]:
    """Everyone in the program, with their Slack timezone: the lead, the mentors, the mentees."""
    mentors = [(f"UMTR{n:04d}", TIMEZONES[n % len(TIMEZONES)]) for n in range(pairs // 2)]
    mentees = [(f"UMTE{n:04d}", TIMEZONES[(n + 2) % len(TIMEZONES)]) for n in range(pairs)]
    return [(LEAD, "Europe/London"), *mentors, *mentees]


def _mentee_profile() -> ProfileData:
    return ProfileData(
        situation="Senior engineer who leads a small team and wants to lead cross-team work.",
        aim="Run the quarterly planning review with the directors without my manager's help.",
        skills=(("Stakeholder communication", 2), ("Negotiation", 3)),
        interests=("climbing", "product strategy"),
        values=("candour",),
        work_days="12345",
        work_start=clock_time(9),
        work_end=clock_time(17),
        availability="Tuesday and Thursday afternoons",
        preferred_cadence=Cadence.BIWEEKLY,
        capacity=1,
    )


def _mentor_profile() -> ProfileData:
    return ProfileData(
        situation="Engineering director; I have run the planning review for five years.",
        aim="Help two people become confident leads of cross-team work.",
        skills=(("Stakeholder communication", 5), ("Negotiation", 4)),
        interests=("product strategy",),
        values=("candour",),
        work_days="12345",
        work_start=clock_time(9),
        work_end=clock_time(18),
        availability="Most afternoons",
        preferred_cadence=Cadence.BIWEEKLY,
        capacity=2,
    )


def _program_settings(today: date, pairs: int) -> ProgramSettings:
    return ProgramSettings(
        name="Growth 2026",
        purpose=Purpose.SKILLS_TRANSFER,
        purpose_detail="Senior engineers learn to lead work across teams.",
        company_goal="Every team has a lead who can run cross-team planning.",
        structure=Structure.ONE_TO_ONE,
        group_size=2,
        places=pairs,
        success_measures="Goals agreed and met; scorecards above 7.",
        tracked_measures=[],
        review_style=ReviewStyle.CASUAL,
        cadence=Cadence.BIWEEKLY,
        session_minutes=60,
        start_date=today - timedelta(days=60),
        length_months=6,
        competencies=COMPETENCIES,
        visibility=Visibility.OPEN,
        digest_channel_id=None,
    )


def seed_program(engine: Engine, now: datetime, pairs: int) -> list[SeededPair]:
    """The bot's own program, through the services: the lead creates it, everyone enrols, the
    lead pairs them, each pair agrees two goals with two milestones each and books its next
    session."""
    today = now.date()
    everyone = dict(people(pairs))
    mentors = [user for user in everyone if user.startswith("UMTR")]
    mentees = [user for user in everyone if user.startswith("UMTE")]
    with session_scope(engine) as session:
        program = create_program(
            session=session,
            team_id=TEAM,
            user_id=LEAD,
            settings=_program_settings(today, pairs),
            co_lead_ids=[],
            now=now,
        )
        set_program_status(session=session, program=program, status=ProgramStatus.ACTIVE, now=now)
        sides = ((mentors, Role.MENTOR, _mentor_profile), (mentees, Role.MENTEE, _mentee_profile))
        for users, role, profile in sides:
            for user in users:
                enrol(
                    session=session,
                    program=program,
                    user_id=user,
                    role=role,
                    profile=profile(),
                    timezone=everyone[user],
                    now=now,
                )
        program_id = program.id or 0
    seeded = []
    for n, mentee in enumerate(mentees):
        mentor = mentors[n // 2]
        seeded.append(_seed_pair(engine, program_id, mentor, mentee, everyone[mentee], now))
    return seeded


def _seed_pair(
    engine: Engine, program_id: int, mentor: str, mentee: str, tz: str, now: datetime
) -> SeededPair:
    """One pair, in one unit of work (seeding is not what is measured)."""
    today = now.date()
    with session_scope(engine) as session:
        program = session.get(Program, program_id)
        assert program is not None
        intro = pair_by_hand(
            session,
            program=program,
            mentor_user_id=mentor,
            mentee_user_id=mentee,
            lead_user_id=LEAD,
            now=now,
        )
        [pairing_id] = intro.pairing_ids
        goal_ids: list[int] = []
        milestone_ids: list[int] = []
        for number, (statement, weeks) in enumerate(GOALS, start=1):
            form = GoalForm(
                statement=statement,
                success_criteria="The directors sign it off without my manager in the room.",
                due_date=today + timedelta(weeks=weeks),
                milestones=[
                    MilestoneForm(f"Step {number}.1", today + timedelta(weeks=weeks // 3)),
                    MilestoneForm(f"Step {number}.2", today + timedelta(weeks=2 * weeks // 3)),
                ],
            )
            saved = store_goal(
                session,
                team_id=TEAM,
                user_id=mentee,
                pairing_id=pairing_id,
                goal_id=None,
                form=form,
                today=today,
                now=now,
            )
            goal_ids.append(saved.goal.goal_id)
            milestone_ids += [m.id or 0 for m in saved.goal.milestones]
            agree_goal(session, team_id=TEAM, user_id=mentor, goal_id=goal_ids[-1], now=now)
        pairing = session.get(Pairing, pairing_id)
        assert pairing is not None
        schedule_session(
            session,
            pairing=pairing,
            program=program,
            by_user_id=mentee,
            tz=tz,
            form=ScheduleForm(day=today + timedelta(days=3), at=clock_time(15), length="60"),
            meeting_id=None,
            now=now,
        )
        session.flush()
        goal = goal_to_change(session, team_id=TEAM, user_id=mentee, goal_id=goal_ids[0])
        agenda = agenda_for(
            session, pairing=pairing, meeting=next_meeting(session, pairing=pairing, now=now)
        )
        return SeededPair(
            pairing_id=pairing_id,
            mentee=mentee,
            mentor=mentor,
            milestone_ids=tuple(milestone_ids),
            progress_view=build_progress_modal(goal),
            agenda_view=build_agenda_modal(agenda, viewer_user_id=mentee, tz=tz),
        )


# --- what Slack sends -----------------------------------------------------------------------------


def _state(view: Mapping[str, Any], answers: Mapping[str, str]) -> dict[str, Any]:
    """The ``state.values`` Slack sends with ``view`` filled in: ``answers`` by block_id, a text
    or the value of a radio option."""
    values: dict[str, Any] = {}
    for block in view.get("blocks", []):
        if block.get("type") != "input" or block["block_id"] not in answers:
            continue
        element, answer = block["element"], answers[block["block_id"]]
        if element["type"] == "radio_buttons":
            [chosen] = [o for o in element["options"] if o["value"] == answer]
            value: dict[str, Any] = {"type": element["type"], "selected_option": chosen}
        else:
            value = {"type": element["type"], "value": answer}
        values[block["block_id"]] = {element["action_id"]: value}
    return values


def _submission(view: Mapping[str, Any], user: str, answers: Mapping[str, str]) -> str:
    return slack_double.view_submission_body(
        view["callback_id"],
        _state(view, answers),
        user_id=user,
        team_id=TEAM,
        private_metadata=view.get("private_metadata", ""),
        blocks=list(view["blocks"]),
        title=view["title"]["text"],
        trigger_id=TRIGGER,
    )


def _command(words: str, user: str) -> str:
    return slack_double.slash_command_body(
        "/mentor", words, user_id=user, team_id=TEAM, trigger_id=TRIGGER, response_url=RESPONSE_URL
    )


def _click(action_id: str, value: str, user: str) -> str:
    return slack_double.block_actions_body(
        action_id, value, user_id=user, team_id=TEAM, trigger_id=TRIGGER, response_url=RESPONSE_URL
    )


def templates(pairs: Sequence[SeededPair]) -> dict[str, list[str]]:
    """Request bodies for each surface of the mix, for every pair and both of its people."""
    made: dict[str, list[str]] = {kind: [] for kind in MIX}
    for pair in pairs:
        for user, partner in ((pair.mentee, pair.mentor), (pair.mentor, pair.mentee)):
            made["status"].append(_command("status", user))
            made["goals"].append(_command(f"goals <@{partner}>", user))
            made["agenda click"].append(_click(ActionId.AGENDA_OPEN, str(pair.pairing_id), user))
            made["milestone click"] += [
                _click(ActionId.GOAL_MILESTONE_TOGGLE, str(m), user) for m in pair.milestone_ids
            ]
            made["progress submit"] += [
                _submission(
                    pair.progress_view,
                    user,
                    {BlockId.GOAL_PROGRESS_STATUS: progress, BlockId.GOAL_PROGRESS_NOTE: FRESH},
                )
                for progress in (GoalProgress.ON_TRACK, GoalProgress.AT_RISK)
            ]
        # The mentee owns the agenda: their save shares it with the mentor.
        made["agenda submit"].append(
            _submission(pair.agenda_view, pair.mentee, {BlockId.AGENDA_NEW: FRESH})
        )
    return made


class Requests:
    """Draws the mix's requests, each with a fresh trigger, response_url and words."""

    def __init__(self, made: Mapping[str, list[str]], response_urls: Sequence[str]) -> None:
        self.made = made
        self.kinds = list(MIX)
        self.weights = [MIX[kind] for kind in self.kinds]
        # Each response_url takes five posts, as Slack's do; a command uses one.
        self.response_urls = [quote_plus(url) for url in response_urls for _ in range(5)]
        self.used = 0
        self.count = 0

    def draw(self, rng: random.Random) -> tuple[str, bytes]:
        """The next request: its surface and its body."""
        kind = rng.choices(self.kinds, self.weights)[0]
        body = rng.choice(self.made[kind]).replace(TRIGGER, slack_double.make_trigger_id())
        if RESPONSE_URL in body:
            url = self.response_urls[self.used % len(self.response_urls)]
            self.used += 1
            body = body.replace(RESPONSE_URL, url)
        self.count += 1
        return kind, body.replace(FRESH, f"Bench-{self.count}").encode()


# --- the processes --------------------------------------------------------------------------------


def _answer_rpc(conn: Connection, handlers: Mapping[str, Callable[..., Any]]) -> None:
    """Answer the driver's requests until it says stop."""
    while True:
        name, *args = conn.recv()
        if name == "stop":
            conn.send(None)
            return
        conn.send(handlers[name](*args))


def _notice(params: Mapping[str, Any]) -> str | None:
    """The problem a Web API call tells someone of (a message or small modal that leads with a
    warning sign), or None."""
    said = params.get("text")
    view = params.get("view")
    if isinstance(view, dict) and view.get("callback_id") == CallbackId.NOTICE:
        said = json.dumps(view.get("blocks"), ensure_ascii=False)
        said = said[said.find(PROBLEM) :] if PROBLEM in said else None
    if isinstance(said, str) and said.startswith(PROBLEM):
        return said.removeprefix(PROBLEM)
    return None


def slack_process(users: Sequence[tuple[str, str]], conn: Connection) -> None:
    """The Slack double, in a process of its own (Slack is another machine)."""
    with SlackDouble() as slack:
        for user, tz in users:
            slack.add_user(user, name=user.lower(), real_name=f"Person {user[-4:]}", tz=tz)

        def fresh(count: int) -> list[str]:
            slack.reset()
            return [slack.new_response_url() for _ in range(count)]

        def seen() -> dict[str, Any]:
            calls = slack.calls
            methods = Counter(call.method for call in calls)
            failed = Counter(f"{call.method}: {call.error}" for call in calls if call.error)
            told = Counter(
                f"{call.method}: {notice[:90]}"
                for call in calls
                if (notice := _notice(call.params))
            )
            return {"calls": dict(methods), "failed": dict(failed), "told": dict(told)}

        conn.send(slack.api_url)
        _answer_rpc(conn, {"fresh": fresh, "seen": seen})


def _bare_app(settings: Settings) -> App:
    """A Bolt app on the same settings whose listeners only ack: the floor of the stack."""
    app = App(
        client=WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url),
        signing_secret=settings.slack_signing_secret or "",
        request_verification_enabled=False,
        listener_executor=ThreadPoolExecutor(
            max_workers=settings.listener_threads, thread_name_prefix="listener"
        ),
    )

    def only_ack(ack: Ack) -> None:
        ack()

    app.command("/mentor")(only_ack)
    app.action(re.compile(".*"))(only_ack)
    app.view(re.compile(".*"))(only_ack)
    return app


class PlanningLoop:
    """Planning passes back to back, as the scheduler's thread runs them: a catch-up first,
    then the pass of each following minute."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.stopping = threading.Event()
        self.passes: list[tuple[float, int]] = []
        self.failure: str | None = None
        self.thread = threading.Thread(target=self._run, name="planning", daemon=True)

    def _run(self) -> None:
        minute = 0
        try:
            while not self.stopping.is_set():
                deps = planning_deps(self.engine, PLAN_NOW + timedelta(minutes=minute))
                started = time.perf_counter()
                report = plan_due(deps)
                self.passes.append((time.perf_counter() - started, report.enqueued))
                minute += 1
        except Exception:
            self.failure = traceback.format_exc()

    def start(self) -> None:
        """Start planning."""
        self.thread.start()

    def stop(self) -> tuple[list[tuple[float, int]], str | None]:
        """Stop after the pass under way: each pass's seconds and messages enqueued, and the
        traceback of a pass that failed."""
        self.stopping.set()
        self.thread.join()
        return self.passes, self.failure


def _serving_app(
    app_kind: str, settings: Settings, engine: Engine, users: Sequence[str], started: float
) -> Any:
    """The WSGI app of ``app_kind`` ("mentorbot" or "bare") on ``engine``."""
    if app_kind == "mentorbot":
        deps = build_deps(settings, engine, clock=bot_clock(started))
        app = build_app(deps)
        # A bot that has been running a while knows its people's timezones.
        for user in users:
            deps.directory.tz(team_id=TEAM, user_id=user)
    else:
        app = _bare_app(settings)
    return build_wsgi_app(app, engine, signing_secret=SECRET)


def server_process(
    app_kind: str,
    database_url: str,
    api_url: str,
    users: Sequence[str],
    started: float,
    log_path: str,
    workers: int,
    conn: Connection,
) -> None:
    """Serve ``app_kind`` ("mentorbot" or "bare") over HTTP on a free loopback port in
    ``workers`` processes (this one and forks of it, as ``mentorbot run --http --workers N``
    serves one port), logging to ``log_path``, and plan on the database when the driver asks."""
    with Path(log_path).open("w", encoding="utf-8") as log_file:
        sys.stderr = log_file
        forks: list[int] = []
        try:
            settings = Settings(
                slack_bot_token=TOKEN,
                slack_signing_secret=SECRET,
                slack_app_token=None,
                slack_api_url=api_url,
                database_url=database_url,
                log_format=LogFormat.JSON,
                http_workers=workers,
            )
            configure_logging(settings.log_level, settings.log_format)
            listening = listen(0, "127.0.0.1")
            # Forked before anything starts a thread or opens a connection, as the real run does.
            for index in range(1, workers):
                pid = os.fork()
                if pid == 0:
                    mine = worker_socket(listening, index)
                    _serve_forked(app_kind, settings, mine, users, started)
                forks.append(pid)
            engine = make_engine(database_url, processes=workers)
            wsgi = _serving_app(app_kind, settings, engine, users, started)
            server: Any = http_server(
                wsgi, host="", port=0, threads=settings.listener_threads, listening=listening
            )
            threading.Thread(target=server.run, name="http", daemon=True).start()
        except Exception:
            conn.send(("failed", traceback.format_exc()))
            _end(forks)
        conn.send(("ready", listening.getsockname()[1]))
        planning: list[PlanningLoop] = []

        def plan() -> None:
            planning.append(PlanningLoop(engine))
            planning[-1].start()

        def unplan() -> tuple[list[tuple[float, int]], str | None]:
            return planning.pop().stop()

        _answer_rpc(conn, {"plan": plan, "unplan": unplan})
        log_file.flush()
    _end(forks)


def _serve_forked(
    app_kind: str,
    settings: Settings,
    listening: socket.socket,
    users: Sequence[str],
    started: float,
) -> None:
    """A forked worker: its own engine and app on the shared socket, until it is killed."""
    try:
        engine = make_engine(settings.database_url, processes=settings.http_workers)
        wsgi = _serving_app(app_kind, settings, engine, users, started)
        http_server(
            wsgi, host="", port=0, threads=settings.listener_threads, listening=listening
        ).run()
    finally:
        os._exit(1)


def _end(forks: Sequence[int]) -> None:
    """Stop the forked workers and end this process (waitress and the listener threads do not
    stop by themselves)."""
    for pid in forks:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
    os._exit(0)


class Child:
    """A process of the bench, spoken to over a pipe."""

    def __init__(self, name: str, target: Callable[..., None], *args: Any) -> None:
        self.name = name
        self.conn, theirs = SPAWN.Pipe()
        self.process = SPAWN.Process(target=target, args=(*args, theirs), name=name, daemon=True)
        self.process.start()
        theirs.close()
        self.first = self._receive(timeout=300)

    def _receive(self, timeout: float) -> Any:
        if not self.conn.poll(timeout):
            raise RuntimeError(f"{self.name} did not answer within {timeout:.0f} s")
        try:
            return self.conn.recv()
        except EOFError:
            raise RuntimeError(f"{self.name} exited (code {self.process.exitcode})") from None

    def ask(self, name: str, *args: Any, timeout: float = 600) -> Any:
        """Call ``name`` in the child; its answer."""
        self.conn.send((name, *args))
        return self._receive(timeout)

    def stop(self) -> None:
        """Ask the child to end; end it if it does not."""
        with contextlib.suppress(RuntimeError, OSError):
            self.ask("stop", timeout=30)
        self.process.join(timeout=10)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join()


def start_server(
    app_kind: str,
    database_url: str,
    api_url: str,
    users: Sequence[str],
    started: float,
    log: Path,
    workers: int = 1,
) -> tuple[Child, int]:
    """A server process serving ``app_kind`` in ``workers`` processes, and its port."""
    # Several workers keep their counters in files of a folder, named before prometheus_client is
    # imported (in the spawned process), as ``mentorbot run --workers`` does.
    folder = log.with_suffix(".metrics")
    folder.mkdir(exist_ok=True)
    saved = os.environ.get(METRICS_FOLDER_ENV)
    if workers > 1:
        os.environ[METRICS_FOLDER_ENV] = str(folder)
    try:
        child = Child(
            app_kind,
            server_process,
            app_kind,
            database_url,
            api_url,
            users,
            started,
            str(log),
            workers,
        )
    finally:
        if saved is None:
            os.environ.pop(METRICS_FOLDER_ENV, None)
        else:
            os.environ[METRICS_FOLDER_ENV] = saved
    status, detail = child.first
    if status != "ready":
        child.stop()
        raise RuntimeError(f"{app_kind} did not start:\n{detail}")
    return child, int(detail)


# --- the clients ----------------------------------------------------------------------------------


class HttpConnection:
    """One keep-alive HTTP/1.1 connection to a server on loopback, as Slack's senders hold them."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, body: bytes, headers: Mapping[str, str]) -> tuple[int, bytes]:
        """POST ``body`` to /slack/events; the status and body of the answer."""
        if self.reader is None or self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        self.writer.write(
            (
                f"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
                f"Content-Type: {FORM}\r\nContent-Length: {len(body)}\r\n{head}\r\n"
            ).encode()
            + body
        )
        await self.writer.drain()
        status = int((await self.reader.readline()).split()[1])
        length, close = 0, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
            elif name.strip().lower() == "connection" and value.strip().lower() == "close":
                close = True
        answer = await self.reader.readexactly(length)
        if close:
            self.close()
        return status, answer

    def close(self) -> None:
        """Drop the connection (the next request opens a new one)."""
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def problem_with(kind: str, status: int, answer: bytes) -> str | None:
    """What is wrong with the ack of a ``kind`` request, or None when it is a good ack."""
    if status != 200:
        return f"{kind}: HTTP {status}"
    if kind not in SUBMISSIONS:
        # Commands and clicks are acked empty; text in the ack is the help or a refusal.
        return None if not answer else f"{kind}: answered {answer[:80]!r}"
    if answer and json.loads(answer).get("response_action") == "errors":
        return f"{kind}: field errors {json.loads(answer).get('errors')}"
    return None


@dataclass
class Measured:
    """What the clients saw during the measured window."""

    seconds: float
    latencies: dict[str, list[float]] = field(default_factory=dict)
    problems: Counter[str] = field(default_factory=Counter)
    # CPU seconds the server's process used (None where the system does not say).
    cpu: float | None = None

    @property
    def all_latencies(self) -> list[float]:
        """Every answered request's ack latency, in seconds."""
        return [s for values in self.latencies.values() for s in values]


async def _client(
    port: int,
    requests: Requests,
    rng: random.Random,
    window: tuple[float, float],
    measured: Measured,
) -> None:
    """Send requests one after another until the window ends; record those inside it."""
    connection = HttpConnection(port)
    opens, closes = window
    while (sent := time.perf_counter()) < closes:
        kind, body = requests.draw(rng)
        headers = slack_double.sign(body.decode(), SECRET)
        answered: float | None = None
        try:
            status, answer = await asyncio.wait_for(connection.post(body, headers), REQUEST_TIMEOUT)
            answered = time.perf_counter()
            problem = problem_with(kind, status, answer)
        except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError) as error:
            connection.close()
            problem = f"{kind}: {type(error).__name__}"
        if sent < opens:
            continue
        # A request sent in the window counts its problem whenever it ends; its latency counts
        # when it was answered inside the window.
        if problem is not None:
            measured.problems[problem] += 1
        if answered is not None and answered <= closes:
            measured.latencies.setdefault(kind, []).append(answered - sent)
    connection.close()


def cpu_seconds(pid: int) -> float | None:
    """The CPU time process ``pid`` and its child processes (the forked workers) have used, all
    their threads (Linux; None elsewhere)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return None
    # utime and stime, the 14th and 15th fields, counted from the one after the name.
    own = (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")
    return own + sum(cpu_seconds(int(child)) or 0.0 for child in children)


def drive(
    port: int, pid: int, clients: int, seconds: float, requests: Requests, seed: int
) -> Measured:
    """``clients`` clients in a closed loop: warm up, then measure for ``seconds`` (and the
    CPU time the server process ``pid`` used meanwhile)."""
    opens = time.perf_counter() + WARMUP
    measured = Measured(seconds=seconds)

    async def watch() -> None:
        await asyncio.sleep(opens - time.perf_counter())
        before = cpu_seconds(pid)
        await asyncio.sleep(opens + seconds - time.perf_counter())
        after = cpu_seconds(pid)
        if before is not None and after is not None:
            measured.cpu = after - before

    async def run() -> None:
        await asyncio.gather(
            watch(),
            *(
                _client(port, requests, random.Random(seed + n), (opens, opens + seconds), measured)
                for n in range(clients)
            ),
        )

    asyncio.run(run())
    return measured


# --- one run --------------------------------------------------------------------------------------


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile of ``values``."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)] if ordered else math.nan


@dataclass(frozen=True)
class Row:
    """One line of the table."""

    backend: str
    clients: int
    planner: str
    app: str
    measured: Measured
    errors: int
    notes: tuple[str, ...]

    def cells(self) -> list[str]:
        """The line's figures, as printed."""
        latencies = self.measured.all_latencies
        cpu = self.measured.cpu
        return [
            self.backend,
            str(self.clients),
            self.planner,
            self.app,
            f"{len(latencies) / self.measured.seconds:,.0f}",
            f"{percentile(latencies, 0.5) * 1000:.0f}",
            f"{percentile(latencies, 0.99) * 1000:.0f}",
            str(self.errors),
            "-" if cpu is None or not latencies else f"{cpu * 1000 / len(latencies):.1f}",
        ]


HEADER = [
    "backend",
    "clients",
    "planner",
    "app",
    "requests/s",
    "p50 ms",
    "p99 ms",
    "errors",
    "cpu ms/req",
]


def print_row(cells: Sequence[str]) -> None:
    """One table line, in the table's columns."""
    print("".join(f"{cell:>12}" for cell in cells), flush=True)


@dataclass
class Backend:
    """One database with everything running against it."""

    name: str
    url: str
    slack: Child
    pairs: list[SeededPair]
    # The request bodies of the mix over this database's pairs.
    made: dict[str, list[str]]
    started: float
    logs: Path
    servers: dict[str, tuple[Child, int]] = field(default_factory=dict)
    # Processes serving each app's port (``mentorbot run --http --workers N``).
    workers: int = 1

    def serve(self) -> None:
        """Start the bare app's and mentorbot's servers on this database."""
        api_url = str(self.slack.first)
        users = [user for user, _ in people(len(self.pairs))]
        for kind in ("bare", "mentorbot"):
            log = self.logs / f"{self.name}-{kind}.log"
            self.servers[kind] = start_server(
                kind, self.url, api_url, users, self.started, log, self.workers
            )

    def stop(self) -> None:
        """Stop both servers."""
        for child, _ in self.servers.values():
            child.stop()


def empty_planned_outbox(url: str) -> None:
    """Take the planner's messages out of the outbox and its waits off the rows (the "look
    again" notes of ``scheduler.rules``), so that its next pass is a whole catch-up again."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(Delivery.__table__.delete().where(Delivery.team_id == PLAN_TEAM))  # type: ignore[attr-defined]
            for table in NOTED.values():
                waits = {c.name: NO_WAIT for c in table.columns if c.name.endswith("_after")}
                conn.execute(table.update().where(table.c.team_id == PLAN_TEAM).values(waits))
    finally:
        engine.dispose()


def planning_note(passes: Sequence[tuple[float, int]]) -> str:
    """What the planner did while a line was measured (one pass at least)."""
    (seconds, enqueued), rest = passes[0], passes[1:]
    note = (
        f"planner: {len(passes)} passes; the catch-up took {seconds:.1f} s, enqueued {enqueued:,}"
    )
    if rest:
        note += f"; the next ones took {max(s for s, _ in rest):.1f} s at most"
    return note


def measure(
    backend: Backend, app: str, clients: int, seconds: float, *, planner: bool, seed: int
) -> Row:
    """One line of the table: ``app`` under ``clients`` clients, planning or not."""
    child, port = backend.servers[app]
    urls: list[str] = backend.slack.ask("fresh", 5_000)
    requests = Requests(backend.made, urls)
    notes: list[str] = []
    if planner:
        empty_planned_outbox(backend.url)
        child.ask("plan")
    pid = child.process.pid or 0
    measured = drive(port, pid, clients, seconds, requests, seed)
    if planner:
        passes, failure = child.ask("unplan")
        if failure is not None:
            raise RuntimeError(f"a planning pass failed in {app}'s process:\n{failure}")
        notes.append(planning_note(passes))
    errors = sum(measured.problems.values())
    late = sum(1 for seconds in measured.all_latencies if seconds > SLACK_TIMEOUT)
    if late:
        share = late / len(measured.all_latencies)
        notes.append(
            f"{late} acks ({share:.0%}) came after {SLACK_TIMEOUT:.0f} s, when Slack gives up"
        )
    if app == "mentorbot":
        notes.append(
            "acks by surface, p50/p99 ms: "
            + ", ".join(
                f"{kind} {percentile(values, 0.5) * 1000:.0f}/{percentile(values, 0.99) * 1000:.0f}"
                for kind, values in sorted(measured.latencies.items())
            )
        )
    notes += [f"{count} x {problem}" for problem, count in measured.problems.most_common(5)]
    if app == "mentorbot":
        time.sleep(1.0)  # the work after the last acks finishes before Slack's side is read
        seen = backend.slack.ask("seen")
        told, failed = sum(seen["told"].values()), sum(seen["failed"].values())
        errors += told + failed
        if told:
            notes.append(f"people told of a problem after the ack: {seen['told']}")
        if failed:
            notes.append(f"Web API calls that failed: {seen['failed']}")
        calls = seen["calls"]
        notes.append(
            "Slack saw: "
            + ", ".join(
                f"{calls.get(m, 0):,} {m}"
                for m in ("views.open", "response_url", "chat.postMessage")
            )
        )
    return Row(
        backend.name, clients, "on" if planner else "off", app, measured, errors, tuple(notes)
    )


# --- the whole run --------------------------------------------------------------------------------


def advance_sequences(engine: Engine) -> None:
    """PostgreSQL: the planner's rows were inserted with their ids, so each id sequence is moved
    past them before the services insert rows of their own."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as conn:
        for model in (Program, Participant, Pairing, Goal):
            table = model.__tablename__
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 - our table names
                    f"(SELECT coalesce(max(id), 1) FROM {table}))"
                )
            )


def prepare(url: str, pairings: int, started: float) -> list[SeededPair]:
    """Migrate an empty database, add the planner's pairings and seed the bot's program."""
    engine = make_engine(url)
    try:
        upgrade(engine)
        if pairings:
            build(engine, pairings)
            advance_sequences(engine)
        return seed_program(engine, bot_clock(started)(), PAIRS)
    finally:
        engine.dispose()


def run_backend(
    name: str,
    url: str,
    args: argparse.Namespace,
    slack: Child,
    started: float,
    logs: Path,
    rows: list[Row],
) -> None:
    """Every line of the table for one database, printed as it is measured."""
    began = time.perf_counter()
    pairs = prepare(url, args.pairings, started)
    print(
        f"{name}: {args.pairings:,} planner pairings and {len(pairs)} bot pairs seeded in "
        f"{time.perf_counter() - began:.0f} s",
        flush=True,
    )
    backend = Backend(
        name, url, slack, pairs, templates(pairs), started, logs, workers=args.workers
    )
    backend.serve()
    try:
        for planner in (False, True) if args.pairings else (False,):
            for clients in args.clients:
                for app in ("bare", "mentorbot"):
                    row = measure(
                        backend, app, clients, args.seconds, planner=planner, seed=len(rows)
                    )
                    rows.append(row)
                    print_row(row.cells())
    finally:
        backend.stop()


def log_summary(path: Path) -> str | None:
    """The warnings and errors a server logged, most frequent first."""
    if not path.exists():
        return None
    levels: Counter[str] = Counter()
    for line in path.read_text(encoding="utf-8").splitlines():
        with contextlib.suppress(ValueError):
            entry = json.loads(line)
            if isinstance(entry, dict) and entry.get("level") in ("WARNING", "ERROR", "CRITICAL"):
                # "Task queue depth is 48" and "… is 47" are one warning.
                said = re.sub(r"\d+", "N", str(entry.get("msg", "")))[:70]
                levels[f"{entry['level']} {said}"] += 1
    if not levels:
        return None
    return f"{path.name}: " + "; ".join(f"{n} x {what}" for what, n in levels.most_common(4))


def postgres_version(url: str) -> str:
    """The server's version, as it reports it."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return str(conn.execute(text("SHOW server_version")).scalar())
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> None:
    """Seed, serve, load and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--clients", type=int, nargs="+", default=list(CLIENTS), help="concurrent clients"
    )
    parser.add_argument(
        "--seconds", type=float, default=SECONDS, help="measured seconds per line of the table"
    )
    parser.add_argument(
        "--pairings",
        type=int,
        default=PAIRINGS,
        help="the planner's active pairings in each database (0: no planner lines)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=WORKERS,
        help=f"processes serving each app's port (default {WORKERS}: one a core)",
    )
    parser.add_argument("--database-url", help="run PostgreSQL on this database (emptied!)")
    parser.add_argument(
        "--no-postgres", action="store_true", help="SQLite only: start no PostgreSQL server"
    )
    parser.add_argument(
        "--logs", type=Path, help="keep the servers' logs in this folder (default: thrown away)"
    )
    args = parser.parse_args(argv)
    started = time.time()
    print(
        f"machine: {os.cpu_count()} CPUs, {platform.machine()}, Python {platform.python_version()},"
        f" SQLite {sqlite3.sqlite_version}, load average {os.getloadavg()[0]:.2f} at start",
        flush=True,
    )
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        logs = args.logs or Path(tmp)
        logs.mkdir(parents=True, exist_ok=True)
        slack = Child("slack", slack_process, people(PAIRS))
        try:
            print_row(HEADER)
            run_backend(
                "sqlite", f"sqlite:///{Path(tmp) / 'load.db'}", args, slack, started, logs, rows
            )
            if args.database_url:
                url = args.database_url
                _empty_postgres(url)
                print(f"postgresql: {postgres_version(url)}", flush=True)
                run_backend("postgresql", url, args, slack, started, logs, rows)
            elif not args.no_postgres and not postgres_binaries_available():
                print("postgresql: skipped (initdb and pg_ctl not found; install postgresql)")
            elif not args.no_postgres:
                with stock_postgres() as url:
                    print(f"postgresql: {postgres_version(url)} (stock settings)", flush=True)
                    run_backend("postgresql", url, args, slack, started, logs, rows)
        finally:
            slack.stop()
        print()
        print_row(HEADER)
        for row in rows:
            print_row(row.cells())
        print()
        for row in rows:
            for note in row.notes:
                print(f"{row.backend} {row.clients} planner {row.planner} {row.app}: {note}")
        for log in sorted(logs.glob("*.log")):
            summary = log_summary(log)
            if summary:
                print(summary)


def _empty_postgres(url: str) -> None:
    """Drop everything in the database's public schema: the migrations build it again."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    finally:
        engine.dispose()


if __name__ == "__main__":
    main()
