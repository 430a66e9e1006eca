"""The skill matrix as the pair lives it: independent scores, a side-by-side reveal, growth."""

import json
import re
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select

from bot.deps import Deps
from bot.ids import ActionId, BlockId, CallbackId
from bot.sandbox.slack_double import DEFAULT_CHANNEL_ID, SlackDouble
from bot.services.skills import skill_growth, skill_state
from scheduler.delivery import Deliverer
from storage.db import session_scope
from storage.enums import AgendaSource, DeliveryStatus, Role
from storage.models import AgendaItem, Delivery, SkillAssessment, SkillRating
from tests.blockkit import assert_valid_view
from tests.conftest import FrozenClock
from tests.harness import SlackToBot, eventually
from tests.test_feedback import COMPETENCIES, MENTEE, MENTOR, OUTSIDER, dm_click, make_pair

# alice's self-scores and bob's scores of alice, per competency, round 1
ALICE = {"Negotiation": "2", "Public speaking": "5", "Python": "3"}
BOB = {"Negotiation": "4", "Public speaking": "3", "Python": "2"}


def _answers(scores: dict[str, str]) -> dict[str, Any]:
    return {f"{BlockId.SKILL_PREFIX}{COMPETENCIES.index(c)}": s for c, s in scores.items()}


def _open(bot: SlackToBot, slack: SlackDouble, user_id: str) -> dict[str, Any]:
    """``/mentor skills`` opens the scoring modal; returns it."""
    before = len(slack.calls_to("views.open"))
    answer = bot.command("skills", user_id=user_id, trigger_id=slack.new_trigger_id())
    assert answer.status == 200
    view: dict[str, Any] = slack.wait_for("views.open", count=before + 1)[-1].params["view"]
    assert_valid_view(view, surface="modal")
    return view


def _submit(bot: SlackToBot, view: dict[str, Any], scores: dict[str, str], user_id: str) -> None:
    response = bot.submit(view, _answers(scores), user_id=user_id)
    assert response.status == 200
    assert response.body == ""  # the modal closed: no errors


def _dms(slack: SlackDouble, user_id: str) -> list[dict[str, Any]]:
    return slack.messages(slack.dm_channel_id(user_id))


def _section_texts(message: dict[str, Any]) -> str:
    texts = []
    for block in message.get("blocks", []):
        if block["type"] in ("section", "context", "header"):
            text = block.get("text") or {}
            texts.append(str(text.get("text", "")))
            texts.extend(str(e.get("text", "")) for e in block.get("elements", []))
    return "\n".join([message.get("text", ""), *texts])


def _round_one(bot: SlackToBot, slack: SlackDouble) -> None:
    _submit(bot, _open(bot, slack, MENTEE), ALICE, MENTEE)
    slack.wait_for("chat.postMessage", count=2)
    _submit(bot, _open(bot, slack, MENTOR), BOB, MENTOR)
    slack.wait_for("chat.postMessage", count=4)


def _comparison(slack: SlackDouble, user_id: str) -> dict[str, Any]:
    message = _dms(slack, user_id)[-1]
    assert_valid_view(message, surface="message")
    assert "side by side" in _section_texts(message)
    return message


def _sections(message: dict[str, Any]) -> list[str]:
    return [str(b["text"]["text"]) for b in message["blocks"] if b["type"] == "section"]


def _row(message: dict[str, Any], competency: str) -> str:
    """The section of one competency (its first line names it)."""
    return next(t for t in _sections(message) if f"*{competency}*" in t.split("\n")[0])


def _agenda(engine: Engine) -> list[AgendaItem]:
    with session_scope(engine) as session:
        return list(session.exec(select(AgendaItem).order_by(AgendaItem.id)))  # type: ignore[arg-type]


