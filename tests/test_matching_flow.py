"""Matching as a lead lives it: the proposals DM, approve, swap, later, pair by hand, boards."""

import json
from datetime import date, time, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.deps import Deps
from bot.ids import ActionId, BlockId
from bot.sandbox import slack_double
from bot.sandbox.slack_double import RecordedCall, SlackDouble
from bot.views.matching import MATCH_WHY
from scheduler.delivery import Deliverer, Pacer
from storage.db import session_scope
from storage.enums import DeliveryStatus, PairingStatus, ProgramStatus, Role, Structure
from storage.models import Delivery, Flag, Pairing, Participant, Program
from tests.blockkit import assert_valid_view
from tests.conftest import FrozenClock
from tests.harness import SlackToBot, eventually
from tests.pairs import posts

TEAM = slack_double.DEFAULT_TEAM_ID
LEAD = "UADMIN"
COMPETENCIES = ["Public speaking", "Negotiation", "Python", "Leadership"]
DASH = "\N{EN DASH}"
# The cohort's program began on 1 March; the clock says Monday 2 March.
STARTED = (
    "*Spring cohort* has started: it was due to start on Sunday 1 March and now has a running "
    "pair, so prompts and check-ins run for its pairs from now on."
)


def _program(
    session: Session,
    *,
    structure: Structure = Structure.ONE_TO_ONE,
    name: str = "Spring cohort",
    status: ProgramStatus = ProgramStatus.ENROLLING,
    start_date: date = date(2026, 3, 1),
) -> Program:
    program = Program(
        team_id=TEAM,
        name=name,
        status=status,
        start_date=start_date,
        competencies=COMPETENCIES,
        structure=structure,
        group_size=2,
        created_by="UOTHERLEAD",
    )
    session.add(program)
    session.flush()
    return program


def _person(
    session: Session,
    program: Program,
    user_id: str,
    role: Role,
    skills: dict[str, int],
    *,
    capacity: int = 1,
    interests: tuple[str, ...] = (),
    values: tuple[str, ...] = (),
    stated: bool = True,
) -> Participant:
    """An enrolment; a mentor's levels are stated unless ``stated`` is False (a mentor who
    joined before levels were asked: their scores are the old placeholder)."""
    assert program.id is not None
    mark = {"stated": True} if role is Role.MENTOR and stated else {}
    participant = Participant(
        team_id=TEAM,
        program_id=program.id,
        user_id=user_id,
        role=role,
        skills=[{"skill": s, "score": v, **mark} for s, v in skills.items()],
        interests=list(interests),
        values=list(values),
        capacity=capacity,
        timezone="Europe/Berlin",
        work_start=time(9),
        work_end=time(18),
        aim="Lead a team within a year",
    )
    session.add(participant)
    session.flush()
    return participant


@pytest.fixture
def cohort(engine: Engine, slack: SlackDouble) -> dict[str, Participant]:
    """Three mentors (capacity 2, 1, 1) and four mentees with clear best fits."""
    people: dict[str, Participant] = {}
    with session_scope(engine) as session:
        program = _program(session)
        for user_id, skills, capacity in (
            ("UM1", {"Public speaking": 5, "Leadership": 4}, 2),
            ("UM2", {"Python": 5}, 1),
            ("UM3", {"Negotiation": 5}, 1),
        ):
            people[user_id] = _person(
                session, program, user_id, Role.MENTOR, skills, capacity=capacity
            )
        for user_id, skills in (
            ("UE1", {"Public speaking": 1, "Leadership": 2}),
            ("UE2", {"Python": 1, "Negotiation": 3}),
            ("UE3", {"Negotiation": 1, "Public speaking": 3}),
            ("UE4", {"Leadership": 1, "Public speaking": 2}),
        ):
            people[user_id] = _person(session, program, user_id, Role.MENTEE, skills)
    for user_id in people:
        slack.add_user(
            user_id, name=user_id.lower(), real_name=f"Person {user_id}", tz="Europe/Berlin"
        )
    return people


def _pairings(engine: Engine) -> list[Pairing]:
    with session_scope(engine) as session:
        return list(session.exec(select(Pairing).order_by(Pairing.id)))  # type: ignore[arg-type]


def _proposals_dm(slack: SlackDouble) -> dict[str, Any]:
    [call] = slack.wait_for("chat.postMessage")
    assert call.params["channel"] == slack.dm_channel_id(LEAD)
    assert_valid_view(call.params, surface="message")
    return call.params


