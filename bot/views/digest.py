"""The leads' cohort digest and pair report, and a plain-text rendering of a message for docs.

Numbers and red flags only: nothing here can show notes, feedback, comments or one person's
rating, because ``CohortMetrics`` does not carry them; an average over fewer people than the
program's minimum group is None there, and reads "too few answers to show" here. Both messages
stay within Slack's 50 blocks whatever the program's size: the digest shows the most urgent flags
of each kind and points to ``/mentor report`` and ``/mentor export`` for the rest; the report
pages through the pairs.
"""

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from bot.ids import ActionId
from bot.services.digest import (
    FLAG_ORDER,
    CohortMetrics,
    Health,
    PairMetrics,
    RedFlag,
    ScoreSummary,
    SurveySummary,
)
from bot.services.scorecards import DIMENSIONS
from bot.services.sessions import zone
from bot.views.blocks import (
    SECTION_TEXT_LIMIT,
    Block,
    actions,
    button,
    context,
    divider,
    header,
    message,
    mrkdwn,
    section,
)
from bot.views.text import escape
from storage.enums import Cadence, FlagKind, Stage

FLAGS_PER_KIND = 5
GROWTH_SHOWN = 8
REPORT_PAGE_SIZE = 40
ROWS_PER_SECTION = 10

FLAG_TITLES = {
    FlagKind.DELIVERY_FAILED: ":no_entry: Can't reach",
    FlagKind.LAPSED: ":red_circle: Lapsed: no session for twice the cadence",
    FlagKind.LOW_SCORECARD: ":chart_with_downwards_trend: Low scorecards",
    FlagKind.ONE_SIDED_EFFORT: ":scales: One-sided effort",
    FlagKind.AGENDA_DRIFT: ":spiral_note_pad: Agenda drift",
    FlagKind.AVOIDED_FEEDBACK: ":speech_balloon: Avoided hard feedback",
    FlagKind.SKILL_GAP_UNRESOLVED: ":jigsaw: Skill gaps unresolved",
    FlagKind.UNMATCHED: ":hourglass: Waiting for a match",
}
# The report's short words for each flag.
FLAG_WORDS = {
    FlagKind.DELIVERY_FAILED: "can't reach",
    FlagKind.LAPSED: "lapsed",
    FlagKind.LOW_SCORECARD: "low scores",
    FlagKind.ONE_SIDED_EFFORT: "one-sided",
    FlagKind.AGENDA_DRIFT: "agenda drift",
    FlagKind.AVOIDED_FEEDBACK: "soft feedback",
    FlagKind.SKILL_GAP_UNRESOLVED: "skill gap",
    FlagKind.UNMATCHED: "unmatched",
}
CADENCE_WORDS = {
    Cadence.WEEKLY: "every week",
    Cadence.BIWEEKLY: "every two weeks",
    Cadence.MONTHLY: "every month",
    Cadence.AS_NEEDED: "as needed",
}
HEALTH_WORDS = {
    Health.ACTIVE: ":large_green_circle: active",
    Health.LAPSING: ":large_yellow_circle: lapsing",
    Health.STALLED: ":red_circle: stalled",
    Health.PAUSED: ":double_vertical_bar: paused",
    Health.GRADUATED: ":mortar_board: graduated",
    Health.ENDED: ":white_circle: ended",
}
# Who needs the lead first, in the report.
_ATTENTION = {
    Health.LAPSING: 0,
    Health.STALLED: 1,
    Health.ACTIVE: 2,
    Health.PAUSED: 3,
    Health.ENDED: 4,
    Health.GRADUATED: 5,
}
PRIVACY_NOTE = (
    "Numbers and flags only: notes, feedback, survey comments and ratings stay with each pair."
)
TOO_FEW = "too few answers to show"


def _group_note(min_people: int) -> str:
    return f"Averages are shown only over {min_people} or more people."


# --- small formatters ----------------------------------------------------------------------------


def _day(value: date) -> str:
    return f"{value:%a} {value.day} {value:%b}"