def test_the_modal_asks_for_every_competency_and_every_score(
    bot: SlackToBot, slack: SlackDouble, engine: Engine
) -> None:
    make_pair(engine)
    view = _open(bot, slack, MENTEE)
    selects = [b for b in view["blocks"] if b["type"] == "input"]
    assert [b["label"]["text"] for b in selects] == COMPETENCIES
    assert [o["value"] for o in selects[0]["element"]["options"]] == ["1", "2", "3", "4", "5"]
    assert "1 · Beginner" in json.dumps(selects[0], ensure_ascii=False)
    answer = bot.submit(view, {f"{BlockId.SKILL_PREFIX}1": "4"}, user_id=MENTEE).json()
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {f"{BlockId.SKILL_PREFIX}0", f"{BlockId.SKILL_PREFIX}2"}
    assert "Score Negotiation from 1 (beginner) to 5 (expert)" in json.dumps(answer)
    with session_scope(engine) as session:
        assert session.exec(select(SkillAssessment)).all() == []


def test_the_mentor_sees_none_of_the_mentees_scores_before_submitting(
    bot: SlackToBot, slack: SlackDouble, engine: Engine
) -> None:
    pair = make_pair(engine)
    _submit(bot, _open(bot, slack, MENTEE), ALICE, MENTEE)
    slack.wait_for("chat.postMessage", count=2)
    with session_scope(engine) as session:
        [assessment] = session.exec(select(SkillAssessment)).all()
        assert (assessment.round, assessment.rater_role) == (1, Role.MENTEE)
        stored = {r.competency: r.score for r in session.exec(select(SkillRating))}
    assert stored == {"Negotiation": 2, "Public speaking": 5, "Python": 3}

    [own] = _dms(slack, MENTEE)
    assert_valid_view(own, surface="message")
    assert "Negotiation: *2*" in _section_texts(own)
    assert "Waiting for <@U0002>" in _section_texts(own)

    [prompt] = _dms(slack, MENTOR)
    assert_valid_view(prompt, surface="message")
    shown = _section_texts(prompt)
    assert "<@U0001> has scored the skill matrix" in shown
    assert not re.search(r"\d", shown.replace("U0001", "")), shown
    assert not any(c in shown for c in COMPETENCIES)

    view = _open(bot, slack, MENTOR)
    selects = [b for b in view["blocks"] if b["type"] == "input"]
    assert all("initial_option" not in b["element"] for b in selects)
    assert "Round 1" in json.dumps(view)
    with session_scope(engine) as session:
        state = skill_state(session, pairing_ids=[pair.pairing_id])[pair.pairing_id]
    assert (state.round, state.mentee_submitted, state.mentor_submitted) == (1, True, False)


def test_a_person_may_change_their_scores_until_the_partner_submits(
    bot: SlackToBot, slack: SlackDouble, engine: Engine
) -> None:
    make_pair(engine)
    _submit(bot, _open(bot, slack, MENTEE), ALICE, MENTEE)
    slack.wait_for("chat.postMessage", count=2)
    again = _open(bot, slack, MENTEE)
    initial = {
        b["label"]["text"]: b["element"]["initial_option"]["value"]
        for b in again["blocks"]
        if b["type"] == "input"
    }
    assert initial == ALICE
    _submit(bot, again, {**ALICE, "Python": "4"}, MENTEE)
    slack.wait_for("chat.postMessage", count=3)
    assert "are updated" in _section_texts(_dms(slack, MENTEE)[-1])
    assert len(_dms(slack, MENTOR)) == 1  # bob is not prompted twice
    _submit(bot, _open(bot, slack, MENTOR), BOB, MENTOR)
    late = bot.submit(again, _answers(ALICE), user_id=MENTEE).json()
    assert late["response_action"] == "errors"
    assert "Round 1 is closed" in json.dumps(late)
    with session_scope(engine) as session:
        python = session.exec(
            select(SkillRating)
            .join(SkillAssessment)
            .where(SkillAssessment.rater_role == Role.MENTEE, SkillRating.competency == "Python")
        ).one()
    assert python.score == 4


