"""Goals as a pair lives them: propose, agree or suggest a change, progress and milestones."""

import json
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from functools import partial
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlmodel import col, select

import bot.services.goals as goal_service
from bot.deps import Deps
from bot.ids import ActionId, BlockId, CallbackId
from bot.sandbox import slack_double
from bot.sandbox.slack_double import RecordedCall, SlackDouble
from bot.services.goals import GOOD_GOAL_EXAMPLE, GoalCounts, goal_summary, pair_goals
from scheduler.delivery import Deliverer, Pacer, settle
from storage.db import awaiting, read_engine, session_scope
from storage.enums import DeliveryStatus, GoalProgress, GoalStatus, ProgramStatus, Stage
from storage.models import Delivery, Goal, GoalUpdate, Milestone, Pairing, Program
from tests.blockkit import assert_valid_view
from tests.conftest import FrozenClock
from tests.forms import Answer
from tests.harness import Response, SlackToBot, eventually
from tests.pairs import add_pair

TEAM = slack_double.DEFAULT_TEAM_ID
MENTEE, MENTOR, OUTSIDER, ADMIN = "U0001", "U0002", "U0003", "UADMIN"
STATEMENT = "Build the stakeholder communication skills that block my path to a senior role"
SUCCESS = "I present the Q3 roadmap to the leadership team on my own"
TITLE_1 = f"{BlockId.GOAL_MILESTONE_TITLE_PREFIX}1"
DUE_1 = f"{BlockId.GOAL_MILESTONE_DUE_PREFIX}1"
TITLE_2 = f"{BlockId.GOAL_MILESTONE_TITLE_PREFIX}2"
DUE_2 = f"{BlockId.GOAL_MILESTONE_DUE_PREFIX}2"


@pytest.fixture
def pairing_id(engine: Engine, slack: SlackDouble) -> int:
    """An active pair in an active six-month program that started on 1 March 2026."""
    slack.add_user(OUTSIDER, name="carol", real_name="Carol Out", tz="Asia/Tokyo")
    with session_scope(engine) as session:
        program = Program(
            team_id=TEAM,
            name="Spring cohort",
            status=ProgramStatus.ACTIVE,
            start_date=date(2026, 3, 1),
            length_months=6,
            competencies=["Stakeholder communication"],
            created_by=ADMIN,
        )
        pairing = add_pair(session, program, stage=Stage.GOAL_SETTING, mentor_first=True)
        assert pairing.id is not None
        return pairing.id


# --- helpers -----------------------------------------------------------------------------------


def _after(slack: SlackDouble, method: str, act: Callable[[], Response]) -> RecordedCall:
    """Do ``act`` and return the next call to ``method`` it caused."""
    before = len(slack.calls_to(method))
    response = act()
    assert response.status == 200, response.body
    return slack.wait_for(method, before + 1)[before]


def _new_view(slack: SlackDouble, method: str, act: Callable[[], Response]) -> dict[str, Any]:
    """Do ``act``, which opens or pushes a modal; return the modal as Slack holds it."""
    known = set(slack.views)
    call = _after(slack, method, act)
    assert_valid_view(call.params["view"], surface="modal")
    [new_id] = set(slack.views) - known
    return slack.views[new_id]


def _overview(bot: SlackToBot, slack: SlackDouble, user_id: str) -> dict[str, Any]:
    return _new_view(slack, "views.open", lambda: bot.command("goals", user_id=user_id))


def _click_in(
    bot: SlackToBot, slack: SlackDouble, view: dict[str, Any], action_id: str, value: str, user: str
) -> Response:
    return bot.action(
        action_id,
        value,
        user_id=user,
        view=view,
        trigger_id=slack.new_trigger_id(view_id=view["id"]),
    )


def _click_dm(
    bot: SlackToBot, slack: SlackDouble, user: str, message: dict[str, Any], action_id: str
) -> Response:
    """Click the button ``action_id`` of a DM the bot sent ``user``."""
    channel = slack.dm_channel_id(user)
    return bot.action(
        action_id,
        _buttons(message)[action_id],
        user_id=user,
        trigger_id=slack.new_trigger_id(),
        container={"type": "message", "message_ts": message["ts"], "channel_id": channel},
        channel_id=channel,
        message=message,
    )


def _buttons(view: dict[str, Any]) -> dict[str, str]:
    """Every button's action id and value in a view or message (the last one wins)."""
    found: dict[str, str] = {}
    for block in view.get("blocks", []):
        elements = list(block.get("elements", []))
        if "accessory" in block:
            elements.append(block["accessory"])
        for element in elements:
            if element.get("type") == "button":
                found[element["action_id"]] = element.get("value", "")
    return found