def _short_day(value: date) -> str:
    return f"{value.day} {value:%b}"


def _number(value: float) -> str:
    """1 decimal place, without a trailing ".0"."""
    text = f"{value:,.1f}"
    return text[:-2] if text.endswith(".0") else text


def _plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count:,} {word if count == 1 else (many or word + 's')}"


def _person(user_id: str, names: Mapping[str, str]) -> str:
    name = names.get(user_id)
    return escape(name) if name else f"<@{user_id}>"


def _who(flag: RedFlag, names: Mapping[str, str]) -> str:
    """A pair as "mentor → mentee", or the one person a flag is about."""
    return " → ".join(_person(u, names) for u in flag.user_ids)


def _pair_label(pair: PairMetrics, names: Mapping[str, str]) -> str:
    return f"{_person(pair.mentor_user_id, names)} → {_person(pair.mentee_user_id, names)}"


def _change(value: float | None) -> str:
    if value is None:
        return ""
    if abs(value) < 0.05:
        return " (=)"
    return f" ({'▲' if value > 0 else '▼'}{abs(value):.1f})"


def _stage(stage: Stage) -> str:
    return stage.value.replace("_", " ")


# --- the digest ----------------------------------------------------------------------------------


def _headline_fields(metrics: CohortMetrics) -> list[dict[str, Any]]:
    head = metrics.headline
    counts = head.counts
    pairs = (
        f"*Pairs*\n{counts[Health.ACTIVE]:,} active · {counts[Health.LAPSING]:,} lapsing · "
        f"{counts[Health.STALLED]:,} stalled\n{counts[Health.PAUSED]:,} paused · "
        f"{counts[Health.GRADUATED]:,} graduated"
    )
    if counts[Health.ENDED]:
        pairs += f" · {counts[Health.ENDED]:,} ended early"
    if head.mentees_waiting:
        pairs += f"\n{_plural(head.mentees_waiting, 'mentee')} waiting for a match"
    sessions = (
        f"*Sessions*\n{head.sessions_week:,} this week (plan {_number(head.sessions_week_planned)})"
        f"\n{head.sessions_total:,} so far (plan {head.sessions_total_planned:,})"
    )
    everyone = sum(counts.values())
    average = head.hours_total / everyone if everyone else 0.0
    hours = (
        f"*Hours*\n{_number(head.hours_total)} held, {_number(average)} per pair\n"
        f"due by now {_number(head.hours_planned_per_pair)} h per pair "
        f"(of the {_number(head.hours_minimum_per_pair)} h minimum by the end)"
    )
    if head.pairs_behind_hours:
        hours += f"\n{_plural(head.pairs_behind_hours, 'pair')} behind the minimum"
    goals = head.goals
    goal_text = (
        f"*Goals* ({goals.total:,})\n{goals.done:,} done · {goals.on_track:,} on track\n"
        f"{goals.at_risk:,} at risk · {goals.overdue:,} overdue"
    )
    # Slack allows 2,000 characters in a section field.
    return [mrkdwn(t, 2000) for t in (pairs, sessions, hours, goal_text)]


def _scores_line(scores: ScoreSummary) -> str:
    if not scores.latest_count:
        return "• Scorecards: none completed in the last 4 weeks."
    ratings = _plural(scores.latest_count, "rating")
    if scores.latest_people < scores.min_people:
        # How many rated would say whose average it is: only that there were too few.
        return f"• Scorecards, last 4 weeks ({ratings}): {TOO_FEW}."
    parts = []
    for dimension in DIMENSIONS:
        value = scores.latest.get(dimension)
        shown = "n/a" if value is None else f"{value:.1f}"
        parts.append(f"{dimension.capitalize()} {shown}{_change(scores.change(dimension))}")
    before = ""
    if scores.previous_count and scores.previous_people < scores.min_people:
        before = f"; the 4 weeks before: {TOO_FEW}"
    return (
        f"• Scorecards, last 4 weeks vs the 4 before ({ratings} by "
        f"{_plural(scores.latest_people, 'mentee')}): " + " · ".join(parts) + before
    )


