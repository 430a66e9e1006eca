"""A workspace leaves: its tokens go, its work stops, its data is kept, then purged to the last row.

Two workspaces share the database: T0001 (the bot's own, served by the Slack double) and T0002.
Slack's ``app_uninstalled`` and ``tokens_revoked`` events reach the real Bolt app, signed; the
scheduler then runs with the frozen clock. The purge is checked table by table, for every table
in the metadata, on SQLite and PostgreSQL.
"""

import dataclasses
import logging
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel, col, select

from bot.deps import Deps
from bot.gateway import SlackGateway
from bot.sandbox.slack_double import SlackDouble
from bot.services.workspaces import (
    APP_UNINSTALLED,
    DROP_REASONS,
    TOKENS_REVOKED,
    due_for_purge,
    inactive_team_ids,
    is_installed,
    purge_workspace,
    reinstate,
    team_tables,
    uninstall,
    workspace_row_counts,
    workspace_rows,
)
from bot.wiring.app import build_app
from bot.wiring.server import build_wsgi_app
from scheduler import outbox
from scheduler.delivery import Deliverer, Pacer
from scheduler.jobs import HOUSEKEEPING, purge_uninstalled_workspaces
from scheduler.outbox import Planned
from scheduler.rules import DIGEST_RULE
from scheduler.tick import plan_due, tick
from storage.db import session_scope
from storage.enums import DeliveryStatus, MeetingStatus, PairingStatus, ProgramStatus, Role
from storage.models import Delivery, Meeting, Pairing, Participant, Program, Workspace
from storage.slack_tables import STATES_TABLE
from storage.types import EnumText, UTCDateTime
from tests.conftest import FrozenClock
from tests.harness import SIGNING_SECRET, SlackToBot, eventually, serve

HOME, AWAY = "T0001", "T0002"
CLIENT_ID = "111.222"
# Each workspace's pair and the channel its program's digest goes to.
PEOPLE = {HOME: ("U0001", "U0002"), AWAY: ("U2001", "U2002")}
DIGEST_CHANNEL = {HOME: "C0001DIGEST", AWAY: "C0002DIGEST"}


# --- the two workspaces --------------------------------------------------------------------------


def seed_program(engine: Engine, team_id: str, now: datetime) -> int:
    """A running program of ``team_id`` with one pair, a session in ten minutes and a digest
    due now (Monday 09:00 UTC): each pass of the planner has something for it."""
    mentee, mentor = PEOPLE[team_id]
    with session_scope(engine) as session:
        program = Program(
            team_id=team_id,
            name=f"Cohort of {team_id}",
            status=ProgramStatus.ACTIVE,
            start_date=date(2026, 2, 2),
            digest_channel_id=DIGEST_CHANNEL[team_id],
            digest_weekday=now.weekday(),
            digest_hour=now.hour,
            created_by=mentor,
            created_at=now - timedelta(days=40),
        )
        session.add(program)
        session.flush()
        assert program.id is not None
        people = {}
        for user_id, role in ((mentee, Role.MENTEE), (mentor, Role.MENTOR)):
            person = Participant(team_id=team_id, program_id=program.id, user_id=user_id, role=role)
            session.add(person)
            session.flush()
            people[role] = person.id or 0
        pairing = Pairing(
            team_id=team_id,
            program_id=program.id,
            mentor_id=people[Role.MENTOR],
            mentee_id=people[Role.MENTEE],
            mentor_user_id=mentor,
            mentee_user_id=mentee,
            status=PairingStatus.ACTIVE,
            started_at=now - timedelta(days=10),
        )
        session.add(pairing)
        session.flush()
        session.add(
            Meeting(
                team_id=team_id,
                pairing_id=pairing.id or 0,
                status=MeetingStatus.SCHEDULED,
                scheduled_start=now + timedelta(minutes=10),
            )
        )
        return program.id


