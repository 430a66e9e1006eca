"""Enrolment end to end: joining, profiles, pausing, resuming and leaving, through signed Slack
requests against the Slack double."""

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.deps import Deps
from bot.ids import ActionId, BlockId, CallbackId
from bot.sandbox.slack_double import SlackDouble
from bot.services.enrolment import JOIN_PRACTISING, JOIN_QUIET, OFFER_BLOCKS
from scheduler.delivery import Deliverer, Pacer
from scheduler.jobs import resume_paused_participants
from storage.enums import (
    Cadence,
    DeliveryStatus,
    PairingStatus,
    ParticipantStatus,
    ProgramStatus,
    Role,
    Visibility,
)
from storage.models import (
    Delivery,
    Feedback,
    Invitation,
    InvitationStatus,
    Pairing,
    PairNote,
    Participant,
    Program,
)
from tests.blockkit import assert_valid_view
from tests.conftest import FrozenClock
from tests.forms import Answer
from tests.harness import Response, SlackToBot, eventually

TEAM = "T0001"
OTHER_TEAM = "T0002"
SKILLS = ["Negotiation", "Public speaking", "Stakeholder management", "System design", "Hiring"]

MENTEE: dict[str, Answer] = {
    BlockId.JOIN_SITUATION: "I lead a team of five and my stakeholder updates keep going sideways.",
    BlockId.JOIN_AIM: "Run the quarterly review with the directors on my own.",
    BlockId.JOIN_SKILL_1: "Negotiation",
    BlockId.JOIN_SCORE_1: "2",
    BlockId.JOIN_SKILL_2: "Public speaking",
    BlockId.JOIN_SCORE_2: "3",
    BlockId.JOIN_INTERESTS: "climbing, jazz, Climbing",
    BlockId.JOIN_VALUES: "candour, curiosity",
    BlockId.JOIN_WORK_START: time(8, 0),
    BlockId.JOIN_WORK_END: time(16, 30),
    BlockId.JOIN_CADENCE: "weekly",
}
(OFFER_1, LEVEL_1), (OFFER_2, LEVEL_2), (OFFER_3, LEVEL_3) = OFFER_BLOCKS[:3]
MENTOR: dict[str, Answer] = {
    BlockId.JOIN_SITUATION: "Engineering director; I have run reviews with the board for years.",
    BlockId.JOIN_AIM: "Get better at coaching instead of telling.",
    OFFER_1: "Negotiation",
    LEVEL_1: "5",
    OFFER_2: "Hiring",
    LEVEL_2: "3",
    JOIN_PRACTISING: "coaching, giving hard feedback, Coaching",
    BlockId.JOIN_CAPACITY: "3",
    BlockId.JOIN_CADENCE: "biweekly",
}


@dataclass(frozen=True)
class Programs:
    """Ids of the programs every test starts with."""

    spring: int
    draft: int
    secret: int
    elsewhere: int


@pytest.fixture
def programs(engine: Engine) -> Programs:
    """An open program, a draft, an invitation-only one, and one in another workspace."""

    def program(name: str, **overrides: Any) -> Program:
        values: dict[str, Any] = {
            "team_id": TEAM,
            "name": name,
            "status": ProgramStatus.ENROLLING,
            "competencies": SKILLS,
            "places": 6,
            "start_date": date(2026, 4, 1),
            "company_goal": "Grow our next engineering leads",
            "created_by": "UADMIN",
        }
        values.update(overrides)
        return Program.model_validate(values)

    rows = [
        program("Spring cohort"),
        program("Autumn draft", status=ProgramStatus.DRAFT),
        program("Secret circle", visibility=Visibility.INVITATION),
        program("Elsewhere", team_id=OTHER_TEAM),
    ]
    with Session(engine) as session:
        session.add_all(rows)
        session.commit()
        return Programs(*(int(row.id or 0) for row in rows))


# --- helpers ------------------------------------------------------------------------------------


def blocks_text(message: dict[str, Any]) -> str:
    """Everything a person reads in a message or view, as one string."""
    return json.dumps(message.get("blocks", []), ensure_ascii=False) + str(message.get("text", ""))


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    """Every button in a message, wherever it sits."""
    found = []
    for block in message.get("blocks", []):
        found += [e for e in block.get("elements", []) if e.get("type") == "button"]
        if block.get("accessory", {}).get("type") == "button":
            found.append(block["accessory"])
    return found


def opened_modal(slack: SlackDouble, before: int) -> dict[str, Any]:
    """The modal the bot opened after ``before`` earlier ones, checked against Block Kit."""
    view: dict[str, Any] = slack.wait_for("views.open", count=before + 1)[before].params["view"]
    assert_valid_view(view, surface="modal")
    return view


def click_join(
    bot: SlackToBot, slack: SlackDouble, program_id: int, role: str, **fields: Any
) -> dict[str, Any]:
    """Click "Join as <role>" and return the modal that opened."""
    before = len(slack.calls_to("views.open"))
    trigger = slack.new_trigger_id()
    response = bot.action(f"join:{role}", f"{program_id}:{role}", trigger_id=trigger, **fields)
    assert response.status == 200
    return opened_modal(slack, before)


def command_modal(bot: SlackToBot, slack: SlackDouble, text: str, **fields: Any) -> dict[str, Any]:
    """Type ``/mentor <text>`` and return the modal that opened."""
    before = len(slack.calls_to("views.open"))
    response = bot.command(text, **fields)
    assert (response.status, response.body) == (200, "")
    return opened_modal(slack, before)


def private_answer(bot: SlackToBot, text: str, **fields: Any) -> dict[str, Any]:
    """The private answer to ``/mentor <text>``, checked against Block Kit."""
    answer = bot.ask(text, **fields)
    assert answer.get("response_type", "ephemeral") == "ephemeral"
    assert_valid_view({k: answer[k] for k in ("text", "blocks")}, surface="message")
    return answer