def _growth_line(growth: Mapping[str, float], hidden: int = 0) -> str:
    if not growth:
        if hidden:
            return f"• Skill growth since the start: {TOO_FEW}."
        return "• Skill growth since the start: no re-assessment closed yet."
    ranked = sorted(growth.items(), key=lambda item: (-item[1], item[0]))
    parts = [f"{escape(name)} {value:+.1f}" for name, value in ranked[:GROWTH_SHOWN]]
    more = len(ranked) - GROWTH_SHOWN
    return (
        "• Skill growth since the start (1 to 5): "
        + " · ".join(parts)
        + (f" · +{more} more" if more > 0 else "")
        + (f" · {_plural(hidden, 'other')}: {TOO_FEW}" if hidden else "")
    )


def _survey_line(survey: SurveySummary) -> str:
    if not survey.responses:
        return f"• {survey.title}: no answers yet."
    averages = []
    hidden = False
    for found in survey.averages:
        if found.average is None:
            hidden = hidden or found.people > 0
            continue
        if found.yes_no:
            averages.append(f"{found.label} {found.average * 100:.0f}% yes")
        else:
            averages.append(f"{found.label} {found.average:.1f}/5")
    if hidden:
        averages.append(f"{'others' if averages else 'averages'}: {TOO_FEW}")
    return (
        f"• {survey.title}: {survey.pairs_complete:,} of {_plural(survey.pairs, 'pair')} complete"
        + (f"; {' · '.join(averages)}" if averages else "")
    )


def _trends(metrics: CohortMetrics) -> str:
    lines = [
        "*Trends*",
        _scores_line(metrics.scores),
        _growth_line(metrics.skill_growth, metrics.skill_hidden),
    ]
    lines += [_survey_line(s) for s in metrics.surveys]
    return "\n".join(lines)


def _flag_section(
    kind: FlagKind, flags: Sequence[RedFlag], *, names: Mapping[str, str], program_name: str
) -> Block:
    shown = flags[:FLAGS_PER_KIND]
    # One suggested action for the kind when every shown flag has the same; else one per flag.
    shared = escape(shown[0].action) if len({f.action for f in shown}) == 1 else None
    lines = [f"*{FLAG_TITLES[kind]}* ({len(flags):,})"]
    if shared:
        lines.append(f"_Suggested: {shared}_")
    for flag in shown:
        action = "" if shared else f" _{escape(flag.action)}_"
        lines.append(f"• *{_who(flag, names)}*: {escape(flag.reason)}.{action}")
    more = len(flags) - FLAGS_PER_KIND
    program_name = escape(program_name)
    footer = f"+{more:,} more: `/mentor report {program_name}`" if more > 0 else ""
    # Clip whole lines, never a name or a sentence in half, and keep the pointer to the rest.
    text = "\n".join(lines)
    while len(text) + len(footer) + 1 > SECTION_TEXT_LIMIT and len(lines) > 2:
        lines.pop()
        more += 1
        footer = f"+{more:,} more: `/mentor report {program_name}`"
        text = "\n".join(lines)
    return section(f"{text}\n{footer}" if footer else text)


def _upcoming(metrics: CohortMetrics) -> str:
    lines = ["*Coming up in the next two weeks*"]
    lines += [f"• {_day(item.day)}: {item.text}" for item in metrics.upcoming]
    if not metrics.upcoming:
        lines.append(
            f"• Nothing due. The program's last day is {_day(metrics.last_day)} "
            f"{metrics.last_day.year}."
        )
    return "\n".join(lines)


def digest_user_ids(metrics: CohortMetrics) -> list[str]:
    """The people the digest names (the flags it shows), for a names lookup."""
    shown: list[str] = []
    for kind in FLAG_ORDER:
        for flag in metrics.flags_of(kind)[:FLAGS_PER_KIND]:
            shown.extend(flag.user_ids)
    return list(dict.fromkeys(shown))