def _dms(slack: SlackDouble, user: str) -> list[dict[str, Any]]:
    return slack.messages(slack.dm_channel_id(user))


def _text(view: dict[str, Any]) -> str:
    return json.dumps(view, ensure_ascii=False)


def _answers(extra: Mapping[str, Answer] | None = None) -> dict[str, Answer]:
    answers: dict[str, Answer] = {
        BlockId.GOAL_STATEMENT: STATEMENT,
        BlockId.GOAL_SUCCESS: SUCCESS,
        BlockId.GOAL_DUE: date(2026, 6, 30),
    }
    answers.update(extra or {})
    return answers


def _goal_form(
    bot: SlackToBot, slack: SlackDouble, user: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Open the overview and push the empty goal form from its Add button."""
    overview = _overview(bot, slack, user)
    add = _buttons(overview)[ActionId.GOAL_ADD]
    form = _new_view(
        slack,
        "views.push",
        lambda: _click_in(bot, slack, overview, ActionId.GOAL_ADD, add, user),
    )
    assert form["root_view_id"] == overview["id"]
    return overview, form


def _submit(
    bot: SlackToBot, form: dict[str, Any], answers: Mapping[str, Answer], user: str
) -> Response:
    return bot.submit(
        form, answers, user_id=user, view_id=form["id"], root_view_id=form["root_view_id"]
    )


def _propose(
    bot: SlackToBot, slack: SlackDouble, answers: Mapping[str, Answer], user: str = MENTEE
) -> dict[str, Any]:
    """Propose a goal through the modal; returns the partner's agreement DM."""
    partner = MENTOR if user == MENTEE else MENTEE
    _, form = _goal_form(bot, slack, user)
    call = _after(slack, "chat.postMessage", lambda: _submit(bot, form, answers, user))
    assert call.params["channel"] == slack.dm_channel_id(partner)
    assert_valid_view(call.params, surface="message")
    return _dms(slack, partner)[-1]


def _delivery(engine: Engine, rule: str) -> Delivery | None:
    """The outbox row of the one message of ``rule``, as stored now."""
    with session_scope(engine) as session:
        return session.exec(select(Delivery).where(Delivery.rule == rule)).one_or_none()


def _deliver(deps: Deps) -> None:
    """One delivery pass, as the scheduler runs it: what the last one queued goes out."""
    settle(deps)  # the after-ack delivery first: two passes at once would race
    Deliverer(deps, worker="test", pacer=Pacer(sleep=lambda _: None)).run()


def _goals(engine: Engine) -> list[Goal]:
    with session_scope(engine) as session:
        return list(session.exec(select(Goal).order_by(col(Goal.id))))


def _milestones(engine: Engine) -> list[Milestone]:
    with session_scope(engine) as session:
        return list(
            session.exec(
                select(Milestone).order_by(col(Milestone.goal_id), col(Milestone.position))
            )
        )


def _stored_goal(
    engine: Engine,
    pairing_id: int,
    *,
    status: GoalStatus = GoalStatus.PROPOSED,
    proposed_by: str = MENTEE,
    due: date = date(2026, 6, 30),
    milestones: tuple[tuple[str, date], ...] = (),
    progress: GoalProgress = GoalProgress.NOT_STARTED,
    statement: str = STATEMENT,
) -> int:
    with session_scope(engine) as session:
        goal = Goal(
            team_id=TEAM,
            pairing_id=pairing_id,
            statement=statement,
            success_criteria=SUCCESS,
            due_date=due,
            status=status,
            proposed_by=proposed_by,
            progress=progress,
            co_created=status is GoalStatus.AGREED,
        )
        session.add(goal)
        session.flush()
        assert goal.id is not None
        for position, (title, when) in enumerate(milestones):
            session.add(
                Milestone(
                    team_id=TEAM, goal_id=goal.id, title=title, due_date=when, position=position
                )
            )
        return goal.id


# --- proposing and agreeing --------------------------------------------------------------------


def test_mentee_proposes_a_goal_and_the_mentor_agrees(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, pairing_id: int
) -> None:
    overview, form = _goal_form(bot, slack, MENTEE)
    assert "No goals yet" in _text(overview)
    assert GOOD_GOAL_EXAMPLE in _text(form)
    answers = _answers(
        {
            TITLE_1: "Lead the weekly stakeholder update",
            DUE_1: date(2026, 5, 15),
            TITLE_2: "Draft the roadmap deck",
            DUE_2: date(2026, 4, 1),
        }
    )
    request = _after(slack, "chat.postMessage", lambda: _submit(bot, form, answers, MENTEE))
    assert request.params["channel"] == slack.dm_channel_id(MENTOR)
    assert_valid_view(request.params, surface="message")
    assert "<@U0001> proposed a goal" in request.params["text"]
    assert {ActionId.GOAL_AGREE, ActionId.GOAL_SUGGEST} <= set(_buttons(request.params))

    [goal] = _goals(engine)
    assert (goal.status, goal.proposed_by, goal.co_created) == (GoalStatus.PROPOSED, MENTEE, False)
    assert (goal.statement, goal.success_criteria, goal.due_date) == (
        STATEMENT,
        SUCCESS,
        date(2026, 6, 30),
    )
    assert [(m.title, m.position) for m in _milestones(engine)] == [
        ("Draft the roadmap deck", 0),
        ("Lead the weekly stakeholder update", 1),
    ]
    [refresh] = slack.wait_for("views.update")
    assert refresh.params["view_id"] == overview["id"]
    assert_valid_view(refresh.params["view"], surface="modal")
    assert "Proposed by you" in _text(refresh.params["view"])
    assert ActionId.GOAL_AGREE not in _buttons(refresh.params["view"])

    dm = _dms(slack, MENTOR)[-1]
    notice = _after(
        slack, "chat.postMessage", lambda: _click_dm(bot, slack, MENTOR, dm, "goal_agree")
    )
    assert notice.params["channel"] == slack.dm_channel_id(MENTEE)
    assert_valid_view(notice.params, surface="message")
    assert "<@U0002> agreed to your goal" in notice.params["text"]
    [goal] = _goals(engine)
    assert (goal.status, goal.agreed_by, goal.co_created) == (GoalStatus.AGREED, MENTOR, True)
    assert goal.agreed_at == datetime(2026, 3, 2, 9, tzinfo=UTC)
    with session_scope(engine) as session:
        pairing = session.get(Pairing, pairing_id)
        assert pairing is not None
        assert pairing.stage is Stage.CADENCE_PLANNED
    [update] = slack.wait_for("chat.update")
    assert_valid_view(update.params, surface="message")
    assert ActionId.GOAL_AGREE not in _buttons(update.params)
    assert "You agreed" in update.params["text"]
    agreed = _overview(bot, slack, MENTOR)
    assert "Agreed by both" in _text(agreed)
    assert "co-created" in _text(agreed)


def test_suggest_a_change_round_trip(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, pairing_id: int
) -> None:
    dm = _propose(bot, slack, _answers())
    modal = _new_view(
        slack, "views.open", lambda: _click_dm(bot, slack, MENTOR, dm, ActionId.GOAL_SUGGEST)
    )
    assert modal["callback_id"] == CallbackId.GOAL_SUGGEST
    empty = bot.submit(modal, {BlockId.GOAL_SUGGESTION: ""}, user_id=MENTOR).json()
    assert empty["response_action"] == "errors"
    assert _goals(engine)[0].status is GoalStatus.PROPOSED

    suggestion = "Make it about presenting to the leadership team, and due by the end of May"
    notice = _after(
        slack,
        "chat.postMessage",
        lambda: bot.submit(modal, {BlockId.GOAL_SUGGESTION: suggestion}, user_id=MENTOR),
    )
    assert notice.params["channel"] == slack.dm_channel_id(MENTEE)
    assert_valid_view(notice.params, surface="message")
    assert suggestion in _text(notice.params)
    [goal] = _goals(engine)
    assert (goal.status, goal.change_suggestion) == (GoalStatus.CHANGE_SUGGESTED, suggestion)
    [settled] = slack.wait_for("chat.update")
    assert "You suggested a change" in settled.params["text"]
    assert ActionId.GOAL_AGREE not in _buttons(settled.params)

    mentee_dm = _dms(slack, MENTEE)[-1]
    form = _new_view(
        slack, "views.open", lambda: _click_dm(bot, slack, MENTEE, mentee_dm, ActionId.GOAL_EDIT)
    )
    assert STATEMENT in _text(form)
    assert suggestion in _text(form)
    revised = "Present the Q3 roadmap to the leadership team to build my path to a senior role"
    again = _after(
        slack,
        "chat.postMessage",
        lambda: bot.submit(
            form,
            {BlockId.GOAL_STATEMENT: revised, BlockId.GOAL_DUE: date(2026, 5, 29)},
            user_id=MENTEE,
        ),
    )
    assert again.params["channel"] == slack.dm_channel_id(MENTOR)
    assert "revised a goal" in again.params["text"]
    [goal] = _goals(engine)
    assert (goal.status, goal.statement, goal.change_suggestion) == (
        GoalStatus.PROPOSED,
        revised,
        "",
    )
    assert goal.due_date == date(2026, 5, 29)

    _after(
        slack,
        "chat.postMessage",
        lambda: _click_dm(bot, slack, MENTOR, _dms(slack, MENTOR)[-1], ActionId.GOAL_AGREE),
    )
    assert _goals(engine)[0].status is GoalStatus.AGREED


def test_the_proposer_cannot_agree_to_their_own_goal(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, pairing_id: int
) -> None:
    dm = _propose(bot, slack, _answers())
    refusal = _after(
        slack,
        "response_url",
        lambda: bot.action(ActionId.GOAL_AGREE, _buttons(dm)[ActionId.GOAL_AGREE], user_id=MENTEE),
    )
    assert "You proposed this goal" in _text(refusal.params)
    assert "<@U0002>" in _text(refusal.params)
    [goal] = _goals(engine)
    assert (goal.status, goal.agreed_by) == (GoalStatus.PROPOSED, None)
    assert ActionId.GOAL_AGREE not in _buttons(_overview(bot, slack, MENTEE))


def test_the_mentor_agrees_from_the_home_tab_overview(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, pairing_id: int
) -> None:
    goal_id = _stored_goal(engine, pairing_id)
    home = {"id": "VHOME", "type": "home", "callback_id": "", "blocks": []}
    overview = _new_view(
        slack,
        "views.open",
        lambda: bot.action(
            ActionId.GOALS_OPEN,
            str(pairing_id),
            user_id=MENTOR,
            view=home,
            trigger_id=slack.new_trigger_id(),
        ),
    )
    assert "Proposed by <@U0001>" in _text(overview)
    assert _buttons(overview)[ActionId.GOAL_AGREE] == str(goal_id)
    refresh = _after(
        slack,
        "views.update",
        lambda: _click_in(bot, slack, overview, ActionId.GOAL_AGREE, str(goal_id), MENTOR),
    )
    assert refresh.params["view_id"] == overview["id"]
    assert "Agreed by both" in _text(refresh.params["view"])
    assert _goals(engine)[0].status is GoalStatus.AGREED
    notice = slack.wait_for("chat.postMessage")[-1]
    assert notice.params["channel"] == slack.dm_channel_id(MENTEE)


def test_the_mentor_suggests_a_change_from_the_overview(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, pairing_id: int
) -> None:
    goal_id = _stored_goal(engine, pairing_id)
    overview = _overview(bot, slack, MENTOR)
    modal = _new_view(
        slack,
        "views.push",
        lambda: _click_in(bot, slack, overview, ActionId.GOAL_SUGGEST, str(goal_id), MENTOR),
    )
    suggestion = "Name the leadership meeting you'll present at"
    notice = _after(
        slack,
        "chat.postMessage",
        lambda: _submit(bot, modal, {BlockId.GOAL_SUGGESTION: suggestion}, MENTOR),
    )
    assert notice.params["channel"] == slack.dm_channel_id(MENTEE)
    assert _buttons(notice.params)[ActionId.GOAL_EDIT] == str(goal_id)
    [refresh] = slack.wait_for("views.update")
    assert refresh.params["view_id"] == overview["id"]
    assert "You suggested a change" in _text(refresh.params["view"])
    assert slack.calls_to("chat.update") == []
    assert _goals(engine)[0].status is GoalStatus.CHANGE_SUGGESTED


def test_rewording_an_agreed_goal_asks_for_agreement_again_but_milestones_do_not(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, pairing_id: int
) -> None:
    goal_id = _stored_goal(
        engine,
        pairing_id,
        status=GoalStatus.AGREED,
        milestones=(("Draft the roadmap deck", date(2026, 4, 1)),),
    )
    overview = _overview(bot, slack, MENTOR)
    form = _new_view(
        slack,
        "views.push",
        lambda: _click_in(bot, slack, overview, ActionId.GOAL_EDIT, str(goal_id), MENTOR),
    )
    assert "agree again" in _text(form)
    posts = len(slack.calls_to("chat.postMessage"))
    updates = len(slack.calls_to("views.update"))
    ok = _submit(bot, form, {TITLE_2: "Run one update alone", DUE_2: date(2026, 5, 1)}, MENTOR)
    assert "response_action" not in ok.body
    slack.wait_for("views.update", updates + 1)
    [goal] = _goals(engine)
    assert goal.status is GoalStatus.AGREED
    assert len(_milestones(engine)) == 2
    assert len(slack.calls_to("chat.postMessage")) == posts

    form = _new_view(
        slack,
        "views.push",
        lambda: _click_in(bot, slack, overview, ActionId.GOAL_EDIT, str(goal_id), MENTOR),
    )
    request = _after(
        slack,
        "chat.postMessage",
        lambda: _submit(bot, form, {BlockId.GOAL_DUE: date(2026, 7, 31)}, MENTOR),
    )
    assert request.params["channel"] == slack.dm_channel_id(MENTEE)
    [goal] = _goals(engine)
    assert (goal.status, goal.proposed_by, goal.co_created) == (GoalStatus.PROPOSED, MENTOR, False)


def test_an_agreement_request_to_someone_who_left_tells_the_proposer(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, deps: Deps, pairing_id: int
) -> None:
    _, form = _goal_form(bot, slack, MENTEE)
    slack.fail_next("chat.postMessage", error="user_not_found")
    assert _submit(bot, form, _answers(), MENTEE).body == ""

    def failed() -> bool:
        row = _delivery(engine, "goal_agreement")
        return row is not None and row.status is DeliveryStatus.FAILED

    assert eventually(failed)
    assert slack.messages(slack.dm_channel_id(MENTOR)) == []
    # The failure notice goes out in the same after-ack delivery, not at the next pass.
    assert eventually(lambda: bool(slack.messages(slack.dm_channel_id(MENTEE))))
    [notice] = slack.messages(slack.dm_channel_id(MENTEE))
    assert notice["text"] == (
        ":warning: I couldn't deliver your proposed goal to <@U0002>: "
        "<@U0002> is no longer in this workspace."
    )
    # The goal stays proposed: the proposer can edit it or wait for the partner to return.
    [goal] = _goals(engine)
    assert (goal.status, goal.proposed_by) == (GoalStatus.PROPOSED, MENTEE)


def test_an_agreed_notice_caught_by_a_slack_outage_is_retried_and_lands_once(
    bot: SlackToBot,
    slack: SlackDouble,
    engine: Engine,
    deps: Deps,
    clock: FrozenClock,
    pairing_id: int,
) -> None:
    dm = _propose(bot, slack, _answers())
    slack.fail_next("chat.postMessage", status=503)
    _after(slack, "chat.update", lambda: _click_dm(bot, slack, MENTOR, dm, ActionId.GOAL_AGREE))

    def retry_planned() -> bool:
        row = _delivery(engine, "goal_agreed")
        return row is not None and row.next_attempt_at is not None

    assert eventually(retry_planned)
    assert slack.messages(slack.dm_channel_id(MENTEE)) == []
    row = _delivery(engine, "goal_agreed")
    assert row is not None
    assert row.next_attempt_at is not None
    clock.current = row.next_attempt_at
    _deliver(deps)
    _deliver(deps)  # a second pass finds nothing left to send
    [notice] = slack.messages(slack.dm_channel_id(MENTEE))
    assert "<@U0002> agreed to your goal" in notice["text"]
    row = _delivery(engine, "goal_agreed")
    assert row is not None
    assert (row.status, row.attempts) == (DeliveryStatus.SENT, 2)


# --- the form's inline errors ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "block_id", "expected"),
    [
        ({BlockId.GOAL_DUE: None}, BlockId.GOAL_DUE, "Pick a due date"),
        ({BlockId.GOAL_STATEMENT: "Get promoted soon"}, BlockId.GOAL_STATEMENT, "specific"),
        ({BlockId.GOAL_DUE: date(2026, 9, 15)}, BlockId.GOAL_DUE, "ends on Mon 31 Aug 2026"),
        ({BlockId.GOAL_DUE: date(2026, 3, 2)}, BlockId.GOAL_DUE, "after today"),
        ({TITLE_1: "Draft the deck", DUE_1: date(2026, 7, 15)}, DUE_1, "after the goal's due"),
        ({TITLE_1: "Draft the deck"}, DUE_1, "Give “Draft the deck” a date"),
        ({DUE_1: date(2026, 4, 1)}, TITLE_1, "Name this milestone"),
    ],
    ids=[
        "no-due-date",
        "three-words",
        "after-program-end",
        "due-today",
        "milestone-after-due",
        "milestone-without-date",
        "milestone-without-title",
    ],
)
def test_each_weak_answer_gets_an_inline_error_with_an_example_and_nothing_is_stored(
    bot: SlackToBot,
    slack: SlackDouble,
    engine: Engine,
    pairing_id: int,
    answers: dict[str, Answer],
    block_id: str,
    expected: str,
) -> None:
    _, form = _goal_form(bot, slack, MENTEE)
    answer = _submit(bot, form, {**_answers(), **answers}, MENTEE).json()
    assert answer["response_action"] == "errors"
    assert list(answer["errors"]) == [block_id]
    assert expected in answer["errors"][block_id]
    assert "for example" in answer["errors"][block_id].lower()
    assert _goals(engine) == []
    assert _milestones(engine) == []
    assert slack.calls_to("chat.postMessage") == []