def problem(bot: SlackToBot, text: str, **fields: Any) -> str:
    """The text of the private answer to ``/mentor <text>``."""
    return blocks_text(private_answer(bot, text, **fields))


def click_answer(
    bot: SlackToBot, slack: SlackDouble, action_id: str, value: str, **fields: Any
) -> str:
    """Click a button in a message; the text of what the bot answered the clicker privately."""
    url = slack.new_response_url()
    assert bot.action(action_id, value, response_url=url, **fields).status == 200
    answer = bot.answer_to(url)
    assert answer["replace_original"] is False
    assert_valid_view({k: answer[k] for k in ("text", "blocks")}, surface="message")
    return blocks_text(answer)


def dms(slack: SlackDouble, user_id: str, count: int = 1) -> list[dict[str, Any]]:
    """The messages the bot posted to a person's DM (at least ``count``), each checked."""

    # Everything goes through the outbox, which posts into the person's resolved DM channel.
    channel = slack.dm_channel_id(user_id)

    def posted() -> list[dict[str, Any]]:
        calls = slack.calls_to("chat.postMessage")
        return [c.params for c in calls if c.params.get("channel") == channel]

    assert eventually(lambda: len(posted()) >= count), f"{user_id} got {len(posted())} DMs"
    messages = posted()
    for message in messages:
        assert_valid_view(message, surface="message")
    return messages


def field_errors(response: Response) -> dict[str, str]:
    """The inline errors a view submission was answered with."""
    assert response.status == 200
    answer = response.json()
    assert answer["response_action"] == "errors"
    errors: dict[str, str] = answer["errors"]
    return errors


def stored(engine: Engine) -> list[Participant]:
    """Every participant, oldest first."""
    with Session(engine) as session:
        return list(session.exec(select(Participant).order_by(col(Participant.id))))


def participant(engine: Engine, user_id: str, role: Role = Role.MENTEE) -> Participant:
    """One person's enrolment."""
    [found] = [p for p in stored(engine) if p.user_id == user_id and p.role == role]
    return found


def pairing(engine: Engine, pairing_id: int) -> Pairing:
    """A pairing as stored now."""
    with Session(engine) as session:
        found = session.get(Pairing, pairing_id)
        assert found is not None
        return found


def enrol_directly(
    engine: Engine, program_id: int, user_id: str, role: Role, tz: str
) -> Participant:
    """An enrolment written straight into the database."""
    row = Participant(
        team_id=TEAM,
        program_id=program_id,
        user_id=user_id,
        role=role,
        timezone=tz,
        situation="Somewhere along the way, learning as I go.",
        aim="Further along.",
        skills=[{"skill": "Negotiation", "score": 2}],
    )
    with Session(engine, expire_on_commit=False) as session:
        session.add(row)
        session.commit()
    return row


def pair_directly(
    engine: Engine,
    mentor: Participant,
    mentee: Participant,
    status: PairingStatus = PairingStatus.ACTIVE,
) -> int:
    """A pairing written straight into the database."""
    row = Pairing(
        team_id=TEAM,
        program_id=mentor.program_id,
        mentor_id=mentor.id or 0,
        mentee_id=mentee.id or 0,
        mentor_user_id=mentor.user_id,
        mentee_user_id=mentee.user_id,
        status=status,
    )
    with Session(engine) as session:
        session.add(row)
        session.commit()
        return int(row.id or 0)


def delivery_states(engine: Engine) -> list[tuple[DeliveryStatus, int]]:
    """Each outbox row's status and attempts, oldest first (the sender's notices left out)."""
    with Session(engine) as session:
        rows = session.exec(
            select(Delivery).where(Delivery.rule != "undelivered").order_by(col(Delivery.id))
        ).all()
        return [(row.status, row.attempts) for row in rows]


def deliver_due(deps: Deps) -> None:
    """The scheduler's next delivery pass."""
    Deliverer(deps, worker="test", pacer=Pacer(sleep=lambda _: None)).run()


@pytest.fixture
def alice_and_bob(engine: Engine, programs: Programs) -> tuple[Participant, Participant, int]:
    """Alice (mentee, Berlin) and Bob (mentor, New York), paired in Spring cohort."""
    alice = enrol_directly(engine, programs.spring, "U0001", Role.MENTEE, "Europe/Berlin")
    bob = enrol_directly(engine, programs.spring, "U0002", Role.MENTOR, "America/New_York")
    return alice, bob, pair_directly(engine, bob, alice)


# --- joining ------------------------------------------------------------------------------------


def test_join_lists_open_programs_with_join_buttons(bot: SlackToBot, programs: Programs) -> None:
    text = problem(bot, "join")
    assert "Spring cohort" in text
    assert "6 of 6 mentee places left" in text
    assert "Autumn draft" not in text  # a draft
    assert "Secret circle" not in text  # by invitation: reached through the lead's announcement
    assert "Elsewhere" not in text  # another workspace
    picker = private_answer(bot, "join")
    values = {b["action_id"]: b["value"] for b in buttons(picker)}
    assert values == {
        "join:mentee": f"{programs.spring}:mentee",
        "join:mentor": f"{programs.spring}:mentor",
    }