def build_digest(metrics: CohortMetrics, *, names: Mapping[str, str]) -> dict[str, Any]:
    """The weekly cohort digest for the leads' channel: headline, trends, flags, what's next."""
    counts = metrics.headline.counts
    blocks: list[Block] = [
        header(f"Cohort digest: {metrics.program_name}"),
        context(
            f"Week {min(metrics.week_of_program, metrics.weeks_total)} of {metrics.weeks_total} · "
            f"{_day(metrics.today)} {metrics.today.year} · pairs meet "
            f"{CADENCE_WORDS[metrics.cadence]}"
        ),
        {"type": "section", "fields": _headline_fields(metrics)},
        divider(),
        section(_trends(metrics)),
        divider(),
    ]
    total = len(metrics.flags)
    if total:
        blocks.append(section(f"*Red flags* ({total:,})"))
        for kind in FLAG_ORDER:
            flags = metrics.flags_of(kind)
            if flags:
                blocks.append(
                    _flag_section(kind, flags, names=names, program_name=metrics.program_name)
                )
    else:
        blocks.append(section("*Red flags*: none this week. :tada:"))
    blocks += [
        divider(),
        section(_upcoming(metrics)),
        context(
            f"{PRIVACY_NOTE} {_group_note(metrics.min_people)} Pairs show as mentor → mentee. "
            "Every pair: "
            f"`/mentor report {escape(metrics.program_name)}` · CSV: "
            f"`/mentor export {escape(metrics.program_name)}`"
        ),
    ]
    fallback = (
        f"Cohort digest for {escape(metrics.program_name)}: {counts[Health.ACTIVE]:,} active, "
        f"{counts[Health.LAPSING]:,} lapsing, {counts[Health.STALLED]:,} stalled, "
        f"{counts[Health.PAUSED]:,} paused, {counts[Health.GRADUATED]:,} graduated; "
        f"{_plural(total, 'red flag')}."
    )
    return message(fallback, blocks)


# --- the report ----------------------------------------------------------------------------------


def report_order(metrics: CohortMetrics) -> list[PairMetrics]:
    """Pairs needing the lead first: most flags, then lapsing, stalled, active, the rest."""
    return sorted(metrics.pairs, key=lambda p: (-len(p.flags), _ATTENTION[p.health], p.pairing_id))


def report_page(metrics: CohortMetrics, *, offset: int) -> list[PairMetrics]:
    """The pairs one page of the report shows."""
    start = max(min(offset, len(metrics.pairs) - 1), 0)
    return report_order(metrics)[start : start + REPORT_PAGE_SIZE]


def _last(moment: datetime | None, tz: str) -> str:
    if moment is None:
        return "no session yet"
    return "last " + _short_day(moment.astimezone(zone(tz)).date())


def _report_row(pair: PairMetrics, *, names: Mapping[str, str], tz: str) -> str:
    goals = pair.goals
    goal_text = f"goals {goals.done}/{goals.total} done"
    if goals.at_risk:
        goal_text += f", {goals.at_risk} at risk"
    if goals.overdue:
        goal_text += f", {goals.overdue} overdue"
    flags = ", ".join(FLAG_WORDS[k] for k in pair.flags)
    status = HEALTH_WORDS[pair.health]
    second = (
        f"{_last(pair.last_session_at, tz)} · {pair.sessions_held}/{pair.sessions_planned} "
        f"sessions · {_number(pair.hours_held)}/{_number(pair.hours_planned)} h · {goal_text}"
    )
    if flags:
        second += f" · :warning: {flags}"
    return f"*{_pair_label(pair, names)}* · {status} · {_stage(pair.stage)}\n      {second}"