def test_every_problem_is_reported_at_once(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, pairing_id: int
) -> None:
    _, form = _goal_form(bot, slack, MENTEE)
    answers = {
        BlockId.GOAL_STATEMENT: "Get promoted",
        BlockId.GOAL_SUCCESS: "",
        BlockId.GOAL_DUE: None,
        TITLE_2: "Draft the deck",
    }
    answer = _submit(bot, form, answers, MENTEE).json()
    assert set(answer["errors"]) == {
        BlockId.GOAL_STATEMENT,
        BlockId.GOAL_SUCCESS,
        BlockId.GOAL_DUE,
        DUE_2,
    }
    assert GOOD_GOAL_EXAMPLE in answer["errors"][BlockId.GOAL_STATEMENT]
    assert _goals(engine) == []


# --- progress and milestones -------------------------------------------------------------------


def test_progress_updates_are_kept_as_history(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, pairing_id: int
) -> None:
    goal_id = _stored_goal(engine, pairing_id, status=GoalStatus.AGREED)
    for user, progress, note in (
        (MENTOR, GoalProgress.AT_RISK, "No stakeholder update run yet"),
        (MENTEE, GoalProgress.ON_TRACK, "Ran the first update on Friday"),
    ):
        overview = _overview(bot, slack, user)
        modal = _new_view(
            slack,
            "views.push",
            partial(
                _click_in, bot, slack, overview, ActionId.GOAL_UPDATE_PROGRESS, str(goal_id), user
            ),
        )
        refresh = _after(
            slack,
            "views.update",
            partial(
                _submit,
                bot,
                modal,
                {BlockId.GOAL_PROGRESS_STATUS: progress.value, BlockId.GOAL_PROGRESS_NOTE: note},
                user,
            ),
        )
        assert refresh.params["view_id"] == overview["id"]
        assert note in _text(refresh.params["view"])
    too_long = _submit(bot, modal, {BlockId.GOAL_PROGRESS_NOTE: "x" * 151}, MENTEE).json()
    assert list(too_long["errors"]) == [BlockId.GOAL_PROGRESS_NOTE]
    [goal] = _goals(engine)
    assert (goal.progress, goal.progress_note) == (
        GoalProgress.ON_TRACK,
        "Ran the first update on Friday",
    )
    with session_scope(engine) as session:
        history = session.exec(select(GoalUpdate).order_by(col(GoalUpdate.id))).all()
        assert [(u.by_user_id, u.progress) for u in history] == [
            (MENTOR, GoalProgress.AT_RISK),
            (MENTEE, GoalProgress.ON_TRACK),
        ]


