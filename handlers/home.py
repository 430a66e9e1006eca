"""The App Home tab: each person's dashboard, and the health view leads run their programs from.

Every lead button re-checks the clicker's rights on the program it names (``check_lead``), and
reads the program's health afresh (one ``cohort_metrics``) rather than trusting what the tab
showed: a flag may have cleared since it was drawn. Messages to the pair go through the outbox.
"""

import logging
from dataclasses import replace
from typing import Any

from slack_bolt import App
from sqlmodel import col, select

from bot.deps import Deps
from bot.errors import FieldErrors, NotFound, UserError
from bot.gateway import SlackCallError
from bot.ids import ActionId, BlockId, CallbackId
from bot.services.digest import CohortMetrics, PairMetrics, cohort_metrics
from bot.services.enrolment import local_today
from bot.services.home import NUDGE_RULE, HomePage, home_data, nudge_key
from bot.services.invitations import invitation_page, require_invitable
from bot.services.pairing import proposal_page
from bot.services.programs import (
    co_lead_ids,
    get_program_by_id,
    require_editable,
    set_program_status,
)
from bot.services.rematch import ENDABLE, rematch_pairing
from bot.views.help import build_help_modal
from bot.views.home import (
    FLAG_NUDGE,
    FLAG_REMATCH,
    FLAG_REPORT,
    NOT_NUDGEABLE,
    PAGE_NEXT,
    PAGE_PREVIOUS,
    REMATCH_CALLBACK,
    REMATCH_NOTE,
    REMATCH_NOTE_MAX,
    REMATCH_REASON,
    REVIEW_PROPOSALS,
    build_home,
    build_lead_nudge,
    build_pair_report_modal,
    build_rematch_done,
    build_rematch_message,
    build_rematch_modal,
    flag_label,
)
from bot.views.matching import build_proposals
from bot.views.program import (
    build_invitations_modal,
    build_invite_modal,
    build_program_modal,
)
from bot.views.text import escape
from handlers.commands import CommandRouter
from handlers.common import check_lead, check_may_create_program, message_to, today
from handlers.listeners import (
    Answer,
    Click,
    Closing,
    Interaction,
    Modal,
    Reply,
    Submission,
    Update,
    id_from,
    on_click,
    on_event,
    on_submit,
)
from handlers.matching import MATCHABLE, match_program
from handlers.programs import invite
from scheduler.outbox import Planned
from scheduler.timing import WorkingHours, next_working_moment
from storage.enums import ProgramStatus, Role
from storage.models import Delivery, Pairing, Participant, Program

log = logging.getLogger(__name__)

STATUS_BUTTONS = {
    ActionId.PROGRAM_OPEN_ENROLMENT: (ProgramStatus.ENROLLING, "open its enrolment"),
    ActionId.PROGRAM_START: (ProgramStatus.ACTIVE, "start it"),
    ActionId.PROGRAM_CLOSE: (ProgramStatus.CLOSED, "close it"),
}
CLEARED = (
    "That flag has cleared since your Home tab was drawn, so there is nothing to nudge them "
    "about. I've redrawn the tab."
)


def publish_home(deps: Deps, *, team_id: str, user_id: str, page: HomePage | None = None) -> None:
    """Build the person's Home tab (``page`` of their programs) from the database and publish it.

    Slack is asked who the person is (timezone, admin rights) before the read, never inside a
    unit of work; its errors propagate, so an event whose publish failed is handled again when
    Slack retries it.
    """
    person = deps.directory.person(team_id=team_id, user_id=user_id)
    now = deps.now()
    with deps.read() as session:
        data = home_data(
            session=session,
            team_id=team_id,
            user_id=user_id,
            is_admin=person.is_admin,
            now=now,
            page=page,
        )
    view = build_home(data, tz=person.tz, today=local_today(person.tz, now))
    deps.slack(team_id).publish_home(user_id, view)


