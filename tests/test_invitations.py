"""Invitations end to end: a lead invites people, a user group and a channel; the invited join
or decline; everyone else is refused an invitation-only program; leads see who answered what.

"Secret circle" is an invitation-only program open for enrolment, led by Lee (ULEAD, no admin).
Alice (U0001) is nobody in it; Bob, Carol, Dan and Eve (U0002 to U0005) are people to invite.
"""

import json
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select

from bot.deps import Deps
from bot.errors import UserError
from bot.ids import ActionId, BlockId, CallbackId
from bot.sandbox import slack_double
from bot.sandbox.slack_double import SlackDouble
from bot.services.invitations import INVITATION_PAGE, parse_invite_words
from bot.views.enrolment import build_join_modal
from scheduler.delivery import Deliverer, Pacer
from storage.db import session_scope
from storage.enums import ParticipantStatus, ProgramStatus, Role, Visibility
from storage.models import (
    Delivery,
    Invitation,
    InvitationStatus,
    Participant,
    Program,
    SlackUser,
)
from tests.blockkit import assert_valid_view
from tests.conftest import FrozenClock
from tests.harness import SlackToBot, eventually
from tests.test_enrolment import MENTEE as MENTEE_ANSWERS

TEAM = slack_double.DEFAULT_TEAM_ID
LEAD, ALICE, BOB, CAROL, DAN, EVE = "ULEAD", "U0001", "U0002", "U0003", "U0004", "U0005"
SECRET = "Secret circle"
REFUSAL = f"*{SECRET}* is by invitation only, and you haven't been invited."


def mention(user_id: str) -> str:
    """A person as an escaped slash command carries them."""
    return f"<@{user_id}|{user_id.lower()}>"


def add_program(engine: Engine, name: str, **values: Any) -> int:
    """Store a program (led by Lee unless ``created_by`` says otherwise); returns its id."""
    fields: dict[str, Any] = {
        "team_id": TEAM,
        "name": name,
        "status": ProgramStatus.ENROLLING,
        "visibility": Visibility.INVITATION,
        "competencies": ["Negotiation", "Public speaking", "Hiring"],
        "places": 6,
        "start_date": date(2026, 4, 1),
        "company_goal": "Grow our next engineering leads",
        "created_by": LEAD,
        **values,
    }
    with session_scope(engine) as session:
        program = Program.model_validate(fields)
        session.add(program)
        session.flush()
        return int(program.id or 0)


@pytest.fixture
def secret(engine: Engine, slack: SlackDouble) -> int:
    """The invitation-only program, and the people of the workspace."""
    slack.add_user(LEAD, name="lee", real_name="Lee Lead", tz="Europe/London")
    for user_id, name in ((CAROL, "carol"), (DAN, "dan"), (EVE, "eve")):
        slack.add_user(user_id, name=name, tz="Europe/Paris")
    return add_program(engine, SECRET)


def answer(bot: SlackToBot, text: str, user_id: str = LEAD) -> str:
    """The private answer to ``/mentor <text>``, checked against Block Kit."""
    reply = bot.ask(text, user_id=user_id)
    assert_valid_view({k: reply[k] for k in ("text", "blocks")}, surface="message")
    return json.dumps(reply, ensure_ascii=False)


def invitations(engine: Engine) -> dict[str, tuple[InvitationStatus, str]]:
    """Each invited person's answer and who invited them."""
    with session_scope(engine) as session:
        rows = session.exec(select(Invitation).order_by(col(Invitation.id))).all()
        return {row.user_id: (row.status, row.invited_by) for row in rows}