def install(engine: Engine, team_id: str, *, at: datetime) -> SQLAlchemyInstallationStore:
    """Store the workspace's installation as Bolt's OAuth flow does (slack-sdk's own store)."""
    store = SQLAlchemyInstallationStore(client_id=CLIENT_ID, engine=engine)
    store.save(
        Installation(
            app_id="A0001",
            team_id=team_id,
            team_name=f"Team {team_id}",
            bot_token=f"xoxb-{team_id}",
            bot_id=f"B{team_id}",
            bot_user_id=f"UB{team_id}",
            bot_scopes="chat:write,commands",
            user_id=f"UI{team_id}",
            installed_at=at,
        )
    )
    return store


def has_tokens(engine: Engine, team_id: str) -> bool:
    """Whether slack-sdk's store still finds a bot or an installation of ``team_id``."""
    store = SQLAlchemyInstallationStore(client_id=CLIENT_ID, engine=engine)
    return (
        store.find_bot(enterprise_id=None, team_id=team_id) is not None
        or store.find_installation(enterprise_id=None, team_id=team_id) is not None
    )


def workspace(engine: Engine, team_id: str) -> Workspace | None:
    with session_scope(engine) as session:
        return session.get(Workspace, team_id)


def deliveries(engine: Engine, team_id: str) -> list[Delivery]:
    with session_scope(engine) as session:
        return list(
            session.exec(
                select(Delivery).where(col(Delivery.team_id) == team_id).order_by(col(Delivery.id))
            )
        )


def sent_to(slack: SlackDouble, channel: str) -> int:
    return sum(1 for c in slack.calls_to("chat.postMessage") if c.params["channel"] == channel)


def deliverer(deps: Deps) -> Deliverer:
    return Deliverer(deps, worker="test", pacer=Pacer(sleep=lambda _: None))


def uninstalled_event(bot: SlackToBot, team_id: str, **fields: Any) -> None:
    response = bot.event({"type": "app_uninstalled"}, team_id=team_id, **fields)
    assert response.status == 200, response


def revoked_event(bot: SlackToBot, team_id: str, tokens: dict[str, list[str]]) -> None:
    response = bot.event({"type": "tokens_revoked", "tokens": tokens}, team_id=team_id)
    assert response.status == 200, response


def wait_uninstalled(engine: Engine, team_id: str) -> Workspace:
    assert eventually(lambda: not _installed(engine, team_id)), f"{team_id} still installed"
    row = workspace(engine, team_id)
    assert row is not None
    return row


def _installed(engine: Engine, team_id: str) -> bool:
    with session_scope(engine) as session:
        return is_installed(session, team_id=team_id)


# --- uninstall -----------------------------------------------------------------------------------


def test_app_uninstalled_stops_one_workspace_while_the_other_carries_on(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, deps: Deps, clock: FrozenClock
) -> None:
    for team_id in (HOME, AWAY):
        seed_program(engine, team_id, clock())
        install(engine, team_id, at=clock() - timedelta(days=60))
    # A pass before the uninstall: both workspaces' messages wait in the outbox.
    assert plan_due(deps).enqueued >= 4
    pending_away = [d.id for d in deliveries(engine, AWAY)]
    assert {d.rule for d in deliveries(engine, AWAY)} >= {DIGEST_RULE, "session_reminder"}
    assert all(d.status is DeliveryStatus.PENDING for d in deliveries(engine, AWAY))

    uninstalled_event(bot, AWAY)
    row = wait_uninstalled(engine, AWAY)

    assert (row.uninstalled_at, row.uninstall_reason) == (clock(), APP_UNINSTALLED)
    # Single-workspace mode had no row: it is made from what the installation said.
    assert row.name == f"Team {AWAY}"
    assert row.installed_at == clock() - timedelta(days=60)
    assert not has_tokens(engine, AWAY)
    assert has_tokens(engine, HOME)
    dropped = deliveries(engine, AWAY)
    assert [d.id for d in dropped] == pending_away
    assert {(d.status, d.error) for d in dropped} == {
        (DeliveryStatus.DROPPED, DROP_REASONS[APP_UNINSTALLED])
    }

    # The scheduler's pass: the bot's own workspace gets its digest and reminders.
    _, delivered = tick(deps, deliverer(deps))
    assert delivered.sent >= 3
    assert sent_to(slack, DIGEST_CHANNEL[HOME]) == 1
    assert sent_to(slack, DIGEST_CHANNEL[AWAY]) == 0
    assert [d.id for d in deliveries(engine, AWAY)] == pending_away
    assert all(d.status is DeliveryStatus.SENT for d in deliveries(engine, HOME))

    # A week later: the next digest for the one, nothing planned for the other.
    clock.advance(timedelta(days=7))
    tick(deps, deliverer(deps))
    assert sent_to(slack, DIGEST_CHANNEL[HOME]) == 2
    assert sent_to(slack, DIGEST_CHANNEL[AWAY]) == 0
    assert [d.id for d in deliveries(engine, AWAY)] == pending_away
    assert workspace(engine, HOME) is None  # the bot's own workspace was never touched


