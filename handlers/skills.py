"""The skill matrix: ``/mentor skills``, its buttons, the scoring modal and the comparison DMs."""

from typing import Protocol

from slack_bolt import App
from sqlmodel import Session

from bot.commands import Subcommand
from bot.errors import UserError
from bot.ids import ActionId, BlockId, CallbackId
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
from bot.views.skills import (
    build_skill_comparison,
    build_skill_comparison_modal,
    build_skills_modal,
    build_skills_partner_prompt,
    build_skills_saved,
)
from handlers.commands import CommandRouter
from handlers.common import message_to
from handlers.listeners import (
    OUT_OF_DATE,
    Answer,
    Click,
    Closing,
    Command,
    Modal,
    PairFrom,
    Reply,
    Submission,
    id_from,
    on_click,
    on_submit,
)
from scheduler.outbox import Planned

SKILLS = Subcommand(
    "skills",
    "skills [@partner]",
    "Score the program's skills 1 to 5; compare with your partner once you both have.",
)


class _RoundService(Protocol):
    def __call__(
        self, session: Session, *, team_id: str, user_id: str, pairing_id: int
    ) -> SkillForm | SkillComparison: ...


def show_skills(command: Command) -> Answer:
    """The scoring modal while the round is open; the side-by-side view once it is closed."""
    with command.deps.read() as session:
        shown = open_skills(
            session, team_id=command.team_id, user_id=command.user_id, pairing_id=command.pair.id
        )
    if isinstance(shown, SkillForm):
        return Modal(build_skills_modal(shown))
    return Reply(build_skill_comparison(shown))


def show_skills_for_pair(click: Click) -> Answer:
    """SKILLS_OPEN (value: pairing id) from the Home tab or a DM: the form, or the comparison."""
    return _show_round(click, open_skills)


def start_reassessment(click: Click) -> Answer:
    """ "Start a re-assessment": the form for the next round."""
    return _show_round(click, start_round)


def _show_round(click: Click, service: _RoundService) -> Answer:
    """The form (or, once closed, the comparison) ``service`` gives for the clicked pairing."""
    with click.deps.read() as session:
        shown = service(
            session, team_id=click.team_id, user_id=click.user_id, pairing_id=click.pair.id
        )
    if isinstance(shown, SkillForm):
        view = build_skills_modal(shown)
    else:
        view = build_skill_comparison_modal(shown)
    # A click in the skill matrix's own modal replaces it; anywhere else the view opens anew.
    view_id = click.modal_id(CallbackId.SKILLS)
    if view_id is None:
        return Modal(view)
    click.redraw(view_id, view)
    return None


def add_gaps_to_agenda(click: Click) -> Answer:
    """ "Add gaps to agenda" (value "<pairing id>:<round>"): one SKILL_GAP item per wide gap."""
    pairing, _, round_ = click.value.partition(":")
    pairing_id, round_number = id_from(pairing), id_from(round_)
    with click.deps.session() as session:
        added = gaps_to_agenda(
            session,
            team_id=click.team_id,
            user_id=click.user_id,
            pairing_id=pairing_id,
            round_=round_number,
            now=click.now(),
        )
        comparison = compare_round(
            session,
            team_id=click.team_id,
            user_id=click.user_id,
            pairing_id=pairing_id,
            round_=round_number,
        )
    view_id = click.modal_id(CallbackId.SKILLS)
    if view_id is not None:
        click.redraw(view_id, build_skill_comparison_modal(comparison, agenda_added=len(added)))
        return None
    redrawn = build_skill_comparison(comparison, agenda_added=len(added))
    # The comparison DM is updated in place; an ephemeral one through its response_url.
    if click.update_message(redrawn):
        return None
    return Reply(redrawn)


def save_skill_scores(form: Submission) -> Closing:
    """Store the person's scores; the second submission of a round closes it and shows both."""
    prefix = BlockId.SKILL_PREFIX
    inputs = [
        str(b.get("block_id", "")) for b in form.view.get("blocks", []) if b.get("type") == "input"
    ]
    # One select per competency, its block id ending in the competency's position in the list.
    answers = {
        int(block_id.removeprefix(prefix)): form.state.option(block_id)
        for block_id in inputs
        if block_id.startswith(prefix) and block_id.removeprefix(prefix).isdigit()
    }
    round_ = form.metadata.get("round")
    if not isinstance(round_, int):
        raise UserError(OUT_OF_DATE)
    with form.deps.session() as session:
        saved = submit_scores(
            session,
            team_id=form.team_id,
            user_id=form.user_id,
            pairing_id=form.pair.id,
            round_=round_,
            answers=answers,
            key=str(form.metadata.get("key", "")),
            now=form.now(),
        )
        form.send(session, *_announcements(form, session, saved))
    return None


def _announcements(form: Submission, session: Session, saved: SubmittedScores) -> list[Planned]:
    """The DMs a submission brings: the person's own scores and the partner's turn, or, once
    both are in, the comparison to each of them."""
    program_id = form.pair.program.id
    round_key = f"{saved.pairing_id}:{saved.round}"
    if not saved.closed:
        planned = [
            message_to(
                form,
                to=saved.user_id,
                rule="skills_saved",
                message=build_skills_saved(saved),
                what="your skill scores",
                pairing_id=saved.pairing_id,
                program_id=program_id,
            )
        ]
        if not saved.edited:
            planned.append(
                message_to(
                    form,
                    to=saved.partner_user_id,
                    rule="skills_prompt",
                    message=build_skills_partner_prompt(saved),
                    what="the news that you've scored the skill matrix",
                    pairing_id=saved.pairing_id,
                    program_id=program_id,
                    key=f"skills_prompt:{round_key}",
                )
            )
        return planned
    comparison = compare_round(
        session,
        team_id=form.team_id,
        user_id=saved.user_id,
        pairing_id=saved.pairing_id,
        round_=saved.round,
    )
    message = build_skill_comparison(comparison)
    return [
        message_to(
            form,
            to=person,
            rule="skills_comparison",
            message=message,
            what="the side-by-side skill scores",
            pairing_id=saved.pairing_id,
            program_id=program_id,
            key=f"skills_comparison:{round_key}:{person}",
        )
        for person in (comparison.mentee_user_id, comparison.mentor_user_id)
    ]


def register(app: App, router: CommandRouter) -> None:
    """Listen for the skill matrix's command, buttons and modal."""
    router.add(SKILLS, show_skills, pair=True)
    on_click(app, ActionId.SKILLS_OPEN, show_skills_for_pair, pair=PairFrom.VALUE)
    on_click(app, ActionId.SKILLS_REASSESS, start_reassessment, pair=PairFrom.VALUE)
    on_click(app, ActionId.SKILLS_GAPS_TO_AGENDA, add_gaps_to_agenda)
    on_submit(
        app,
        CallbackId.SKILLS,
        save_skill_scores,
        pair=PairFrom.METADATA,
        errors_at=f"{BlockId.SKILL_PREFIX}0",
    )
