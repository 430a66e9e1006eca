"""Isolation, proven: every command, button and modal of workspace A, sent from workspace B.

Workspace A of the OAuth world holds the authorization matrix's world (``tests/authz_world.py``:
a program with its lead, pairs with goals, meetings, agenda, notes, feedback, a survey, queued
deliveries, and the modals their owners were shown). Workspace B has its own program, lead, pair
and admin. Every surface of ``tests/test_authorization.py`` is then sent by B's lead, B's admin
and a B participant, signed as B, carrying A's ids: in values, in private_metadata, A's view ids,
A's DM channels and message timestamps, A's people and program named in commands. Per cell: a
200 with a refusal (never an apology), no Slack call with A's token or to A's people, channels
or modals, none of A's words in anything B's people get, and no row of any table changed.
"""

import json
import logging
from collections.abc import Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.ids import CallbackId
from bot.sandbox.slack_double import RecordedCall, SlackDouble, conversation_id_for
from storage.db import session_scope
from storage.enums import DeliveryStatus, PairingStatus, ProgramStatus, Role, Stage, SurveyKind
from storage.models import Delivery, Pairing, Participant, Program, SurveyResponse
from tests.authz_world import (
    ANSWERED_COLLEAGUE,
    APOLOGIES,
    DIGEST_CHANNEL,
    INVITE_CHANNEL,
    NEW_COLLEAGUE,
    NOW,
    OTHER_SECRET,
    PROGRAM,
    PROPOSED_MENTOR,
    READS,
    SECRET,
    USER,
    Lab,
    Registry,
    Rows,
    Tracked,
    Who,
    _people,
    _use_executor,
    build_world,
    changed,
    recording,
)
from tests.conftest import FrozenClock
from tests.harness import Response
from tests.oauth_world import CHANNELS_A, PEOPLE_A, TEAM_A, TEAM_B, WorkspaceToBot, open_oauth_world
from tests.test_authorization import (
    FALLBACKS,
    INSTALLATION_EVENTS,
    NAMES_NOTHING,
    STALE_BUTTON_ID,
    STALE_FORM_ID,
    SURFACES,
    Surface,
    _callback_of,
    _catches_all,
    _matches,
)

B_PROGRAM = "Harbour cohort"
B_LEAD, B_ADMIN, B_MENTEE, B_MENTOR = "U2002", "U2ADMIN", "U2001", "U2003"
# Who in workspace B sends each request: its program's lead, its admin, one of its pair.
SENDERS = {"b_lead": B_LEAD, "b_admin": B_ADMIN, "b_participant": B_MENTEE}
# Words only workspace A's rows and people hold.
A_WORDS = (
    SECRET,
    OTHER_SECRET,
    "Autumn cohort",
    "Alice Ng",
    "Bob Ode",
    "Lee Lead",
    "Cora Colead",
    "directors review",
    "Grow the next leads",
    "Billing rewrite",
    "conference talk",
)
# Bookkeeping a request from B may add: the event ids seen, and B's own people's cache.
BOOKKEEPING = {"processedevent"}


class FromB(WorkspaceToBot):
    """Workspace B's Slack: whatever the payload carries, the actor is ``actor``, of team B."""

    actor = B_LEAD

    def _as_b(self, fields: dict[str, Any]) -> dict[str, Any]:
        view = fields.get("view")
        if isinstance(view, Mapping):
            # Slack says which workspace a view lives in; the ids inside it stay A's.
            fields["view"] = {**view, "team_id": TEAM_B, "app_installed_team_id": TEAM_B}
        fields["user_id"] = self.actor
        return fields

    def command(self, text: str, **fields: Any) -> Response:
        """``/mentor <text>`` typed by B's actor."""
        return super().command(text, **self._as_b(fields))

    def action(self, action_id: str, value: str | None = None, **fields: Any) -> Response:
        """A click by B's actor."""
        return super().action(action_id, value, **self._as_b(fields))

    def submit(
        self, view: Mapping[str, Any], answers: Mapping[str, Any], **fields: Any
    ) -> Response:
        """A modal submitted by B's actor."""
        moved = {**view, "team_id": TEAM_B, "app_installed_team_id": TEAM_B}
        return super().submit(moved, answers, **self._as_b(fields))

    def event(self, event: Mapping[str, Any], **fields: Any) -> Response:
        """An event from B (B's actor opening the Home tab)."""
        moved = {**event, "user": self.actor} if "user" in event else dict(event)
        return super().event(moved, **fields)


@dataclass
class Matrix:
    """A's lab (its world built and saved) and the same lab speaking as workspace B."""

    a: Lab
    b: Lab
    bot: FromB
    a_places: frozenset[str]


