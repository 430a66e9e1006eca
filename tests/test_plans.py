"""Learning plans as a pair lives them: resources and practice tasks per goal, owned by the mentee.

Bob (U0002) mentors Alice (U0001); Carol (U0003) is outside the pair. Every view the bot opens,
pushes, updates or publishes is checked against Block Kit's limits.
"""

import json
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select

from bot.deps import Deps
from bot.ids import ActionId, BlockId, CallbackId
from bot.sandbox import slack_double
from bot.sandbox.slack_double import RecordedCall, SlackDouble
from scheduler.delivery import Deliverer, Pacer, settle
from storage.db import session_scope
from storage.enums import (
    AgendaSource,
    DeliveryStatus,
    GoalStatus,
    MeetingStatus,
    ResourceKind,
    TaskStatus,
)
from storage.models import AgendaItem, Delivery, Goal, LearningResource, Meeting, PracticeTask
from tests.blockkit import assert_valid_view
from tests.conftest import FrozenClock
from tests.forms import Answer
from tests.harness import Response, SlackToBot, eventually
from tests.pairs import (
    AGREED_GOAL,
    MENTEE,
    MENTOR,
    OUTSIDER,
    PROPOSED_GOAL,
    TEAM,
    Pair,
    make_pair,
)

ADMIN = "UADMIN"
ARTICLE = "https://hbr.org/2026/01/running-a-directors-review"


@pytest.fixture
def pair(engine: Engine, slack: SlackDouble) -> Pair:
    """Bob mentors Alice; two goals, one agreed."""
    return make_pair(engine, slack)


# --- helpers shared with the notes and outside-feedback tests -----------------------------------


def after(slack: SlackDouble, method: str, act: Callable[[], Response]) -> RecordedCall:
    """Do ``act`` and return the next call to ``method`` it caused."""
    before = len(slack.calls_to(method))
    response = act()
    assert response.status == 200, response.body
    return slack.wait_for(method, before + 1)[before]


def new_view(slack: SlackDouble, method: str, act: Callable[[], Response]) -> dict[str, Any]:
    """Do ``act``, which opens or pushes a modal; return the modal as Slack holds it."""
    known = set(slack.views)
    call = after(slack, method, act)
    assert_valid_view(call.params["view"], surface="modal")
    [new_id] = set(slack.views) - known
    return slack.views[new_id]


def updated(slack: SlackDouble, view_id: str, act: Callable[[], Response]) -> dict[str, Any]:
    """Do ``act``, which redraws the open modal ``view_id``; return the view it was redrawn with.

    Redraws happen after the ack, so earlier ones may still land: only ``view_id``'s counts.
    """
    before = len(slack.calls_to("views.update"))
    response = act()
    assert response.status == 200, response.body

    def redraws() -> list[RecordedCall]:
        calls = slack.calls_to("views.update")[before:]
        return [c for c in calls if c.params.get("view_id") == view_id]

    assert eventually(lambda: bool(redraws())), f"{view_id} was not redrawn"
    view: dict[str, Any] = redraws()[0].params["view"]
    assert_valid_view(view, surface="modal")
    return view


def click_in(
    bot: SlackToBot,
    slack: SlackDouble,
    view: Mapping[str, Any],
    action_id: str,
    value: str | None,
    user: str,
    **fields: Any,
) -> Response:
    """Click an element of an open modal."""
    return bot.action(
        action_id,
        value,
        user_id=user,
        view=view,
        trigger_id=slack.new_trigger_id(view_id=view["id"]),
        **fields,
    )


def submit(
    bot: SlackToBot, view: Mapping[str, Any], answers: Mapping[str, Answer], user: str
) -> Response:
    """Submit an open modal as ``user``."""
    return bot.submit(
        view,
        answers,
        user_id=user,
        view_id=view["id"],
        root_view_id=view.get("root_view_id") or view["id"],
    )


def text(view: Any) -> str:
    """Everything a view or message says, as one string."""
    return json.dumps(view, ensure_ascii=False)