def _click(
    bot: SlackToBot, slack: SlackDouble, action_id: str, value: str, *, user_id: str = LEAD
) -> str:
    """Click a button on the lead's proposals DM; returns where its private answer goes."""
    channel = slack.dm_channel_id(LEAD)
    ts = slack.messages(channel)[0]["ts"]
    url = slack.new_response_url()
    response = bot.action(
        action_id,
        value,
        user_id=user_id,
        trigger_id=slack.new_trigger_id(),
        container={"type": "message", "message_ts": ts, "channel_id": channel},
        channel_id=channel,
        response_url=url,
    )
    assert response.status == 200
    return url


def _group_opens(slack: SlackDouble, count: int = 1) -> list[RecordedCall]:
    """The group DMs opened for introductions (the lead's own DM is a one-person open)."""

    def opened() -> list[RecordedCall]:
        return [c for c in slack.calls_to("conversations.open") if "," in c.params["users"]]

    assert eventually(lambda: len(opened()) >= count), [c.params for c in opened()]
    return opened()


def _introductions(slack: SlackDouble) -> list[dict[str, Any]]:
    """Messages posted anywhere but the lead's DM: the introductions."""
    lead_dm = slack.dm_channel_id(LEAD)
    return [c.params for c in slack.calls_to("chat.postMessage") if c.params["channel"] != lead_dm]


def _introduction_delivery(engine: Engine) -> Delivery:
    with session_scope(engine) as session:
        row = session.exec(select(Delivery).where(Delivery.rule == "introduction")).one()
        session.expunge(row)
        return row


def test_match_proposes_within_capacity_and_dms_the_lead(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, cohort: dict[str, Participant]
) -> None:
    answer = bot.ask("match Spring cohort", user_id=LEAD)
    assert "Matching *Spring cohort*" in answer["text"]
    assert "I've sent" not in answer["text"]
    dm = _proposals_dm(slack)
    text = json.dumps(dm, ensure_ascii=False)
    proposals = [p for p in _pairings(engine) if p.status is PairingStatus.PROPOSED]
    assert len(proposals) == 4  # four places: UM1 takes two
    loads: dict[str, int] = {}
    for pairing in proposals:
        loads[pairing.mentor_user_id] = loads.get(pairing.mentor_user_id, 0) + 1
        assert pairing.match_reasons, "every proposal explains itself"
    assert loads == {"UM1": 2, "UM2": 1, "UM3": 1}
    assert {(p.mentor_user_id, p.mentee_user_id) for p in proposals} >= {
        ("UM2", "UE2"),
        ("UM3", "UE3"),
    }
    assert "Approve all 4" in text
    assert "Public speaking" in text


def test_a_past_pair_is_never_proposed_again(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, cohort: dict[str, Participant]
) -> None:
    with session_scope(engine) as session:
        old = _program(session, name="Last year", status=ProgramStatus.CLOSED)
        assert old.id is not None
        session.add(
            Pairing(
                team_id=TEAM,
                program_id=old.id,
                mentor_id=cohort["UM2"].id or 0,
                mentee_id=cohort["UE2"].id or 0,
                mentor_user_id="UM2",
                mentee_user_id="UE2",
                status=PairingStatus.ENDED,
            )
        )
    bot.command("match Spring cohort", user_id=LEAD)
    _proposals_dm(slack)
    proposed = {
        (p.mentor_user_id, p.mentee_user_id)
        for p in _pairings(engine)
        if p.status is PairingStatus.PROPOSED
    }
    assert ("UM2", "UE2") not in proposed


def test_unplaceable_mentees_are_listed_with_why(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, cohort: dict[str, Participant]
) -> None:
    with session_scope(engine) as session:
        program = session.exec(select(Program)).one()
        _person(session, program, "UE5", Role.MENTEE, {"Python": 1, "Leadership": 1})
    bot.command("match Spring cohort", user_id=LEAD)
    text = json.dumps(_proposals_dm(slack), ensure_ascii=False)
    assert "Not placed (1)" in text
    assert "<@UE5>" in text
    with session_scope(engine) as session:
        flag = session.exec(select(Flag)).one()
        assert flag.detail