def test_the_overview_reads_the_pair_and_its_program_once(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, pairing_id: int
) -> None:
    """The command finds the pair (and its program) to answer; the overview is drawn from what
    it found, not from reading them again."""
    _stored_goal(engine, pairing_id, status=GoalStatus.AGREED)
    _overview(bot, slack, MENTEE)  # the mentee's timezone read from Slack, and stored, once
    tables: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        if statement.startswith("SELECT"):
            tables.extend(t for t in ("pairing", "program") if f"FROM {t} " in f"{statement} ")

    engines = (engine, read_engine(engine))
    for each in engines:
        event.listen(each, "before_cursor_execute", record)
    try:
        overview = _overview(bot, slack, MENTEE)
    finally:
        for each in engines:
            event.remove(each, "before_cursor_execute", record)
    assert tables == ["pairing"]  # one statement found the pair, with its program joined
    assert STATEMENT in _text(overview)


def test_a_progress_save_is_awaited_and_a_milestone_tick_is_not(
    bot: SlackToBot,
    slack: SlackDouble,
    engine: Engine,
    pairing_id: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The save a submission's ack waits for takes its write turn before work after other acks;
    a click's write, made after its ack, does not."""
    seen: dict[str, bool] = {}

    def watched(name: str, service: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            seen[name] = awaiting()
            return service(*args, **kwargs)

        return call

    monkeypatch.setattr(
        "handlers.goals.record_progress", watched("progress", goal_service.record_progress)
    )
    monkeypatch.setattr(
        "handlers.goals.toggle_milestone", watched("tick", goal_service.toggle_milestone)
    )
    goal_id = _stored_goal(
        engine, pairing_id, status=GoalStatus.AGREED, milestones=(("Draft", date(2026, 4, 1)),)
    )
    overview = _overview(bot, slack, MENTEE)
    progress = _new_view(
        slack,
        "views.push",
        partial(
            _click_in, bot, slack, overview, ActionId.GOAL_UPDATE_PROGRESS, str(goal_id), MENTEE
        ),
    )
    answers: dict[str, Answer] = {BlockId.GOAL_PROGRESS_STATUS: GoalProgress.ON_TRACK.value}
    assert _submit(bot, progress, answers, MENTEE).status == 200
    milestones = _new_view(
        slack,
        "views.push",
        partial(_click_in, bot, slack, overview, ActionId.GOAL_MILESTONES, str(goal_id), MENTEE),
    )
    [milestone] = _milestones(engine)
    _after(
        slack,
        "views.update",
        partial(
            _click_in,
            bot,
            slack,
            milestones,
            ActionId.GOAL_MILESTONE_TOGGLE,
            str(milestone.id),
            MENTEE,
        ),
    )
    assert seen == {"progress": True, "tick": False}


def test_milestones_are_ticked_off_unticked_and_reordered(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, pairing_id: int
) -> None:
    goal_id = _stored_goal(
        engine,
        pairing_id,
        status=GoalStatus.AGREED,
        milestones=(
            ("Draft the roadmap deck", date(2026, 4, 1)),
            ("Lead the weekly update", date(2026, 5, 1)),
        ),
    )
    first, second = (m.id for m in _milestones(engine))
    overview = _overview(bot, slack, MENTEE)
    modal = _new_view(
        slack,
        "views.push",
        lambda: _click_in(bot, slack, overview, ActionId.GOAL_MILESTONES, str(goal_id), MENTEE),
    )

    def click(action_id: str, milestone_id: int | None) -> dict[str, Any]:
        before = len(slack.calls_to("views.update"))
        response = _click_in(bot, slack, modal, action_id, str(milestone_id), MENTEE)
        assert response.status == 200
        # The milestones modal is redrawn, then the overview under it.
        calls = slack.wait_for("views.update", before + 2)[before:]
        assert [c.params["view_id"] for c in calls] == [modal["id"], overview["id"]]
        for call in calls:
            assert_valid_view(call.params["view"], surface="modal")
        view: dict[str, Any] = calls[0].params["view"]
        return view

    ticked = click(ActionId.GOAL_MILESTONE_TOGGLE, first)
    assert "~Draft the roadmap deck~" in _text(ticked)
    assert "1 of 2 done" in _text(ticked)
    assert _milestones(engine)[0].done_at == datetime(2026, 3, 2, 9, tzinfo=UTC)
    click(ActionId.GOAL_MILESTONE_TOGGLE, first)
    assert _milestones(engine)[0].done_at is None

    moved = click(ActionId.GOAL_MILESTONE_DOWN, first)
    assert [m.id for m in _milestones(engine)] == [second, first]
    assert _text(moved).index("Lead the weekly update") < _text(moved).index("Draft the roadmap")
    click(ActionId.GOAL_MILESTONE_UP, first)
    assert [m.id for m in _milestones(engine)] == [first, second]


def test_a_long_list_of_goals_stays_within_slacks_limits(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, pairing_id: int
) -> None:
    for n in range(15):
        _stored_goal(
            engine,
            pairing_id,
            statement=f"{STATEMENT} number {n}",
            milestones=tuple((f"Step {i}", date(2026, 4, i + 1)) for i in range(5)),
            progress=GoalProgress.DONE if n < 4 else GoalProgress.ON_TRACK,
        )
    overview = _overview(bot, slack, MENTOR)
    assert len(overview["blocks"]) <= 100
    assert "3 more goals not shown (3 done or dropped)" in _text(overview)


# --- privacy -----------------------------------------------------------------------------------


def test_someone_outside_the_pair_cannot_open_agree_or_update_its_goals(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, pairing_id: int
) -> None:
    goal_id = _stored_goal(
        engine, pairing_id, milestones=(("Draft the roadmap deck", date(2026, 4, 1)),)
    )
    [milestone] = _milestones(engine)
    own_overview = _overview(bot, slack, MENTEE)
    progress_modal = _new_view(
        slack,
        "views.push",
        lambda: _click_in(
            bot, slack, own_overview, ActionId.GOAL_UPDATE_PROGRESS, str(goal_id), MENTEE
        ),
    )
    _, goal_form = _goal_form(bot, slack, MENTEE)
    # A refusal in a modal is pushed over it, and a stack holds three views: one each.
    overviews = {outsider: _overview(bot, slack, MENTEE) for outsider in (OUTSIDER, ADMIN)}
    opened = len(slack.calls_to("views.open"))

    for outsider in (OUTSIDER, ADMIN):
        answer = bot.ask("goals", user_id=outsider)
        assert "not in a mentoring pair" in answer["text"]
        for action_id, value in (
            (ActionId.GOALS_OPEN, pairing_id),
            (ActionId.GOAL_AGREE, goal_id),
            (ActionId.GOAL_SUGGEST, goal_id),
            (ActionId.GOAL_EDIT, goal_id),
            (ActionId.GOAL_UPDATE_PROGRESS, goal_id),
            (ActionId.GOAL_MILESTONES, goal_id),
        ):
            refusal = _after(
                slack,
                "response_url",
                partial(bot.action, action_id, str(value), user_id=outsider),
            )
            assert "another mentoring pair" in _text(refusal.params)
        in_modal = _after(
            slack,
            "views.push",
            partial(
                _click_in,
                bot,
                slack,
                overviews[outsider],
                ActionId.GOAL_MILESTONE_TOGGLE,
                str(milestone.id),
                outsider,
            ),
        )
        assert "another mentoring pair" in _text(in_modal.params["view"])
        progress = _submit(
            bot, progress_modal, {BlockId.GOAL_PROGRESS_STATUS: "done"}, outsider
        ).json()
        assert progress["response_action"] == "errors"
        added = _submit(bot, goal_form, _answers(), outsider).json()
        assert added["response_action"] == "errors"

    assert len(slack.calls_to("views.open")) == opened
    [goal] = _goals(engine)
    assert (goal.status, goal.progress, goal.agreed_by) == (
        GoalStatus.PROPOSED,
        GoalProgress.NOT_STARTED,
        None,
    )
    assert _milestones(engine)[0].done_at is None
    with session_scope(engine) as session:
        assert session.exec(select(GoalUpdate)).all() == []
    assert slack.calls_to("chat.postMessage") == []


# --- counts for the Home tab and /mentor status ------------------------------------------------


def test_goal_summary_counts_each_pairing_in_one_go(engine: Engine, pairing_id: int) -> None:
    _stored_goal(engine, pairing_id, status=GoalStatus.AGREED, progress=GoalProgress.ON_TRACK)
    _stored_goal(engine, pairing_id, status=GoalStatus.AGREED, progress=GoalProgress.DONE)
    _stored_goal(engine, pairing_id, status=GoalStatus.CHANGE_SUGGESTED, due=date(2026, 4, 1))
    _stored_goal(engine, pairing_id, progress=GoalProgress.AT_RISK, due=date(2026, 4, 1))
    _stored_goal(engine, pairing_id, status=GoalStatus.WITHDRAWN)
    with session_scope(engine) as session:
        counts = goal_summary(session, pairing_ids=[pairing_id, 9999], today=date(2026, 5, 1))
    assert counts[9999] == GoalCounts()
    assert counts[pairing_id] == GoalCounts(
        total=4, agreed=2, proposed=2, done=1, on_track=1, at_risk=1, overdue=2
    )


def test_pair_goals_leaves_withdrawn_goals_out_in_position_order(
    engine: Engine, pairing_id: int
) -> None:
    first = _stored_goal(engine, pairing_id, statement=f"{STATEMENT} first")
    withdrawn = _stored_goal(engine, pairing_id, status=GoalStatus.WITHDRAWN)
    second = _stored_goal(engine, pairing_id, statement=f"{STATEMENT} second")
    with session_scope(engine) as session:
        for position, goal_id in enumerate((second, withdrawn, first)):
            goal = session.get(Goal, goal_id)
            assert goal is not None
            goal.position = position
            session.add(goal)
    with session_scope(engine) as session:
        assert [g.id for g in pair_goals(session, pairing_id=pairing_id)] == [second, first]
        assert pair_goals(session, pairing_id=pairing_id + 1) == []