def test_mentee_joins_from_the_picker(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, programs: Programs
) -> None:
    picker = private_answer(bot, "join")
    mentee_button = next(b for b in buttons(picker) if b["value"].endswith(":mentee"))
    before = len(slack.calls_to("views.open"))
    bot.action(mentee_button["action_id"], mentee_button["value"], trigger_id="1.2.3")
    view = opened_modal(slack, before)
    assert view["callback_id"] == CallbackId.JOIN
    assert view["title"]["text"] == "Join Spring cohort"
    skill_rows = [b for b in view["blocks"] if b.get("block_id", "").startswith("join_skill_")]
    assert len(skill_rows) == 3  # 2 or 3 gaps: there is no fourth row to fill
    third = skill_rows[2]
    # Optional, and labelled once: Slack adds "(optional)" to the label itself.
    assert (third["label"]["text"], third.get("optional")) == ("Skill to grow #3", True)

    response = bot.submit(view, MENTEE)

    assert (response.status, response.body) == (200, "")
    [alice] = stored(engine)
    assert (alice.user_id, alice.role, alice.status) == ("U0001", Role.MENTEE, "active")
    assert alice.skills == [
        {"skill": "Negotiation", "score": 2},
        {"skill": "Public speaking", "score": 3},
    ]
    assert alice.interests == ["climbing", "jazz"]
    assert alice.values == ["candour", "curiosity"]
    assert (alice.work_days, alice.work_start, alice.work_end) == ("12345", time(8), time(16, 30))
    assert alice.preferred_cadence == Cadence.WEEKLY
    assert alice.timezone == "Europe/Berlin"  # from users.info
    assert [c.params["user"] for c in slack.calls_to("users.info")] == ["U0001"]
    [confirmation] = dms(slack, "U0001")
    text = blocks_text(confirmation)
    assert "You're in" in text
    assert "group DM" in text
    assert "Negotiation (2/5)" in text


def test_mentor_joins_with_capacity_and_a_level_for_each_offered_skill(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, programs: Programs
) -> None:
    view = command_modal(bot, slack, "join Spring cohort as mentor", user_id="U0002")
    rows = [b["block_id"] for b in view["blocks"] if b.get("block_id", "").startswith("join_offer")]
    assert rows == [block for pair in OFFER_BLOCKS[:5] for block in pair]  # five rows to fill
    by_block = {b.get("block_id"): b for b in view["blocks"]}
    assert "optional" not in by_block[LEVEL_1]  # the first skill and its level are required
    assert by_block[LEVEL_2]["optional"] is True
    response = bot.submit(view, MENTOR, user_id="U0002")
    assert (response.status, response.body) == (200, "")
    bob = participant(engine, "U0002", Role.MENTOR)
    assert bob.capacity == 3
    assert bob.skills == [
        {"skill": "Negotiation", "score": 5, "stated": True},
        {"skill": "Hiring", "score": 3, "stated": True},
    ]
    assert bob.practising == ["coaching", "giving hard feedback"]
    assert bob.preferred_cadence == Cadence.BIWEEKLY
    assert bob.timezone == "America/New_York"
    text = blocks_text(dms(slack, "U0002")[0])
    assert "3 mentees" in text
    assert "Negotiation (5/5), Hiring (3/5)" in text
    assert "*Want to practise*\\ncoaching, giving hard feedback" in text


def test_ten_people_join_and_the_full_program_refuses_the_next_mentee(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, programs: Programs
) -> None:
    zones = ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "Europe/London", "UTC"]
    people = [f"U01{n:02d}" for n in range(11)]
    for n, user in enumerate(people):
        slack.add_user(user, tz=zones[n % len(zones)])
    # The eleventh person opens the form while places are left, and submits once they are gone.
    late_view = click_join(bot, slack, programs.spring, "mentee", user_id=people[10])

    for user in people[:6]:
        view = click_join(bot, slack, programs.spring, "mentee", user_id=user)
        assert bot.submit(view, MENTEE, user_id=user).body == ""
    for user in people[6:10]:
        view = click_join(bot, slack, programs.spring, "mentor", user_id=user)
        assert bot.submit(view, MENTOR, user_id=user).body == ""

    joined = stored(engine)
    assert len(joined) == 10
    assert sorted(p.role.value for p in joined) == ["mentee"] * 6 + ["mentor"] * 4
    assert {p.timezone for p in joined} == set(zones)
    for user in people[:10]:
        dms(slack, user)

    errors = field_errors(bot.submit(late_view, MENTEE, user_id=people[10]))
    assert (
        "Spring cohort is full (6 of 6 mentee places are taken)" in errors[BlockId.JOIN_SITUATION]
    )
    assert len(stored(engine)) == 10
    picker = private_answer(bot, "join", user_id=people[10])
    assert [b["value"] for b in buttons(picker)] == [f"{programs.spring}:mentor"]
    assert "all 6 mentee places are taken" in blocks_text(picker)
    before = len(slack.calls_to("views.open"))
    refusal = click_answer(
        bot, slack, "join:mentee", f"{programs.spring}:mentee", user_id=people[10]
    )
    assert "is full" in refusal
    assert len(slack.calls_to("views.open")) == before