def show_home(deps: Deps, team_id: str, event: dict[str, Any]) -> None:
    """``app_home_opened``: publish the person's Home tab whenever they open it."""
    user = event.get("user")
    # Slack always names who opened it; a forged event without a person has no Home to show.
    if event.get("tab") != "home" or not isinstance(user, str) or not user:
        return
    publish_home(deps, team_id=team_id, user_id=user)


def _page_shown(i: Interaction) -> HomePage:
    """The page of the Home tab the person acted in (the first page from anywhere else)."""
    view = i.source_view or {}
    if view.get("type") == "home":
        return HomePage.parse(view.get("private_metadata"))
    return HomePage()


def _refresh(i: Interaction, page: HomePage | None = None) -> None:
    """Redraw the person's Home tab after a change; the change stands if Slack refuses."""
    try:
        publish_home(i.deps, team_id=i.team_id, user_id=i.user_id, page=page or _page_shown(i))
    except SlackCallError as error:
        log.warning("home tab not refreshed", extra={"user_id": i.user_id, "error": error.error})


def _program(click: Click) -> Program:
    """The program a Home button names (value: its id)."""
    with click.deps.read() as session:
        return get_program_by_id(
            session, team_id=click.team_id, program_id=click.id("That program")
        )


# --- program controls ----------------------------------------------------------------------------


def new_program(click: Click) -> Answer:
    """The program design modal, empty, for admins and leads."""
    check_may_create_program(click)
    return Modal(
        build_program_modal(
            program=None,
            co_lead_ids=[],
            today=today(click),
            retention_default=click.deps.settings.retention_days,
        )
    )


def edit_program(click: Click) -> Answer:
    """The program design modal, prefilled, for the program's leads."""
    program = _program(click)
    check_lead(click, program, action="edit it")
    require_editable(program)
    with click.deps.read() as session:
        co_leads = co_lead_ids(session, program=program)
    return Modal(
        build_program_modal(
            program=program,
            co_lead_ids=co_leads,
            today=today(click),
            retention_default=click.deps.settings.retention_days,
        )
    )


def change_status(click: Click) -> Answer:
    """Open enrolment, start or close a program from the Home tab, then redraw the tab."""
    status, verb = STATUS_BUTTONS[ActionId(click.action_id)]
    program = _program(click)
    check_lead(click, program, action=verb)
    with click.deps.session() as session:
        program = get_program_by_id(session, team_id=click.team_id, program_id=program.id or 0)
        set_program_status(session=session, program=program, status=status, now=click.now())
    _refresh(click)
    return None


def match_from_home(click: Click) -> Answer:
    """Run a matching round from the Home tab; the proposals come by DM."""
    return match_program(click, _program(click))


def review_proposals(click: Click) -> Answer:
    """The program's open proposals, in the lead's DM where each button decides one."""
    program = _program(click)
    check_lead(click, program, action="decide on matches")
    with click.deps.read() as session:
        page = proposal_page(session, program=program)
    name = escape(program.name)
    if not page.total:
        _refresh(click)
        raise UserError(
            f"No proposals of *{name}* are waiting: they were all decided. "
            "Run a matching round for anyone still without a mentor."
        )
    many = "" if page.total == 1 else "s"
    click.tell(
        f"*{name}*: {page.total} proposal{many} waiting, in your DM with me.",
        problem=False,
    )
    return Reply(build_proposals(page))


def turn_page(click: Click) -> Answer:
    """Another page of the lead's programs, or of one program's flags: the tab is republished."""
    page = HomePage.parse(click.value)
    if page.program_id:
        with click.deps.read() as session:
            program = get_program_by_id(session, team_id=click.team_id, program_id=page.program_id)
        check_lead(click, program, action="see its red flags")
    _refresh(click, page)
    return None


# --- invitations ---------------------------------------------------------------------------------


def open_invite(click: Click) -> Answer:
    """The invite modal (people and a channel), for the program's leads."""
    program = _program(click)
    check_lead(click, program, action="invite people to it")
    require_invitable(program)
    return Modal(build_invite_modal(program))