def test_slacks_retries_and_the_second_event_change_nothing(
    bot: SlackToBot, engine: Engine, clock: FrozenClock
) -> None:
    seed_program(engine, AWAY, clock())
    uninstalled_event(bot, AWAY, event_id="Ev0UNINSTALL")
    first = wait_uninstalled(engine, AWAY)
    clock.advance(timedelta(hours=1))

    # Slack redelivers the same event, then sends the revocation of the bot's token.
    redelivered = bot.event(
        {"type": "app_uninstalled"},
        team_id=AWAY,
        event_id="Ev0UNINSTALL",
        headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
    )
    assert redelivered.status == 200
    revoked_event(bot, AWAY, {"bot": ["UBT0002"]})
    # A third, distinct event after them both shows the two before it were handled.
    revoked_event(bot, AWAY, {"oauth": ["UIT0002"], "bot": ["UBT0002"]})
    assert eventually(lambda: _events_recorded(engine, AWAY) == 3), "not every event was handled"
    with session_scope(engine) as session:
        assert [w.team_id for w in session.exec(select(Workspace))] == [AWAY]
    row = workspace(engine, AWAY)
    assert row is not None
    # Retention runs from the first uninstall, which says more than a revocation.
    assert (row.uninstalled_at, row.uninstall_reason) == (first.uninstalled_at, APP_UNINSTALLED)


def _events_recorded(engine: Engine, team_id: str) -> int:
    from storage.models import ProcessedEvent

    with session_scope(engine) as session:
        return len(
            session.exec(select(ProcessedEvent).where(col(ProcessedEvent.team_id) == team_id)).all()
        )


def test_tokens_revoked_uninstalls_only_when_the_bots_token_goes(
    bot: SlackToBot, engine: Engine, clock: FrozenClock
) -> None:
    install(engine, AWAY, at=clock() - timedelta(days=3))
    revoked_event(bot, AWAY, {"oauth": ["UIT0002"]})
    assert eventually(lambda: _events_recorded(engine, AWAY) == 1)
    assert _installed(engine, AWAY)
    assert has_tokens(engine, AWAY)

    revoked_event(bot, AWAY, {"bot": ["UBT0002"]})
    row = wait_uninstalled(engine, AWAY)
    assert row.uninstall_reason == TOKENS_REVOKED
    assert not has_tokens(engine, AWAY)


def test_an_app_uninstalled_after_the_tokens_are_gone_still_says_why(
    bot: SlackToBot, engine: Engine, clock: FrozenClock
) -> None:
    revoked_event(bot, AWAY, {"bot": ["UBT0002"]})
    first = wait_uninstalled(engine, AWAY)
    assert first.uninstall_reason == TOKENS_REVOKED
    clock.advance(timedelta(minutes=5))
    uninstalled_event(bot, AWAY)
    assert eventually(
        lambda: getattr(workspace(engine, AWAY), "uninstall_reason", None) == APP_UNINSTALLED
    )
    row = workspace(engine, AWAY)
    assert row is not None
    assert row.uninstalled_at == first.uninstalled_at