def dms(slack: SlackDouble, user_id: str, count: int = 1) -> list[dict[str, Any]]:
    """What the bot posted in a person's DM (waits for ``count``), each checked."""
    # The outbox posts into the DM it opened; an answer to the person posts to their user id.
    channels = {user_id, slack.dm_channel_id(user_id)}

    def posted() -> list[dict[str, Any]]:
        calls = slack.calls_to("chat.postMessage")
        return [c.params for c in calls if c.params["channel"] in channels]

    assert eventually(lambda: len(posted()) >= count), f"{user_id} got {len(posted())} DMs"
    for message in posted():
        assert_valid_view(message, surface="message")
    return posted()


def buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    """Every button of a message or view, as (action_id, value)."""
    found = []
    for block in message.get("blocks", []):
        elements = block.get("elements", []) if block["type"] == "actions" else []
        if block.get("accessory"):
            elements = [block["accessory"]]
        found += [(e["action_id"], e.get("value", "")) for e in elements if e["type"] == "button"]
    return found


def deliver(deps: Deps) -> None:
    """One more delivery pass of the outbox (nothing due may go twice)."""
    Deliverer(deps, worker="test", pacer=Pacer(sleep=lambda _: None)).run()


def opened(slack: SlackDouble, before: int) -> dict[str, Any]:
    """The modal opened after ``before`` earlier ones, checked."""
    view: dict[str, Any] = slack.wait_for("views.open", count=before + 1)[before].params["view"]
    assert_valid_view(view, surface="modal")
    return view


def text_of(thing: Any) -> str:
    return json.dumps(thing, ensure_ascii=False)


# --- reading the command ------------------------------------------------------------------------


def test_the_program_name_is_the_words_before_the_first_mention() -> None:
    words = parse_invite_words(
        ["Secret", "circle", mention(BOB), "<!subteam^S0DEVS|@devs>", "<#C0TEAM|team>", "<@U0002>"]
    )
    assert words.program_name == "Secret circle"
    assert (words.user_ids, words.usergroup_ids, words.channel_ids) == (
        (BOB,),
        ("S0DEVS",),
        ("C0TEAM",),
    )


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["Secret", "circle"], "Who should I invite to *Secret circle*?"),
        ([mention(BOB)], "Which program? Name it before the people"),
        (["Secret", mention(BOB), "@carol"], "I couldn't read 1 of the words"),
        (["Secret", mention(BOB), "<!channel>"], "I couldn't read 1 of the words"),
    ],
)
def test_a_command_that_names_nobody_or_no_program_is_explained(
    args: list[str], problem: str
) -> None:
    with pytest.raises(UserError) as caught:
        parse_invite_words(args)
    assert problem in str(caught.value)


# --- inviting ---------------------------------------------------------------------------------


def test_a_lead_invites_people_who_each_get_one_dm_with_join_buttons(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, deps: Deps, secret: int
) -> None:
    text = answer(bot, f"program invite {SECRET} {mention(BOB)} {mention(CAROL)} {mention(BOB)}")
    assert f"Invited 2 to *{SECRET}*." in text
    assert "Only the invited may join it." in text
    assert invitations(engine) == {
        BOB: (InvitationStatus.INVITED, LEAD),
        CAROL: (InvitationStatus.INVITED, LEAD),
    }
    for user_id in (BOB, CAROL):
        [dm] = dms(slack, user_id)
        assert f"<@{LEAD}> invites you to *{SECRET}*" in text_of(dm)
        assert buttons(dm) == [
            ("join:mentee", f"{secret}:mentee"),
            ("join:mentor", f"{secret}:mentor"),
            (ActionId.INVITATION_DECLINE, str(secret)),
        ]

    again = answer(bot, f"program invite secret CIRCLE {mention(BOB)} {mention(DAN)}")
    assert f"Invited 1 to *{SECRET}*: 1 was already invited." in again
    dms(slack, DAN)
    deliver(deps)
    for user_id in (BOB, CAROL, DAN):
        assert len(dms(slack, user_id)) == 1  # once each, whatever is run again
    nobody = answer(bot, f"program invite {SECRET} {mention(BOB)}")
    assert f"Nobody new to invite to *{SECRET}*: 1 was already invited." in nobody
    assert len(invitations(engine)) == 3


