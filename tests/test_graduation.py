"""Graduation through signed requests: both people review their goals, then the pair graduates,
celebrates in its conversation and, only if both agreed, in a channel."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlmodel import select

from bot.deps import Deps
from bot.ids import ActionId, BlockId
from bot.sandbox.slack_double import SlackDouble
from bot.services.graduation import closing_left
from bot.views.prompts import build_graduation_prompt
from scheduler.tick import plan_due
from storage.db import session_scope
from storage.enums import DeliveryStatus, GoalProgress, PairingStatus, Role, Stage, SurveyKind
from storage.models import (
    ActionItem,
    Delivery,
    Goal,
    GoalUpdate,
    Pairing,
    Program,
    SkillAssessment,
    SurveyResponse,
)
from tests.blockkit import assert_valid_view
from tests.conftest import FrozenClock
from tests.forms import Answer
from tests.harness import SlackToBot, eventually
from tests.pairs import (
    AGREED_GOAL,
    MENTEE,
    MENTOR,
    OUTSIDER,
    PROPOSED_GOAL,
    TEAM,
    Pair,
    button,
    last_opened_view,
    make_pair,
    pairing_row,
    posts,
    text_of,
)

CHANNEL, OTHER_CHANNEL, UNINVITED = "C0CELEB", "C0OTHER", "C0UNINVITED"
GROUP = "G"  # group DMs' ids start with G


@pytest.fixture
def pair(engine: Engine, slack: SlackDouble) -> Pair:
    """Bob mentors Alice; they work independently now."""
    slack.add_channel(CHANNEL, name="wins")
    slack.add_channel(OTHER_CHANNEL, name="random")
    slack.add_channel(UNINVITED, name="kudos", is_member=False)
    return make_pair(engine, slack, stage=Stage.INDEPENDENT)


def _open_by_command(
    bot: SlackToBot, slack: SlackDouble, user_id: str, text: str = "graduate"
) -> dict[str, Any]:
    before = len(slack.calls_to("views.open"))
    response = bot.command(text, user_id=user_id, trigger_id=slack.new_trigger_id())
    assert response.status == 200
    return last_opened_view(slack, before)


def _answers(
    pair: Pair,
    *,
    agreed: str | None,
    proposed: str | None,
    after: str | None,
    channel: str | None = None,
    note: str = "",
) -> dict[str, Answer]:
    return {
        f"{BlockId.GRADUATION_GOAL_PREFIX}{pair.agreed_goal_id}": agreed,
        f"{BlockId.GRADUATION_NOTE_PREFIX}{pair.agreed_goal_id}": note,
        f"{BlockId.GRADUATION_GOAL_PREFIX}{pair.proposed_goal_id}": proposed,
        BlockId.GRADUATION_AFTER: after,
        BlockId.GRADUATION_CHANNEL: channel,
    }


def _submit(
    bot: SlackToBot, view: dict[str, Any], answers: dict[str, Answer], user_id: str
) -> dict[str, Any]:
    response = bot.submit(view, answers, user_id=user_id)
    assert response.status == 200
    return response.json() if response.body else {}


def _updates(engine: Engine) -> list[tuple[int, str, GoalProgress]]:
    with session_scope(engine) as session:
        rows = session.exec(select(GoalUpdate).order_by(GoalUpdate.id)).all()  # type: ignore[arg-type]
        return [(u.goal_id, u.by_user_id, u.progress) for u in rows]


def _goal_progress(engine: Engine, goal_id: int) -> GoalProgress:
    with session_scope(engine) as session:
        goal = session.get(Goal, goal_id)
        assert goal is not None
        return goal.progress


def _survey_values(message: dict[str, Any]) -> set[str]:
    """The values of the survey buttons in a message."""
    return {
        element["value"]
        for block in message["blocks"]
        for element in block.get("elements", [])
        if str(element.get("action_id", "")).startswith(ActionId.SURVEY_OPEN)
    }


def _group_posts(slack: SlackDouble) -> list[dict[str, Any]]:
    return posts(slack, slack.dm_channel_id(MENTEE, MENTOR))


def test_both_parts_graduate_the_pair_and_celebrate_where_both_agreed(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, pair: Pair
) -> None:
    view = _open_by_command(bot, slack, MENTEE)
    text = text_of(view)
    assert AGREED_GOAL in text
    assert PROPOSED_GOAL in text
    assert "agreed · on track · due 30 Jun 2026" in text
    assert "never agreed" in text
    selects = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    # The goal's progress suggests the answer: on track reads as partly achieved.
    assert (
        selects[f"{BlockId.GRADUATION_GOAL_PREFIX}{pair.agreed_goal_id}"]["initial_option"]["value"]
        == "partly"
    )

    first = _answers(
        pair,
        agreed="achieved",
        proposed="not_achieved",
        after="continue",
        channel=CHANNEL,
        note="Ran the Q2 review alone",
    )
    assert _submit(bot, view, first, MENTEE) == {}
    slack.wait_for("chat.postMessage", count=2)
    row = pairing_row(engine, pair.pairing_id)
    assert row.status is PairingStatus.ACTIVE
    assert row.stage is Stage.CONCLUDING
    [request] = posts(slack, MENTOR)
    assert f"<@{MENTEE}> has reviewed your goals in *Spring cohort*" in text_of(request)
    add_part = button(request, ActionId.GRADUATION_OPEN)
    assert _survey_values(request) == {
        f"{pair.pairing_id}:final",
        f"{pair.pairing_id}:independence",
    }
    [waiting] = posts(slack, MENTEE)
    assert "Your part is in" in waiting["text"]
    assert _survey_values(waiting) == _survey_values(request)
    # The closing surveys open from those DMs, each for whoever clicks.
    before = len(slack.calls_to("views.open"))
    final = button(request, ActionId.SURVEY_OPEN)
    bot.action(
        final["action_id"], final["value"], user_id=MENTOR, trigger_id=slack.new_trigger_id()
    )
    assert last_opened_view(slack, before)["title"]["text"] == "Final reflection"
    assert _updates(engine) == [
        (pair.agreed_goal_id, MENTEE, GoalProgress.DONE),
        (pair.proposed_goal_id, MENTEE, GoalProgress.DROPPED),
    ]
    assert _group_posts(slack) == []

    before = len(slack.calls_to("views.open"))
    bot.action(
        add_part["action_id"], add_part["value"], user_id=MENTOR, trigger_id=slack.new_trigger_id()
    )
    mentor_view = last_opened_view(slack, before)
    assert "has added their part already" in text_of(mentor_view)
    second = _answers(
        pair, agreed="achieved", proposed="partly", after="continue", channel=OTHER_CHANNEL
    )
    _submit(bot, mentor_view, second, MENTOR)

    slack.wait_for("chat.postMessage", count=4)
    row = pairing_row(engine, pair.pairing_id)
    assert row.status is PairingStatus.GRADUATED
    assert row.stage is Stage.GRADUATED
    assert row.ended_at is not None
    assert row.end_reason == "graduated"
    assert row.continue_as_peers is True
    assert row.conversation_id == slack.dm_channel_id(MENTEE, MENTOR)
    [celebration] = _group_posts(slack)
    said = text_of(celebration)
    assert "You graduated" in said
    assert "Goals achieved" in said
    assert AGREED_GOAL in said
    assert PROPOSED_GOAL not in said  # not achieved for Alice: the more modest outcome counts
    assert "peer advisors" in said
    assert _goal_progress(engine, pair.agreed_goal_id) is GoalProgress.DONE
    assert _goal_progress(engine, pair.proposed_goal_id) is GoalProgress.DROPPED
    # Both picked a channel: the mentee's choice gets names, program and "graduated" only.
    [public] = posts(slack, CHANNEL)
    assert f"<@{MENTEE}> has graduated from *Spring cohort*" in public["text"]
    assert f"<@{MENTOR}>" in public["text"]
    assert AGREED_GOAL not in text_of(public)
    assert "Q2 review" not in text_of(public)
    assert posts(slack, OTHER_CHANNEL) == []

    # Graduating again is met kindly, and changes nothing.
    again = bot.ask("graduate", user_id=MENTOR, trigger_id=slack.new_trigger_id())
    assert_valid_view(again, surface="message")
    assert "already graduated from *Spring cohort*" in again["text"]
    assert not again["text"].startswith(":warning:")
    bot.action(
        add_part["action_id"], add_part["value"], user_id=MENTOR, trigger_id=slack.new_trigger_id()
    )
    kindly = slack.wait_for("response_url", count=2)[1]
    assert kindly.params["text"].startswith("You and <@U0001> already graduated")
    assert len(slack.calls_to("views.open")) == before + 1


def test_no_channel_post_or_peers_unless_both_chose_them(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, pair: Pair
) -> None:
    view = _open_by_command(bot, slack, MENTOR, f"graduate <@{MENTEE}|alice>")
    first = _answers(pair, agreed="partly", proposed="not_achieved", after="continue")
    _submit(bot, view, first, MENTOR)
    slack.wait_for("chat.postMessage", count=2)
    # Bob changes his mind before Alice answers: his part is replaced, Alice is asked only once.
    view = _open_by_command(bot, slack, MENTOR)
    assert "sending it again replaces it" in text_of(view)
    changed = _answers(pair, agreed="partly", proposed="not_achieved", after="end")
    _submit(bot, view, changed, MENTOR)
    slack.wait_for("chat.postMessage", count=3)
    assert len(posts(slack, MENTEE)) == 1
    assert "Your part is updated" in posts(slack, MENTOR)[-1]["text"]
    view = _open_by_command(bot, slack, MENTEE)
    _submit(
        bot,
        view,
        _answers(
            pair, agreed="achieved", proposed="not_achieved", after="continue", channel=CHANNEL
        ),
        MENTEE,
    )
    slack.wait_for("chat.postMessage", count=4)
    row = pairing_row(engine, pair.pairing_id)
    assert row.status is PairingStatus.GRADUATED
    assert row.continue_as_peers is False
    [celebration] = _group_posts(slack)
    said = text_of(celebration)
    assert "Partly achieved" in said
    assert AGREED_GOAL in said
    assert "the mentoring ends here" in said
    # Neither answered the closing surveys yet: the celebration offers them.
    assert _survey_values(celebration) == {
        f"{pair.pairing_id}:final",
        f"{pair.pairing_id}:independence",
    }
    assert posts(slack, CHANNEL) == []


def _graduate(
    bot: SlackToBot, slack: SlackDouble, pair: Pair, *, channel: str | None = None
) -> None:
    """Alice sends her part, then Bob his, both choosing ``channel``; the pair graduates."""
    for user_id in (MENTEE, MENTOR):
        view = _open_by_command(bot, slack, user_id)
        answers = _answers(pair, agreed="achieved", proposed="partly", after="end", channel=channel)
        assert _submit(bot, view, answers, user_id) == {}
        # Bob's request and Alice's confirmation land before Bob answers.
        slack.wait_for("chat.postMessage", count=2)


def _delivery(engine: Engine, rule: str) -> Delivery | None:
    with session_scope(engine) as session:
        return session.exec(select(Delivery).where(Delivery.rule == rule)).one_or_none()


def test_a_public_celebration_where_the_bot_is_not_a_member_tells_the_mentee(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, deps: Deps, pair: Pair
) -> None:
    _graduate(bot, slack, pair, channel=UNINVITED)

    def failed() -> bool:
        row = _delivery(engine, "graduation_public")
        return row is not None and row.status is DeliveryStatus.FAILED

    assert eventually(failed)
    assert pairing_row(engine, pair.pairing_id).status is PairingStatus.GRADUATED
    assert slack.messages(UNINVITED) == []
    [celebration] = _group_posts(slack)
    assert "You graduated" in text_of(celebration)
    # Bob's part graduated the pair, but the channel was Alice's choice: she is the one told,
    # by the same after-ack delivery that found the channel closed to the bot.
    notice = (
        f":warning: I couldn't deliver the news of your graduation to <#{UNINVITED}>: "
        f"I'm not a member of <#{UNINVITED}> (invite me with `/invite @mentorbot`)."
    )
    assert eventually(lambda: notice in [m["text"] for m in posts(slack, MENTEE)])
    assert all(UNINVITED not in m["text"] for m in posts(slack, MENTOR))


def test_a_pair_with_a_conversation_celebrates_there(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, pair: Pair
) -> None:
    slack.add_channel(GROUP + "0PAIR", name="mpdm-alice--bob-1", members=[MENTEE, MENTOR])
    with session_scope(engine) as session:
        row = session.get(Pairing, pair.pairing_id)
        assert row is not None
        row.conversation_id = GROUP + "0PAIR"
        session.add(row)
    _graduate(bot, slack, pair)
    posted = slack.wait_for("chat.postMessage", count=3)
    [celebration] = [c for c in posted if c.params["channel"] == GROUP + "0PAIR"]
    assert "You graduated" in text_of(celebration.params)
    assert _group_posts(slack) == []
    assert pairing_row(engine, pair.pairing_id).conversation_id == GROUP + "0PAIR"


def test_every_goal_and_the_choice_need_an_answer_and_nothing_is_stored_until_then(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, pair: Pair
) -> None:
    view = _open_by_command(bot, slack, MENTEE)
    answer = _submit(
        bot,
        view,
        _answers(pair, agreed=None, proposed="partly", after=None, note="x" * 151),
        MENTEE,
    )
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {
        f"{BlockId.GRADUATION_GOAL_PREFIX}{pair.agreed_goal_id}",
        f"{BlockId.GRADUATION_NOTE_PREFIX}{pair.agreed_goal_id}",
        BlockId.GRADUATION_AFTER,
    }
    assert _updates(engine) == []
    row = pairing_row(engine, pair.pairing_id)
    assert (row.status, row.stage, row.end_reason) == (PairingStatus.ACTIVE, Stage.INDEPENDENT, "")
    assert slack.calls_to("chat.postMessage") == []


def test_someone_outside_the_pair_can_neither_open_nor_submit_its_graduation(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, pair: Pair
) -> None:
    refused = bot.ask("graduate", user_id=OUTSIDER, trigger_id=slack.new_trigger_id())
    assert "not in a mentoring pair" in refused["text"]
    refused = bot.ask(f"graduate <@{MENTEE}>", user_id=OUTSIDER)
    assert "not in a mentoring pair" in refused["text"]
    bot.action(
        ActionId.GRADUATION_OPEN,
        str(pair.pairing_id),
        user_id=OUTSIDER,
        trigger_id=slack.new_trigger_id(),
    )
    refusal = slack.wait_for("response_url", count=3)[2]
    assert "another mentoring pair" in refusal.params["text"]
    assert slack.calls_to("views.open") == []

    view = _open_by_command(bot, slack, MENTEE)
    answer = _submit(
        bot,
        view,
        _answers(pair, agreed="achieved", proposed="achieved", after="continue"),
        OUTSIDER,
    )
    assert answer["response_action"] == "errors"
    assert "another mentoring pair" in answer["errors"][BlockId.GRADUATION_AFTER]
    assert _updates(engine) == []
    assert pairing_row(engine, pair.pairing_id).end_reason == ""
    assert slack.calls_to("chat.postMessage") == []


# --- what is still each person's to do -----------------------------------------------------------


def _history(engine: Engine, pair: Pair) -> None:
    """Alice took the final reflection and owes an action item; they scored skills in March."""
    scored = datetime(2026, 3, 3, 15, tzinfo=UTC)
    with session_scope(engine) as session:
        session.add(
            SurveyResponse(
                team_id=TEAM,
                program_id=pair.program_id,
                pairing_id=pair.pairing_id,
                user_id=MENTEE,
                kind=SurveyKind.FINAL,
                scores={"goals_achieved": 4},
            )
        )
        session.add(
            ActionItem(
                team_id=TEAM,
                pairing_id=pair.pairing_id,
                text="Send the review deck",
                owner_user_id=MENTEE,
            )
        )
        for role, user in ((Role.MENTEE, MENTEE), (Role.MENTOR, MENTOR)):
            session.add(
                SkillAssessment(
                    team_id=TEAM,
                    pairing_id=pair.pairing_id,
                    round=1,
                    rater_role=role,
                    rater_user_id=user,
                    submitted_at=scored,
                )
            )


def test_the_closing_prompt_tells_each_person_what_is_still_theirs(
    engine: Engine, pair: Pair
) -> None:
    _history(engine, pair)
    now = datetime(2026, 8, 18, 9, tzinfo=UTC)
    with session_scope(engine) as session:
        left = closing_left(session, pairing_ids=[pair.pairing_id], now=now)[pair.pairing_id]
    end = date(2026, 8, 31)
    to_alice = build_graduation_prompt(
        pairing_id=pair.pairing_id,
        partner_user_id=MENTOR,
        program_name="Spring cohort",
        end=end,
        left=left,
    )
    to_bob = build_graduation_prompt(
        pairing_id=pair.pairing_id,
        partner_user_id=MENTEE,
        program_name="Spring cohort",
        end=end,
        left=left,
    )
    for prompt in (to_alice, to_bob):
        assert_valid_view(prompt, surface="message")
    alice, bob = text_of(to_alice), text_of(to_bob)
    assert "*Spring cohort* ends on *Monday 31 August*" in alice
    assert "your part of the graduation review" in alice
    assert "the independence audit: how ready you are to go on without your mentor" in alice
    assert "the final reflection" not in alice  # she took it already
    assert "1 open action item of yours" in alice
    assert "a last skill round, so you both see how far you've come" in alice
    assert "the final reflection: what changed" in bob
    assert f"the independence audit: how ready <@{MENTEE}> is to go on without you" in bob
    assert f"a last skill round, so you both see how far <@{MENTEE}> has come" in bob
    assert "action item" not in bob
    assert _survey_values(to_alice) == {f"{pair.pairing_id}:independence"}
    assert _survey_values(to_bob) == {f"{pair.pairing_id}:final", f"{pair.pairing_id}:independence"}
    assert (ActionId.SKILLS_REASSESS, str(pair.pairing_id)) in _buttons(to_bob)
    assert (ActionId.AGENDA_OPEN, str(pair.pairing_id)) in _buttons(to_alice)
    # Without the pair's data (the rule before it passes ``left``) the prompt stays generic.
    generic = build_graduation_prompt(
        pairing_id=pair.pairing_id, partner_user_id=MENTOR, program_name="Spring cohort", end=end
    )
    assert_valid_view(generic, surface="message")
    assert "take the final reflection and the independence audit" in text_of(generic)


def test_someone_with_nothing_left_is_thanked_not_asked(engine: Engine, pair: Pair) -> None:
    now = datetime(2026, 8, 18, 9, tzinfo=UTC)
    with session_scope(engine) as session:
        program = session.get(Program, pair.program_id)
        assert program is not None
        program.competencies = []
        session.add(program)
        for kind in (SurveyKind.FINAL, SurveyKind.INDEPENDENCE):
            session.add(
                SurveyResponse(
                    team_id=TEAM,
                    program_id=pair.program_id,
                    pairing_id=pair.pairing_id,
                    user_id=MENTOR,
                    kind=kind,
                )
            )
        pairing = session.get(Pairing, pair.pairing_id)
        assert pairing is not None
        pairing.end_reason = 'graduating:{"U0002":{"a":"end","c":null}}'
        session.add(pairing)
    with session_scope(engine) as session:
        left = closing_left(session, pairing_ids=[pair.pairing_id], now=now)[pair.pairing_id]
    assert left[MENTOR].nothing_left
    assert not left[MENTEE].nothing_left
    prompt = build_graduation_prompt(
        pairing_id=pair.pairing_id,
        partner_user_id=MENTEE,
        program_name="Spring cohort",
        end=date(2026, 8, 31),
        left=left,
    )
    assert_valid_view(prompt, surface="message")
    assert "You've done your part already" in text_of(prompt)
    assert _buttons(prompt) == []


def test_closing_steps_come_from_the_same_queries_for_one_pair_and_many(
    engine: Engine, pair: Pair
) -> None:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    now = datetime(2026, 8, 18, 9, tzinfo=UTC)
    with session_scope(engine) as session:
        session.get(Pairing, pair.pairing_id)  # the unit of work has begun: count only queries
        event.listen(engine, "before_cursor_execute", count)
        try:
            closing_left(session, pairing_ids=[pair.pairing_id], now=now)
            one = len(statements)
            statements.clear()
            many = closing_left(session, pairing_ids=[pair.pairing_id, 9998, 9999], now=now)
        finally:
            event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == one == 4
    assert list(many) == [pair.pairing_id]


def test_each_closing_dm_names_what_is_still_that_persons(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, clock: FrozenClock, pair: Pair
) -> None:
    _history(engine, pair)
    clock.current = datetime(2026, 8, 18, 9, tzinfo=UTC)
    view = _open_by_command(bot, slack, MENTEE)
    _submit(bot, view, _answers(pair, agreed="achieved", proposed="partly", after="end"), MENTEE)
    slack.wait_for("chat.postMessage", count=2)
    [request] = posts(slack, MENTOR)
    [waiting] = posts(slack, MENTEE)
    # Bob is asked for his part, and told the rest of what is his; Alice what is hers.
    assert "Also still yours, on your own" in text_of(request)
    assert "the final reflection: what changed" in text_of(request)
    assert "action item" not in text_of(request)
    said = text_of(waiting)
    assert "Still yours to close well" in said
    assert "the final reflection" not in said
    assert "1 open action item of yours" in said
    assert "your part of the graduation review" not in said  # just sent

    view = _open_by_command(bot, slack, MENTOR)
    _submit(bot, view, _answers(pair, agreed="achieved", proposed="partly", after="end"), MENTOR)
    slack.wait_for("chat.postMessage", count=3)
    [celebration] = _group_posts(slack)
    said = text_of(celebration)
    assert (
        f"<@{MENTEE}>: the independence audit and a last skill round\\n"
        f"• <@{MENTOR}>: the final reflection, the independence audit and a last skill round"
    ) in said
    assert _survey_values(celebration) == {
        f"{pair.pairing_id}:final",
        f"{pair.pairing_id}:independence",
    }
    assert "action item" not in said  # the pair is over: its actions with it


def _buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (str(e["action_id"]), str(e.get("value")))
        for block in message["blocks"]
        for e in block.get("elements", [])
        if e.get("type") == "button"
    ]


def test_the_planned_closing_prompt_speaks_to_each_person(
    engine: Engine, deps: Deps, clock: FrozenClock, pair: Pair
) -> None:
    """The rule two weeks before the end passes each pair's closing steps to the prompt."""
    _history(engine, pair)
    # The program (1 March, six months) ends on 1 September: the prompt is due from 18 August.
    clock.current = datetime(2026, 8, 18, 14, tzinfo=UTC)
    plan_due(deps, horizon=timedelta(hours=1))
    with session_scope(engine) as session:
        rows = session.exec(select(Delivery).where(Delivery.rule == "graduation_prompt")).all()
        prompts = {d.recipient_id: d.payload for d in rows}
    assert set(prompts) == {MENTEE, MENTOR}
    assert "1 open action item of yours" in text_of(prompts[MENTEE])
    assert "the final reflection" not in text_of(prompts[MENTEE])
    assert f"how far <@{MENTEE}> has come" in text_of(prompts[MENTOR])