def build_report(
    metrics: CohortMetrics, *, names: Mapping[str, str], offset: int = 0
) -> dict[str, Any]:
    """Per-pair rows, those needing attention first, a page at a time (one ephemeral message)."""
    total = len(metrics.pairs)
    rows = report_page(metrics, offset=offset)
    start = max(min(offset, total - 1), 0)
    counts = metrics.headline.counts
    blocks: list[Block] = [
        header(f"Pair report: {metrics.program_name}"),
        context(
            " · ".join(
                f"{counts[h]:,} {h.value}" for h in Health if counts[h] or h is Health.ACTIVE
            )
            + f" · {_plural(len(metrics.flags), 'red flag')}. Pairs needing attention first, "
            "as mentor → mentee: sessions held/planned, hours held/due by now."
        ),
    ]
    if not rows:
        blocks.append(section("No pairs have started in this program yet."))
    for first in range(0, len(rows), ROWS_PER_SECTION):
        chunk = rows[first : first + ROWS_PER_SECTION]
        text = "\n".join(_report_row(p, names=names, tz=metrics.timezone) for p in chunk)
        blocks.append(section(text))
    buttons = []
    if start > 0:
        back = max(start - REPORT_PAGE_SIZE, 0)
        buttons.append(
            button("Previous", ActionId.REPORT_PREVIOUS, value=f"{metrics.program_id}:{back}")
        )
    if start + REPORT_PAGE_SIZE < total:
        buttons.append(
            button(
                f"Next {min(REPORT_PAGE_SIZE, total - start - REPORT_PAGE_SIZE)}",
                ActionId.REPORT_NEXT,
                value=f"{metrics.program_id}:{start + REPORT_PAGE_SIZE}",
            )
        )
    if buttons:
        blocks.append(actions(*buttons))
    shown = f"Pairs {start + 1:,} to {start + len(rows):,} of {total:,}. " if rows else ""
    blocks.append(
        context(
            f"{shown}Every pair with every number: "
            f"`/mentor export {escape(metrics.program_name)}`. "
            f"{PRIVACY_NOTE}"
        )
    )
    name = escape(metrics.program_name)
    return message(f"Pair report for {name}: {_plural(total, 'pair')}", blocks)


def chart_comment(metrics: CohortMetrics) -> str:
    """The line the digest's chart is posted with, in the leads' channel under the digest."""
    return (
        "Sessions per week against plan, and the scorecard trend, for "
        f"*{escape(metrics.program_name)}*."
    )


def report_user_ids(metrics: CohortMetrics, *, offset: int) -> list[str]:
    """The people a report page names."""
    ids: list[str] = []
    for pair in report_page(metrics, offset=offset):
        ids += [pair.mentor_user_id, pair.mentee_user_id]
    return list(dict.fromkeys(ids))


# --- text, for docs and logs ---------------------------------------------------------------------


def _text_of(obj: Any) -> str:
    return str(obj.get("text", "")) if isinstance(obj, dict) else ""


_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")


def _markdown(text: str) -> list[str]:
    """Slack mrkdwn as Markdown lines: ``*bold*`` doubled, bullets as list items, hard breaks."""
    lines = []
    for line in _BOLD.sub(r"**\1**", text).splitlines():
        lines.append("- " + line[2:] if line.startswith("• ") else line + "  ")
    return lines


def message_as_text(payload: Mapping[str, Any]) -> str:
    """A message's blocks as Markdown, for docs: what a reader of the channel sees."""
    out: list[str] = []
    for block in payload.get("blocks", []):
        kind = block.get("type")
        if kind == "header":
            out += [f"### {_text_of(block.get('text'))}", ""]
        elif kind == "section":
            texts = [_text_of(block["text"])] if block.get("text") else []
            texts += [_text_of(found) for found in block.get("fields", [])]
            for text in texts:
                out += [*_markdown(text), ""]
        elif kind == "context":
            out += [*_markdown(" ".join(_text_of(e) for e in block.get("elements", []))), ""]
        elif kind == "divider":
            out += ["---", ""]
        elif kind == "actions":
            labels = [_text_of(e.get("text")) for e in block.get("elements", [])]
            out += [" ".join(f"[{label}]" for label in labels), ""]
    return "\n".join(line.rstrip() if not line.endswith("  ") else line for line in out).strip()