@pytest.mark.parametrize(
    ("role", "answers", "block", "message"),
    [
        (
            "mentee",
            {BlockId.JOIN_SKILL_2: None, BlockId.JOIN_SCORE_2: None},
            BlockId.JOIN_SKILL_2,
            "Pick 2 or 3 skills you want to grow.",
        ),
        (
            "mentee",
            {BlockId.JOIN_SKILL_2: "Negotiation"},
            BlockId.JOIN_SKILL_2,
            "You picked Negotiation twice.",
        ),
        (
            "mentee",
            {BlockId.JOIN_SKILL_3: "Hiring"},
            BlockId.JOIN_SCORE_3,
            "Score this skill from 1 (just starting) to 5 (strong).",
        ),
        (
            "mentee",
            {BlockId.JOIN_WORK_START: time(18, 0), BlockId.JOIN_WORK_END: time(9, 0)},
            BlockId.JOIN_WORK_START,
            "Start must be before end.",
        ),
        (
            "mentee",
            {BlockId.JOIN_SITUATION: "Team lead."},
            BlockId.JOIN_SITUATION,
            "Tell your mentor a little more (at least 20 characters).",
        ),
        (
            "mentee",
            {BlockId.JOIN_INTERESTS: ", ".join(f"topic {n}" for n in range(12))},
            BlockId.JOIN_INTERESTS,
            "List at most 10 interests (you gave 12).",
        ),
        ("mentee", {BlockId.JOIN_DAYS: []}, BlockId.JOIN_DAYS, "Pick at least one day you work."),
        (
            "mentor",
            {BlockId.JOIN_CAPACITY: "0"},
            BlockId.JOIN_CAPACITY,
            "Take between 1 and 10 mentees (a whole number).",
        ),
        (
            "mentor",
            {OFFER_1: None, LEVEL_1: None, OFFER_2: None, LEVEL_2: None},
            OFFER_1,
            "Pick at least one skill you can help with.",
        ),
        (
            "mentor",
            {LEVEL_2: None},
            LEVEL_2,
            "Say the level you can help at, from 1 (the basics) to 5 (expert).",
        ),
        (
            "mentor",
            {OFFER_3: "Hiring", LEVEL_3: "4"},
            OFFER_3,
            "You picked Hiring twice.",
        ),
        (
            "mentor",
            {JOIN_PRACTISING: ", ".join(f"skill {n}" for n in range(11))},
            JOIN_PRACTISING,
            "List at most 10 things to practise (you gave 11).",
        ),
    ],
)
def test_each_bad_answer_is_shown_under_its_field_and_nothing_is_stored(
    bot: SlackToBot,
    slack: SlackDouble,
    engine: Engine,
    programs: Programs,
    role: str,
    answers: dict[str, Answer],
    block: str,
    message: str,
) -> None:
    view = click_join(bot, slack, programs.spring, role)
    base = MENTEE if role == "mentee" else MENTOR
    errors = field_errors(bot.submit(view, {**base, **answers}))
    assert errors == {block: message}
    assert stored(engine) == []
    assert slack.calls_to("chat.postMessage") == []


def test_every_bad_answer_is_reported_at_once(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, programs: Programs
) -> None:
    view = click_join(bot, slack, programs.spring, "mentee")
    bad = {
        **MENTEE,
        BlockId.JOIN_SITUATION: "Short.",
        BlockId.JOIN_SKILL_2: None,
        BlockId.JOIN_WORK_START: time(19, 0),
    }
    errors = field_errors(bot.submit(view, bad))
    assert set(errors) == {BlockId.JOIN_SITUATION, BlockId.JOIN_SKILL_2, BlockId.JOIN_WORK_START}
    assert stored(engine) == []


def test_joining_again_updates_the_profile_and_profile_opens_it_prefilled(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, programs: Programs
) -> None:
    bot.submit(click_join(bot, slack, programs.spring, "mentee"), MENTEE)
    dms(slack, "U0001")

    view = command_modal(bot, slack, "profile")
    assert view["title"]["text"] == "Your profile"
    by_block = {b.get("block_id"): b for b in view["blocks"]}
    assert (
        by_block[BlockId.JOIN_SITUATION]["element"]["initial_value"]
        == MENTEE[BlockId.JOIN_SITUATION]
    )
    assert by_block[BlockId.JOIN_SKILL_2]["element"]["initial_option"]["value"] == "Public speaking"
    assert by_block[BlockId.JOIN_SCORE_1]["element"]["initial_option"]["value"] == "2"
    assert by_block[BlockId.JOIN_INTERESTS]["element"]["initial_value"] == "climbing, jazz"
    assert by_block[BlockId.JOIN_WORK_END]["element"]["initial_time"] == "16:30"
    assert by_block[BlockId.JOIN_CADENCE]["element"]["initial_option"]["value"] == "weekly"

    # Submitting the prefilled form with one change keeps everything else.
    response = bot.submit(view, {BlockId.JOIN_INTERESTS: "chess", BlockId.JOIN_SCORE_1: "3"})
    assert (response.status, response.body) == (200, "")
    [alice] = stored(engine)
    assert alice.interests == ["chess"]
    assert alice.skills[0] == {"skill": "Negotiation", "score": 3}
    assert alice.aim == MENTEE[BlockId.JOIN_AIM]
    assert "profile for *Spring cohort* is saved" in blocks_text(dms(slack, "U0001", 2)[1])

    # The Join button of someone already enrolled opens the same profile, not a second sign-up.
    again = click_join(bot, slack, programs.spring, "mentee")
    assert again["title"]["text"] == "Your profile"
    bot.submit(again, {BlockId.JOIN_VALUES: "craft"})
    assert [p.values for p in stored(engine)] == [["craft"]]