def test_a_user_group_and_a_channel_are_invited_less_the_bot_the_leads_and_those_in(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, secret: int
) -> None:
    slack.add_usergroup("S0DEVS", handle="devs", users=[BOB, CAROL, LEAD])
    slack.add_channel("C0TEAM", name="team", members=[CAROL, DAN, EVE, ALICE, "UOTHERBOT"])
    with session_scope(engine) as session:
        session.add(Participant(team_id=TEAM, program_id=secret, user_id=EVE, role=Role.MENTOR))
        # Slack told the directory earlier that this member is another app's bot.
        session.add(SlackUser(team_id=TEAM, user_id="UOTHERBOT", is_bot=True))

    text = answer(
        bot, f"program invite {SECRET} <!subteam^S0DEVS|@devs> <#C0TEAM|team> {mention(DAN)}"
    )
    assert f"Invited 4 to *{SECRET}*: 1 is in already, 1 leads it." in text
    assert set(invitations(engine)) == {BOB, CAROL, DAN, ALICE}
    # The channel's member list holds this bot and another app's: neither is invited.
    assert slack.bot_user_id not in invitations(engine)
    assert "UOTHERBOT" not in invitations(engine)
    [group_call] = slack.calls_to("usergroups.users.list")
    assert group_call.params["usergroup"] == "S0DEVS"
    for user_id in (BOB, CAROL, DAN, ALICE):
        dms(slack, user_id)
    assert dms(slack, EVE, 0) == []
    assert dms(slack, LEAD, 0) == []


def test_a_big_channel_is_read_page_by_page(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, secret: int
) -> None:
    members = [f"UM{n:04d}" for n in range(250)]
    slack.add_channel("C0ALL", name="all", members=members)
    text = answer(bot, f"program invite {SECRET} <#C0ALL|all>")
    assert f"Invited 250 to *{SECRET}*." in text
    pages = slack.calls_to("conversations.members")
    assert [int(c.params["limit"]) for c in pages] == [200, 200]
    assert "cursor" not in pages[0].params
    assert pages[1].params["cursor"]
    assert len(invitations(engine)) == 250


def test_groups_and_channels_slack_cannot_show_are_explained(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, secret: int
) -> None:
    slack.add_channel("G0PRIV", name="private", is_private=True, is_member=False, members=[DAN])
    text = answer(
        bot,
        f"program invite {SECRET} <!subteam^S0GONE|@gone> <#G0PRIV|private> {mention(BOB)}",
    )
    assert f"Invited 1 to *{SECRET}*." in text
    assert "I couldn't find the user group `S0GONE`" in text
    assert "I can't see who is in <#G0PRIV>: for a private channel, invite me there first" in text
    assert set(invitations(engine)) == {BOB}


def test_only_a_lead_may_invite_and_only_while_the_program_takes_sign_ups(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, secret: int
) -> None:
    slack.add_usergroup("S0DEVS", users=[BOB])
    refused = answer(bot, f"program invite {SECRET} <!subteam^S0DEVS|@devs>", user_id=ALICE)
    assert f"Only workspace admins and the leads of *{SECRET}* can invite people to it" in refused
    assert slack.calls_to("usergroups.users.list") == []  # nobody's groups are read for her
    draft = add_program(engine, "Plans", status=ProgramStatus.DRAFT)
    closed = answer(bot, f"program invite Plans {mention(BOB)}")
    assert "*Plans* isn't open for enrolment yet" in closed
    assert "/mentor program open Plans" in closed
    assert draft
    assert invitations(engine) == {}
    assert slack.calls_to("chat.postMessage") == []


def test_an_admin_may_invite_to_an_open_program_too(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, secret: int
) -> None:
    add_program(engine, "Spring", visibility=Visibility.OPEN, created_by="UOWNER")
    text = answer(bot, f"program invite Spring {mention(BOB)}", user_id="UADMIN")
    assert "Invited 1 to *Spring*." in text
    assert "Only the invited may join it." not in text  # for an open program it is a nudge
    dms(slack, BOB)