class RecordingWorkspaces:
    """The installed workspaces' gateways, as OAuth mode has them: one gateway for all here,
    and what was forgotten, with whether the uninstall was committed by then."""

    def __init__(self, gateway: SlackGateway, engine: Engine) -> None:
        self._gateway = gateway
        self._engine = engine
        self.forgotten: list[tuple[str, bool]] = []

    def gateway(self, team_id: str) -> SlackGateway:
        return self._gateway

    def forget(self, team_id: str) -> None:
        self.forgotten.append((team_id, not _installed(self._engine, team_id)))


@pytest.fixture
def oauth_bot(
    deps: Deps, engine: Engine, slack: SlackDouble
) -> Iterator[tuple[SlackToBot, RecordingWorkspaces]]:
    """The Bolt app with installed workspaces' gateways (OAuth mode's ``Deps.workspaces``)."""
    gateways = RecordingWorkspaces(deps.gateway, engine)
    with_workspaces = dataclasses.replace(deps, workspaces=gateways)
    app = build_app(with_workspaces)
    with serve(build_wsgi_app(app, engine, signing_secret=SIGNING_SECRET)) as url:
        yield SlackToBot(url, slack=slack), gateways


def test_the_gateways_forget_the_workspace_once_the_uninstall_is_committed(
    oauth_bot: tuple[SlackToBot, RecordingWorkspaces], engine: Engine, clock: FrozenClock
) -> None:
    bot, gateways = oauth_bot
    install(engine, AWAY, at=clock())
    uninstalled_event(bot, AWAY)
    assert eventually(lambda: bool(gateways.forgotten))
    assert gateways.forgotten == [(AWAY, True)]
    assert not has_tokens(engine, AWAY)


def test_what_slips_into_an_uninstalled_workspaces_outbox_is_dropped_not_sent(
    engine: Engine, deps: Deps, slack: SlackDouble, clock: FrozenClock
) -> None:
    seed_program(engine, HOME, clock())
    with session_scope(engine) as session:
        done = uninstall(session, team_id=AWAY, reason=TOKENS_REVOKED, now=clock())
        assert (done.first, done.tokens, done.dropped) == (True, 0, 0)
        # A message enqueued afterwards (an operator's retry, a failure notice of a send in
        # flight), and one of the workspace that still has the bot.
        outbox.enqueue(
            session,
            [
                Planned(
                    team_id=team_id,
                    dedupe_key=f"late:{team_id}",
                    rule="late",
                    recipient_id=PEOPLE[team_id][0],
                    payload={"text": "hello"},
                    due_at=clock(),
                )
                for team_id in (HOME, AWAY)
            ],
            now=clock(),
        )
    report = deliverer(deps).run()
    assert (report.sent, report.dropped) == (1, 1)
    [late] = deliveries(engine, AWAY)
    assert (late.status, late.error) == (DeliveryStatus.DROPPED, DROP_REASONS[TOKENS_REVOKED])
    assert [c.params["text"] for c in slack.calls_to("chat.postMessage")] == ["hello"]


def test_housekeeping_plans_nothing_for_an_uninstalled_workspace(
    engine: Engine, deps: Deps, slack: SlackDouble, clock: FrozenClock
) -> None:
    """The jobs beside the planner (program starts, failure modes, timezones, pause ends)."""
    for team_id in (HOME, AWAY):
        program_id = seed_program(engine, team_id, clock())
        with session_scope(engine) as session:
            program = session.get(Program, program_id)
            assert program is not None
            program.status = ProgramStatus.ENROLLING
            program.start_date = clock().date()
            session.add(program)
    with session_scope(engine) as session:
        uninstall(session, team_id=AWAY, reason=APP_UNINSTALLED, now=clock())
    for job, _ in HOUSEKEEPING:
        job(deps)
    with session_scope(engine) as session:
        statuses = dict(session.exec(select(Program.team_id, Program.status)).all())
    assert statuses == {HOME: ProgramStatus.ACTIVE, AWAY: ProgramStatus.ENROLLING}
    assert {d.rule for d in deliveries(engine, HOME)} == {"program_started"}
    assert deliveries(engine, AWAY) == []
    # Timezones are refreshed for the one workspace's people only: the other's token is gone.
    asked = {c.params.get("user") for c in slack.calls_to("users.info")}
    assert asked == set(PEOPLE[HOME])


