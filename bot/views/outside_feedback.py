"""Outside-feedback views: the mentee's ask modal, the colleague's DM and modal, the answers."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.ids import ActionId, BlockId, CallbackId
from bot.services.outside_feedback import (
    ANSWER_MAX,
    QUESTION_MAX,
    RATINGS,
    AskContext,
    OutsideRequest,
)
from bot.services.sessions import zone
from bot.views.blocks import (
    Block,
    actions,
    button,
    clip,
    context,
    input_block,
    message,
    modal,
    option,
    section,
    static_select,
    text_input,
)
from bot.views.notice import build_notice_modal
from bot.views.text import inline, quote

RATING_WORDS = {
    1: "1 · just starting",
    2: "2 · developing",
    3: "3 · capable",
    4: "4 · strong",
    5: "5 · excellent",
}


def _day(moment: datetime, tz: str) -> str:
    local = moment.astimezone(zone(tz))
    return f"{local:%A} {local.day} {local:%B}"


def _answer_input(max_length: int, placeholder: str, *, initial: str = "") -> Block:
    """A multiline answer box: the question, or one part of the colleague's note."""
    return text_input(initial, max_length=max_length, multiline=True, placeholder=placeholder)


# --- asking ------------------------------------------------------------------------------------


def build_ask_modal(ask: AskContext, *, names: Mapping[str, str]) -> dict[str, Any]:
    """The mentee checks the request before it goes: the question, a goal to rate, the mentor."""
    colleague = ask.colleague_user_id
    blocks: list[Block] = [
        section(
            f"Ask <@{colleague}> for a short note: one thing you do well and one thing to "
            "change. Only you get the answer; you can then share it with your mentor. "
            "The request stays open for 14 days."
        )
    ]
    if len(ask.pairings) > 1:
        choices = [
            option(
                f"{c.program.name}: {names.get(c.partner_user_id) or 'your mentor'}",
                str(c.pairing.id),
            )
            for c in ask.pairings
        ]
        blocks.append(
            input_block(
                BlockId.PAIRING,
                "Which mentor may you share the answer with?",
                static_select(choices, placeholder="Pick a mentor"),
            )
        )
    blocks.append(
        input_block(
            BlockId.OUTSIDE_FEEDBACK_QUESTION,
            "Your question",
            _answer_input(
                QUESTION_MAX,
                "e.g. How did I come across in Tuesday's roadmap review?",
                initial=ask.question,
            ),
            optional=True,
        )
    )
    if ask.goals:
        blocks.append(
            input_block(
                BlockId.OUTSIDE_FEEDBACK_GOAL,
                "Ask them to rate the skill behind one goal",
                static_select(
                    [option(g.statement, str(g.goal_id)) for g in ask.goals],
                    placeholder="No rating",
                ),
                hint="They'll see this goal's wording, and nothing else of your mentoring.",
                optional=True,
            )
        )
    return modal(
        CallbackId.OUTSIDE_FEEDBACK_ASK,
        "Ask for feedback",
        blocks,
        metadata={"colleague": colleague},
        submit="Send request",
        close="Cancel",
    )


def build_ask_sent(request: OutsideRequest, *, tz: str) -> dict[str, Any]:
    """What the mentee sees once the request is stored: where it goes, until when."""
    text = (
        f":incoming_envelope: Your feedback request to <@{request.colleague_user_id}> is on its "
        f"way. Their answer comes to you by DM; the request stays open until "
        f"{_day(request.expires_at, tz)}. If it can't reach them, I'll tell you and you can ask "
        "again."
    )
    return build_notice_modal(text, problem=False, title="Request sent")


# --- the colleague -----------------------------------------------------------------------------


def _question(request: OutsideRequest) -> str:
    return quote(request.question, 600) if request.question else ""


def build_request_dm(request: OutsideRequest, *, tz: str) -> dict[str, Any]:
    """The colleague's DM: who asks, their question, and buttons to answer or decline."""
    mentee = request.requester_user_id
    text = f"<@{mentee}> would value your feedback"
    lines = [
        f":speech_balloon: *{text}.* They're in a mentoring program and asked you, from outside "
        "it, for a short note: one thing they do well and one thing to change."
    ]
    if request.question:
        lines.append(f"They ask:\n{_question(request)}")
    value = str(request.id)
    blocks: list[Block] = [
        section("\n".join(lines)),
        actions(
            button("Give feedback", ActionId.OUTSIDE_FEEDBACK_GIVE, value=value, style="primary"),
            button("Decline", ActionId.OUTSIDE_FEEDBACK_DECLINE, value=value),
            block_id="outside_feedback",
        ),
        context(
            f"Only <@{mentee}> sees your answer; they may share it with their mentor. "
            f"Open until {_day(request.expires_at, tz)}."
        ),
    ]
    return message(f"{text}: a short note, two minutes", blocks)