# --- the invited and everyone else ------------------------------------------------------------


def test_the_uninvited_are_refused_everywhere_and_nothing_is_stored(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, secret: int
) -> None:
    for text in (f"join {SECRET} as mentee", f"join {SECRET}"):
        refused = answer(bot, text, user_id=ALICE)
        assert REFUSAL in refused
        assert f"ask its lead <@{LEAD}>" in refused
    assert SECRET not in answer(bot, "join", user_id=ALICE)  # not in the picker either
    # The Join buttons of an announcement (plain "join") and of a DM ("join:<role>").
    for action_id, value in (("join", f"{secret}:mentee"), ("join:mentor", f"{secret}:mentor")):
        url = slack.new_response_url()
        assert bot.action(action_id, value, user_id=ALICE, response_url=url).status == 200
        assert REFUSAL in text_of(bot.answer_to(url))
    assert slack.calls_to("views.open") == []
    # A join form forged for the program.
    with session_scope(engine) as session:
        program = session.get(Program, secret)
        assert program is not None
        view = build_join_modal(program=program, role=Role.MENTEE, participant=None)
    forged = bot.submit(view, MENTEE_ANSWERS, user_id=ALICE).json()
    assert forged["response_action"] == "errors"
    assert REFUSAL in forged["errors"][BlockId.JOIN_SITUATION]
    with session_scope(engine) as session:
        assert session.exec(select(Participant)).all() == []
        assert session.exec(select(Delivery)).all() == []
    assert slack.calls_to("chat.postMessage") == []


def test_the_invited_join_from_their_dm_and_the_invitation_is_taken_up(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, clock: FrozenClock, secret: int
) -> None:
    answer(bot, f"program invite {SECRET} {mention(BOB)}")
    [dm] = dms(slack, BOB)
    assert SECRET in answer(bot, "join", user_id=BOB)  # the picker lists it for him
    before = len(slack.calls_to("views.open"))
    clicked = bot.action(
        "join:mentee", f"{secret}:mentee", user_id=BOB, trigger_id=slack.new_trigger_id()
    )
    assert clicked.status == 200
    view = opened(slack, before)
    assert view["title"]["text"] == f"Join {SECRET}"
    clock.advance(timedelta(hours=2))
    assert bot.submit(view, MENTEE_ANSWERS, user_id=BOB).body == ""
    with session_scope(engine) as session:
        [joined] = session.exec(select(Participant)).all()
        invitation = session.exec(select(Invitation)).one()
    assert (joined.user_id, joined.role) == (BOB, Role.MENTEE)
    assert (invitation.status, invitation.answered_at) == (InvitationStatus.JOINED, clock())
    assert "You're in!" in text_of(dms(slack, BOB, 2)[1])
    assert buttons(dm)  # the invitation itself is left as it was