def submit_invite(form: Submission) -> Closing:
    """Check the lead and that someone was picked, then close: reading a channel's members may
    take longer than a submission's ack allows, so the invitations are sent after it, and the
    lead gets the outcome by DM and a redrawn Home tab."""
    with form.deps.read() as session:
        program = get_program_by_id(
            session, team_id=form.team_id, program_id=form.meta_id("program_id", "That program")
        )
    check_lead(form, program, action="invite people to it")
    require_invitable(program)
    people = form.state.users(BlockId.INVITE_PEOPLE)
    channel = form.state.conversation(BlockId.INVITE_CHANNEL)
    if not people and not channel:
        raise FieldErrors({BlockId.INVITE_PEOPLE: "Pick people to invite, or a channel."})
    channels = [channel] if channel else []

    def send() -> Reply:
        result = invite(form, program_id=program.id or 0, user_ids=people, channel_ids=channels)
        _refresh(form, HomePage())
        return Reply(result)

    form.later(send)
    return None


def open_invitations(click: Click) -> Answer:
    """Who was invited to the program, who joined and who declined (first page)."""
    program = _program(click)
    check_lead(click, program, action="see who was invited")
    with click.deps.read() as session:
        page = invitation_page(session, program=program, offset=0)
    return Modal(build_invitations_modal(program, page))


def turn_invitations_page(click: Click) -> Answer:
    """Another page of the invitations list, redrawn in the same modal."""
    program_part, _, offset = click.value.partition(":")
    with click.deps.read() as session:
        program = get_program_by_id(
            session, team_id=click.team_id, program_id=id_from(program_part)
        )
    check_lead(click, program, action="see who was invited")
    with click.deps.read() as session:
        page = invitation_page(session, program=program, offset=id_from(offset))
    click.redraw(click.modal_id(CallbackId.INVITATIONS), build_invitations_modal(program, page))
    return None


# --- a flagged pair ------------------------------------------------------------------------------


def _led_pairing(i: Interaction, pairing_id: int, *, action: str) -> tuple[Pairing, Program]:
    """A pairing and its program, if the actor leads the program (UserError otherwise)."""
    with i.deps.read() as session:
        pairing = session.get(Pairing, pairing_id)
        if pairing is None or pairing.team_id != i.team_id:
            raise NotFound("That mentoring pair no longer exists.")
        program = get_program_by_id(session, team_id=i.team_id, program_id=pairing.program_id)
    check_lead(i, program, action=action)
    return pairing, program


def _metrics(i: Interaction, program: Program) -> CohortMetrics:
    with i.deps.read() as session:
        return cohort_metrics(session, program=program, now=i.now())


def _pair_in(metrics: CohortMetrics, pairing_id: int) -> PairMetrics:
    found = next((p for p in metrics.pairs if p.pairing_id == pairing_id), None)
    if found is None:
        raise NotFound("That pair hasn't started, so there is no report for it yet.")
    return found


def _working_hours(i: Interaction, program_id: int, users: list[str]) -> dict[str, WorkingHours]:
    """The working week of each of ``users`` in the program (read before any write)."""
    with i.deps.read() as session:
        people = session.exec(
            select(Participant).where(
                Participant.team_id == i.team_id,
                Participant.program_id == program_id,
                col(Participant.user_id).in_(users),
            )
        ).all()
    return {
        p.user_id: WorkingHours(
            tz=p.timezone,
            start=p.work_start,
            end=p.work_end,
            days=frozenset(int(d) for d in p.work_days if d.isdigit()),
        )
        for p in people
    }


def _when_working(planned: list[Planned], hours: dict[str, WorkingHours]) -> list[Planned]:
    """Each message due inside its recipient's working hours: now, or when their day starts."""
    return [
        replace(
            p,
            due_at=next_working_moment(hours.get(p.recipient_id, WorkingHours()), p.due_at)
            or p.due_at,
        )
        for p in planned
    ]


