"""Issue 14's isolation, proven: two workspaces of one OAuth-installed bot, side by side.

The journey: in workspaces A and B a lead creates a program in its modal, opens it, a mentor and a
mentee join through theirs, the lead matches and approves, the pair books a session, the scheduler
ticks both at once, feedback flows and the digest goes to each workspace's channel. Every Slack
call for a workspace uses its own token and names only its own people and channels; no row of one
names the other's people. Then B uninstalls (its work stops, A's goes on) and is purged (no row of
B left in any table, A's all there), on SQLite and on PostgreSQL.
"""

import json
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import SQLModel

from bot.ids import ActionId, BlockId
from bot.sandbox.slack_double import RecordedCall, conversation_id_for
from bot.services.workspaces import purge_workspace, team_tables
from scheduler.delivery import Deliverer, settle
from scheduler.tick import plan_due, tick
from storage import slack_tables
from storage.db import session_scope
from storage.enums import DeliveryStatus
from tests.blockkit import assert_valid_view
from tests.conftest import FrozenClock
from tests.forms import Answer
from tests.harness import eventually
from tests.oauth_world import TEAM_A, TEAM_B, OAuthWorld, Workspace, open_oauth_world
from tests.test_enrolment import MENTEE as MENTEE_ANSWERS
from tests.test_enrolment import MENTOR as MENTOR_ANSWERS
from tests.test_programs import ANSWERS as PROGRAM_ANSWERS

PROGRAMS = {TEAM_A: "Harbour cohort", TEAM_B: "Lighthouse cohort"}
# Who plays what in each workspace (names in the world's people).
LEAD, MENTOR, MENTEE = "ada", "bob", "alice"
ROLES_B = {"ada": "bea", "bob": "dan", "alice": "carol"}
TOKEN_TABLES = (slack_tables.installations, slack_tables.bots)


def person(ws: Workspace, role: str) -> str:
    """The user id of whoever plays ``role`` (an A name) in ``ws``."""
    return ws.people[role if ws.team_id == TEAM_A else ROLES_B[role]]


def opened_modal(world: OAuthWorld, ws: Workspace, send: Any) -> dict[str, Any]:
    """The modal ``send(trigger_id)`` opened in ``ws``, checked against Block Kit."""
    trigger = world.slack.new_trigger_id()
    response = send(trigger)
    assert response.status == 200, response.body

    def found() -> list[RecordedCall]:
        return [
            c for c in world.slack.calls_to("views.open") if c.params.get("trigger_id") == trigger
        ]

    assert eventually(lambda: bool(found())), response.body
    [call] = found()
    assert call.team_id == ws.team_id
    view: dict[str, Any] = call.params["view"]
    assert_valid_view(view, surface="modal")
    return view


def command_modal(world: OAuthWorld, ws: Workspace, words: str, user: str) -> dict[str, Any]:
    """``/mentor <words>`` typed by ``user`` in ``ws``: the modal it opened."""
    return opened_modal(
        world, ws, lambda trigger: ws.bot.command(words, user_id=user, trigger_id=trigger)
    )


def submitted(ws: Workspace, view: dict[str, Any], answers: dict[str, Answer], user: str) -> None:
    """``user`` submits ``view`` in ``ws``, and it is accepted."""
    response = ws.bot.submit(view, answers, user_id=user)
    assert response.status == 200
    assert '"errors"' not in response.body, response.body


def said(ws: Workspace, words: str, user: str) -> str:
    """What ``/mentor <words>`` answered ``user`` in ``ws``."""
    return json.dumps(ws.bot.ask(words, user_id=user), ensure_ascii=False)