def test_not_this_time_is_recorded_without_a_word_to_the_leads(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, deps: Deps, secret: int
) -> None:
    answer(bot, f"program invite {SECRET} {mention(BOB)} {mention(CAROL)}")
    dms(slack, BOB)
    channel = slack.dm_channel_id(BOB)
    [message] = slack.messages(channel)
    for _ in range(2):  # a double click changes nothing more
        response = bot.action(
            ActionId.INVITATION_DECLINE,
            str(secret),
            user_id=BOB,
            channel_id=channel,
            message={"type": "message", "ts": message["ts"], "text": ""},
        )
        assert response.status == 200
    [update, _] = slack.wait_for("chat.update", count=2)
    assert update.params["ts"] == message["ts"]
    assert_valid_view(update.params, surface="message")
    assert "You said *not this time* to *Secret circle*" in text_of(update.params)
    assert f"/mentor join {SECRET}" in text_of(update.params)
    assert buttons(update.params) == []
    assert invitations(engine)[BOB][0] is InvitationStatus.DECLINED
    deliver(deps)
    assert dms(slack, LEAD, 0) == []  # the leads see it in their counts, not as a DM each
    # Alice, who was never invited, cannot decline for the list either.
    url = slack.new_response_url()
    bot.action(ActionId.INVITATION_DECLINE, str(secret), user_id=ALICE, response_url=url)
    assert "You have no invitation to *Secret circle*" in text_of(bot.answer_to(url))
    assert ALICE not in invitations(engine)
    # Declining is not final: Bob may still join.
    before = len(slack.calls_to("views.open"))
    bot.action("join:mentor", f"{secret}:mentor", user_id=BOB, trigger_id=slack.new_trigger_id())
    assert opened(slack, before)["title"]["text"] == f"Join {SECRET}"


def test_leads_join_their_own_program_without_an_invitation(
    bot: SlackToBot, slack: SlackDouble, secret: int
) -> None:
    before = len(slack.calls_to("views.open"))
    bot.action("join:mentor", f"{secret}:mentor", user_id=LEAD, trigger_id=slack.new_trigger_id())
    assert opened(slack, before)["callback_id"] == CallbackId.JOIN


# --- what each person sees listed -------------------------------------------------------------


def test_program_list_shows_each_person_only_what_is_open_to_them(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, secret: int
) -> None:
    add_program(engine, "Spring", visibility=Visibility.OPEN, created_by="UOWNER")
    add_program(engine, "Plans", status=ProgramStatus.DRAFT)
    hidden = add_program(engine, "Hidden", created_by="UOWNER")
    closed = {"status": ProgramStatus.CLOSED, "visibility": Visibility.OPEN, "created_by": "UOWN"}
    old = add_program(engine, "Old", **closed)
    add_program(engine, "Gone", **closed)
    with session_scope(engine) as session:
        session.add(
            Participant(
                team_id=TEAM,
                program_id=old,
                user_id=ALICE,
                role=Role.MENTEE,
                status=ParticipantStatus.LEFT,
            )
        )
        session.add(Invitation(team_id=TEAM, program_id=hidden, user_id=BOB, invited_by="UOWNER"))
        for status in (InvitationStatus.INVITED, InvitationStatus.JOINED):
            user = CAROL if status is InvitationStatus.INVITED else DAN
            session.add(
                Invitation(
                    team_id=TEAM, program_id=secret, user_id=user, invited_by=LEAD, status=status
                )
            )
    names = ("Spring", SECRET, "Plans", "Hidden", "Old", "Gone")

    def listed(user_id: str) -> tuple[set[str], str]:
        text = answer(bot, "program list", user_id=user_id)
        return {n for n in names if f"*{n}* ·" in text}, text

    alice, alice_text = listed(ALICE)
    assert alice == {"Spring", "Old"}  # open to join, and one she took part in
    assert "Invitations" not in alice_text
    assert listed(BOB)[0] == {"Spring", "Hidden"}  # Hidden: he was invited
    lead, lead_text = listed(LEAD)
    assert lead == {"Spring", SECRET, "Plans"}
    assert "*Invitations:* 2 · 1 joined · 1 yet to answer · 0 not this time" in lead_text
    everything, admin_text = listed("UADMIN")
    assert everything == set(names)
    assert admin_text.count("*Invitations:*") == len(names)
    # A mistyped name never lists what isn't open to everyone.
    mistyped = answer(bot, "join Secret", user_id=ALICE)
    assert "Programs here: *Spring*, *Old*, *Gone*." in mistyped
    assert "Hidden" not in mistyped


# --- what leads see on their Home tab ---------------------------------------------------------