def elements(view: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every interactive element of a view: actions elements and accessories."""
    found: list[dict[str, Any]] = []
    for block in view.get("blocks", []):
        found += list(block.get("elements", [])) if block["type"] == "actions" else []
        if "accessory" in block:
            found.append(block["accessory"])
    return found


def values(view: Mapping[str, Any], action_id: str) -> list[str]:
    """The values of the buttons with ``action_id`` (or ``action_id:<suffix>``) in a view."""
    return [
        str(e.get("value"))
        for e in elements(view)
        if str(e.get("action_id", "")).split(":")[0] == action_id
    ]


def press_home(
    bot: SlackToBot, slack: SlackDouble, action_id: str, value: str, user: str, **fields: Any
) -> Response:
    """Press a button of the Home tab."""
    return bot.action(
        action_id,
        value,
        user_id=user,
        trigger_id=slack.new_trigger_id(),
        container={"type": "view", "view_id": "VHOME"},
        **fields,
    )


def home(bot: SlackToBot, slack: SlackDouble, user: str) -> dict[str, Any]:
    """Open the Home tab as ``user``; returns the published view."""
    call = after(
        slack, "views.publish", lambda: bot.event(slack_double.app_home_opened_event(user))
    )
    view: dict[str, Any] = call.params["view"]
    assert_valid_view(view, surface="home")
    return view


def ephemeral(answer: dict[str, Any]) -> dict[str, Any]:
    """A command's private answer (``bot.ask``), checked against Block Kit's rules."""
    assert_valid_view(answer, surface="message")
    return answer


def deliver(deps: Deps) -> None:
    """A pass of the outbox now, as the scheduler makes (retries due by the test clock go)."""
    settle(deps)  # the after-ack delivery first: two passes at once would race
    Deliverer(deps, worker="test", pacer=Pacer(sleep=lambda _: None)).run()


def settled(engine: Engine, rule: str, status: DeliveryStatus) -> Delivery:
    """The outbox row of ``rule`` once the send tried right after the ack left it in ``status``."""

    def row() -> Delivery | None:
        with session_scope(engine) as session:
            found = session.exec(select(Delivery).where(Delivery.rule == rule)).one_or_none()
            if found is not None:
                session.expunge(found)
            return found

    assert eventually(lambda: (r := row()) is not None and r.attempts >= 1 and r.status is status)
    found = row()
    assert found is not None
    return found


def resources(engine: Engine) -> list[LearningResource]:
    """Every stored resource."""
    with session_scope(engine) as session:
        return list(session.exec(select(LearningResource).order_by(col(LearningResource.id))))


def tasks(engine: Engine) -> list[PracticeTask]:
    """Every stored practice task."""
    with session_scope(engine) as session:
        return list(session.exec(select(PracticeTask).order_by(col(PracticeTask.id))))


def plan(bot: SlackToBot, slack: SlackDouble, user: str) -> dict[str, Any]:
    """``/mentor plan`` as ``user``: the plan modal."""
    view = new_view(slack, "views.open", lambda: bot.command("plan", user_id=user))
    assert view["callback_id"] == CallbackId.PLAN
    return view


def add_resource(
    bot: SlackToBot,
    slack: SlackDouble,
    plan_view: dict[str, Any],
    goal_id: int,
    answers: Mapping[str, Answer],
    user: str,
) -> tuple[Response, dict[str, Any]]:
    """Push the resource form from the plan and submit it; returns the answer and the form."""
    form = new_view(
        slack,
        "views.push",
        lambda: click_in(bot, slack, plan_view, ActionId.PLAN_RESOURCE_ADD, str(goal_id), user),
    )
    assert form["callback_id"] == CallbackId.PLAN_RESOURCE
    return submit(bot, form, answers, user), form


def add_task(
    bot: SlackToBot,
    slack: SlackDouble,
    plan_view: dict[str, Any],
    goal_id: int,
    answers: Mapping[str, Answer],
    user: str,
) -> tuple[Response, dict[str, Any]]:
    """Push the task form from the plan and submit it; returns the answer and the form."""
    form = new_view(
        slack,
        "views.push",
        lambda: click_in(bot, slack, plan_view, ActionId.PLAN_TASK_ADD, str(goal_id), user),
    )
    assert form["callback_id"] == CallbackId.PLAN_TASK
    return submit(bot, form, answers, user), form


def task_option(task_id: int, choice: str) -> dict[str, Any]:
    """The overflow fields Slack sends when a task's menu option is chosen."""
    return {
        "action_type": "overflow",
        "action_fields": {
            "selected_option": {
                "text": {"type": "plain_text", "text": choice},
                "value": f"{choice}:{task_id}",
            }
        },
    }


# --- a plan with resources and tasks -----------------------------------------------------------


def test_both_people_build_a_plan_and_done_tasks_count_toward_the_goal(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, clock: FrozenClock, pair: Pair
) -> None:
    overview = plan(bot, slack, MENTEE)
    shown = text(overview)
    assert AGREED_GOAL in shown
    assert PROPOSED_GOAL in shown
    assert "You own this learning plan" in shown
    assert str(pair.agreed_goal_id) in values(overview, ActionId.PLAN_RESOURCE_ADD)

    # The mentee adds an article; the plan underneath is redrawn with it.
    answers: dict[str, Answer] = {
        BlockId.PLAN_RESOURCE_TITLE: "Running a directors' review",
        BlockId.PLAN_RESOURCE_KIND: ResourceKind.ARTICLE.value,
        BlockId.PLAN_RESOURCE_URL: ARTICLE,
    }
    redrawn = updated(
        slack,
        overview["id"],
        lambda: add_resource(bot, slack, overview, pair.agreed_goal_id, answers, MENTEE)[0],
    )
    assert f"<{ARTICLE}|Running a directors' review (hbr.org)>" in text(redrawn)
    [resource] = resources(engine)
    assert (resource.goal_id, resource.kind, resource.url, resource.added_by) == (
        pair.agreed_goal_id,
        ResourceKind.ARTICLE,
        ARTICLE,
        MENTEE,
    )

    # The mentor adds a person to talk to (no link needed) and a practice task.
    mentor_plan = plan(bot, slack, MENTOR)
    assert "<@U0001> owns this learning plan" in text(mentor_plan)
    response, _ = add_resource(
        bot,
        slack,
        mentor_plan,
        pair.agreed_goal_id,
        {
            BlockId.PLAN_RESOURCE_TITLE: "Priya, who ran last year's review",
            BlockId.PLAN_RESOURCE_KIND: ResourceKind.PERSON.value,
        },
        MENTOR,
    )
    assert response.body == ""
    due = date(2026, 3, 20)
    response, _ = add_task(
        bot,
        slack,
        mentor_plan,
        pair.agreed_goal_id,
        {BlockId.PLAN_TASK_TITLE: "Run the Monday stand-up on my own", BlockId.PLAN_TASK_DUE: due},
        MENTOR,
    )
    assert response.body == ""
    [task] = tasks(engine)
    assert (task.goal_id, task.title, task.due_date, task.status) == (
        pair.agreed_goal_id,
        "Run the Monday stand-up on my own",
        due,
        TaskStatus.TODO,
    )
    assert [r.added_by for r in resources(engine)] == [MENTEE, MENTOR]

    # The mentee opens the goal's plan to tick the task off; it counts toward the goal.
    again = plan(bot, slack, MENTEE)
    one_goal = new_view(
        slack,
        "views.push",
        lambda: click_in(
            bot,
            slack,
            again,
            ActionId.PLAN_GOAL_OPEN,
            str(pair.agreed_goal_id),
            MENTEE,
        ),
    )
    assert PROPOSED_GOAL not in text(one_goal)
    assert "Priya, who ran last year" in text(one_goal)
    redrawn = updated(
        slack,
        one_goal["id"],
        lambda: click_in(
            bot,
            slack,
            one_goal,
            ActionId.PLAN_TASK_MENU,
            None,
            MENTEE,
            **task_option(task.id or 0, "done"),
        ),
    )
    assert "practice tasks 1 of 1 done" in text(redrawn)
    [task] = tasks(engine)
    assert (task.status, task.done_at) == (TaskStatus.DONE, clock.current)

    status = ephemeral(bot.ask("status", user_id=MENTEE))
    assert "tasks 1/1" in text(status)
    goals = new_view(slack, "views.open", lambda: bot.command("goals", user_id=MENTOR))
    assert "Learning plan (tasks 1/1)" in text(goals)


def test_the_goal_overview_and_the_home_tab_open_the_plan(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, pair: Pair
) -> None:
    goals = new_view(slack, "views.open", lambda: bot.command("goals", user_id=MENTEE))
    assert str(pair.agreed_goal_id) in values(goals, ActionId.PLAN_GOAL_OPEN)
    pushed = new_view(
        slack,
        "views.push",
        lambda: click_in(
            bot, slack, goals, ActionId.PLAN_GOAL_OPEN, str(pair.agreed_goal_id), MENTEE
        ),
    )
    assert pushed["callback_id"] == CallbackId.PLAN
    assert AGREED_GOAL in text(pushed)
    assert PROPOSED_GOAL not in text(pushed)
    # Added from there, the task lands on that goal and the pushed plan is redrawn.
    redrawn = updated(
        slack,
        pushed["id"],
        lambda: add_task(
            bot,
            slack,
            pushed,
            pair.agreed_goal_id,
            {BlockId.PLAN_TASK_TITLE: "Draft the review agenda"},
            MENTEE,
        )[0],
    )
    assert "Draft the review agenda" in text(redrawn)

    tab = home(bot, slack, MENTEE)
    assert str(pair.pairing_id) in values(tab, ActionId.PLAN_OPEN)
    assert str(pair.pairing_id) in values(tab, ActionId.NOTES_OPEN)
    opened = new_view(
        slack,
        "views.open",
        lambda: press_home(bot, slack, ActionId.PLAN_OPEN, str(pair.pairing_id), MENTEE),
    )
    assert "Draft the review agenda" in text(opened)


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "kind", "problem"),
    [
        (
            "ftp://files.example.com/deck.pdf",
            "article",
            "Links must start with http:// or https://",
        ),
        ("javascript:alert(1)", "video", "Links must start with http:// or https://"),
        ("www.example.com/talk", "course", "Links must start with http:// or https://"),
        ("https://", "book", "Links must start with http:// or https://"),
        ("https://example.com/" + "a" * 2000, "article", "2000 characters"),
        ("", "article", "Add the link to this article"),
    ],
)
def test_bad_links_get_an_inline_error_and_store_nothing(
    bot: SlackToBot,
    slack: SlackDouble,
    engine: Engine,
    pair: Pair,
    url: str,
    kind: str,
    problem: str,
) -> None:
    answers: dict[str, Answer] = {
        BlockId.PLAN_RESOURCE_TITLE: "A resource",
        BlockId.PLAN_RESOURCE_KIND: kind,
        BlockId.PLAN_RESOURCE_URL: url,
    }
    response, _ = add_resource(
        bot, slack, plan(bot, slack, MENTEE), pair.agreed_goal_id, answers, MENTEE
    )
    errors = response.json()["errors"]
    assert list(errors) == [BlockId.PLAN_RESOURCE_URL]
    assert problem in errors[BlockId.PLAN_RESOURCE_URL]
    assert resources(engine) == []