def build_request_closed(request: OutsideRequest, *, declined: bool) -> dict[str, Any]:
    """The colleague's DM once they answered or declined: no more buttons."""
    mentee = request.requester_user_id
    if declined:
        text = f"You declined <@{mentee}>'s feedback request. No problem, and thanks for saying so."
    else:
        text = (
            f":white_check_mark: Thank you! Your feedback is on its way to <@{mentee}>, and only "
            "to them."
        )
    return message(text, [section(text)])


def build_feedback_modal(
    request: OutsideRequest, *, channel: str | None, ts: str | None
) -> dict[str, Any]:
    """The colleague's note: does well, one thing to change, an optional 1-to-5 rating."""
    mentee = request.requester_user_id
    blocks: list[Block] = [
        section(
            f"Feedback for <@{mentee}>. Be specific: an example helps more than an adjective. "
            f"Only <@{mentee}> sees it."
        )
    ]
    if request.question:
        blocks.append(section(f"They ask:\n{_question(request)}"))
    blocks += [
        input_block(
            BlockId.OUTSIDE_FEEDBACK_DOES_WELL,
            "What they do well",
            _answer_input(ANSWER_MAX, "e.g. You keep the directors' review focused on decisions"),
        ),
        input_block(
            BlockId.OUTSIDE_FEEDBACK_TO_CHANGE,
            "One thing to change",
            _answer_input(
                ANSWER_MAX, "e.g. Send the pre-read a day earlier so people come prepared"
            ),
        ),
    ]
    if request.goal_statement:
        blocks.append(
            input_block(
                BlockId.OUTSIDE_FEEDBACK_RATING,
                f"How strong are they at the skill behind: “{clip(request.goal_statement, 300)}”?",
                static_select(
                    [option(RATING_WORDS[n], str(n)) for n in RATINGS], placeholder="Rate 1 to 5"
                ),
                optional=True,
            )
        )
    return modal(
        CallbackId.OUTSIDE_FEEDBACK,
        "Give feedback",
        blocks,
        metadata={"request_id": request.id, "channel": channel, "ts": ts},
        submit="Send",
        close="Cancel",
    )


# --- the mentee and the mentor -----------------------------------------------------------------


def _answer_lines(request: OutsideRequest, *, asked: str = "You asked") -> list[str]:
    lines = []
    if request.question:
        lines.append(f"*{asked}:*\n{_question(request)}")
    lines.append(f"*What you do well:*\n{quote(request.does_well, 1000)}")
    lines.append(f"*One thing to change:*\n{quote(request.to_change, 1000)}")
    if request.rating and request.goal_statement:
        lines.append(
            f"*Skill behind “{inline(request.goal_statement, 200)}”:* "
            f"{RATING_WORDS[request.rating]} (out of 5)"
        )
    return lines


def build_answer_dm(request: OutsideRequest) -> dict[str, Any]:
    """The mentee gets the colleague's note, privately, with a button to share it."""
    text = f"<@{request.colleague_user_id}> answered your feedback request"
    blocks: list[Block] = [
        section(f":mailbox_with_mail: *{text}.*"),
        section("\n".join(_answer_lines(request))),
    ]
    if request.shared_with_mentor:
        blocks.append(context(f":white_check_mark: Shared with <@{request.mentor_user_id}>."))
    else:
        blocks.append(
            actions(
                button(
                    "Share with my mentor", ActionId.OUTSIDE_FEEDBACK_SHARE, value=str(request.id)
                ),
                block_id="outside_feedback_share",
            )
        )
        blocks.append(
            context(f"Only you can see this. Sharing sends it to <@{request.mentor_user_id}>.")
        )
    return message(text, blocks)


def build_shared_dm(request: OutsideRequest) -> dict[str, Any]:
    """The mentor gets the note the mentee chose to share."""
    text = (
        f"<@{request.requester_user_id}> shared feedback they asked "
        f"<@{request.colleague_user_id}> for"
    )
    blocks: list[Block] = [
        section(f":handshake: *{text}.*"),
        section("\n".join(_answer_lines(request, asked="They asked"))),
        context("Shared with you only. A good topic for your next session."),
    ]
    return message(text, blocks)


def build_declined_dm(request: OutsideRequest) -> dict[str, Any]:
    """Tell the mentee, politely, that the colleague declined."""
    text = (
        f"<@{request.colleague_user_id}> can't give feedback this time, and that's fine. "
        "You could ask someone else who sees your work: `/mentor ask-feedback @name`."
    )
    return message(text, [section(text)])


def build_expired_dm(request: OutsideRequest) -> dict[str, Any]:
    """Tell the mentee a request ran out after 14 days without an answer."""
    text = (
        f"Your feedback request to <@{request.colleague_user_id}> expired after 14 days without "
        "an answer. Ask again, or someone else, with `/mentor ask-feedback @name`."
    )
    return message(text, [section(text)])