def _seed_answers(engine: Engine, program_id: int, now: datetime) -> list[str]:
    """150 invitations: 3 joined, 2 declined, the rest yet to answer; returns their user ids."""
    users = [f"UI{n:04d}" for n in range(150)]
    with session_scope(engine) as session:
        for n, user_id in enumerate(users):
            status = (
                InvitationStatus.JOINED
                if n < 3
                else InvitationStatus.DECLINED
                if n >= 148
                else InvitationStatus.INVITED
            )
            session.add(
                Invitation(
                    team_id=TEAM,
                    program_id=program_id,
                    user_id=user_id,
                    invited_by=LEAD,
                    invited_at=now + timedelta(seconds=n),
                    status=status,
                )
            )
    return users


def _home(bot: SlackToBot, slack: SlackDouble, user_id: str) -> dict[str, Any]:
    slack.reset()
    bot.event(slack_double.app_home_opened_event(user_id))
    [call] = slack.wait_for("views.publish")
    view: dict[str, Any] = call.params["view"]
    assert_valid_view(view, surface="home")
    return view


def _press(
    bot: SlackToBot, slack: SlackDouble, action_id: str, value: str, user_id: str, **fields: Any
) -> None:
    view = fields.pop("view", None) or {"id": "VHOME", "type": "home", "blocks": []}
    response = bot.action(
        action_id, value, user_id=user_id, trigger_id=slack.new_trigger_id(), view=view, **fields
    )
    assert response.status == 200


def test_the_home_card_counts_answers_and_lists_names_a_page_at_a_time(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, clock: FrozenClock, secret: int
) -> None:
    users = _seed_answers(engine, secret, clock())
    home = _home(bot, slack, LEAD)
    assert "*Invitations:* 150 · 3 joined · 145 yet to answer · 2 not this time" in text_of(home)
    assert (ActionId.INVITE_OPEN, str(secret)) in buttons(home)
    assert (ActionId.INVITATIONS_OPEN, str(secret)) in buttons(home)

    _press(bot, slack, ActionId.INVITATIONS_OPEN, str(secret), LEAD)
    first = opened(slack, 0)
    shown = text_of(first)
    assert "*Joined*\\n" + ", ".join(f"<@{u}>" for u in users[:3]) in shown
    assert f"<@{users[INVITATION_PAGE - 1]}>" in shown
    assert f"<@{users[INVITATION_PAGE]}>" not in shown
    assert "Not this time" not in shown  # the declined come last, on the next page
    assert "People 1 to 100 of 150" in shown
    assert buttons(first) == [(ActionId.INVITATIONS_NEXT, f"{secret}:100")]

    _press(bot, slack, ActionId.INVITATIONS_NEXT, f"{secret}:100", LEAD, view=first)
    [update] = slack.wait_for("views.update")
    second = update.params["view"]
    assert_valid_view(second, surface="modal")
    shown = text_of(second)
    assert "People 101 to 150 of 150" in shown
    assert "*Not this time*\\n" + ", ".join(f"<@{u}>" for u in users[148:]) in shown
    assert buttons(second) == [(ActionId.INVITATIONS_PREVIOUS, f"{secret}:0")]


def test_someone_who_does_not_lead_sees_no_invitations(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, clock: FrozenClock, secret: int
) -> None:
    _seed_answers(engine, secret, clock())
    for action_id, value in (
        (ActionId.INVITATIONS_OPEN, str(secret)),
        (ActionId.INVITATIONS_NEXT, f"{secret}:100"),
        (ActionId.INVITE_OPEN, str(secret)),
    ):
        slack.reset()
        _press(bot, slack, action_id, value, ALICE)
        notice = opened(slack, 0)
        assert notice["callback_id"] == CallbackId.NOTICE
        assert f"Only workspace admins and the leads of *{SECRET}*" in text_of(notice)
        assert "UI0000" not in text_of(notice)
        assert slack.calls_to("views.update") == []


