"""One DM holding the prompts that fell due for a person at once: a section each.

Each prompt keeps its own blocks (and so its buttons, which act exactly as they do in the prompt
sent alone), under a header, with a divider between prompts. Slack allows 50 blocks in a
message and wants block_ids unique in it; action_ids need only be unique within their block,
which each prompt's builder already ensures, so the buttons stay as they are and their listeners
still match them.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from bot.views.blocks import Block, divider, header, message, section

MESSAGE_BLOCKS = 50
# What a bundle adds to its prompts' blocks: the header.
_OVERHEAD = 1


def can_bundle(payload: Mapping[str, Any]) -> bool:
    """Whether a prompt is a plain message (text and blocks) that can be one section of many."""
    return set(payload) <= {"text", "blocks"} and _size(payload) < MESSAGE_BLOCKS - _OVERHEAD


def _blocks(payload: Mapping[str, Any]) -> list[Block]:
    """A prompt's blocks; a text-only prompt becomes one section of its text."""
    blocks = payload.get("blocks")
    if blocks:
        return [dict(block) for block in blocks]
    return [section(str(payload.get("text") or ""))]


def _size(payload: Mapping[str, Any]) -> int:
    return len(payload.get("blocks") or []) or 1


def pack(payloads: Sequence[Mapping[str, Any]]) -> list[list[int]]:
    """The prompts' indexes split, in order, into messages that each fit Slack's 50 blocks."""
    parts: list[list[int]] = []
    used = 0
    for index, payload in enumerate(payloads):
        size = _size(payload)
        # Every prompt but a message's first comes after a divider.
        if parts and used + 1 + size <= MESSAGE_BLOCKS:
            parts[-1].append(index)
            used += 1 + size
        else:
            parts.append([index])
            used = _OVERHEAD + size
    return parts


def _heading(count: int) -> str:
    return f"{count} things for your mentoring today"


def build_bundle(payloads: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One message with a section for each prompt; a single prompt is returned as it is."""
    if len(payloads) == 1:
        return dict(payloads[0])
    blocks: list[Block] = [header(_heading(len(payloads)))]
    taken: set[str] = set()
    for number, payload in enumerate(payloads, start=1):
        if number > 1:
            blocks.append(divider())
        for block in _blocks(payload):
            block_id = block.get("block_id")
            if isinstance(block_id, str):
                # Two prompts built with the same block_id: Slack would refuse the message.
                unique, again = block_id, 1
                while unique in taken:
                    unique, again = f"{block_id[:240]}~{number}.{again}", again + 1
                block["block_id"] = unique
                taken.add(unique)
            blocks.append(block)
    texts = "; ".join(str(p.get("text") or "").strip().rstrip(".") for p in payloads)
    return message(f"{_heading(len(payloads))}: {texts}", blocks)