def test_empty_required_fields_get_inline_errors_all_at_once(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, pair: Pair
) -> None:
    overview = plan(bot, slack, MENTEE)
    response, _ = add_resource(bot, slack, overview, pair.agreed_goal_id, {}, MENTEE)
    errors = response.json()["errors"]
    assert errors[BlockId.PLAN_RESOURCE_TITLE] == "Give the resource a title."
    assert errors[BlockId.PLAN_RESOURCE_KIND] == "Pick what kind of resource this is."
    response, _ = add_task(
        bot,
        slack,
        overview,
        pair.agreed_goal_id,
        {BlockId.PLAN_TASK_TITLE: "  ", BlockId.PLAN_TASK_DUE: None},
        MENTEE,
    )
    errors = response.json()["errors"]
    assert errors == {
        BlockId.PLAN_TASK_TITLE: "Give the task a title.",
        BlockId.PLAN_TASK_DUE: "Pick the day this task is due.",
    }
    # Each form left open with its errors stays on the view stack (3 at most): start afresh.
    response, _ = add_task(
        bot,
        slack,
        plan(bot, slack, MENTEE),
        pair.agreed_goal_id,
        {BlockId.PLAN_TASK_TITLE: "Too late", BlockId.PLAN_TASK_DUE: date(2026, 2, 1)},
        MENTEE,
    )
    assert "has passed" in response.json()["errors"][BlockId.PLAN_TASK_DUE]
    assert resources(engine) == []
    assert tasks(engine) == []


