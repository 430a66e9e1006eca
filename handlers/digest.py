"""Leads' views of a cohort: ``/mentor digest``, ``/mentor report`` and ``/mentor export``.

Only a program's leads (and workspace admins) get any of them. The answer to the command comes at
once; the metrics, the chart and the uploads (seconds for thousands of pairs) run after the ack.
"""

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.commands import Subcommand
from bot.deps import Deps
from bot.errors import UserError
from bot.export import (
    chart_filename,
    chart_png,
    csv_bytes,
    csv_filename,
    digest_for,
    report_for,
)
from bot.gateway import SlackCallError
from bot.ids import ActionId
from bot.services.digest import cohort_metrics
from bot.services.programs import get_program, get_program_by_id
from bot.views.notice import build_notice
from handlers.commands import CommandRouter
from handlers.legacy import CommandRequest, ack_problem, check_lead, legacy, team_of, user_of
from storage.models import Program

log = logging.getLogger(__name__)

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


def _lead_program(deps: Deps, *, team_id: str, user_id: str, name: str, action: str) -> Program:
    """The named program, if ``user_id`` leads it (or is a workspace admin)."""
    with deps.session() as session:
        program = get_program(session, team_id=team_id, name=name)
        check_lead(deps, session, program=program, user_id=user_id, action=action)
    return program


def _answering(respond: Respond, what: str, work: Callable[[], None]) -> Callable[[], None]:
    """``work`` for after the ack: an unexpected failure is logged and told in one sentence."""

    def run() -> None:
        try:
            work()
        except Exception:
            log.exception("lead view failed", extra={"what": what})
            respond(
                **build_notice(
                    f"Something went wrong while {what}. Try again in a minute.", problem=True
                )
            )

    return run


def _program_id(program: Program) -> int:
    if program.id is None:
        raise ValueError("the program has not been saved")
    return program.id


# --- /mentor digest ------------------------------------------------------------------------------


def handle_digest_command(request: CommandRequest) -> None:
    """Post the digest to the program's digest channel, or ``--preview`` it to the lead only."""
    words = [w for w in request.args if w.lower() not in PREVIEW_FLAGS]
    preview = len(words) != len(request.args)
    if not words:
        ack_problem(
            request.ack,
            UserError(
                "Which program? Try `/mentor digest Spring cohort`, or add `--preview` to see "
                "it privately first."
            ),
        )
        return
    deps = request.deps
    try:
        program = _lead_program(
            deps,
            team_id=request.team_id,
            user_id=request.user_id,
            name=" ".join(words),
            action="see or post its digest",
        )
    except UserError as error:
        ack_problem(request.ack, error)
        return
    program_id = _program_id(program)
    if preview:
        request.ack(**build_notice(f"Building the digest of *{program.name}*, just for you…"))
        deps.after_ack(
            _answering(
                request.respond,
                "building the digest",
                lambda: _preview(deps, request.team_id, program_id, request.respond),
            )
        )
        return
    channel = program.digest_channel_id
    if not channel:
        ack_problem(
            request.ack,
            UserError(
                f"*{program.name}* has no digest channel yet. Pick one in "
                f"`/mentor program edit {program.name}`, or see the digest privately with "
                f"`/mentor digest {program.name} --preview`."
            ),
        )
        return
    request.ack(**build_notice(f"Posting the digest of *{program.name}* to <#{channel}>…"))
    deps.after_ack(
        _answering(
            request.respond,
            "posting the digest",
            lambda: _post(deps, request.team_id, program_id, channel, request.respond),
        )
    )


def _preview(deps: Deps, team_id: str, program_id: int, respond: Respond) -> None:
    with deps.session() as session:
        program = get_program_by_id(session, team_id=team_id, program_id=program_id)
        digest = digest_for(session, program=program, now=deps.now())
    respond(**digest.message, response_type="ephemeral")


def _post(deps: Deps, team_id: str, program_id: int, channel: str, respond: Respond) -> None:
    """Post the digest, then its chart; a failed upload leaves a complete digest behind."""
    with deps.session() as session:
        program = get_program_by_id(session, team_id=team_id, program_id=program_id)
        digest = digest_for(session, program=program, now=deps.now())
    try:
        deps.gateway.post_message(channel, digest.message)
    except SlackCallError as error:
        log.warning(
            "digest not posted",
            extra={"team_id": team_id, "program_id": program_id, "error": error.error},
        )
        respond(
            **build_notice(
                f"I couldn't post the digest to <#{channel}> ({error.error}). Invite me there "
                "with `/invite @mentorbot` and try again.",
                problem=True,
            )
        )
        return
    metrics = digest.metrics
    note = ""
    chart = chart_png(metrics)
    if chart is not None:
        try:
            deps.gateway.upload_file(
                channel,
                filename=chart_filename(metrics),
                content=chart,
                title=f"{metrics.program_name}: sessions and scorecards per week",
                initial_comment=(
                    f"Sessions per week against plan, and the scorecard trend, for "
                    f"*{metrics.program_name}*."
                ),
            )
        except SlackCallError as error:
            log.warning(
                "digest chart not uploaded",
                extra={"team_id": team_id, "program_id": program_id, "error": error.error},
            )
            note = " The chart couldn't be uploaded this time; the digest reads fine without it."
    respond(**build_notice(f"Posted the digest of *{metrics.program_name}* to <#{channel}>.{note}"))