def test_both_get_the_side_by_side_view_with_wide_gaps_highlighted(
    bot: SlackToBot, slack: SlackDouble, engine: Engine
) -> None:
    pair = make_pair(engine)
    _round_one(bot, slack)
    for person in (MENTEE, MENTOR):
        message = _comparison(slack, person)
        assert ":warning: *Negotiation*" in _row(message, "Negotiation")
        assert "mentee *2*" in _row(message, "Negotiation")
        assert "mentor *4*" in _row(message, "Negotiation")
        assert "gap *-2*" in _row(message, "Negotiation")
        assert ":warning:" in _row(message, "Public speaking")
        assert ":warning:" not in _row(message, "Python")
        topics = next(t for t in _sections(message) if "Topics" in t)
        assert "Negotiation" in topics
        assert "Public speaking" in topics
        assert "Python" not in topics
    with session_scope(engine) as session:
        state = skill_state(session, pairing_ids=[pair.pairing_id])[pair.pairing_id]
    assert state.closed
    assert state.open_gaps == 2

    message = _dms(slack, MENTOR)[-1]
    buttons = [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    gaps = next(e for e in buttons if e["action_id"] == ActionId.SKILLS_GAPS_TO_AGENDA)
    dm_click(bot, slack, ActionId.SKILLS_GAPS_TO_AGENDA, gaps["value"], user_id=MENTOR)
    [update] = slack.wait_for("chat.update")
    assert_valid_view(update.params, surface="message")
    assert "Added 2 gaps to your agenda" in json.dumps(update.params)
    items = _agenda(engine)
    assert [(i.source, i.pairing_id, i.added_by) for i in items] == [
        (AgendaSource.SKILL_GAP, pair.pairing_id, MENTOR)
    ] * 2
    assert items[0].text.startswith("Skill gap on Negotiation: mentee 2, mentor 4")
    dm_click(bot, slack, ActionId.SKILLS_GAPS_TO_AGENDA, gaps["value"], user_id=MENTEE)
    slack.wait_for("chat.update", count=2)
    assert len(_agenda(engine)) == 2


def test_a_reassessment_keeps_history_and_shows_growth(
    bot: SlackToBot, slack: SlackDouble, engine: Engine
) -> None:
    pair = make_pair(engine)
    _round_one(bot, slack)
    closed = bot.ask("skills", user_id=MENTEE)
    assert_valid_view(closed, surface="message")
    assert "Start a re-assessment" in json.dumps(closed)
    dm_click(bot, slack, ActionId.SKILLS_REASSESS, str(pair.pairing_id), user_id=MENTEE)
    [opened] = slack.wait_for("views.open", count=3)[2:]
    second = opened.params["view"]
    assert_valid_view(second, surface="modal")
    assert "Round 2" in json.dumps(second)
    _submit(bot, second, {"Negotiation": "4", "Public speaking": "5", "Python": "4"}, MENTEE)
    slack.wait_for("chat.postMessage", count=6)
    assert "re-assessment (round 2)" in _section_texts(_dms(slack, MENTOR)[-1])
    bob_second = _open(bot, slack, MENTOR)
    assert "Round 2" in json.dumps(bob_second)
    _submit(bot, bob_second, {"Negotiation": "4", "Public speaking": "4", "Python": "3"}, MENTOR)
    slack.wait_for("chat.postMessage", count=8)
    message = _comparison(slack, MENTEE)
    assert "round 2" in message["text"]
    assert "mentee 2 → 4" in _row(message, "Negotiation")
    assert "mentor 4 → 4" in _row(message, "Negotiation")
    assert ":warning:" not in _row(message, "Negotiation")
    with session_scope(engine) as session:
        assert len(session.exec(select(SkillAssessment)).all()) == 4
        growth = skill_growth(session, program_id=pair.program_id)
        state = skill_state(session, pairing_ids=[pair.pairing_id])[pair.pairing_id]
    # (mentee + mentor) / 2 in round 2 minus the same in round 1
    assert growth == {"Negotiation": 1.0, "Public speaking": 0.5, "Python": 1.0}
    assert (state.round, state.closed, state.open_gaps, state.last_closed_round) == (2, True, 0, 2)


def test_the_skills_button_shows_the_closed_round_in_a_modal(
    bot: SlackToBot, slack: SlackDouble, engine: Engine
) -> None:
    pair = make_pair(engine)
    _round_one(bot, slack)
    bot.action(
        ActionId.SKILLS_OPEN,
        str(pair.pairing_id),
        user_id=MENTOR,
        trigger_id=slack.new_trigger_id(),
    )
    view = slack.wait_for("views.open", count=3)[-1].params["view"]
    assert_valid_view(view, surface="modal")
    assert "mentee *2*" in json.dumps(view)


def _buttons(blocks: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {e["action_id"]: e for b in blocks if b["type"] == "actions" for e in b["elements"]}


def test_the_comparison_modal_is_redrawn_in_place(
    bot: SlackToBot, slack: SlackDouble, engine: Engine
) -> None:
    pair = make_pair(engine)
    _round_one(bot, slack)
    known = set(slack.views)
    bot.action(
        ActionId.SKILLS_OPEN,
        str(pair.pairing_id),
        user_id=MENTOR,
        trigger_id=slack.new_trigger_id(),
    )
    slack.wait_for("views.open", count=3)
    [view_id] = set(slack.views) - known
    comparison = slack.views[view_id]
    assert comparison["callback_id"] == CallbackId.SKILLS
    assert comparison.get("submit") is None
    gaps = _buttons(comparison["blocks"])[ActionId.SKILLS_GAPS_TO_AGENDA]
    bot.action(
        ActionId.SKILLS_GAPS_TO_AGENDA,
        gaps["value"],
        user_id=MENTOR,
        view=comparison,
        trigger_id=slack.new_trigger_id(view_id=view_id),
    )
    [update] = slack.wait_for("views.update")
    assert update.params["view_id"] == view_id
    redrawn: dict[str, Any] = update.params["view"]
    assert_valid_view(redrawn, surface="modal")
    assert "Added 2 gaps to your agenda" in json.dumps(redrawn)
    assert ActionId.SKILLS_GAPS_TO_AGENDA not in _buttons(redrawn["blocks"])
    assert len(_agenda(engine)) == 2
    # "Start a re-assessment" in the same modal turns it into round 2's form.
    bot.action(
        ActionId.SKILLS_REASSESS,
        str(pair.pairing_id),
        user_id=MENTOR,
        view=slack.views[view_id],
        trigger_id=slack.new_trigger_id(view_id=view_id),
    )
    form: dict[str, Any] = slack.wait_for("views.update", count=2)[-1].params["view"]
    assert slack.calls_to("views.update")[-1].params["view_id"] == view_id
    assert_valid_view(form, surface="modal")
    assert "Round 2" in json.dumps(form)
    assert form["submit"]["text"] == "Save scores"
    assert len(slack.calls_to("views.open")) == 3
    assert not slack.calls_to("views.push")


def test_gaps_added_from_the_commands_answer_redraw_it_privately(
    bot: SlackToBot, slack: SlackDouble, engine: Engine
) -> None:
    make_pair(engine)
    _round_one(bot, slack)
    answer = bot.ask("skills", user_id=MENTEE)
    gaps = _buttons(answer["blocks"])[ActionId.SKILLS_GAPS_TO_AGENDA]
    url = slack.new_response_url()
    bot.action(
        ActionId.SKILLS_GAPS_TO_AGENDA,
        gaps["value"],
        user_id=MENTEE,
        response_url=url,
        container={
            "type": "message",
            "message_ts": "1.0",
            "channel_id": DEFAULT_CHANNEL_ID,
            "is_ephemeral": True,
        },
    )
    redrawn = bot.answer_to(url)
    assert redrawn.get("replace_original") in (True, "true")
    assert "Added 2 gaps to your agenda" in json.dumps(redrawn)
    assert_valid_view(redrawn, surface="message")
    assert not slack.calls_to("chat.update")
    assert len(_agenda(engine)) == 2


def _deliveries(engine: Engine, rule: str) -> list[Delivery]:
    with session_scope(engine) as session:
        query = select(Delivery).where(col(Delivery.rule) == rule).order_by(col(Delivery.id))
        return list(session.exec(query))


@pytest.mark.parametrize("landed", [False, True], ids=["not-posted", "posted-anyway"])
def test_the_partners_prompt_answered_500_lands_once(
    bot: SlackToBot,
    slack: SlackDouble,
    engine: Engine,
    deps: Deps,
    clock: FrozenClock,
    landed: bool,
) -> None:
    """Both DMs of a submission fail with a 500: each is retried, looked for first, and lands
    once."""
    make_pair(engine)
    view = _open(bot, slack, MENTEE)
    slack.fail_next("chat.postMessage", status=500, times=2, apply=landed)
    _submit(bot, view, ALICE, MENTEE)
    assert eventually(
        lambda: all(
            [(d.status, d.attempts) for d in _deliveries(engine, rule)]
            == [(DeliveryStatus.PENDING, 1)]
            for rule in ("skills_prompt", "skills_saved")
        )
    )
    [prompt] = _deliveries(engine, "skills_prompt")
    assert (prompt.recipient_id, prompt.extras["sender"]) == (MENTOR, MENTEE)
    [saved] = _deliveries(engine, "skills_saved")
    clock.current = max(d.next_attempt_at or clock() for d in (prompt, saved))
    Deliverer(deps, worker="test-scheduler").run()
    [bob] = _dms(slack, MENTOR)
    assert "<@U0001> has scored the skill matrix" in _section_texts(bob)
    [own] = _dms(slack, MENTEE)
    assert "Negotiation: *2*" in _section_texts(own)
    assert len(slack.calls_to("chat.postMessage")) == (2 if landed else 4)


def test_a_partner_who_left_is_told_to_the_submitter(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, deps: Deps
) -> None:
    make_pair(engine)
    slack.add_user(MENTOR, name="bob", real_name="Bob Ode", tz="America/New_York", deleted=True)
    _submit(bot, _open(bot, slack, MENTEE), ALICE, MENTEE)
    assert eventually(
        lambda: [d.status for d in _deliveries(engine, "skills_prompt")] == [DeliveryStatus.FAILED]
    )
    [prompt] = _deliveries(engine, "skills_prompt")
    assert prompt.error == "user_not_found"
    # The engine queues the notice for the sender, and the same after-ack delivery sends it.
    notice = (
        ":warning: I couldn't deliver the news that you've scored the skill matrix to <@U0002>: "
        "<@U0002> is no longer in this workspace."
    )
    assert eventually(lambda: notice in [m["text"] for m in _dms(slack, MENTEE)])
    assert not _dms(slack, MENTOR)


def test_a_third_person_is_refused_everywhere(
    bot: SlackToBot, slack: SlackDouble, engine: Engine
) -> None:
    pair = make_pair(engine)
    slack.add_user(OUTSIDER, name="carol", real_name="Carol Third", tz="UTC")
    assert "not in a mentoring pair" in bot.ask("skills", user_id=OUTSIDER)["text"]
    view = _open(bot, slack, MENTEE)
    refused = bot.submit(view, _answers(ALICE), user_id=OUTSIDER).json()
    assert refused["response_action"] == "errors"
    assert "another mentoring pair" in json.dumps(refused)
    for action_id, value in (
        (ActionId.SKILLS_OPEN, str(pair.pairing_id)),
        (ActionId.SKILLS_REASSESS, str(pair.pairing_id)),
        (ActionId.SKILLS_GAPS_TO_AGENDA, f"{pair.pairing_id}:1"),
    ):
        bot.action(action_id, value, user_id=OUTSIDER, trigger_id=slack.new_trigger_id())
    # The first answer through a response_url was the command's; then one per click.
    for refusal in slack.wait_for("response_url", count=4)[1:]:
        assert "another mentoring pair" in refusal.params["text"]
        assert_valid_view(refusal.params, surface="message")
    assert len(slack.calls_to("views.open")) == 1  # alice's own
    with session_scope(engine) as session:
        assert session.exec(select(SkillAssessment)).all() == []
    assert _agenda(engine) == []


def test_a_program_without_competencies_says_so(
    bot: SlackToBot, slack: SlackDouble, engine: Engine
) -> None:
    make_pair(engine, competencies=[])
    answer = bot.ask("skills", user_id=MENTEE)
    assert "no competencies to score yet" in answer["text"]
    assert slack.calls_to("views.open") == []