# --- overdue tasks: Home tab and agenda ----------------------------------------------------------


def test_an_overdue_task_shows_on_home_and_joins_the_next_agenda_once(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, clock: FrozenClock, pair: Pair
) -> None:
    add_task(
        bot,
        slack,
        plan(bot, slack, MENTEE),
        pair.agreed_goal_id,
        {
            BlockId.PLAN_TASK_TITLE: "Ask two directors what they want",
            BlockId.PLAN_TASK_DUE: date(2026, 3, 4),
        },
        MENTEE,
    )
    with session_scope(engine) as session:
        session.add(
            Meeting(
                team_id=TEAM,
                pairing_id=pair.pairing_id,
                status=MeetingStatus.SCHEDULED,
                scheduled_start=datetime(2026, 3, 10, 14, tzinfo=UTC),
            )
        )
    assert "Overdue practice tasks" not in text(home(bot, slack, MENTEE))
    clock.advance(timedelta(days=3))  # Thursday 5 March: the task was due yesterday

    tab = home(bot, slack, MENTEE)
    assert "Overdue practice tasks" in text(tab)
    assert "Ask two directors what they want · due 04 Mar" in text(tab)
    assert "Overdue practice tasks" in text(ephemeral(bot.ask("status", user_id=MENTOR)))

    for user in (MENTEE, MENTOR, MENTEE):
        agenda = new_view(slack, "views.open", partial(bot.command, "agenda", user_id=user))
        assert text(agenda).count("• Overdue practice task: Ask two directors what they want") == 1
    with session_scope(engine) as session:
        items = session.exec(
            select(AgendaItem).where(AgendaItem.source == AgendaSource.PRACTICE_TASK)
        ).all()
        assert [(i.text, i.added_by) for i in items] == [
            ("Overdue practice task: Ask two directors what they want (due 04 Mar)", MENTEE)
        ]
        assert items[0].meeting_id is not None

    # Done: it drops off the agenda.
    [task] = tasks(engine)
    again = plan(bot, slack, MENTEE)
    one_goal = new_view(
        slack,
        "views.push",
        lambda: click_in(
            bot,
            slack,
            again,
            ActionId.PLAN_GOAL_OPEN,
            str(pair.agreed_goal_id),
            MENTEE,
        ),
    )
    updated(
        slack,
        one_goal["id"],
        lambda: click_in(
            bot,
            slack,
            one_goal,
            ActionId.PLAN_TASK_MENU,
            None,
            MENTEE,
            **task_option(task.id or 0, "done"),
        ),
    )
    agenda = new_view(slack, "views.open", lambda: bot.command("agenda", user_id=MENTEE))
    assert "Overdue practice task" not in text(agenda)
    assert "Overdue practice tasks" not in text(home(bot, slack, MENTEE))


