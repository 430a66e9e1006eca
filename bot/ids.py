"""Every callback, block and action id the bot uses, in one place.

Slack routes interactions back by these strings, so a typo would silently break a button; enums
make them checkable, and the handlers and view builders share them.
"""

from enum import StrEnum


class ActionId(StrEnum):
    """``action_id`` of interactive elements."""

    HOME_HELP = "home_help"


class BlockId(StrEnum):
    """``block_id`` of blocks handlers read back."""

    HOME_WELCOME = "home_welcome"