def test_a_mentor_without_stated_levels_states_them_in_their_profile(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, programs: Programs
) -> None:
    # Joined before levels were asked: the stored 5s are a placeholder nobody gave.
    old = enrol_directly(engine, programs.spring, "U0002", Role.MENTOR, "America/New_York")
    with Session(engine) as session:
        row = session.get(Participant, old.id)
        assert row is not None
        row.skills = [{"skill": "Negotiation", "score": 5}, {"skill": "Hiring", "score": 5}]
        row.capacity = 2
        session.add(row)
        session.commit()

    view = command_modal(bot, slack, "profile", user_id="U0002")
    by_block = {b.get("block_id"): b for b in view["blocks"]}
    assert by_block[OFFER_1]["element"]["initial_option"]["value"] == "Negotiation"
    assert by_block[OFFER_2]["element"]["initial_option"]["value"] == "Hiring"
    assert "initial_option" not in by_block[LEVEL_1]["element"]  # no level is made up
    assert "initial_option" not in by_block[LEVEL_2]["element"]

    errors = field_errors(bot.submit(view, {LEVEL_1: "4"}, user_id="U0002"))
    assert errors == {LEVEL_2: "Say the level you can help at, from 1 (the basics) to 5 (expert)."}
    assert participant(engine, "U0002", Role.MENTOR).skills[0] == {
        "skill": "Negotiation",
        "score": 5,
    }

    answers = {LEVEL_1: "4", LEVEL_2: "2", JOIN_PRACTISING: "listening"}
    assert bot.submit(view, answers, user_id="U0002").body == ""
    bob = participant(engine, "U0002", Role.MENTOR)
    assert bob.skills == [
        {"skill": "Negotiation", "score": 4, "stated": True},
        {"skill": "Hiring", "score": 2, "stated": True},
    ]
    assert bob.practising == ["listening"]
    assert "Negotiation (4/5), Hiring (2/5)" in blocks_text(dms(slack, "U0002")[0])

    again = command_modal(bot, slack, "profile", user_id="U0002")
    by_block = {b.get("block_id"): b for b in again["blocks"]}
    assert by_block[LEVEL_2]["element"]["initial_option"]["value"] == "2"
    assert by_block[JOIN_PRACTISING]["element"]["initial_value"] == "listening"


def test_quieter_mode_is_chosen_in_the_profile_and_the_summary_says_which(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, programs: Programs
) -> None:
    view = click_join(bot, slack, programs.spring, "mentee")
    quiet = next(b for b in view["blocks"] if b.get("block_id") == JOIN_QUIET)
    assert quiet["optional"] is True
    assert [o["text"]["text"] for o in quiet["element"]["options"]] == [
        "Only prompts that need an answer"
    ]
    assert "initial_options" not in quiet["element"]  # everyone starts with every prompt

    assert bot.submit(view, {**MENTEE, JOIN_QUIET: ["quiet"]}).body == ""
    assert participant(engine, "U0001").quiet is True
    text = blocks_text(dms(slack, "U0001")[0])
    assert "*Prompts*\\nQuieter mode: only those that need an answer" in text

    profile = command_modal(bot, slack, "profile")
    box = next(b for b in profile["blocks"] if b.get("block_id") == JOIN_QUIET)
    assert [o["value"] for o in box["element"]["initial_options"]] == ["quiet"]
    assert bot.submit(profile, {JOIN_QUIET: []}).body == ""
    assert participant(engine, "U0001").quiet is False
    assert "*Prompts*\\nAll of them, reminders included" in blocks_text(dms(slack, "U0001", 2)[1])


def test_invitation_only_programs_admit_the_invited_only(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, programs: Programs
) -> None:
    refusal = "*Secret circle* is by invitation only, and you haven't been invited."
    assert refusal in problem(bot, "join Secret circle as mentee")
    assert "ask its lead <@UADMIN>" in problem(bot, "join secret CIRCLE")
    url = slack.new_response_url()
    assert bot.action(ActionId.JOIN, f"{programs.secret}:mentor", response_url=url).status == 200
    assert refusal in blocks_text(bot.answer_to(url))
    assert slack.calls_to("views.open") == []
    assert stored(engine) == []

    with Session(engine) as session:
        session.add(
            Invitation(team_id=TEAM, program_id=programs.secret, user_id="U0001", invited_by="U9")
        )
        session.commit()
    view = command_modal(bot, slack, "join Secret circle as mentee")
    assert json.loads(view["private_metadata"]) == {"program_id": programs.secret, "role": "mentee"}
    assert "by invitation" in problem(bot, "join")  # the picker lists it for the invited
    # The lead's announcement in a channel: one button per section, action_id "join".
    announced = click_join_bare(bot, slack, f"{programs.secret}:mentor")
    assert announced["title"]["text"] == "Join Secret circle"
    assert any(b.get("block_id") == BlockId.JOIN_CAPACITY for b in announced["blocks"])
    assert bot.submit(view, MENTEE).body == ""
    assert [(p.user_id, p.program_id) for p in stored(engine)] == [("U0001", programs.secret)]
    with Session(engine) as session:
        assert session.exec(select(Invitation.status)).one() is InvitationStatus.JOINED


def click_join_bare(bot: SlackToBot, slack: SlackDouble, value: str) -> dict[str, Any]:
    """Click a Join button whose action_id is plain ``join`` and return the modal."""
    before = len(slack.calls_to("views.open"))
    assert bot.action(ActionId.JOIN, value, trigger_id=slack.new_trigger_id()).status == 200
    return opened_modal(slack, before)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("join Autumn draft as mentee", "isn't open for enrolment yet"),
        ("join Spring cohort as boss", "Join as a *mentor* or a *mentee*"),
        ("join Nowhere as mentee", "There is no program called *Nowhere*"),
        ("profile", "You're not in any program"),
        ("pause", "You're not in any program"),
        ("resume", "You're not paused in any program"),
        ("leave Spring cohort", "You're not in *Spring cohort*"),
    ],
)
def test_bad_commands_get_a_private_answer_and_change_nothing(
    bot: SlackToBot,
    slack: SlackDouble,
    engine: Engine,
    programs: Programs,
    text: str,
    expected: str,
) -> None:
    answer = problem(bot, text)
    assert ":warning:" in answer
    assert expected in answer
    assert slack.calls_to("views.open") == []
    assert slack.calls_to("chat.postMessage") == []
    assert stored(engine) == []


def test_no_open_program_says_how_a_lead_opens_one(bot: SlackToBot, engine: Engine) -> None:
    with Session(engine) as session:
        session.add(
            Program(team_id=TEAM, name="Draft", start_date=date(2026, 4, 1), created_by="U9")
        )
        session.commit()
    text = problem(bot, "join")
    assert "No program is open to join right now" in text
    assert "/mentor program open" in text