# --- privacy -----------------------------------------------------------------------------------


def test_no_one_outside_the_pair_sees_or_changes_the_plan(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, pair: Pair
) -> None:
    overview = plan(bot, slack, MENTEE)
    add_task(
        bot,
        slack,
        overview,
        pair.agreed_goal_id,
        {BlockId.PLAN_TASK_TITLE: "Secret practice"},
        MENTEE,
    )
    [task] = tasks(engine)
    opened = len(slack.calls_to("views.open"))

    for outsider in (OUTSIDER, ADMIN):
        answer = ephemeral(bot.ask("plan", user_id=outsider))
        assert "not in a mentoring pair" in text(answer)
        url = slack.new_response_url()
        response = press_home(
            bot, slack, ActionId.PLAN_OPEN, str(pair.pairing_id), outsider, response_url=url
        )
        assert response.status == 200
        refusal = bot.answer_to(url)
        assert "another mentoring pair" in text(refusal)
        assert "Secret practice" not in text(refusal)
    assert len(slack.calls_to("views.open")) == opened

    # Forged clicks and submissions from someone else change nothing.
    notice = new_view(
        slack,
        "views.push",
        lambda: click_in(
            bot,
            slack,
            overview,
            ActionId.PLAN_TASK_MENU,
            None,
            OUTSIDER,
            **task_option(task.id or 0, "remove"),
        ),
    )
    assert "another mentoring pair" in text(notice)
    fresh = plan(bot, slack, MENTEE)
    form = new_view(
        slack,
        "views.push",
        lambda: click_in(
            bot, slack, fresh, ActionId.PLAN_RESOURCE_ADD, str(pair.agreed_goal_id), MENTEE
        ),
    )
    forged = submit(
        bot,
        form,
        {
            BlockId.PLAN_RESOURCE_TITLE: "Injected",
            BlockId.PLAN_RESOURCE_KIND: "book",
        },
        OUTSIDER,
    )
    assert "another mentoring pair" in forged.json()["errors"][BlockId.PLAN_RESOURCE_TITLE]
    assert [t.title for t in tasks(engine)] == ["Secret practice"]
    assert resources(engine) == []
    assert "Secret practice" not in text(ephemeral(bot.ask("status", user_id=OUTSIDER)))