# --- list ----------------------------------------------------------------------------------------


def test_the_list_shows_each_workspace_with_its_state_and_sizes(
    engine: Engine, deps: Deps, clock: FrozenClock
) -> None:
    for team_id in (HOME, AWAY):
        seed_program(engine, team_id, clock())
    install(engine, AWAY, at=clock() - timedelta(days=9))
    plan_due(deps)
    with session_scope(engine) as session:
        uninstall(session, team_id=AWAY, reason=TOKENS_REVOKED, now=clock())
    with session_scope(engine) as session:
        home, away = workspace_rows(session, retention_days=30)
    assert (home.team_id, home.state, home.name, home.uninstalled_at, home.kept_until) == (
        HOME, "installed", "", None, None,
    )  # fmt: skip
    assert (home.programs, home.people) == (1, 2)
    assert home.pending >= 2
    assert (away.team_id, away.state, away.name) == (AWAY, "revoked", f"Team {AWAY}")
    # Installed at least since its program was created, before the OAuth install on record.
    assert (away.installed_at, away.uninstalled_at) == (clock() - timedelta(days=40), clock())
    assert away.kept_until == clock() + timedelta(days=30)
    assert (away.programs, away.people, away.pending) == (1, 2, 0)


# --- purge ---------------------------------------------------------------------------------------


def _value(table: sa.Table, column: sa.Column[Any], team_id: str) -> Any:
    """A value of the column's type, different for each workspace where it may be unique."""
    kind = column.type
    if isinstance(kind, EnumText):
        return next(iter(kind.enum_type.__members__.values()))
    if isinstance(kind, UTCDateTime):
        return datetime(2026, 3, 2, 9, tzinfo=UTC)
    if isinstance(kind, sa.JSON):
        return {}
    if isinstance(kind, sa.Boolean):
        return False
    if isinstance(kind, sa.DateTime):
        return datetime(2026, 3, 2, 9)  # slack-sdk's tables: naive UTC
    if isinstance(kind, sa.Date):
        return date(2026, 3, 2)
    if isinstance(kind, sa.Time):
        return time(9)
    if isinstance(kind, sa.Float):
        return 1.0
    if isinstance(kind, sa.Integer):
        return 1
    text = f"{team_id}-{table.name}-{column.name}"
    length = getattr(kind, "length", None)
    return text[:length] if length else text


def seed_every_table(engine: Engine, team_id: str) -> dict[str, int]:
    """One row of ``team_id`` in every table that has a ``team_id``, parents first, each child
    pointing at its workspace's parents (and a self-reference at itself); returns the rows
    per table."""
    ids: dict[str, Any] = {}
    with engine.begin() as conn:
        for table in reversed(team_tables()):
            values: dict[str, Any] = {}
            self_refs = []
            for column in table.columns:
                foreign = next(iter(column.foreign_keys), None)
                if column.name == "team_id":
                    values[column.name] = team_id
                elif foreign is not None and foreign.column.table is table:
                    self_refs.append(column.name)
                elif foreign is not None:
                    values[column.name] = ids[foreign.column.table.name]
                elif column.primary_key and isinstance(column.type, sa.Integer):
                    continue  # the database numbers it
                else:
                    values[column.name] = _value(table, column, team_id)
            key = conn.execute(table.insert().values(**values)).inserted_primary_key
            ids[table.name] = key[0] if key else None
            pk = list(table.primary_key.columns)
            for name in self_refs:
                conn.execute(
                    table.update().where(pk[0] == ids[table.name]).values({name: ids[table.name]})
                )
    return {table.name: 1 for table in team_tables()}


