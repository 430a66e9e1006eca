"""The skill matrix: ``/mentor skills``, its buttons, the scoring modal and the comparison DMs."""

import logging
from collections.abc import Callable
from typing import Any, Protocol

from slack_bolt import Ack, App, Respond
from sqlmodel import Session

from bot.commands import Subcommand
from bot.deps import Deps
from bot.errors import FieldErrors, UserError
from bot.gateway import SlackCallError
from bot.ids import ActionId, BlockId, CallbackId
from bot.services.access import resolve_pairing
from bot.services.skills import (
    SkillComparison,
    SkillForm,
    SubmittedScores,
    compare_round,
    gaps_to_agenda,
    open_skills,
    start_round,
    submit_scores,
)
from bot.views.forms import FormState
from bot.views.skills import (
    build_skill_comparison,
    build_skill_comparison_modal,
    build_skills_modal,
    build_skills_partner_prompt,
    build_skills_saved,
)
from handlers.commands import CommandRouter
from handlers.legacy import (
    OUT_OF_DATE,
    CommandRequest,
    ack_field_errors,
    ack_problem,
    id_from,
    legacy,
    open_modal_then_ack,
    send,
    team_of,
    tell,
    user_of,
    view_metadata,
)
from handlers.listeners import SLOW_SLACK

log = logging.getLogger(__name__)

SKILLS = Subcommand(
    "skills",
    "skills [@partner]",
    "Score the program's skills 1 to 5; compare with your partner once you both have.",
)


def handle_skills_command(request: CommandRequest) -> None:
    """The scoring modal while the round is open; the side-by-side view once it is closed."""
    try:
        with request.deps.session() as session:
            choice = resolve_pairing(
                session,
                team_id=request.team_id,
                user_id=request.user_id,
                hint=" ".join(request.args),
            )
            assert choice.pairing.id is not None
            shown = open_skills(
                session,
                team_id=request.team_id,
                user_id=request.user_id,
                pairing_id=choice.pairing.id,
            )
    except UserError as error:
        ack_problem(request.ack, error)
        return
    if isinstance(shown, SkillForm):
        open_modal_then_ack(request, build_skills_modal(shown), slow_slack=SLOW_SLACK)
    else:
        request.ack(**build_skill_comparison(shown))


def _show(deps: Deps, body: dict[str, Any], view: dict[str, Any]) -> None:
    """Replace the modal the click came from, or open a new one for a click in a message."""
    source = body.get("view") or {}
    try:
        # A click inside a modal replaces it; from a message or the Home tab it opens one.
        if source.get("type") == "modal" and source.get("id"):
            deps.gateway.update_modal(str(source["id"]), view)
        else:
            deps.gateway.open_modal(body["trigger_id"], view)
    except SlackCallError as error:
        log.warning("skills view not shown", extra={"error": error.error})


def handle_skills_button(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, deps: Deps
) -> None:
    """SKILLS_OPEN (value: pairing id) from the Home tab or a DM."""
    _show_round(ack, body, action, respond, deps, open_skills)


def handle_reassess(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, deps: Deps
) -> None:
    """ "Start a re-assessment": the form for the next round."""
    _show_round(ack, body, action, respond, deps, start_round)


class _RoundService(Protocol):
    def __call__(
        self, session: Session, *, team_id: str, user_id: str, pairing_id: int
    ) -> SkillForm | SkillComparison: ...


def _show_round(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
    deps: Deps,
    service: _RoundService,
) -> None:
    """The form (or, once closed, the comparison) ``service`` gives for the clicked pairing."""
    ack()
    team_id, user_id = team_of(body), user_of(body)
    try:
        pairing_id = id_from(action.get("value") or "")
        with deps.session() as session:
            shown = service(session, team_id=team_id, user_id=user_id, pairing_id=pairing_id)
    except UserError as error:
        tell(deps, body, respond, error)
        return
    if isinstance(shown, SkillForm):
        _show(deps, body, build_skills_modal(shown))
    else:
        _show(deps, body, build_skill_comparison_modal(shown))