def nudge_pair(click: Click) -> Answer:
    """A private note from the lead to both people of a flagged pair, about that flag.

    Value "<pairing id>:<flag kind>". Once a day per flag: the outbox key holds the day, so a
    second click (or a co-lead's) queues nothing and the lead is told so.
    """
    pairing_part, _, kind = click.value.partition(":")
    pairing, program = _led_pairing(click, id_from(pairing_part), action="nudge its pairs")
    metrics = _metrics(click, program)
    flag = next(
        (
            f
            for f in metrics.flags
            if f.pairing_id == pairing.id and f.kind.value == kind and f.kind not in NOT_NUDGEABLE
        ),
        None,
    )
    if flag is None:
        _refresh(click)
        raise UserError(CLEARED)
    pair = _pair_in(metrics, pairing.id or 0)
    since = pair.last_session_at or pairing.started_at or pairing.created_at
    days = max((click.now() - since).days, 0)
    people = (
        (pair.mentor_user_id, Role.MENTOR, pair.mentee_user_id),
        (pair.mentee_user_id, Role.MENTEE, pair.mentor_user_id),
    )
    hours = _working_hours(click, program.id or 0, [u for u, _, _ in people])
    planned = _when_working(
        [
            message_to(
                click,
                to=user,
                rule=NUDGE_RULE,
                message=build_lead_nudge(
                    flag,
                    to_role=role,
                    pairing_id=pair.pairing_id,
                    partner_user_id=partner,
                    lead_user_id=click.user_id,
                    program_name=program.name,
                    days=days,
                ),
                what="your nudge",
                pairing_id=pair.pairing_id,
                program_id=program.id,
                key=nudge_key(
                    pairing_id=pair.pairing_id,
                    kind=flag.kind.value,
                    day=metrics.today.isoformat(),
                    user_id=user,
                ),
            )
            for user, role, partner in people
        ],
        hours,
    )
    queued = 0
    if not _already_queued(click, [p.dedupe_key for p in planned]):
        with click.deps.session() as session:
            # The outbox's keys decide, even when two clicks get this far at once.
            queued = click.send(session, *planned)
    who = f"<@{pair.mentor_user_id}> and <@{pair.mentee_user_id}>"
    label = flag_label(flag.kind)
    if queued:
        later = " ".join(
            f"<@{p.recipient_id}> gets it when their working day starts."
            for p in planned
            if p.due_at > click.now()
        )
        click.tell(
            f"Sent: a private note from you to {who} about *{label}*, with the one step that "
            f"helps. {later + ' ' if later else ''}If it can't reach one of them, I'll tell you.",
            problem=False,
        )
    else:
        click.tell(
            f"{who} already got a nudge about *{label}* today. One a day is plenty: give them "
            "a little time to act on it.",
            problem=False,
        )
    _refresh(click)
    return None


def _already_queued(i: Interaction, keys: list[str]) -> bool:
    """Whether every one of these messages is in the outbox already (sent or not)."""
    with i.deps.read() as session:
        found = session.exec(select(Delivery.id).where(col(Delivery.dedupe_key).in_(keys))).all()
    return len(found) == len(keys)


def open_report(click: Click) -> Answer:
    """The pair's report, as ``/mentor report`` shows it, opened up with its flags."""
    pairing, program = _led_pairing(click, click.id("That mentoring pair"), action="see its report")
    metrics = _metrics(click, program)
    pair = _pair_in(metrics, pairing.id or 0)
    flags = [f for f in metrics.flags if f.pairing_id == pair.pairing_id]
    return Modal(
        build_pair_report_modal(pair, flags, program_name=program.name, tz=metrics.timezone)
    )


def ask_rematch(click: Click) -> Answer:
    """The confirmation modal for ending a pairing that does not work."""
    pairing, program = _led_pairing(
        click, click.id("That mentoring pair"), action="re-match its pairs"
    )
    if pairing.status not in ENDABLE:
        raise UserError(
            f"<@{pairing.mentor_user_id}> and <@{pairing.mentee_user_id}> are no longer "
            "paired: nothing to re-match."
        )
    return Modal(
        build_rematch_modal(
            pairing_id=pairing.id or 0,
            program_id=program.id or 0,
            program_name=program.name,
            mentor_user_id=pairing.mentor_user_id,
            mentee_user_id=pairing.mentee_user_id,
            page=_page_shown(click).value,
        )
    )


