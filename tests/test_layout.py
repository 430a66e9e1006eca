"""The shape of the code, kept: layers without import cycles, one error path, one way to Slack."""

import ast
import re
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "scheduler", "storage")


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def _imports(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Every first-party import of each module, at any depth (lazy and type-only ones too)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            else:
                continue
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name and not name.startswith(f"{target}."):
                    graph[name].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles() -> None:
    assert _cycles(_imports(_modules())) == []


def test_layers_point_one_way() -> None:
    graph = _imports(_modules())
    for name, targets in graph.items():
        layer = name.split(".")[0]
        if name.startswith(("bot.services", "bot.views", "storage")):
            assert not {t for t in targets if t.startswith(("handlers", "bot.wiring"))}, name
        if layer == "scheduler":
            assert not {t for t in targets if t.startswith("handlers")}, name
        if layer == "storage":
            assert all(t.startswith("storage") for t in targets), name
        if name.startswith("bot.views"):
            # Views are pure: no client, no gateway, no engine.
            assert not {t for t in targets if t in ("bot.gateway", "bot.deps", "storage.db")}, name


def _source(package: str) -> dict[Path, str]:
    return {path: path.read_text() for path in (ROOT / package).rglob("*.py")}


def test_handlers_leave_user_errors_to_the_one_error_path() -> None:
    """Only the edges (``handlers/listeners.py``) turn a UserError into an answer."""
    offenders = [
        f"{path.name}:{number}"
        for path, text in _source("handlers").items()
        if path.name != "listeners.py"
        for number, line in enumerate(text.splitlines(), 1)
        if re.search(r"except\s*\(?[^:]*\bUserError\b", line) or "except FieldErrors" in line
    ]
    assert offenders == []


def _calling(pattern: str) -> set[str]:
    return {
        f"{path.relative_to(ROOT)}"
        for package in ("bot", "handlers", "scheduler")
        for path, text in _source(package).items()
        if re.search(pattern, text)
    }


def test_only_the_outbox_and_the_answer_to_the_actor_post_messages() -> None:
    """Messages to other people go through the outbox; a handler answers only the person who
    acted (``handlers/listeners.py``: respond, ephemeral, or a DM as the last resort)."""
    assert _calling(r"(gateway|slack\(.*?\))\.post_message\(") == {
        "handlers/listeners.py",
        "scheduler/delivery.py",
    }
    # Conversations are opened by the delivery engine, and for a file someone asked for
    # themselves (their export, their data: an answer too large for the outbox).
    assert _calling(r"(gateway|slack\(.*?\))\.open_conversation\(") == {
        "handlers/listeners.py",
        "scheduler/delivery.py",
    }


def test_bolt_respond_is_never_called_unchecked() -> None:
    """Bolt's ``respond()`` returns a status instead of raising: only ``gateway.respond`` is
    used, which says whether the answer landed."""
    for path, text in _source("handlers").items():
        assert not re.search(r"(?<![\w.])respond\(", text), f"{path.name} calls Bolt's respond()"