def rows_of(engine: Engine, team_id: str) -> dict[str, int]:
    with session_scope(engine) as session:
        return workspace_row_counts(session, team_id=team_id)


def test_every_table_but_the_oauth_states_belongs_to_a_workspace() -> None:
    names = {table.name for table in team_tables()}
    assert set(SQLModel.metadata.tables) - names == {STATES_TABLE}
    assert {"workspace", "slack_installations", "slack_bots", "delivery"} <= names
    order = [table.name for table in team_tables()]
    # Children before parents: a program's rows before the program.
    assert order.index("pairing") < order.index("participant") < order.index("program")


def test_purge_deletes_every_row_of_the_workspace_and_nothing_else(any_engine: Engine) -> None:
    seeded = seed_every_table(any_engine, AWAY)
    kept = seed_every_table(any_engine, HOME)
    with any_engine.begin() as conn:
        conn.execute(
            SQLModel.metadata.tables[STATES_TABLE]
            .insert()
            .values(state="s-1", expire_at=datetime(2026, 3, 2, 9, 10))
        )
    # Every table holds a row of each workspace: the checks below cover them all.
    assert rows_of(any_engine, AWAY) == seeded
    assert rows_of(any_engine, HOME) == kept

    with session_scope(any_engine) as session:
        deleted = purge_workspace(session, team_id=AWAY)

    assert deleted == seeded
    for table, rows in rows_of(any_engine, AWAY).items():
        assert rows == 0, f"{table} keeps rows of the purged workspace"
    assert rows_of(any_engine, HOME) == kept
    with any_engine.connect() as conn:
        states = conn.execute(sa.select(sa.func.count()).select_from(sa.table(STATES_TABLE)))
        assert states.scalar_one() == 1
    # Purging again finds nothing: the workspace is gone.
    with session_scope(any_engine) as session:
        assert sum(purge_workspace(session, team_id=AWAY).values()) == 0


def test_a_purge_that_fails_halfway_deletes_nothing(any_engine: Engine) -> None:
    seeded = seed_every_table(any_engine, AWAY)
    seed_every_table(any_engine, HOME)
    # A row of the other workspace pointing at the purged one's program (it should never
    # exist): the program can't go, so nothing goes.
    with session_scope(any_engine) as session:
        [program_id] = session.exec(select(Program.id).where(col(Program.team_id) == AWAY)).all()
        session.add(
            Delivery(
                team_id=HOME,
                dedupe_key="crossed",
                rule="crossed",
                recipient_id="U0001",
                program_id=program_id,
                due_at=datetime(2026, 3, 2, tzinfo=UTC),
            )
        )
    with pytest.raises(IntegrityError), session_scope(any_engine) as session:
        purge_workspace(session, team_id=AWAY)
    assert rows_of(any_engine, AWAY) == seeded


# --- retention -----------------------------------------------------------------------------------


