"""What people see of their rights over their data: their file's note, the erasure's modal."""

from collections.abc import Mapping
from typing import Any

from bot.ids import CallbackId
from bot.views.blocks import Block, context, modal, section

# How each table's rows read to the person they are about.
_WHAT = {
    "participant": "your profile in {n} program(s): where you are, where you're going, skills, "
    "interests, values and availability",
    "goal": "{n} goal(s) you proposed: their wording and success criteria",
    "goalupdate": "{n} progress note(s) you wrote",
    "meeting": "the notes of {n} session(s) you logged",
    "agendaitem": "{n} agenda item(s) you added",
    "feedback": "{n} feedback note(s) you gave",
    "scorecard": "your comments on {n} scorecard(s) (your ratings stay, under no name)",
    "surveyresponse": "your comments in {n} survey(s) (your scores stay, under no name)",
    "learningresource": "{n} learning resource(s) you added",
    "pairnote": "{n} shared note(s) you wrote",
    "pairdocument": "{n} document link(s) you added",
    "outsidefeedbackrequest": "{n} outside-feedback request(s) or answer(s) of yours",
}


def data_comment(counts: Mapping[str, int]) -> str:
    """The note that comes with someone's data file."""
    total = sum(counts.values())
    return (
        f"Everything I store about you: {total:,} record(s). What your pairs keep together is "
        "in it too, marked as shared. `/mentor forget-me` erases what is yours."
    )


def build_forget_modal(counts: Mapping[str, int]) -> dict[str, Any]:
    """The confirmation of an erasure: exactly what will go, what stays, and that it is final."""
    going = [text.format(n=counts[table]) for table, text in _WHAT.items() if counts.get(table)]
    blocks: list[Block] = [
        section(
            "*This erases you from mentorbot in this workspace, for good.*\n"
            + (
                "\n".join(f"• {line}" for line in going)
                if going
                else "• I hold no words of yours, only your name on your pairings."
            )
        ),
        section(
            "*What stays:* the numbers your programs count (sessions held, hours, ratings, "
            "survey scores) under no name, so their reports stay right; and what your partners "
            "wrote, which is theirs. Your pairings end, and you'll hear nothing more from me."
        ),
        context("Want a copy first? Close this and type `/mentor my-data`."),
    ]
    return modal(
        CallbackId.FORGET_ME, "Erase my data", blocks, submit="Erase everything", close="Keep it"
    )


def build_forgotten(erased: int) -> dict[str, Any]:
    """The modal after the erasure."""
    return modal(
        CallbackId.FORGET_ME,
        "Erased",
        [
            section(
                f"Done: {erased:,} record(s) of your words are erased, and your name is gone "
                "from everything else. Goodbye, and thank you for mentoring here."
            )
        ],
        close="Close",
    )