def rows(engine: Engine, team_id: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of ``team_id`` in every table that has a ``team_id``, by table."""
    found = {}
    with engine.connect() as conn:
        for table in team_tables():
            query = sa.select(table).where(table.c.team_id == team_id)
            found[table.name] = [
                dict(r) for r in conn.execute(query.order_by(*table.primary_key)).mappings()
            ]
    return found


def run_journey(world: OAuthWorld, ws: Workspace) -> None:
    """A pairing's journey in ``ws``, through its modals and buttons, up to a booked session."""
    lead, mentor, mentee = (person(ws, r) for r in (LEAD, MENTOR, MENTEE))
    name = PROGRAMS[ws.team_id]
    view = command_modal(world, ws, "program new", lead)
    answers: dict[str, Answer] = {
        **PROGRAM_ANSWERS,
        BlockId.PROGRAM_NAME: name,
        BlockId.PROGRAM_STRUCTURE: "one_to_one",
        BlockId.PROGRAM_START: date(2026, 3, 2),
        BlockId.PROGRAM_COMPETENCIES: "Negotiation\nPublic speaking\nHiring",
        BlockId.PROGRAM_VISIBILITY: "open",
        BlockId.PROGRAM_DIGEST_CHANNEL: ws.channels["mentoring-leads"],
        BlockId.PROGRAM_CO_LEADS: [],
    }
    submitted(ws, view, answers, lead)
    assert "is open for enrolment" in said(ws, f"program open {name}", lead)
    view = command_modal(world, ws, f"join {name} as mentor", mentor)
    submitted(ws, view, MENTOR_ANSWERS, mentor)
    view = command_modal(world, ws, f"join {name} as mentee", mentee)
    submitted(ws, view, MENTEE_ANSWERS, mentee)
    assert "is active" in said(ws, f"program start {name}", lead)
    said(ws, f"match {name}", lead)
    assert eventually(lambda: pairing_of(world.engine, ws.team_id) is not None)
    proposal = pairing_of(world.engine, ws.team_id)
    approved = ws.bot.action(
        ActionId.MATCH_APPROVE,
        str(proposal),
        user_id=lead,
        response_url=(url := world.slack.new_response_url()),
    )
    assert approved.status == 200
    assert "Approved" in json.dumps(ws.bot.answer_to(url))
    view = command_modal(world, ws, "schedule", mentee)
    submitted(
        ws,
        view,
        {
            BlockId.SESSION_DATE: date(2026, 3, 4),
            BlockId.SESSION_TIME: time(15, 0),
            BlockId.SESSION_LENGTH: "60",
        },
        mentee,
    )


def pairing_of(engine: Engine, team_id: str) -> int | None:
    """The one pairing of ``team_id`` (None before matching proposed it)."""
    pairing = SQLModel.metadata.tables["pairing"]
    with engine.connect() as conn:
        found = list(conn.execute(sa.select(pairing.c.id).where(pairing.c.team_id == team_id)))
    assert len(found) <= 1
    return int(found[0][0]) if found else None


FEEDBACK: dict[str, Answer] = {
    BlockId.FEEDBACK_WENT_WELL: "You came with a clear question.",
    BlockId.FEEDBACK_NEEDS_CHANGE: "Bring the numbers next time.",
    BlockId.FEEDBACK_NEXT_ACTION: "Send me the deck by Friday.",
}


def places(world: OAuthWorld, ws: Workspace) -> set[str]:
    """Every id that belongs to ``ws``: its people, channels and the bot's DMs with them."""
    people = set(ws.people.values())
    pair = {person(ws, MENTOR), person(ws, MENTEE)}
    return (
        people
        | set(ws.channels.values())
        | {world.slack.dm_channel_id(u) for u in people}
        | {conversation_id_for([u]) for u in people}
        | {world.slack.dm_channel_id(*sorted(pair)), conversation_id_for(pair)}
    )


def mixed(world: OAuthWorld, calls: list[RecordedCall]) -> list[str]:
    """Calls made with no workspace's token, or naming another workspace's ids or program."""
    found = []
    for call in calls:
        if call.method in ("response_url", "oauth.v2.access"):
            continue  # answers to a request, and the install's code exchange: no bot token
        ws = world.workspaces.get(call.team_id or "")
        if ws is None or call.token not in world.slack.tokens_of(ws.team_id):
            found.append(f"{call.method} without its workspace's token")
            continue
        other = world.b if ws.team_id == TEAM_A else world.a
        text = json.dumps(call.params, ensure_ascii=False)
        words = {*(places(world, other) - places(world, ws)), PROGRAMS[other.team_id]}
        found += [f"{call.method} for {ws.team_id} names {w}" for w in words if w in text]
    return found


def answers_mixed(world: OAuthWorld, calls: list[RecordedCall]) -> list[str]:
    """Answers to a request (response_url) of one workspace naming the other's."""
    found = []
    for call in calls:
        if call.method != "response_url":
            continue
        text = json.dumps(call.params, ensure_ascii=False)
        hits = [
            (ws.team_id, PROGRAMS[ws.team_id])
            for ws in (world.a, world.b)
            if PROGRAMS[ws.team_id] in text
        ]
        if len(hits) > 1:
            found.append(f"an answer names both programs: {text[:200]}")
    return found


def check_no_row_names_the_other(world: OAuthWorld) -> None:
    """No row of one workspace carries an id of the other's people or channels."""
    for ws, other in ((world.a, world.b), (world.b, world.a)):
        theirs = places(world, other) - places(world, ws)
        for table, found in rows(world.engine, ws.team_id).items():
            text = json.dumps(found, default=str)
            assert not [w for w in theirs if w in text], (
                f"{ws.team_id}'s {table} names {other.team_id}"
            )


def journey(world: OAuthWorld, clock: FrozenClock) -> None:
    """Both workspaces through a pairing's journey, an uninstall of B, and B's purge."""
    a, b = world.a, world.b
    for ws in (a, b):
        run_journey(world, ws)
    deliverer = Deliverer(world.deps, worker="isolation")
    # Both pairs meet on Wednesday 4 March at 15:00 (Berlin): the day before, both are due.
    clock.advance(timedelta(days=1, hours=6))
    # Introductions still on their way after the approvals would race this pass for its rows.
    assert settle(world.deps)
    mark = len(world.slack.calls)
    _, delivered = tick(world.deps, deliverer)
    assert delivered.sent >= 2
    assert delivered.failed == 0
    calls = world.slack.calls[mark:]
    sent = [c for c in calls if c.method == "chat.postMessage"]
    assert {c.team_id for c in sent} == {TEAM_A, TEAM_B}, [c.params for c in sent]
    assert mixed(world, calls) == []
    # Feedback after the session, from each pair's mentor.
    clock.advance(timedelta(days=1))
    for ws in (a, b):
        view = command_modal(world, ws, "feedback", person(ws, MENTOR))
        submitted(ws, view, FEEDBACK, person(ws, MENTOR))
    # The digest, to each workspace's own leads channel.
    for ws in (a, b):
        said(ws, f"digest {PROGRAMS[ws.team_id]}", person(ws, LEAD))
    for ws in (a, b):
        [digest] = posted_to(world, ws.channels["mentoring-leads"])
        assert digest.team_id == ws.team_id
        assert f"Cohort digest for {PROGRAMS[ws.team_id]}" in json.dumps(digest.params)
    assert mixed(world, world.slack.calls) == []
    assert answers_mixed(world, world.slack.calls) == []
    check_no_row_names_the_other(world)

    # B leaves with deliveries pending: they are dropped, its tokens go, A carries on.
    clock.advance(timedelta(days=5))
    # The digest's after-ack delivery may still be running: it would send what is planned next.
    assert settle(world.deps)
    plan_due(world.deps)
    assert pending(world.engine, TEAM_A)
    assert pending(world.engine, TEAM_B)
    assert b.bot.event({"type": "app_uninstalled"}).status == 200
    assert eventually(lambda: not world.slack.tokens_of(TEAM_B) or not has_tokens(world, TEAM_B))
    assert pending(world.engine, TEAM_B) == 0
    assert dropped(world.engine, TEAM_B) > 0
    mark = len(world.slack.calls)
    for _ in range(2):
        clock.advance(timedelta(days=1))
        tick(world.deps, deliverer)
    after = world.slack.calls[mark:]
    assert [c for c in after if c.team_id == TEAM_B] == []
    assert [c for c in after if c.method == "chat.postMessage" and c.team_id == TEAM_A]
    assert pending(world.engine, TEAM_B) == 0
    # The purge: no row of B in any table, every row of A as it was.
    kept = rows(world.engine, TEAM_A)
    with session_scope(world.engine) as session:
        purge_workspace(session, team_id=TEAM_B)
    for table, found in rows(world.engine, TEAM_B).items():
        assert found == [], f"{table} still holds rows of {TEAM_B}"
    assert rows(world.engine, TEAM_A) == kept
    assert not has_tokens(world, TEAM_B)
    assert has_tokens(world, TEAM_A)


def posted_to(world: OAuthWorld, channel: str) -> list[RecordedCall]:
    """The messages posted to ``channel`` (waits for the first: the digest is sent after ack)."""

    def found() -> list[RecordedCall]:
        return [
            c for c in world.slack.calls_to("chat.postMessage") if c.params["channel"] == channel
        ]

    assert eventually(lambda: bool(found())), channel
    return found()


def pending(engine: Engine, team_id: str) -> int:
    """Deliveries of ``team_id`` waiting to be sent."""
    return _deliveries(engine, team_id, DeliveryStatus.PENDING)


def dropped(engine: Engine, team_id: str) -> int:
    """Deliveries of ``team_id`` dropped."""
    return _deliveries(engine, team_id, DeliveryStatus.DROPPED)


def _deliveries(engine: Engine, team_id: str, status: DeliveryStatus) -> int:
    table = SQLModel.metadata.tables["delivery"]
    with engine.connect() as conn:
        query = sa.select(sa.func.count()).where(
            table.c.team_id == team_id, table.c.status == status.value
        )
        return int(conn.execute(query).scalar_one())


def has_tokens(world: OAuthWorld, team_id: str) -> bool:
    """Whether slack-sdk's tables hold a token of ``team_id``."""
    with world.engine.connect() as conn:
        return any(
            conn.execute(sa.select(sa.func.count()).where(t.c.team_id == team_id)).scalar_one()
            for t in TOKEN_TABLES
        )


def test_two_workspaces_side_by_side_then_one_leaves_on_sqlite(
    oauth_world: OAuthWorld, clock: FrozenClock
) -> None:
    journey(oauth_world, clock)


@pytest.mark.postgres
def test_two_workspaces_side_by_side_then_one_leaves_on_postgresql(
    pg_url: str, tmp_path: Path, clock: FrozenClock
) -> None:
    with open_oauth_world(tmp_path, clock, database_url=pg_url) as world:
        journey(world, clock)


def test_every_scheduled_rule_and_digest_over_two_workspaces_keeps_them_apart(
    oauth_world: OAuthWorld, clock: FrozenClock
) -> None:
    """Nine days of the scheduler over both workspaces at once: reminders, agenda and scorecard
    prompts, lapse nudges and the weekly digest all go out, each with its own workspace's
    token to its own people and channels."""
    world = oauth_world
    for ws in (world.a, world.b):
        run_journey(world, ws)
    deliverer = Deliverer(world.deps, worker="isolation")
    mark = len(world.slack.calls)
    for _ in range(9 * 4):
        clock.advance(timedelta(hours=6))
        tick(world.deps, deliverer)
    calls = world.slack.calls[mark:]
    assert mixed(world, calls) == []
    sent = [c for c in calls if c.method == "chat.postMessage"]
    assert {c.team_id for c in sent} == {TEAM_A, TEAM_B}
    # Both workspaces heard from several rules, not one.
    for ws in (world.a, world.b):
        rules = {
            d
            for d in _rules_sent(world.engine, ws.team_id)
            if not d.startswith(("introduction", "invitation"))
        }
        assert len(rules) >= 2, (ws.team_id, rules)
        # The weekly digest went by itself to the workspace's own leads channel.
        digests = posted_to(world, ws.channels["mentoring-leads"])
        assert {c.team_id for c in digests} == {ws.team_id}
        assert all(PROGRAMS[ws.team_id] in json.dumps(c.params) for c in digests)
    check_no_row_names_the_other(world)


def _rules_sent(engine: Engine, team_id: str) -> set[str]:
    """The rules whose messages were sent in ``team_id``."""
    delivery = SQLModel.metadata.tables["delivery"]
    with engine.connect() as conn:
        return {
            str(rule)
            for (rule,) in conn.execute(
                sa.select(delivery.c.rule).where(
                    delivery.c.team_id == team_id,
                    delivery.c.status == DeliveryStatus.SENT.value,
                )
            )
        }