# --- /mentor report ------------------------------------------------------------------------------


def handle_report_command(request: CommandRequest) -> None:
    """Show the lead every pair of the program, those needing attention first."""
    if not request.args:
        ack_problem(request.ack, UserError("Which program? Try `/mentor report Spring cohort`."))
        return
    deps = request.deps
    try:
        program = _lead_program(
            deps,
            team_id=request.team_id,
            user_id=request.user_id,
            name=" ".join(request.args),
            action="see its pair report",
        )
    except UserError as error:
        ack_problem(request.ack, error)
        return
    program_id = _program_id(program)
    request.ack(**build_notice(f"Building the pair report of *{program.name}*…"))
    deps.after_ack(
        _answering(
            request.respond,
            "building the report",
            lambda: _report(deps, request.team_id, program_id, 0, request.respond, False),
        )
    )


def _report(
    deps: Deps, team_id: str, program_id: int, offset: int, respond: Respond, replace: bool
) -> None:
    with deps.session() as session:
        program = get_program_by_id(session, team_id=team_id, program_id=program_id)
        report = report_for(session, program=program, now=deps.now(), offset=offset)
    if replace:
        respond(**report, replace_original=True)
    else:
        respond(**report, response_type="ephemeral")


def handle_report_page(ack: Ack, body: dict[str, Any], respond: Respond, deps: Deps) -> None:
    """Show another page of the report in place (leads only, checked again)."""
    ack()
    team_id, user_id = team_of(body), user_of(body)
    value = str(body["actions"][0].get("value", ""))
    program_part, _, offset_part = value.partition(":")
    try:
        with deps.session() as session:
            program = get_program_by_id(session, team_id=team_id, program_id=int(program_part))
            check_lead(deps, session, program=program, user_id=user_id, action="see its report")
    except (UserError, ValueError) as error:
        problem = str(error) if isinstance(error, UserError) else "That page no longer exists."
        respond(**build_notice(problem, problem=True), replace_original=False)
        return
    offset = int(offset_part) if offset_part.isdigit() else 0
    program_id = _program_id(program)
    deps.after_ack(
        _answering(
            respond,
            "building the report",
            lambda: _report(deps, team_id, program_id, offset, respond, True),
        )
    )


# --- /mentor export ------------------------------------------------------------------------------


def handle_export_command(request: CommandRequest) -> None:
    """DM the lead a CSV of per-pair metrics (numbers and codes, no free text)."""
    if not request.args:
        ack_problem(request.ack, UserError("Which program? Try `/mentor export Spring cohort`."))
        return
    deps = request.deps
    try:
        program = _lead_program(
            deps,
            team_id=request.team_id,
            user_id=request.user_id,
            name=" ".join(request.args),
            action="export its metrics",
        )
    except UserError as error:
        ack_problem(request.ack, error)
        return
    program_id = _program_id(program)
    request.ack(**build_notice(f"Preparing the CSV of *{program.name}*… I'll DM it to you."))
    deps.after_ack(
        _answering(
            request.respond,
            "preparing the CSV",
            lambda: _export(deps, request.team_id, program_id, request.user_id, request.respond),
        )
    )


def _export(deps: Deps, team_id: str, program_id: int, lead_id: str, respond: Respond) -> None:
    with deps.session() as session:
        program = get_program_by_id(session, team_id=team_id, program_id=program_id)
        metrics = cohort_metrics(session, program=program, now=deps.now())
    try:
        dm = deps.gateway.open_conversation([lead_id])
        deps.gateway.upload_file(
            dm,
            filename=csv_filename(metrics),
            content=csv_bytes(metrics),
            title=f"{metrics.program_name}: per-pair metrics",
            initial_comment=(
                f"Per-pair metrics of *{metrics.program_name}* on {metrics.today:%d %B %Y}: "
                f"{len(metrics.pairs):,} pairs. Numbers and codes only: notes, feedback and "
                "comments stay with each pair."
            ),
        )
    except SlackCallError as error:
        log.warning(
            "export not sent",
            extra={"team_id": team_id, "program_id": program_id, "error": error.error},
        )
        respond(
            **build_notice(
                f"I couldn't send you the CSV ({error.error}). Try again in a minute.",
                problem=True,
            )
        )


def register(app: App, router: CommandRouter) -> None:
    """Listen for the leads' digest, report and export commands, and the report's pages."""
    router.add(DIGEST, legacy(handle_digest_command))
    router.add(REPORT, legacy(handle_report_command))
    router.add(EXPORT, legacy(handle_export_command))
    app.action(ActionId.REPORT_NEXT.value)(handle_report_page)
    app.action(ActionId.REPORT_PREVIOUS.value)(handle_report_page)
