"""Leads' views of a cohort: ``/mentor digest``, ``/mentor report`` and ``/mentor export``.

Only a program's leads (and workspace admins) get any of them. Commands are acked at once, so
the metrics (seconds for thousands of pairs) are computed in the handler. The digest for the
channel goes through the outbox, which uploads its chart once the digest is in; the preview,
the report and the CSV are the lead's own answers.
"""

from typing import Any

from slack_bolt import App

from bot.commands import Subcommand
from bot.errors import UserError
from bot.export import csv_bytes, csv_filename, digest_for, report_for
from bot.ids import ActionId
from bot.services.digest import cohort_metrics
from bot.services.programs import get_program, get_program_by_id
from bot.views.text import escape
from handlers.commands import CommandRouter
from handlers.common import check_lead, message_to
from handlers.listeners import Answer, Click, Command, Interaction, Reply, id_from, on_click, reply
from scheduler.rules import DIGEST_RULE
from storage.models import Program

DIGEST = Subcommand(
    "digest",
    "digest PROGRAM [--preview]",
    "Post a program's cohort digest to its digest channel (or preview it privately).",
    lead_only=True,
)
REPORT = Subcommand(
    "report",
    "report PROGRAM",
    "See every pair of a program: stage, sessions, hours, goals and red flags.",
    lead_only=True,
)
EXPORT = Subcommand(
    "export", "export PROGRAM", "Get a CSV of a program's per-pair metrics in a DM.", lead_only=True
)
# Slack's clients often turn a typed "--" into a dash.
PREVIEW_FLAGS = frozenset({"--preview", "\u2014preview", "\u2013preview", "-p"})


def _lead_program(i: Interaction, name: str, *, action: str) -> Program:
    """The named program, if the actor leads it (or is a workspace admin)."""
    with i.deps.read() as session:
        program = get_program(session, team_id=i.team_id, name=name)
    check_lead(i, program, action=action)
    return program


# --- /mentor digest ------------------------------------------------------------------------------


def _digest_message(i: Interaction, program: Program) -> dict[str, Any]:
    """The digest, built in a read-only unit of work (the write lock is never held for it)."""
    with i.deps.read() as session:
        return digest_for(session, program=program, now=i.now()).message


def post_digest(command: Command) -> Answer:
    """Queue the digest for the program's digest channel, or ``--preview`` it to the lead only."""
    words = [w for w in command.args if w.lower() not in PREVIEW_FLAGS]
    preview = len(words) != len(command.args)
    if not words:
        raise UserError(
            "Which program? Try `/mentor digest Spring cohort`, or add `--preview` to see it "
            "privately first."
        )
    program = _lead_program(command, " ".join(words), action="see or post its digest")
    if preview:
        return Reply(_digest_message(command, program))
    channel = program.digest_channel_id
    if not channel:
        name = escape(program.name)
        raise UserError(
            f"*{name}* has no digest channel yet. Pick one in `/mentor program edit {name}`, or "
            f"see the digest privately with `/mentor digest {name} --preview`."
        )
    message = _digest_message(command, program)
    with command.deps.session() as session:
        # DIGEST_RULE: once the digest is in the channel, the engine uploads its chart under it.
        command.send(
            session,
            message_to(
                command,
                to=channel,
                rule=DIGEST_RULE,
                message=message,
                what=f"the digest of {escape(program.name)}",
                program_id=program.id,
            ),
        )
    return reply(f"The digest of *{escape(program.name)}* is on its way to <#{channel}>.")


# --- /mentor report ------------------------------------------------------------------------------


def show_report(command: Command) -> Answer:
    """Show the lead every pair of the program, those needing attention first."""
    if not command.args:
        raise UserError("Which program? Try `/mentor report Spring cohort`.")
    program = _lead_program(command, command.words, action="see its pair report")
    with command.deps.read() as session:
        return Reply(report_for(session, program=program, now=command.now()))


def show_report_page(click: Click) -> Answer:
    """Another page of the report in place (value "<program id>:<offset>"; leads only, again)."""
    program_part, _, offset_part = click.value.partition(":")
    program_id = id_from(program_part, "That page")
    offset = int(offset_part) if offset_part.isdigit() else 0
    with click.deps.read() as session:
        program = get_program_by_id(session, team_id=click.team_id, program_id=program_id)
    check_lead(click, program, action="see its report")
    with click.deps.read() as session:
        page = report_for(session, program=program, now=click.now(), offset=offset)
    # The report is an ephemeral answer: replaced through its response_url while that lives.
    if click.update_message(page):
        return None
    return Reply(page)


# --- /mentor export ------------------------------------------------------------------------------


def export_csv(command: Command) -> Answer:
    """Upload a CSV of per-pair metrics (numbers and codes, no free text) to the lead's DM."""
    if not command.args:
        raise UserError("Which program? Try `/mentor export Spring cohort`.")
    program = _lead_program(command, command.words, action="export its metrics")
    with command.deps.read() as session:
        metrics = cohort_metrics(session, program=program, now=command.now())
    refused = command.send_file_to_self(
        filename=csv_filename(metrics),
        content=csv_bytes(metrics),
        title=f"{metrics.program_name}: per-pair metrics",
        comment=(
            f"Per-pair metrics of *{escape(metrics.program_name)}* on {metrics.today:%d %B %Y}: "
            f"{len(metrics.pairs):,} pairs. Counts and codes only: notes, feedback, comments "
            "and ratings stay with each pair."
        ),
    )
    if refused:
        raise UserError(f"I couldn't send you the CSV ({refused}). Try again in a minute.")
    name = escape(metrics.program_name)
    return reply(f"The CSV of *{name}* is in your DM with me: {len(metrics.pairs):,} pairs.")


def register(app: App, router: CommandRouter) -> None:
    """Listen for the leads' digest, report and export commands, and the report's pages."""
    router.add(DIGEST, post_digest)
    router.add(REPORT, show_report)
    router.add(EXPORT, export_csv)
    on_click(app, ActionId.REPORT_NEXT, show_report_page)
    on_click(app, ActionId.REPORT_PREVIOUS, show_report_page)