def test_approving_introduces_the_pair_in_a_group_dm(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, cohort: dict[str, Participant]
) -> None:
    bot.command("match Spring cohort", user_id=LEAD)
    _proposals_dm(slack)
    target = next(p for p in _pairings(engine) if p.mentee_user_id == "UE2")
    url = _click(bot, slack, ActionId.MATCH_APPROVE, str(target.id))
    answer = bot.answer_to(url)
    assert answer["text"] == (
        f"Approved: the introduction of <@{target.mentor_user_id}> and <@UE2> is on its way. "
        + STARTED
    )
    [opened] = _group_opens(slack)
    assert set(opened.params["users"].split(",")) == {target.mentor_user_id, "UE2"}
    intro = slack.wait_for("chat.postMessage", count=2)[1]
    assert intro.params["channel"] == slack.dm_channel_id(target.mentor_user_id, "UE2")
    assert_valid_view(intro.params, surface="message")
    intro_text = json.dumps(intro.params, ensure_ascii=False)
    assert "pivotal challenge" in intro_text
    assert "Why you were matched" in intro_text
    schedule = [
        element
        for block in intro.params["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]
    assert [(b["action_id"], b["value"]) for b in schedule] == [
        (ActionId.SCHEDULE_OPEN, str(target.id))
    ]
    [update] = slack.wait_for("chat.update")
    assert update.params["channel"] == slack.dm_channel_id(LEAD)
    assert_valid_view(update.params, surface="message")
    assert "Approve all 3" in json.dumps(update.params)
    assert eventually(
        lambda: (
            next(p for p in _pairings(engine) if p.id == target.id).conversation_id
            == intro.params["channel"]
        )
    )
    approved = next(p for p in _pairings(engine) if p.id == target.id)
    assert approved.status is PairingStatus.ACTIVE
    assert approved.approved_by == LEAD
    assert len(_introductions(slack)) == 1


def test_approve_all_introduces_everyone(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, cohort: dict[str, Participant]
) -> None:
    bot.command("match Spring cohort", user_id=LEAD)
    _proposals_dm(slack)
    program_id = cohort["UE1"].program_id
    url = _click(bot, slack, ActionId.MATCH_APPROVE_ALL, str(program_id))
    assert bot.answer_to(url)["text"] == (
        "Approved 4: their introductions are on their way. " + STARTED
    )
    opened = _group_opens(slack, count=4)
    assert all(p.status is PairingStatus.ACTIVE for p in _pairings(engine))
    assert {frozenset(c.params["users"].split(",")) for c in opened} == {
        frozenset((p.mentor_user_id, p.mentee_user_id)) for p in _pairings(engine)
    }
    assert eventually(lambda: len(_introductions(slack)) == 4)
    assert eventually(lambda: all(p.conversation_id for p in _pairings(engine)))


def test_an_introduction_slack_rate_limits_lands_once_on_the_retry(
    bot: SlackToBot,
    slack: SlackDouble,
    engine: Engine,
    deps: Deps,
    clock: FrozenClock,
    cohort: dict[str, Participant],
) -> None:
    bot.command("match Spring cohort", user_id=LEAD)
    _proposals_dm(slack)
    target = next(p for p in _pairings(engine) if p.mentee_user_id == "UE2")
    slack.fail_next("conversations.open", retry_after=1)  # 429 for the group DM
    url = _click(bot, slack, ActionId.MATCH_APPROVE, str(target.id))
    assert "is on its way" in bot.answer_to(url)["text"]
    assert eventually(lambda: _introduction_delivery(engine).error == "ratelimited")
    assert _introductions(slack) == []
    assert next(p for p in _pairings(engine) if p.id == target.id).status is PairingStatus.ACTIVE

    clock.advance(timedelta(seconds=2))  # past Slack's Retry-After
    Deliverer(deps, worker="retry", pacer=Pacer(sleep=lambda _: None)).run()
    assert eventually(lambda: _introduction_delivery(engine).status is DeliveryStatus.SENT)
    Deliverer(deps, worker="again", pacer=Pacer(sleep=lambda _: None)).run()
    group = slack.dm_channel_id(target.mentor_user_id, "UE2")
    [intro] = _introductions(slack)
    assert intro["channel"] == group
    assert "Meet your mentoring partner" in intro["text"]
    assert _introduction_delivery(engine).status is DeliveryStatus.SENT
    assert next(p for p in _pairings(engine) if p.id == target.id).conversation_id == group
    assert len(posts(slack, LEAD)) == 1  # the proposals: the lead hears of no failure


def test_an_introduction_that_can_never_land_tells_the_lead(
    bot: SlackToBot,
    slack: SlackDouble,
    engine: Engine,
    deps: Deps,
    cohort: dict[str, Participant],
) -> None:
    bot.command("match Spring cohort", user_id=LEAD)
    _proposals_dm(slack)
    target = next(p for p in _pairings(engine) if p.mentee_user_id == "UE2")
    slack.fail_next("conversations.open", error="user_not_found")
    url = _click(bot, slack, ActionId.MATCH_APPROVE, str(target.id))
    assert "is on its way" in bot.answer_to(url)["text"]
    assert eventually(
        lambda: _introduction_delivery(engine).status is DeliveryStatus.FAILED, timeout=10
    )
    Deliverer(deps, worker="after", pacer=Pacer(sleep=lambda _: None)).run()

    def told() -> list[dict[str, Any]]:
        return [m for m in posts(slack, LEAD) if "couldn't deliver" in m["text"]]

    assert eventually(lambda: len(told()) == 1)
    assert (
        f"I couldn't deliver the introduction of <@{target.mentor_user_id}> and <@UE2>"
        in told()[0]["text"]
    )
    assert slack.messages(slack.dm_channel_id(target.mentor_user_id, "UE2")) == []
    approved = next(p for p in _pairings(engine) if p.id == target.id)
    assert (approved.status, approved.conversation_id) == (PairingStatus.ACTIVE, None)


def test_leave_for_later_and_swap(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, cohort: dict[str, Participant]
) -> None:
    bot.command("match Spring cohort", user_id=LEAD)
    _proposals_dm(slack)
    first, second = _pairings(engine)[:2]
    _click(bot, slack, ActionId.MATCH_LATER, str(first.id))
    slack.wait_for("chat.update")
    assert _pairings(engine)[0].status is PairingStatus.DECLINED

    _click(bot, slack, ActionId.MATCH_SWAP, str(second.id))
    [opened] = slack.wait_for("views.open")
    view = opened.params["view"]
    assert_valid_view(view, surface="modal")
    options = view["blocks"][1]["element"]["options"]
    new_mentor = options[0]["value"]
    response = bot.submit(view, {BlockId.MATCH_SWAP_MENTOR: new_mentor}, user_id=LEAD)
    assert response.status == 200
    swapped = next(p for p in _pairings(engine) if p.id == second.id)
    assert swapped.mentor_id == int(new_mentor)
    assert swapped.status is PairingStatus.PROPOSED
    redrawn = slack.wait_for("chat.update", count=2)[1]
    assert redrawn.params["channel"] == slack.dm_channel_id(LEAD)
    assert_valid_view(redrawn.params, surface="message")


def test_only_a_lead_can_page_through_the_proposals(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, cohort: dict[str, Participant]
) -> None:
    bot.command("match Spring cohort", user_id=LEAD)
    _proposals_dm(slack)
    program_id = cohort["UE1"].program_id
    url = _click(bot, slack, ActionId.MATCH_PAGE, f"{program_id}:0", user_id="U0001")
    refusal = bot.answer_to(url)
    assert "Only workspace admins and the leads of *Spring cohort*" in refusal["text"]
    assert slack.calls_to("chat.update") == []
    _click(bot, slack, ActionId.MATCH_PAGE, f"{program_id}:0")
    [update] = slack.wait_for("chat.update")
    assert "Approve all 4" in json.dumps(update.params)


def test_a_non_lead_cannot_match_and_nothing_changes(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, cohort: dict[str, Participant]
) -> None:
    answer = bot.ask("match Spring cohort", user_id="U0001")
    assert "Only workspace admins and the leads of *Spring cohort*" in answer["text"]
    assert _pairings(engine) == []
    assert slack.calls_to("chat.postMessage") == []


def test_match_needs_a_known_program(bot: SlackToBot, cohort: dict[str, Participant]) -> None:
    assert "Which program?" in bot.ask("match", user_id=LEAD)["text"]
    unknown = bot.ask("match Autumn", user_id=LEAD)["text"]
    assert "There is no program called *Autumn*" in unknown
    assert "*Spring cohort*" in unknown


def test_pair_by_hand_introduces_right_away(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, cohort: dict[str, Participant]
) -> None:
    answer = bot.ask("pair <@UM3|um3> <@UE1|ue1> Spring cohort", user_id=LEAD)
    assert answer["text"] == (
        "Paired <@UM3> with <@UE1>. Their introduction is on its way. " + STARTED
    )
    [intro] = slack.wait_for("chat.postMessage")
    assert intro.params["channel"] == slack.dm_channel_id("UM3", "UE1")
    [pairing] = _pairings(engine)
    assert (pairing.mentor_user_id, pairing.mentee_user_id) == ("UM3", "UE1")
    assert pairing.status is PairingStatus.ACTIVE
    assert eventually(lambda: _pairings(engine)[0].conversation_id == intro.params["channel"])
    again = bot.ask("pair <@UM3|um3> <@UE1|ue1> Spring cohort", user_id=LEAD)
    assert "already paired" in again["text"]
    full = bot.ask("pair <@UM3|um3> <@UE2|ue2> Spring cohort", user_id=LEAD)
    assert "at capacity" in full["text"]
    wrong_role = bot.ask("pair <@UE2|ue2> <@UE3|ue3> Spring cohort", user_id=LEAD)
    assert "hasn't joined *Spring cohort* as a mentor" in wrong_role["text"]
    usage = bot.ask("pair UM3 UE1 Spring cohort", user_id=LEAD)
    assert "Usage: `/mentor pair @mentor @mentee PROGRAM`" in usage["text"]
    assert len(slack.calls_to("chat.postMessage")) == 1


def test_board_shows_mentors_and_refuses_duplicate_roles(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, cohort: dict[str, Participant]
) -> None:
    bot.ask("pair <@UM1|um1> <@UE1|ue1> Spring cohort", user_id=LEAD)
    bot.ask("pair <@UM2|um2> <@UE1|ue1> Spring cohort", user_id=LEAD)
    board = bot.ask("board", user_id="UE1")
    assert_valid_view(board, surface="message")
    assert "<@UM1>" in json.dumps(board)
    assert "<@UM2>" in json.dumps(board)
    program_id = cohort["UE1"].program_id
    bot.action(
        ActionId.BOARD_EDIT, str(program_id), user_id="UE1", trigger_id=slack.new_trigger_id()
    )
    [opened] = slack.wait_for("views.open")
    view = opened.params["view"]
    assert_valid_view(view, surface="modal")
    inputs = [b["block_id"] for b in view["blocks"] if b["type"] == "input"]
    clash = bot.submit(view, dict.fromkeys(inputs, "Challenger"), user_id="UE1").json()
    assert clash["response_action"] == "errors"
    assert clash["errors"] == {
        inputs[1]: "Each mentor needs a distinct role; *Challenger* is given twice."
    }
    assert all(p.board_role is None for p in _pairings(engine))
    ok = bot.submit(
        view, dict(zip(inputs, ["Challenger", "Technical Expert"], strict=True)), user_id="UE1"
    )
    assert ok.status == 200
    assert sorted(p.board_role or "" for p in _pairings(engine)) == [
        "Challenger",
        "Technical Expert",
    ]
    [shown] = [
        c.params
        for c in slack.wait_for("chat.postMessage", count=3)
        if c.params["channel"] == "UE1"
    ]
    assert_valid_view(shown, surface="message")
    assert "*Technical Expert*: <@UM2>" in json.dumps(shown)


def test_a_board_needs_one_program_and_a_mentor(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, cohort: dict[str, Participant]
) -> None:
    assert "no board yet" in bot.ask("board", user_id="UM1")["text"]
    empty = bot.ask("board Spring cohort", user_id="UE1")
    assert "You have no mentors in this program yet" in json.dumps(empty)
    url = slack.new_response_url()
    bot.action(
        ActionId.BOARD_EDIT,
        str(cohort["UE1"].program_id),
        user_id="UE1",
        trigger_id=slack.new_trigger_id(),
        response_url=url,
    )
    assert "You have no mentors to give roles to yet." in bot.answer_to(url)["text"]
    assert slack.calls_to("views.open") == []


def test_someone_else_cannot_edit_a_board(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, cohort: dict[str, Participant]
) -> None:
    bot.ask("pair <@UM1|um1> <@UE1|ue1> Spring cohort", user_id=LEAD)
    program_id = cohort["UE1"].program_id
    pairing_id = _pairings(engine)[0].id
    view = {
        "type": "modal",
        "callback_id": "board_modal",
        "private_metadata": json.dumps({"program_id": program_id}),
        "blocks": [
            {
                "type": "input",
                "block_id": f"{BlockId.BOARD_ROLE_PREFIX}{pairing_id}",
                "label": {"type": "plain_text", "text": "Role"},
                "element": {"type": "plain_text_input", "action_id": "input"},
            }
        ],
    }
    answer = bot.submit(
        view, {f"{BlockId.BOARD_ROLE_PREFIX}{pairing_id}": "Sponsor"}, user_id="UE2"
    )
    assert answer.json()["response_action"] == "errors"
    assert _pairings(engine)[0].board_role is None


def test_group_programs_form_groups_introduced_together(
    bot: SlackToBot, slack: SlackDouble, engine: Engine
) -> None:
    with session_scope(engine) as session:
        program = _program(session, structure=Structure.GROUP)
        _person(session, program, "UM1", Role.MENTOR, {"Leadership": 5})
        for user_id in ("UE1", "UE2"):
            _person(session, program, user_id, Role.MENTEE, {"Leadership": 1, "Python": 2})
        program_id = program.id
    bot.command("match Spring cohort", user_id=LEAD)
    _proposals_dm(slack)
    pairings = _pairings(engine)
    assert len(pairings) == 2
    assert pairings[0].group_key
    assert pairings[0].group_key == pairings[1].group_key
    url = _click(bot, slack, ActionId.MATCH_APPROVE_ALL, str(program_id))
    assert bot.answer_to(url)["text"] == (
        "Approved: the introduction of <@UM1>, <@UE1> and <@UE2> is on its way. " + STARTED
    )
    [opened] = _group_opens(slack)
    assert set(opened.params["users"].split(",")) == {"UM1", "UE1", "UE2"}
    assert eventually(lambda: len(_introductions(slack)) == 1)
    [intro] = _introductions(slack)
    assert "Meet your mentoring group" in intro["text"]
    assert eventually(lambda: {p.conversation_id for p in _pairings(engine)} == {intro["channel"]})


# --- why this match, and reasons that say only what is true --------------------------------------


def _why_modal(bot: SlackToBot, slack: SlackDouble, pairing_id: int | None) -> dict[str, Any]:
    """Click "Why this match?" on a proposal; the modal that opened, checked against Block Kit."""
    before = len(slack.calls_to("views.open"))
    _click(bot, slack, MATCH_WHY, str(pairing_id))
    view: dict[str, Any] = slack.wait_for("views.open", count=before + 1)[before].params["view"]
    assert_valid_view(view, surface="modal")
    return view


def _proposal_text(dm: dict[str, Any], mentor_user_id: str) -> str:
    """The section of the proposals DM that shows one mentor's proposal."""
    [text] = [
        b["text"]["text"]
        for b in dm["blocks"]
        if b["type"] == "section" and b["text"]["text"].startswith(f"*<@{mentor_user_id}>*")
    ]
    return str(text)


def test_a_mentee_with_gaps_the_mentor_offers_at_stated_levels_hears_those_levels(
    bot: SlackToBot, slack: SlackDouble, engine: Engine
) -> None:
    with session_scope(engine) as session:
        program = _program(session)
        _person(
            session,
            program,
            "UM1",
            Role.MENTOR,
            {"Negotiation": 4, "Python": 2},
            interests=("Chess", "sailing"),
            values=("candour",),
        )
        _person(
            session,
            program,
            "UE1",
            Role.MENTEE,
            {"Negotiation": 1, "Python": 3},
            interests=("chess", "jazz", "Sailing"),
            values=("Candour", "craft"),
        )
    bot.command("match Spring cohort", user_id=LEAD)
    text = _proposal_text(_proposals_dm(slack), "UM1")

    assert text.splitlines()[1:] == [
        "• offers Negotiation at 4/5, their biggest gap (self-rated 1/5)",
        "• offers Python at 2/5, a gap (self-rated 3/5)",
        "• shared interests: chess and sailing",
        "• shared value: candour",
        f"• both at work 09:00{DASH}18:00, Mon{DASH}Fri, in the same timezone",
    ]
    [pairing] = _pairings(engine)
    assert pairing.match_reasons == [line.removeprefix("• ") for line in text.splitlines()[1:]]


def test_a_mentor_who_stated_no_level_is_never_given_one(
    bot: SlackToBot, slack: SlackDouble, engine: Engine
) -> None:
    with session_scope(engine) as session:
        program = _program(session)
        # Joined before levels were asked: the stored 5 is a placeholder nobody gave.
        _person(session, program, "UM1", Role.MENTOR, {"Negotiation": 5}, stated=False)
        _person(session, program, "UE1", Role.MENTEE, {"Negotiation": 2, "Python": 3})
    bot.command("match Spring cohort", user_id=LEAD)
    dm = _proposals_dm(slack)
    text = _proposal_text(dm, "UM1")

    assert "• offers Negotiation (level not stated), their biggest gap (self-rated 2/5)" in text
    assert "5/5" not in json.dumps(dm)
    [pairing] = _pairings(engine)
    # Counted as the middle of the scale: 50 x (4 x 3) / (5 x 7) for skills, 25 for the hours.
    assert pairing.match_score == 42.1
    view = _why_modal(bot, slack, pairing.id)
    shown = json.dumps(view, ensure_ascii=False)
    assert "offered with no level stated, so it counts 3 (the middle)" in shown
    assert "5/5" not in shown


def test_why_this_match_shows_the_score_parts_to_a_lead(
    bot: SlackToBot, slack: SlackDouble, engine: Engine
) -> None:
    with session_scope(engine) as session:
        program = _program(session)
        mentor = _person(
            session,
            program,
            "UM1",
            Role.MENTOR,
            {"Negotiation": 4},
            interests=("chess", "<!channel>"),
            values=("craft",),
        )
        mentor.practising = ["giving hard feedback"]
        session.add(mentor)
        _person(
            session,
            program,
            "UE1",
            Role.MENTEE,
            {"Negotiation": 2, "Python": 3},
            interests=("Chess", "<!channel>"),
        )
    slack.add_user("UE1", tz="America/New_York")
    bot.command("match Spring cohort", user_id=LEAD)
    dm = _proposals_dm(slack)
    [pairing] = _pairings(engine)
    why = [
        e
        for b in dm["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == MATCH_WHY
    ]
    assert [(e["text"]["text"], e["value"]) for e in why] == [("Why this match?", str(pairing.id))]
    assert "&lt;!channel&gt;" in _proposal_text(dm, "UM1")  # their words can't ping anyone

    view = _why_modal(bot, slack, pairing.id)

    assert view["title"]["text"] == "Why this match?"
    assert "submit" not in view
    sections = [b["text"]["text"] for b in view["blocks"] if b["type"] == "section"]
    assert sections[0] == f"*<@UM1> and <@UE1>* · fit *{pairing.match_score:.1f}* of 100"
    heads = [text.splitlines()[0] for text in sections[1:]]
    assert heads == [
        "*Skills* · weight 50% · 0.46 of 1 \N{RIGHTWARDS ARROW} *22.9* points",
        "*Shared interests* · weight 15% · 1.00 of 1 \N{RIGHTWARDS ARROW} *15.0* points",
        "*Shared values* · weight 10% · 0.00 of 1 \N{RIGHTWARDS ARROW} *0.0* points",
        "*Time overlap* · weight 25% · 1.00 of 1 \N{RIGHTWARDS ARROW} *25.0* points",
    ]
    shown = json.dumps(view, ensure_ascii=False)
    assert "Negotiation: self-rated 2/5, a need of 4; offered at level 4/5" in shown
    assert "Python: self-rated 3/5, a need of 3; not offered, so it counts 0" in shown
    assert "shared: &lt;!channel&gt; and chess" in shown
    assert "the mentee lists 2 interests, the mentor 2 interests" in shown
    assert "The mentor wants to practise giving hard feedback (not part of the fit)." in shown
    assert "<!channel>" not in shown


def test_why_this_match_is_for_leads_only_and_follows_profile_changes(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, cohort: dict[str, Participant]
) -> None:
    bot.command("match Spring cohort", user_id=LEAD)
    _proposals_dm(slack)
    target = next(p for p in _pairings(engine) if p.mentee_user_id == "UE2")

    url = _click(bot, slack, MATCH_WHY, str(target.id), user_id="U0001")
    refusal = bot.answer_to(url)
    assert "Only workspace admins and the leads of *Spring cohort*" in refusal["text"]
    assert slack.calls_to("views.open") == []

    with session_scope(engine) as session:
        mentor = session.get(Participant, cohort["UM2"].id)
        assert mentor is not None
        mentor.skills = [{"skill": "Python", "score": 2, "stated": True}]
        session.add(mentor)
    view = _why_modal(bot, slack, target.id)
    shown = json.dumps(view, ensure_ascii=False)
    assert "Python: self-rated 1/5, a need of 5; offered at level 2/5" in shown
    assert f"Proposed at fit {target.match_score:.1f}; a profile has changed since" in shown

    _click(bot, slack, ActionId.MATCH_LATER, str(target.id))
    slack.wait_for("chat.update")
    url = _click(bot, slack, MATCH_WHY, str(target.id))
    assert "already decided, or replaced" in bot.answer_to(url)["text"]
    assert len(slack.calls_to("views.open")) == 1


def test_why_this_match_explains_each_member_of_a_group(
    bot: SlackToBot, slack: SlackDouble, engine: Engine
) -> None:
    with session_scope(engine) as session:
        program = _program(session, structure=Structure.GROUP)
        _person(session, program, "UM1", Role.MENTOR, {"Leadership": 5})
        for user_id in ("UE1", "UE2"):
            _person(session, program, user_id, Role.MENTEE, {"Leadership": 1, "Python": 2})
    bot.command("match Spring cohort", user_id=LEAD)
    _proposals_dm(slack)
    first = _pairings(engine)[0]

    view = _why_modal(bot, slack, first.id)

    pairs = [
        b["text"]["text"].split(" · ")[0]
        for b in view["blocks"]
        if b["type"] == "section" and b["text"]["text"].startswith("*<@UM1> and")
    ]
    assert pairs == ["*<@UM1> and <@UE1>*", "*<@UM1> and <@UE2>*"]
    assert "at capacity" not in json.dumps(view)  # groups ignore capacity, as matching does


# --- starting is offered at approval -------------------------------------------------------------


def _status(engine: Engine) -> ProgramStatus:
    with session_scope(engine) as session:
        return session.exec(select(Program)).one().status


def test_approving_starts_a_program_whose_start_date_has_come(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, cohort: dict[str, Participant]
) -> None:
    assert _status(engine) is ProgramStatus.ENROLLING
    bot.command("match Spring cohort", user_id=LEAD)
    _proposals_dm(slack)
    first, second = _pairings(engine)[:2]

    url = _click(bot, slack, ActionId.MATCH_APPROVE, str(first.id))

    assert bot.answer_to(url)["text"].endswith(" is on its way. " + STARTED)
    assert _status(engine) is ProgramStatus.ACTIVE
    # Once it runs, the next approval has nothing to say about starting.
    slack.wait_for("chat.update")
    url = _click(bot, slack, ActionId.MATCH_APPROVE, str(second.id))
    assert bot.answer_to(url)["text"].endswith(" is on its way.")
    assert _status(engine) is ProgramStatus.ACTIVE


def test_approving_leaves_a_program_whose_start_date_is_ahead_to_start_by_itself(
    bot: SlackToBot, slack: SlackDouble, engine: Engine
) -> None:
    with session_scope(engine) as session:
        program = _program(session, start_date=date(2026, 4, 1))
        _person(session, program, "UM1", Role.MENTOR, {"Python": 5})
        _person(session, program, "UE1", Role.MENTEE, {"Python": 1, "Negotiation": 2})
    bot.command("match Spring cohort", user_id=LEAD)
    _proposals_dm(slack)
    [proposal] = _pairings(engine)

    url = _click(bot, slack, ActionId.MATCH_APPROVE, str(proposal.id))

    assert bot.answer_to(url)["text"] == (
        "Approved: the introduction of <@UM1> and <@UE1> is on its way. *Spring cohort* starts "
        "by itself on its start date, Wednesday 1 April; prompts and check-ins begin then. "
        "To start it sooner: `/mentor program start Spring cohort`."
    )
    assert _status(engine) is ProgramStatus.ENROLLING
    assert _pairings(engine)[0].status is PairingStatus.ACTIVE


def test_a_program_starts_on_its_start_date_in_its_own_timezone(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, clock: FrozenClock
) -> None:
    with session_scope(engine) as session:
        program = _program(session, start_date=date(2026, 3, 3))
        program.timezone = "Asia/Tokyo"  # 3 March begins there at 15:00 UTC on 2 March
        _person(session, program, "UM1", Role.MENTOR, {"Python": 5}, capacity=2)
        for mentee in ("UE1", "UE2"):
            _person(session, program, mentee, Role.MENTEE, {"Python": 1, "Negotiation": 2})

    clock.current = clock.current.replace(hour=14, minute=30)
    early = bot.ask("pair <@UM1|um1> <@UE1|ue1> Spring cohort", user_id=LEAD)
    assert "*Spring cohort* starts by itself on its start date, Tuesday 3 March" in early["text"]
    assert _status(engine) is ProgramStatus.ENROLLING

    clock.current = clock.current.replace(hour=15, minute=30)
    answer = bot.ask("pair <@UM1|um1> <@UE2|ue2> Spring cohort", user_id=LEAD)
    assert "*Spring cohort* has started: it was due to start on Tuesday 3 March" in answer["text"]
    assert _status(engine) is ProgramStatus.ACTIVE
