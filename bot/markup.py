"""Slack's three markup characters, made literal: the one escape for people's words.

Views reach it through ``bot.views.text`` (with clipping, quoting and links); services use it
directly for the few messages that repeat what someone typed ("There is no program called …").
"""


def escape(text: str) -> str:
    """``text`` as mrkdwn shows it literally: its ``&``, ``<`` and ``>`` as entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