def submit_rematch(form: Submission) -> Closing:
    """End the pairing, tell both kindly through the outbox, and show the lead what is next."""
    pairing_id = form.meta_id("pairing_id", "That mentoring pair")
    with form.deps.read() as session:
        program = get_program_by_id(
            session, team_id=form.team_id, program_id=form.meta_id("program_id", "That program")
        )
    check_lead(form, program, action="re-match its pairs")
    reason = form.state.option(REMATCH_REASON) or ""
    note = form.state.text(REMATCH_NOTE).strip()
    if len(note) > REMATCH_NOTE_MAX:
        raise FieldErrors({REMATCH_NOTE: f"Keep the note under {REMATCH_NOTE_MAX} characters."})
    with form.deps.read() as session:
        pairing = session.get(Pairing, pairing_id)
        if pairing is None or pairing.team_id != form.team_id:
            raise NotFound("That mentoring pair no longer exists.")
    hours = _working_hours(form, program.id or 0, [pairing.mentor_user_id, pairing.mentee_user_id])
    with form.deps.session() as session:
        outcome = rematch_pairing(
            session,
            program=program,
            pairing_id=pairing_id,
            reason=reason,
            lead_user_id=form.user_id,
            now=form.now(),
        )
        people = [(outcome.mentor_user_id, Role.MENTOR)]
        if not outcome.mentee_left:
            people.append((outcome.mentee_user_id, Role.MENTEE))
        news = [
            message_to(
                form,
                to=user,
                rule="rematch_ended",
                message=build_rematch_message(
                    outcome, to_role=role, lead_user_id=form.user_id, note=note
                ),
                what="the news that their pairing ended",
                pairing_id=pairing_id,
                program_id=program.id,
                # Once per pairing and person, whatever is clicked twice.
                key=f"rematch_ended:{pairing_id}:{user}",
            )
            for user, role in people
        ]
        form.send(session, *_when_working(news, hours))
    page = HomePage.parse(form.metadata.get("page"))
    form.later(lambda: _refresh(form, page))
    log.info(
        "pairing ended for a re-match",
        extra={"team_id": form.team_id, "program_id": program.id, "pairing_id": pairing_id},
    )
    return Update(build_rematch_done(outcome, can_match=program.status in MATCHABLE))


def register(app: App, router: CommandRouter) -> None:
    """Listen for the Home tab and its buttons."""

    def show_help(click: Click) -> Answer:
        """The command list in a modal: Home has no channel to answer in."""
        return Modal(build_help_modal(router.subcommands))

    on_event(app, "app_home_opened", show_home)
    on_click(app, ActionId.HOME_HELP, show_help)
    on_click(app, ActionId.PROGRAM_NEW, new_program)
    on_click(app, ActionId.PROGRAM_EDIT, edit_program)
    on_click(app, ActionId.PROGRAM_MATCH, match_from_home)
    on_click(app, REVIEW_PROPOSALS, review_proposals)
    on_click(app, PAGE_PREVIOUS, turn_page)
    on_click(app, PAGE_NEXT, turn_page)
    on_click(app, FLAG_NUDGE, nudge_pair)
    on_click(app, FLAG_REPORT, open_report)
    on_click(app, FLAG_REMATCH, ask_rematch)
    on_submit(app, REMATCH_CALLBACK, submit_rematch, errors_at=REMATCH_REASON)
    on_click(app, ActionId.INVITE_OPEN, open_invite)
    on_submit(app, CallbackId.INVITE, submit_invite, errors_at=BlockId.INVITE_PEOPLE)
    on_click(app, ActionId.INVITATIONS_OPEN, open_invitations)
    on_click(app, ActionId.INVITATIONS_PREVIOUS, turn_invitations_page)
    on_click(app, ActionId.INVITATIONS_NEXT, turn_invitations_page)
    for action_id in STATUS_BUTTONS:
        on_click(app, action_id, change_status)