def test_another_workspace_cannot_see_or_join_the_program(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, programs: Programs
) -> None:
    # The bot's token belongs to one workspace: requests from any other are refused at the edge.
    theirs = bot.ask("join", team_id=OTHER_TEAM)
    assert "isn't installed in your workspace" in theirs["text"]
    assert "Spring cohort" not in json.dumps(theirs)
    url = slack.new_response_url()
    response = bot.action(
        "join:mentee", f"{programs.spring}:mentee", team_id=OTHER_TEAM, response_url=url
    )
    assert response.status == 200
    assert slack.calls_to("views.open") == []

    # A form opened in our workspace, replayed from theirs.
    view = click_join(bot, slack, programs.spring, "mentee")
    assert bot.submit(view, MENTEE, team_id=OTHER_TEAM).status == 200
    assert stored(engine) == []
    assert slack.calls_to("chat.postMessage") == []


def test_a_failed_confirmation_dm_keeps_the_enrolment(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, programs: Programs
) -> None:
    view = click_join(bot, slack, programs.spring, "mentee")
    slack.fail_next("chat.postMessage", error="cannot_dm_bot")
    assert bot.submit(view, MENTEE).body == ""
    slack.wait_for("chat.postMessage")
    assert [p.user_id for p in stored(engine)] == ["U0001"]


# --- pausing ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("until", "message"),
    [
        (date(2026, 3, 1), "Pick a day after today"),
        (date(2026, 3, 2), "Pick a day after today"),
        (date(2026, 9, 3), "Pause for 6 months at most"),
        (None, "Pick the day you'll be back."),
    ],
)
def test_a_pause_date_must_be_after_today_and_within_six_months(
    bot: SlackToBot,
    slack: SlackDouble,
    engine: Engine,
    alice_and_bob: tuple[Participant, Participant, int],
    until: date | None,
    message: str,
) -> None:
    view = command_modal(bot, slack, "pause")
    assert view["callback_id"] == CallbackId.PAUSE
    errors = field_errors(bot.submit(view, {BlockId.PAUSE_UNTIL: until}))
    assert list(errors) == [BlockId.PAUSE_UNTIL]
    assert message in errors[BlockId.PAUSE_UNTIL]
    assert participant(engine, "U0001").status == ParticipantStatus.ACTIVE
    assert pairing(engine, alice_and_bob[2]).status == PairingStatus.ACTIVE
    assert slack.calls_to("chat.postMessage") == []


def test_pause_pauses_the_pairing_and_the_job_resumes_it_on_the_day(
    bot: SlackToBot,
    slack: SlackDouble,
    engine: Engine,
    deps: Deps,
    clock: FrozenClock,
    alice_and_bob: tuple[Participant, Participant, int],
) -> None:
    _, _, pairing_id = alice_and_bob
    view = command_modal(bot, slack, "pause Spring cohort")
    assert view["blocks"][-1]["element"]["initial_date"] == "2026-03-16"  # two weeks by default

    assert bot.submit(view, {BlockId.PAUSE_UNTIL: date(2026, 3, 16)}).body == ""

    # Back at midnight on the 16th in Berlin, which is 23:00 UTC the day before.
    back = datetime(2026, 3, 15, 23, 0, tzinfo=UTC)
    alice = participant(engine, "U0001")
    assert (alice.status, alice.paused_until) == (ParticipantStatus.PAUSED, back)
    paused = pairing(engine, pairing_id)
    assert (paused.status, paused.paused_until) == (PairingStatus.PAUSED, back)
    [to_bob] = dms(slack, "U0002")
    assert "<@U0001> is taking a break" in blocks_text(to_bob)
    assert "Monday 16 March" in blocks_text(to_bob)
    assert "You're paused" in blocks_text(dms(slack, "U0001")[0])

    clock.current = back - timedelta(minutes=1)
    resume_paused_participants(deps)
    assert participant(engine, "U0001").status == ParticipantStatus.PAUSED
    assert len(slack.calls_to("chat.postMessage")) == 2

    clock.current = back + timedelta(minutes=7)
    resume_paused_participants(deps)
    clock.current = datetime(2026, 3, 16, 14, 0, tzinfo=UTC)  # the welcome-backs wait for work
    Deliverer(deps, worker="test", pacer=Pacer(sleep=lambda _: None)).run()
    alice = participant(engine, "U0001")
    assert (alice.status, alice.paused_until) == (ParticipantStatus.ACTIVE, None)
    resumed = pairing(engine, pairing_id)
    assert (resumed.status, resumed.paused_until) == (PairingStatus.ACTIVE, None)
    assert "Welcome back" in blocks_text(dms(slack, "U0001", 2)[1])
    assert "<@U0001> is back" in blocks_text(dms(slack, "U0002", 2)[1])

    resume_paused_participants(deps)  # nothing is due any more: nobody hears it twice
    Deliverer(deps, worker="test", pacer=Pacer(sleep=lambda _: None)).run()
    assert len(slack.calls_to("chat.postMessage")) == 4


def test_a_pairing_stays_paused_while_the_partner_is_still_away(
    bot: SlackToBot,
    slack: SlackDouble,
    engine: Engine,
    deps: Deps,
    clock: FrozenClock,
    alice_and_bob: tuple[Participant, Participant, int],
) -> None:
    _, _, pairing_id = alice_and_bob
    bot.submit(command_modal(bot, slack, "pause"), {BlockId.PAUSE_UNTIL: date(2026, 3, 10)})
    bob_view = command_modal(bot, slack, "pause", user_id="U0002")
    bot.submit(bob_view, {BlockId.PAUSE_UNTIL: date(2026, 3, 20)}, user_id="U0002")
    assert eventually(lambda: participant(engine, "U0002", Role.MENTOR).status == "paused")

    clock.advance(timedelta(days=9))
    resume_paused_participants(deps)
    assert participant(engine, "U0001").status == ParticipantStatus.ACTIVE
    still = pairing(engine, pairing_id)
    # Bob is back on the 20th in New York: midnight there is 04:00 UTC (daylight saving time).
    assert (still.status, still.paused_until) == (
        PairingStatus.PAUSED,
        datetime(2026, 3, 20, 4, 0, tzinfo=UTC),
    )