def _b_world(matrix_lab: Lab, slack: SlackDouble) -> None:
    slack.add_user(B_MENTOR, name="eve", real_name="Eve", tz="Europe/Berlin", team_id=TEAM_B)
    with session_scope(matrix_lab.engine) as session:
        program = Program(
            team_id=TEAM_B,
            name=B_PROGRAM,
            status=ProgramStatus.ACTIVE,
            start_date=date(2026, 1, 5),
            length_months=6,
            competencies=["Negotiation"],
            created_by=B_LEAD,
        )
        session.add(program)
        session.flush()
        ids = {}
        for user_id, role in ((B_MENTEE, Role.MENTEE), (B_MENTOR, Role.MENTOR)):
            row = Participant(
                team_id=TEAM_B,
                program_id=program.id or 0,
                user_id=user_id,
                role=role,
                timezone="UTC",
                joined_at=datetime(2026, 1, 2, tzinfo=UTC),
            )
            session.add(row)
            session.flush()
            ids[role] = row.id or 0
        session.add(
            Pairing(
                team_id=TEAM_B,
                program_id=program.id or 0,
                mentor_id=ids[Role.MENTOR],
                mentee_id=ids[Role.MENTEE],
                mentor_user_id=B_MENTOR,
                mentee_user_id=B_MENTEE,
                status=PairingStatus.ACTIVE,
                stage=Stage.GUIDED_PRACTICE,
                started_at=datetime(2026, 1, 5, 9, tzinfo=UTC),
                approved_by=B_LEAD,
            )
        )
    for user_id in (B_LEAD, B_ADMIN, B_MENTEE, B_MENTOR):
        matrix_lab.deps.directory.person(team_id=TEAM_B, user_id=user_id)


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Matrix]:
    """A's world and B's, built once for the module (each cell puts them back as built)."""
    folder: Path = tmp_path_factory.mktemp("isolation")
    registry = Registry()
    background = Tracked(4, "after-ack")
    listeners = Tracked(16, "listener")
    with ExitStack() as stack:
        with recording(registry):
            world = stack.enter_context(
                open_oauth_world(folder, FrozenClock(NOW), background=background)
            )
        stack.callback(listeners.shutdown, wait=True)
        _use_executor(world.app, listeners)
        _people(world.slack)  # the authorization world's people, in workspace A
        lab = Lab(
            slack=world.slack,
            engine=world.engine,
            deps=world.deps,
            app=world.app,
            bot=world.a.bot,
            registry=registry,
            listeners=listeners,
            background=background,
        )
        build_world(lab)
        _more_of_a(lab)
        _b_world(lab, world.slack)
        lab.save()
        bot = FromB(
            world.base_url, slack=world.slack, team_id=TEAM_B, user_id=B_LEAD, channel_id="C2001"
        )
        w = lab.world
        people = {*USER.values(), PROPOSED_MENTOR, ANSWERED_COLLEAGUE, NEW_COLLEAGUE}
        people |= set(PEOPLE_A.values())
        places = set(people) | {conversation_id_for([u]) for u in people}
        for mentee, mentor in ((Who.MENTEE, Who.MENTOR), (Who.OTHER_MENTEE, Who.OTHER_MENTOR)):
            places.add(conversation_id_for([USER[mentee], USER[mentor]]))
        places |= {*CHANNELS_A.values(), DIGEST_CHANNEL, INVITE_CHANNEL}
        places |= {str(v["id"]) for v in [*w.views.values(), *w.homes.values()] if v.get("id")}
        yield Matrix(lab, replace(lab, bot=bot), bot, frozenset(places))
        lab.settle()


def _more_of_a(lab: Lab) -> None:
    """What the authorization world lacks: a survey answered and deliveries queued in A."""
    w = lab.world
    with session_scope(lab.engine) as session:
        session.add(
            SurveyResponse(
                team_id=TEAM_A,
                program_id=w.program_id,
                pairing_id=w.pairing_id,
                user_id=USER[Who.MENTOR],
                kind=SurveyKind.MIDPOINT,
                scores={"relationship_quality": 4},
                comment=f"Alice prepares well {SECRET}",
                submitted_at=NOW,
            )
        )
        mentee = USER[Who.MENTEE]
        for key, status, ts in (
            ("a-sent", DeliveryStatus.SENT, "1767000000.000100"),
            ("a-pending", DeliveryStatus.PENDING, None),
        ):
            session.add(
                Delivery(
                    team_id=TEAM_A,
                    dedupe_key=f"isolation:{key}",
                    rule="survey_midpoint",
                    program_id=w.program_id,
                    pairing_id=w.pairing_id,
                    recipient_id=mentee,
                    channel_id=conversation_id_for([mentee]),
                    payload={"text": f"Time for your survey {SECRET}"},
                    # Not due yet: a run of the outbox set off by B's request leaves it be.
                    due_at=NOW + timedelta(days=1),
                    status=status,
                    message_ts=ts,
                    sent_at=NOW if ts else None,
                )
            )


# --- what one cell did -------------------------------------------------------------------------


def _text(params: Mapping[str, Any]) -> str:
    found = [str(params.get("text") or "")]
    for block in params.get("blocks") or []:
        section = block.get("text") if isinstance(block, dict) else None
        if isinstance(section, dict):
            found.append(str(section.get("text") or ""))
    return "\n".join(t for t in found if t)