def test_the_retention_job_purges_only_workspaces_past_the_retention(
    engine: Engine, deps: Deps, clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    assert deps.settings.workspace_retention_days == 30
    teams = {"T0OLD": 31, "T0NEW": 29}
    for team_id, days_ago in teams.items():
        seed_every_table(engine, team_id)
        with session_scope(engine) as session:
            session.execute(sa.delete(Workspace).where(col(Workspace.team_id) == team_id))
            uninstall(
                session,
                team_id=team_id,
                reason=APP_UNINSTALLED,
                now=clock() - timedelta(days=days_ago),
            )
    seed_program(engine, HOME, clock())
    with session_scope(engine) as session:
        assert due_for_purge(session, now=clock(), retention_days=30) == ["T0OLD"]
        assert inactive_team_ids(session) == {"T0OLD", "T0NEW"}
    before = rows_of(engine, "T0NEW")

    with caplog.at_level(logging.INFO, logger="scheduler.jobs"):
        purge_uninstalled_workspaces(deps)

    assert sum(rows_of(engine, "T0OLD").values()) == 0
    assert rows_of(engine, "T0NEW") == before
    assert sum(rows_of(engine, HOME).values()) > 0
    [record] = [r for r in caplog.records if r.getMessage() == "retention: workspace purged"]
    assert record.__dict__["team_id"] == "T0OLD"
    assert record.__dict__["total"] == sum(record.__dict__["rows"].values()) > 20
    # Two days on, the second workspace's time is up too.
    clock.advance(timedelta(days=2))
    purge_uninstalled_workspaces(deps)
    assert sum(rows_of(engine, "T0NEW").values()) == 0
    assert sum(rows_of(engine, HOME).values()) > 0


def test_a_workspace_installed_again_is_never_purged(
    engine: Engine, deps: Deps, clock: FrozenClock
) -> None:
    seed_program(engine, AWAY, clock())
    with session_scope(engine) as session:
        uninstall(session, team_id=AWAY, reason=APP_UNINSTALLED, now=clock() - timedelta(days=90))
    with session_scope(engine) as session:
        # The bot started again with a working token of the workspace.
        assert reinstate(session, team_id=AWAY)
        assert not reinstate(session, team_id=AWAY)
        assert not reinstate(session, team_id=HOME)
    purge_uninstalled_workspaces(deps)
    assert rows_of(engine, AWAY)["program"] == 1
    row = workspace(engine, AWAY)
    assert row is not None
    assert (row.uninstalled_at, row.uninstall_reason) == (None, None)
    # Its work resumes.
    assert plan_due(deps).enqueued >= 2


def test_uninstall_counts_what_it_changed_on_both_backends(any_engine: Engine) -> None:
    now = datetime(2026, 3, 2, 9, tzinfo=UTC)
    for team_id in (HOME, AWAY):
        install(any_engine, team_id, at=now - timedelta(days=2))
        with session_scope(any_engine) as session:
            outbox.enqueue(
                session,
                [
                    Planned(
                        team_id=team_id,
                        dedupe_key=f"later:{team_id}:{n}",
                        rule="later",
                        recipient_id=PEOPLE[team_id][0],
                        payload={"text": "hi"},
                        due_at=now + timedelta(days=n),
                    )
                    for n in range(3)
                ],
                now=now,
            )
    with session_scope(any_engine) as session:
        done = uninstall(session, team_id=AWAY, reason=TOKENS_REVOKED, now=now)
    # One row in each of slack-sdk's two tables; the three waiting messages.
    assert (done.first, done.tokens, done.dropped) == (True, 2, 3)
    with session_scope(any_engine) as session:
        again = uninstall(session, team_id=AWAY, reason=APP_UNINSTALLED, now=now + timedelta(1))
        assert inactive_team_ids(session) == {AWAY}
        assert due_for_purge(session, now=now + timedelta(days=30), retention_days=30) == [AWAY]
        assert due_for_purge(session, now=now + timedelta(days=29), retention_days=30) == []
    assert (again.first, again.tokens, again.dropped) == (False, 0, 0)
    row = workspace(any_engine, AWAY)
    assert row is not None
    assert (row.uninstalled_at, row.uninstall_reason, row.installed_by) == (
        now, APP_UNINSTALLED, f"UI{AWAY}",
    )  # fmt: skip
    assert has_tokens(any_engine, HOME)
    assert {d.status for d in deliveries(any_engine, HOME)} == {DeliveryStatus.PENDING}


def test_the_uninstall_reasons_are_slacks_event_names(engine: Engine) -> None:
    assert set(DROP_REASONS) == {"app_uninstalled", "tokens_revoked"}
    with pytest.raises(ValueError, match="unknown uninstall reason"), session_scope(engine) as s:
        uninstall(s, team_id=AWAY, reason="bored", now=datetime(2026, 3, 2, tzinfo=UTC))
    assert workspace(engine, AWAY) is None