def test_resume_ends_the_pause_early(
    bot: SlackToBot,
    slack: SlackDouble,
    engine: Engine,
    alice_and_bob: tuple[Participant, Participant, int],
) -> None:
    bot.submit(command_modal(bot, slack, "pause"), {BlockId.PAUSE_UNTIL: date(2026, 4, 1)})
    dms(slack, "U0002")
    answer = problem(bot, "resume")
    assert "Welcome back to *Spring cohort*" in answer
    assert participant(engine, "U0001").status == ParticipantStatus.ACTIVE
    assert pairing(engine, alice_and_bob[2]).status == PairingStatus.ACTIVE
    assert "<@U0001> is back" in blocks_text(dms(slack, "U0002", 2)[1])


def test_pause_notes_that_meet_a_500_are_retried_and_each_lands_once(
    bot: SlackToBot,
    slack: SlackDouble,
    engine: Engine,
    deps: Deps,
    clock: FrozenClock,
    alice_and_bob: tuple[Participant, Participant, int],
) -> None:
    # Slack posts both notes (Alice's own, Bob's) but answers 500: the outcome is unknown.
    slack.fail_next("chat.postMessage", status=500, error="fatal_error", apply=True, times=2)
    view = command_modal(bot, slack, "pause")
    assert bot.submit(view, {BlockId.PAUSE_UNTIL: date(2026, 3, 16)}).body == ""
    assert participant(engine, "U0001").status == ParticipantStatus.PAUSED
    slack.wait_for("chat.postMessage", count=2)
    assert eventually(lambda: delivery_states(engine) == [(DeliveryStatus.PENDING, 1)] * 2)

    clock.advance(timedelta(minutes=1))
    deliver_due(deps)
    deliver_due(deps)

    assert delivery_states(engine) == [(DeliveryStatus.SENT, 2)] * 2
    [to_bob] = slack.messages(slack.dm_channel_id("U0002"))
    assert "<@U0001> is taking a break" in to_bob["text"]
    [to_alice] = slack.messages(slack.dm_channel_id("U0001"))
    assert "You're paused" in to_alice["text"]
    # The retries looked for the notes first and found them: nothing was posted twice.
    assert len(slack.calls_to("chat.postMessage")) == 2


def test_a_goodbye_note_to_someone_gone_is_reported_to_the_leaver(
    bot: SlackToBot,
    slack: SlackDouble,
    engine: Engine,
    deps: Deps,
    alice_and_bob: tuple[Participant, Participant, int],
) -> None:
    slack.add_user("U0002", name="bob", tz="America/New_York", deleted=True)
    view = command_modal(bot, slack, "leave Spring cohort")
    assert bot.submit(view, {BlockId.LEAVE_NOTE: "Thank you for everything!"}).body == ""
    assert participant(engine, "U0001").status == ParticipantStatus.LEFT  # leaving stands
    assert eventually(lambda: DeliveryStatus.FAILED in [s for s, _ in delivery_states(engine)])

    # The notice goes out with the failure's own delivery pass, or else with the next one.
    deliver_due(deps)
    left, told = dms(slack, "U0001", 2)
    assert "You've left *Spring cohort*" in blocks_text(left)
    assert told["text"] == (
        ":warning: I couldn't deliver your goodbye note to <@U0002>: "
        "<@U0002> is no longer in this workspace."
    )
    assert slack.messages(slack.dm_channel_id("U0002")) == []


# --- leaving ------------------------------------------------------------------------------------


def test_a_mentor_leaving_ends_pairings_and_offers_the_mentee_a_new_match(
    bot: SlackToBot,
    slack: SlackDouble,
    engine: Engine,
    clock: FrozenClock,
    programs: Programs,
    alice_and_bob: tuple[Participant, Participant, int],
) -> None:
    _, bob, running = alice_and_bob
    carol = enrol_directly(engine, programs.spring, "U0003", Role.MENTEE, "UTC")
    proposed = pair_directly(engine, bob, carol, PairingStatus.PROPOSED)

    view = command_modal(bot, slack, "leave Spring cohort", user_id="U0002")
    assert view["callback_id"] == CallbackId.LEAVE
    assert view["submit"]["text"] == "Leave"
    assert "<@U0001>" in blocks_text(view)
    note = "Moving teams, sorry! <!channel> & thanks."
    assert bot.submit(view, {BlockId.LEAVE_NOTE: note}, user_id="U0002").body == ""

    gone = participant(engine, "U0002", Role.MENTOR)
    assert (gone.status, gone.left_at) == (ParticipantStatus.LEFT, clock.current)
    for pairing_id in (running, proposed):
        ended = pairing(engine, pairing_id)
        assert (ended.status, ended.ended_at) == (PairingStatus.ENDED, clock.current)
        assert ended.end_reason == "the mentor left the program"  # the note stays private
    [to_alice] = dms(slack, "U0001")
    text = blocks_text(to_alice)
    assert "<@U0002> has left *Spring cohort*" in text
    assert "Moving teams, sorry! &lt;!channel&gt; &amp; thanks." in text
    [rematch] = buttons(to_alice)
    assert (rematch["action_id"], rematch["value"]) == (ActionId.REMATCH, str(programs.spring))
    assert "You've left" in blocks_text(dms(slack, "U0002")[0])
    # Carol had only been proposed, never introduced: she is not told about a stranger leaving.
    carol_dm = slack.dm_channel_id("U0003")
    assert not any(c.params["channel"] == carol_dm for c in slack.calls_to("chat.postMessage"))

    asked = click_answer(bot, slack, ActionId.REMATCH, rematch["value"], user_id="U0001")
    assert "your request for a new mentor is on its way to the leads of *Spring cohort*" in asked
    [to_lead] = dms(slack, "UADMIN")
    assert "<@U0001> asks for a new mentor" in blocks_text(to_lead)
    assert "/mentor match Spring cohort" in blocks_text(to_lead)

    again = click_answer(bot, slack, ActionId.REMATCH, rematch["value"], user_id="U0001")
    assert "already know" in again
    assert len(dms(slack, "UADMIN")) == 1  # leads are not asked twice
    assert len(dms(slack, "U0001")) == 1  # the answers to her clicks are private, not DMs


