"""Cross-cutting request middleware: what every listener needs, put in Bolt's context."""

from collections.abc import Callable

from slack_bolt import App, BoltContext, BoltResponse

from bot.deps import Deps


def register(app: App, deps: Deps) -> None:
    """Install the middleware on ``app``."""

    def inject_deps(context: BoltContext, next: Callable[[], BoltResponse]) -> BoltResponse:
        context["deps"] = deps
        return next()

    app.use(inject_deps)