def _shown(body: str, calls: list[RecordedCall], actor: str) -> tuple[list[str], list[str]]:
    """What B's actor was told, and which of it tells them no (warnings, field errors)."""
    shown: list[str] = []
    problems: list[str] = []
    ack = json.loads(body) if body.strip().startswith("{") else {}
    if ack.get("response_action") == "errors":
        problems += [str(v) for v in dict(ack.get("errors") or {}).values()]
    elif ack.get("text"):
        shown.append(str(ack["text"]))
    for call in calls:
        params = call.params
        to_me = {
            "response_url": True,
            "chat.postEphemeral": params.get("user") == actor,
            "chat.postMessage": params.get("channel") in (actor, conversation_id_for([actor])),
        }
        if to_me.get(call.method):
            shown.append(_text(params))
        elif call.method in ("views.open", "views.push"):
            view = params.get("view") or {}
            if view.get("callback_id") == CallbackId.NOTICE:
                shown.append(_text({"blocks": view.get("blocks") or []}))
    problems += [t for t in shown if t.startswith(":warning:")]
    return shown, problems


def _crossings(calls: list[RecordedCall], places: frozenset[str]) -> list[str]:
    """Slack calls made with A's token, or naming A's people, channels or modals."""
    # A look-up with B's token that Slack refused is how the bot learns a mention is not B's.
    found = []
    for call in calls:
        params = call.params
        targets = {
            str(params.get(k))
            for k in ("channel", "channel_id", "user", "user_id", "view_id", "external_id")
            if params.get(k)
        }
        targets |= set(str(params.get("users") or "").split(",")) - {""}
        refused_read = call.method in READS and call.team_id == TEAM_B and call.error
        if call.team_id not in (None, TEAM_B) or (targets & places and not refused_read):
            found.append(f"{call.method} as {call.team_id} to {sorted(targets & places)}")
    return found


def _without_b(rows: Rows, *, b_may_change: bool) -> Rows:
    """The rows a request from B must leave alone (``b_may_change``: B's own rows may change)."""
    kept: Rows = {}
    for table, found in rows.items():
        if table in BOOKKEEPING:
            continue
        kept[table] = [
            r
            for r in found
            if not (r.get("team_id") == TEAM_B and (b_may_change or table == "slackuser"))
        ]
    return kept


def _errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.ERROR]


CELLS = [
    pytest.param(s, sender, id=f"{s.name} from {sender}") for s in SURFACES for sender in SENDERS
]


@pytest.mark.parametrize(("surface", "sender"), CELLS)
def test_a_request_from_b_carrying_a_s_ids_reads_and_changes_nothing_of_a(
    matrix: Matrix, surface: Surface, sender: str, caplog: pytest.LogCaptureFixture
) -> None:
    lab = matrix.a
    before = lab.fresh(surface.prepare)
    matrix.bot.actor = SENDERS[sender]
    mark = len(lab.slack.calls)
    seen = surface.send(matrix.b, Who.LEAD, lab.world)
    lab.settle()
    calls = lab.slack.calls[mark:]
    after = lab.dump()
    assert seen.status == 200, seen.body
    shown, problems = _shown(seen.body, calls, SENDERS[sender])
    assert [t for t in shown if any(a in t for a in APOLOGIES)] == [], "an apology, not an answer"
    assert _errors(caplog) == []
    assert _crossings(calls, matrix.a_places) == [], "a Slack call crossed into workspace A"
    everything = seen.body + json.dumps([c.params for c in calls], default=str)
    # A command names A's program itself: a refusal may repeat what B typed.
    words = A_WORDS if surface.kind == "command" else (*A_WORDS, PROGRAM)
    assert [w for w in words if w in everything] == [], "A's words reached B"
    names_nothing = surface.name in NAMES_NOTHING
    assert (
        changed(
            _without_b(before, b_may_change=names_nothing),
            _without_b(after, b_may_change=names_nothing),
        )
        == {}
    ), "a request from B changed rows it must not touch"
    if not names_nothing:
        assert problems, f"not refused: {shown} {[c.method for c in calls]}"


def test_every_registered_command_action_and_modal_is_sent_from_b(matrix: Matrix) -> None:
    registry = matrix.a.registry
    lab = matrix.a
    sent = {
        "action": {s.covers for s in SURFACES if s.kind == "click"},
        "view": {_callback_of(lab, s) for s in SURFACES if s.kind == "submit"},
        "event": {s.covers for s in SURFACES if s.kind == "event"} | INSTALLATION_EVENTS,
    }
    registered = {"action": registry.actions, "view": registry.views, "event": registry.events}
    for kind, constraints in registered.items():
        assert constraints, f"nothing registered as {kind}: the recording missed the build"
        for constraint in constraints:
            if kind == "event" and _catches_all(constraint):
                continue
            assert any(_matches(constraint, key) for key in sent[kind]), f"{kind} {constraint}"
    [router] = registry.routers
    typed = {s.covers for s in SURFACES if s.kind == "command"}
    assert {sub.name for sub in router.subcommands} == typed
    assert {STALE_BUTTON_ID, STALE_FORM_ID} <= sent["action"] | sent["view"]
    assert {s.name for s in SURFACES} >= FALLBACKS
