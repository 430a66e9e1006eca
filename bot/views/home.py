"""The App Home tab."""

from typing import Any

from bot.commands import COMMAND
from bot.ids import ActionId, BlockId
from bot.views.blocks import actions, button, context, divider, header, section


def build_home_empty(*, user_id: str) -> dict[str, Any]:
    """The Home tab for someone in no program yet: what the bot does and how to begin."""
    blocks = [
        header("Welcome to mentorbot 👋"),
        section(
            f"Hi <@{user_id}>! mentorbot runs mentorship programs right here in Slack: "
            "programs and matching, goals that are specific and dated, sessions with an agenda, "
            "three-part feedback, scorecards, skill matrices and a cohort digest for the leads.",
            block_id=BlockId.HOME_WELCOME,
        ),
        divider(),
        section(
            "*You're not in a program yet.*\n"
            "• *Want a mentor, or to be one?* Ask your program lead to open a program, then "
            "join it when its enrolment starts.\n"
            "• *Running a program?* Workspace admins and program co-leads can set one up from "
            f"Slack with `{COMMAND}`."
        ),
        actions(button("See all commands", ActionId.HOME_HELP)),
        context(
            "Your notes, feedback and scorecards are private to you and your mentoring partner."
        ),
    ]
    return {"type": "home", "blocks": blocks}