def handle_gaps_to_agenda(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, deps: Deps
) -> None:
    """ "Add gaps to agenda" (value "<pairing id>:<round>"): one SKILL_GAP item per wide gap."""
    ack()
    team_id, user_id = team_of(body), user_of(body)
    pairing, _, round_ = str(action.get("value") or "").partition(":")
    try:
        pairing_id, round_number = id_from(pairing), id_from(round_)
        with deps.session() as session:
            added = gaps_to_agenda(
                session,
                team_id=team_id,
                user_id=user_id,
                pairing_id=pairing_id,
                round_=round_number,
                now=deps.now(),
            )
            comparison = compare_round(
                session,
                team_id=team_id,
                user_id=user_id,
                pairing_id=pairing_id,
                round_=round_number,
            )
    except UserError as error:
        tell(deps, body, respond, error)
        return
    _redraw(deps, body, respond, comparison, agenda_added=len(added))


def _redraw(
    deps: Deps,
    body: dict[str, Any],
    respond: Respond,
    comparison: SkillComparison,
    *,
    agenda_added: int,
) -> None:
    container = body.get("container") or {}
    try:
        source = body.get("view") or {}
        if source.get("type") == "modal" and source.get("id"):
            modal = build_skill_comparison_modal(comparison, agenda_added=agenda_added)
            deps.gateway.update_modal(str(source["id"]), modal)
        elif container.get("is_ephemeral"):
            # An ephemeral answer to the command can only be replaced through its response_url.
            respond(
                **build_skill_comparison(comparison, agenda_added=agenda_added),
                replace_original=True,
            )
        else:
            message = build_skill_comparison(comparison, agenda_added=agenda_added)
            deps.gateway.update_message(
                str(container.get("channel_id")), str(container.get("message_ts")), message
            )
    except SlackCallError as error:
        log.warning("comparison not redrawn", extra={"error": error.error})


def handle_skills_submission(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], deps: Deps
) -> None:
    """Store the person's scores; the second submission of a round closes it and shows both."""
    team_id, user_id = team_of(body), user_of(body)
    state = FormState(view)
    block_ids = [
        str(block["block_id"])
        for block in view.get("blocks", [])
        if block.get("type") == "input"
        and str(block.get("block_id", "")).startswith(BlockId.SKILL_PREFIX)
    ]
    first_block = block_ids[0] if block_ids else f"{BlockId.SKILL_PREFIX}0"
    try:
        answers = {int(b.removeprefix(BlockId.SKILL_PREFIX)): state.option(b) for b in block_ids}
        meta = view_metadata(view)
        with deps.session() as session:
            saved = submit_scores(
                session,
                team_id=team_id,
                user_id=user_id,
                pairing_id=int(meta["pairing_id"]),
                round_=int(meta["round"]),
                answers=answers,
                key=str(meta.get("key", "")),
                now=deps.now(),
            )
    except FieldErrors as errors:
        ack_field_errors(ack, errors)
        return
    except (UserError, KeyError, ValueError, TypeError) as error:
        text = str(error) if isinstance(error, UserError) else OUT_OF_DATE
        ack_field_errors(ack, FieldErrors({first_block: text}))
        return
    ack()
    deps.after_ack(_announce(deps, team_id, saved))


def _announce(deps: Deps, team_id: str, saved: SubmittedScores) -> Callable[[], None]:
    def announce() -> None:
        if not saved.closed:
            send(deps, saved.user_id, build_skills_saved(saved), what="skill scores")
            if not saved.edited:
                send(
                    deps,
                    saved.partner_user_id,
                    build_skills_partner_prompt(saved),
                    what="skills prompt",
                )
            return
        with deps.session() as session:
            comparison = compare_round(
                session,
                team_id=team_id,
                user_id=saved.user_id,
                pairing_id=saved.pairing_id,
                round_=saved.round,
            )
        message = build_skill_comparison(comparison)
        for person in (comparison.mentee_user_id, comparison.mentor_user_id):
            send(deps, person, message, what="skill comparison")

    return announce


def register(app: App, router: CommandRouter) -> None:
    """Listen for the skill matrix's command, buttons and modal."""
    router.add(SKILLS, legacy(handle_skills_command))
    app.action(ActionId.SKILLS_OPEN.value)(handle_skills_button)
    app.action(ActionId.SKILLS_REASSESS.value)(handle_reassess)
    app.action(ActionId.SKILLS_GAPS_TO_AGENDA.value)(handle_gaps_to_agenda)
    app.view(CallbackId.SKILLS.value)(handle_skills_submission)