def test_a_mentee_leaving_tells_the_mentor_without_a_rematch_offer(
    bot: SlackToBot,
    slack: SlackDouble,
    engine: Engine,
    alice_and_bob: tuple[Participant, Participant, int],
) -> None:
    view = command_modal(bot, slack, "leave Spring cohort")
    assert bot.submit(view, {}).body == ""
    assert participant(engine, "U0001").status == ParticipantStatus.LEFT
    [to_bob] = dms(slack, "U0002")
    assert "<@U0001> has left" in blocks_text(to_bob)
    assert "Their note" not in blocks_text(to_bob)
    assert buttons(to_bob) == []
    again = problem(bot, "leave Spring cohort")
    assert "You're not in *Spring cohort*" in again


def test_leave_needs_the_program_name(
    bot: SlackToBot, slack: SlackDouble, alice_and_bob: tuple[Participant, Participant, int]
) -> None:
    answer = problem(bot, "leave")
    assert "Say which program to leave, e.g. `/mentor leave Spring cohort`" in answer
    assert slack.calls_to("views.open") == []


def _write_words(engine: Engine, pairing_id: int, program_id: int) -> None:
    """Alice's and Bob's words in their pair, and Alice's profile in another program."""
    with Session(engine) as session:
        session.add(
            PairNote(team_id=TEAM, pairing_id=pairing_id, author_user_id="U0001", body="alice-note")
        )
        session.add(
            PairNote(team_id=TEAM, pairing_id=pairing_id, author_user_id="U0002", body="bob-note")
        )
        session.add(
            Feedback(
                team_id=TEAM,
                pairing_id=pairing_id,
                from_user_id="U0002",
                went_well="bob-praise",
                needs_change="bob-change",
                next_action="bob-next",
            )
        )
        session.commit()
    enrol_directly(engine, program_id, "U0001", Role.MENTOR, "Europe/Berlin")


def _words(engine: Engine) -> list[str]:
    with Session(engine) as session:
        notes = [n.body for n in session.exec(select(PairNote).order_by(col(PairNote.id)))]
        feedback = [f.went_well for f in session.exec(select(Feedback))]
        profiles = [
            (p.program_id, p.situation)
            for p in session.exec(select(Participant).where(Participant.user_id == "U0001"))
        ]
    return [*notes, *feedback, *(f"{pid}:{text}" for pid, text in sorted(profiles))]


def test_the_leave_modal_says_what_is_kept_and_leaving_keeps_it(
    bot: SlackToBot,
    slack: SlackDouble,
    engine: Engine,
    programs: Programs,
    alice_and_bob: tuple[Participant, Participant, int],
) -> None:
    _write_words(engine, alice_and_bob[2], programs.secret)
    before = _words(engine)
    view = command_modal(bot, slack, "leave Spring cohort")
    text = blocks_text(view)
    assert "*What is kept*" in text
    assert "stays with your partner" in text
    assert "counted under no name" in text
    box = next(b for b in view["blocks"] if b.get("block_id") == BlockId.LEAVE_ERASE)
    assert box.get("optional") is True
    assert [o["text"]["text"] for o in box["element"]["options"]] == [
        "Also erase everything I wrote in this program"
    ]
    assert bot.submit(view, {}).body == ""
    assert participant(engine, "U0001").status == ParticipantStatus.LEFT
    assert _words(engine) == before  # nothing erased unless asked
    assert "erased" not in blocks_text(dms(slack, "U0001")[0])


def test_leaving_with_the_box_ticked_erases_only_ones_own_words_in_that_program(
    bot: SlackToBot,
    slack: SlackDouble,
    engine: Engine,
    programs: Programs,
    alice_and_bob: tuple[Participant, Participant, int],
) -> None:
    _write_words(engine, alice_and_bob[2], programs.secret)
    view = command_modal(bot, slack, "leave Spring cohort")
    answers: dict[str, Answer] = {BlockId.LEAVE_NOTE: "Thanks Bob!", BlockId.LEAVE_ERASE: ["erase"]}
    assert bot.submit(view, answers).body == ""
    spring, secret = programs.spring, programs.secret
    assert _words(engine) == [
        "",  # her note, emptied
        "bob-note",  # his words stay with him
        "bob-praise",
        f"{spring}:",  # her profile in the program she left
        f"{secret}:Somewhere along the way, learning as I go.",  # another program: untouched
    ]
    with Session(engine) as session:
        mentor = session.exec(select(Participant).where(Participant.user_id == "U0002")).one()
        assert mentor.situation  # the partner's profile stays
    left = blocks_text(dms(slack, "U0001")[0])
    assert "As you asked, what you wrote in it is erased (2 entries)." in left
    assert "Thanks Bob!" in blocks_text(dms(slack, "U0002")[0])  # the note still goes
