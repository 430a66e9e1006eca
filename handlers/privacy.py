"""People's rights over their data: ``/mentor my-data`` and ``/mentor forget-me``."""

import json

from slack_bolt import App
from sqlmodel import Session, select

from bot.commands import Subcommand
from bot.errors import UserError
from bot.ids import CallbackId
from bot.services.enrolment import leave_program
from bot.services.privacy import forget_person, personal_data, words_of
from bot.views.enrolment import build_notification, notification_subject
from bot.views.privacy import build_forget_modal, build_forgotten, data_comment
from handlers.commands import CommandRouter
from handlers.common import message_to
from handlers.listeners import (
    Answer,
    Closing,
    Command,
    Modal,
    Submission,
    Update,
    on_submit,
    reply,
)
from storage.enums import ParticipantStatus
from storage.models import Participant

MY_DATA = Subcommand(
    "my-data", "my-data", "Get a file of everything mentorbot stores about you, in a DM."
)
FORGET_ME = Subcommand(
    "forget-me", "forget-me", "Erase your profile and everything you wrote (you're asked first)."
)
DATA_FILE = "mentorbot-my-data.json"


def send_my_data(command: Command) -> Answer:
    """Everything stored about the person, as a JSON file in their DM with the bot."""
    with command.deps.read() as session:
        data = personal_data(session, team_id=command.team_id, user_id=command.user_id)
    counts = {table: len(rows) for table, rows in data["yours"].items()}
    refused = command.send_file_to_self(
        filename=DATA_FILE,
        content=json.dumps(data, indent=2, ensure_ascii=False).encode(),
        title="Everything mentorbot stores about you",
        comment=data_comment(counts),
    )
    if refused:
        raise UserError(f"I couldn't send you the file ({refused}). Try again in a minute.")
    return reply("Your data is in your DM with me: one JSON file, yours to keep.")


def confirm_forget(command: Command) -> Answer:
    """The confirmation: exactly what will go and what stays, before anything is erased."""
    with command.deps.read() as session:
        counts = words_of(session, team_id=command.team_id, user_id=command.user_id)
        counts["participant"] = len(_enrolments(session, command))
    return Modal(build_forget_modal(counts))


def forget(form: Submission) -> Closing:
    """Erase the person: their pairings end (partners and leads hear it through the outbox),
    then their words go and their name becomes a pseudonym, in one unit of work."""
    with form.deps.session() as session:
        notifications = [
            n
            for participant in _enrolments(session, form)
            if participant.status is not ParticipantStatus.LEFT
            for n in leave_program(
                session=session, participant=participant, note="", now=form.now()
            )
        ]
        form.send(
            session,
            *(
                message_to(
                    form,
                    to=n.recipient_id,
                    rule=f"enrolment_{n.kind.value}",
                    message=build_notification(n),
                    what=notification_subject(n),
                    program_id=n.program_id,
                )
                for n in dict.fromkeys(notifications)
                if n.recipient_id != form.user_id
            ),
        )
        report = forget_person(session, team_id=form.team_id, user_id=form.user_id, now=form.now())
    form.deps.directory.forget(team_id=form.team_id, user_id=form.user_id)
    return Update(build_forgotten(sum(report.erased.values())))


def _enrolments(session: Session, i: Command | Submission) -> list[Participant]:
    return list(
        session.exec(
            select(Participant).where(
                Participant.team_id == i.team_id, Participant.user_id == i.user_id
            )
        )
    )


def register(app: App, router: CommandRouter) -> None:
    """Add ``/mentor my-data`` and ``/mentor forget-me`` and the erasure's confirmation."""
    router.add(MY_DATA, send_my_data)
    router.add(FORGET_ME, confirm_forget)
    on_submit(app, CallbackId.FORGET_ME, forget)