# --- long lists fit Slack's limits ---------------------------------------------------------------


def test_long_plans_are_summarised_within_block_kit_limits(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, pair: Pair
) -> None:
    with session_scope(engine) as session:
        for n in range(14):
            session.add(
                Goal(
                    team_id=TEAM,
                    pairing_id=pair.pairing_id,
                    statement=f"Extra goal number {n} with enough words to count",
                    due_date=date(2026, 7, 1),
                    status=GoalStatus.AGREED,
                    proposed_by=MENTEE,
                    position=10 + n,
                )
            )
        for n in range(25):
            session.add(
                LearningResource(
                    team_id=TEAM,
                    goal_id=pair.agreed_goal_id,
                    title=f"Resource {n} " + "x" * 130,
                    url="https://example.com/" + "p" * 1900 + str(n),
                    kind=ResourceKind.ARTICLE,
                    added_by=MENTOR,
                )
            )
            session.add(
                PracticeTask(
                    team_id=TEAM,
                    goal_id=pair.agreed_goal_id,
                    title=f"Task {n} " + "y" * 130,
                    due_date=date(2026, 4, 1) + timedelta(days=n),
                )
            )
    overview = plan(bot, slack, MENTEE)  # new_view checks it against Block Kit's limits
    assert "…and 15 more" in text(overview)
    assert "more goals not shown" in text(overview)
    one_goal = new_view(
        slack,
        "views.push",
        lambda: click_in(
            bot, slack, overview, ActionId.PLAN_GOAL_OPEN, str(pair.agreed_goal_id), MENTEE
        ),
    )
    assert "…and 15 more tasks (15 open)" in text(one_goal)
    assert "…and 15 more older resources" in text(one_goal)
    assert len(one_goal["blocks"]) <= 100