def test_a_lead_invites_people_and_a_channel_from_the_home_card(
    bot: SlackToBot, slack: SlackDouble, engine: Engine, secret: int
) -> None:
    slack.add_channel("C0TEAM", name="team", members=[DAN, EVE])
    _press(bot, slack, ActionId.INVITE_OPEN, str(secret), LEAD)
    view = opened(slack, 0)
    assert view["callback_id"] == CallbackId.INVITE
    empty = bot.submit(view, {}, user_id=LEAD).json()
    assert empty == {
        "response_action": "errors",
        "errors": {BlockId.INVITE_PEOPLE: "Pick people to invite, or a channel."},
    }
    # The same form, replayed by someone who doesn't lead the program.
    forged = bot.submit(view, {BlockId.INVITE_PEOPLE: [BOB]}, user_id=ALICE).json()
    assert forged["response_action"] == "errors"
    assert "Only workspace admins and the leads" in forged["errors"][BlockId.INVITE_PEOPLE]
    assert invitations(engine) == {}

    done = bot.submit(
        view, {BlockId.INVITE_PEOPLE: [BOB, CAROL], BlockId.INVITE_CHANNEL: "C0TEAM"}, user_id=LEAD
    )
    assert (done.status, done.body) == (200, "")
    [told] = dms(slack, LEAD)
    assert f"Invited 4 to *{SECRET}*." in text_of(told)
    assert set(invitations(engine)) == {BOB, CAROL, DAN, EVE}
    for user_id in (BOB, CAROL, DAN, EVE):
        dms(slack, user_id)
    [publish] = slack.wait_for("views.publish")
    assert "*Invitations:* 4 · 0 joined · 4 yet to answer" in text_of(publish.params["view"])


def test_a_program_by_invitation_with_nobody_invited_says_so(
    bot: SlackToBot, slack: SlackDouble, secret: int
) -> None:
    home = _home(bot, slack, LEAD)
    assert "*Invitations:* nobody invited yet, and only the invited may join." in text_of(home)
    assert (ActionId.INVITATIONS_OPEN, str(secret)) not in buttons(home)


def test_invitation_views_stay_within_slacks_limits() -> None:
    from bot.services.invitations import InvitationCounts, InvitationPage, Invited
    from bot.views.program import (
        build_invitation,
        build_invitations_modal,
        build_invite_modal,
        build_invite_result,
    )

    program = Program(
        id=7,
        team_id=TEAM,
        name="n" * 80,
        status=ProgramStatus.ENROLLING,
        visibility=Visibility.INVITATION,
        start_date=date(2026, 4, 1),
        company_goal="<!channel> " + "g" * 1000,
        created_by=LEAD,
    )
    rows = tuple((f"U{n:010d}", InvitationStatus.INVITED) for n in range(INVITATION_PAGE))
    page = InvitationPage(7, 100, 250, rows, InvitationCounts(waiting=250))
    modal = build_invitations_modal(program, page)
    assert_valid_view(modal, surface="modal")
    assert buttons(modal) == [
        (ActionId.INVITATIONS_PREVIOUS, "7:0"),
        (ActionId.INVITATIONS_NEXT, "7:200"),
    ]
    assert_valid_view(build_invite_modal(program), surface="modal")
    leads = [f"U{n:04d}" for n in range(11)]
    invitation = build_invitation(program, inviter_id=LEAD, lead_ids=leads, places_left=0)
    assert_valid_view(invitation, surface="message")
    assert "<!channel>" not in text_of(invitation)  # the lead's words can't ping anyone
    assert ("join:mentee", "7:mentee") not in buttons(invitation)  # no mentee place left
    result = build_invite_result(
        program, Invited(already_invited=3, declined_before=1, already_in=2, leads=1)
    )
    assert_valid_view(result, surface="message")
    assert (
        "Nobody new to invite to *" + "n" * 80 + "*: 3 were already invited, "
        "1 said not this time before, 2 are in already, 1 leads it."
    ) in text_of(result)
