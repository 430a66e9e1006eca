"""OAuth distribution: Bolt's install flow and per-request authorization, and the pages an
installer sees.

``GET /slack/install`` sends the installer's browser to Slack's consent screen (with a one-time
state, also set as a cookie); Slack sends it back to ``GET /slack/oauth_redirect`` with a code,
which Bolt exchanges (``oauth.v2.access``) for the workspace's bot token. The installation is
stored in slack-sdk's tables, the ``Workspace`` row is written, and the installer reads what to
do next. Every failure has a page that says what happened and how to start again.

Enterprise Grid: an org-wide install (one token for every workspace of an org) is refused when
it completes, and the token Slack gave for it is revoked at once; the page asks the admin to
install the app workspace by workspace. The bot's data, its digests and its leads all belong to
one workspace, so each workspace installs it for itself.
"""

import html
import logging
from datetime import UTC, datetime

from slack_bolt import BoltContext, BoltResponse
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.authorize import Authorize
from slack_bolt.error import BoltError
from slack_bolt.oauth import OAuthFlow
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_bolt.request import BoltRequest
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy.exc import SQLAlchemyError

from bot.commands import COMMAND
from bot.config import INSTALL_PATH, REDIRECT_PATH
from bot.deps import Deps
from bot.gateway import METHOD_SCOPES, SlackCallError, SlackGateway, build_client
from bot.workspaces import (
    STATE_SECONDS,
    InstalledWorkspaces,
    NotInstalled,
    record_install,
    state_store,
)
from storage.slack_tables import oauth_states

log = logging.getLogger(__name__)

# The bot scopes an install asks for: exactly manifest.yml's (tests/test_manifest.py).
BOT_SCOPES = tuple(sorted({s for scopes in METHOD_SCOPES.values() for s in scopes} | {"commands"}))


class OrgWideInstallRefused(BoltError):
    """An Enterprise Grid admin installed the app across a whole org; it installs per workspace."""


class WorkspaceAuthorize(Authorize):
    """Bolt's per-request authorization, from the same cache the gateways use: once a
    workspace's token is known, a request costs no store query."""

    def __init__(self, workspaces: InstalledWorkspaces) -> None:
        self.workspaces = workspaces

    def __call__(
        self,
        *,
        context: BoltContext,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
        actor_enterprise_id: str | None = None,
        actor_team_id: str | None = None,
        actor_user_id: str | None = None,
    ) -> AuthorizeResult | None:
        """The installation of the request's workspace, or None when it has none."""
        if not team_id:
            return None  # an org-level request: org-wide installs are refused
        try:
            bot = self.workspaces.bot(team_id, enterprise_id=enterprise_id)
        except NotInstalled:
            log.info("request from a workspace without an installation", extra={"team_id": team_id})
            return None
        return AuthorizeResult(
            enterprise_id=bot.enterprise_id,
            team_id=bot.team_id,
            bot_id=bot.bot_id,
            bot_user_id=bot.bot_user_id,
            bot_token=bot.bot_token,
            bot_scopes=bot.bot_scopes,
            user_id=user_id,
        )


class InstallFlow(OAuthFlow):
    """Bolt's OAuth flow on the bot's database, with the bot's own pages and install rules."""

    def __init__(self, deps: Deps, workspaces: InstalledWorkspaces) -> None:
        settings = deps.settings
        if not settings.slack_client_id or not settings.slack_client_secret:
            raise ValueError("OAuth needs SLACK_CLIENT_ID and SLACK_CLIENT_SECRET")
        self.deps = deps
        self.workspaces = workspaces
        super().__init__(
            client=deps.gateway.client,
            logger=log,
            settings=OAuthSettings(
                client_id=settings.slack_client_id,
                client_secret=settings.slack_client_secret,
                scopes=list(BOT_SCOPES),
                user_scopes=[],
                redirect_uri=settings.slack_redirect_uri,
                install_path=INSTALL_PATH,
                # Straight to Slack's consent screen: no intermediate "Add to Slack" page.
                install_page_rendering_enabled=False,
                redirect_uri_path=REDIRECT_PATH,
                callback_options=CallbackOptions(success=self._succeeded, failure=self._failed),
                authorization_url=authorize_url(settings.slack_api_url),
                installation_store=workspaces.store,
                token_rotation_expiration_minutes=workspaces.rotation_minutes,
                state_store=state_store(deps.engine),
                state_expiration_seconds=STATE_SECONDS,
                logger=log,
            ),
        )

    def issue_new_state(self, request: BoltRequest) -> str:
        """A new install link's state; the expired ones go first, so that anyone opening
        ``/slack/install`` over and over cannot grow the table without end."""
        with self.deps.engine.begin() as conn:
            conn.execute(oauth_states.delete().where(oauth_states.c.expire_at < _utc_naive()))
        return super().issue_new_state(request)

    def store_installation(self, request: BoltRequest, installation: Installation) -> None:
        """Keep a workspace's installation and its ``Workspace`` row; refuse an org-wide one."""
        if installation.is_enterprise_install or not installation.team_id:
            self._give_back(installation)
            raise OrgWideInstallRefused("org-wide installs are refused")
        try:
            super().store_installation(request, installation)
            with self.deps.session() as session:
                record_install(session, installation, now=self.deps.now())
        except SQLAlchemyError as exc:
            # Bolt shows its failure page for a BoltError only (anything else would be a 500).
            log.exception("install not stored", extra={"team_id": installation.team_id})
            raise BoltError("the installation could not be stored") from exc
        # A reinstall brings a new token: the cached one must not outlive it.
        self.workspaces.forget(installation.team_id)
        log.info(
            "installed",
            extra={
                "team_id": installation.team_id,
                "enterprise_id": installation.enterprise_id,
                "rotating": installation.bot_token_expires_at is not None,
            },
        )

    def _give_back(self, installation: Installation) -> None:
        """Revoke the token of an install the bot refuses, so nothing holds it."""
        log.warning("org-wide install refused", extra={"enterprise_id": installation.enterprise_id})
        if not installation.bot_token:
            return
        client = build_client(installation.bot_token, self.deps.settings.slack_api_url)
        try:
            SlackGateway(client).revoke_token()
        except SlackCallError as exc:
            log.error("refused install's token not revoked", extra={"error": exc.error})

    def _succeeded(self, args: SuccessArgs) -> BoltResponse:
        installation = args.installation
        return _page(
            200,
            "mentorbot is installed",
            installed_page(
                team_name=installation.team_name or "your workspace",
                app_url=_app_url(self.deps.settings.slack_api_url, installation),
            ),
            self.settings,
        )

    def _failed(self, args: FailureArgs) -> BoltResponse:
        log.info("install failed", extra={"reason": args.reason})
        if isinstance(args.error, OrgWideInstallRefused):
            return _page(403, "Install it workspace by workspace", ORG_WIDE_PAGE, self.settings)
        title, body = failure_page(args.reason)
        return _page(args.suggested_status_code, title, body, self.settings)


def _utc_naive() -> datetime:
    # slack-sdk's state store keeps naive UTC times.
    return datetime.now(UTC).replace(tzinfo=None)


def authorize_url(api_url: str) -> str:
    """Slack's consent screen beside its Web API (``https://slack.com/oauth/v2/authorize``)."""
    root = api_url[: -len("api/")] if api_url.endswith("/api/") else api_url
    return root.rstrip("/") + "/oauth/v2/authorize"


def _app_url(api_url: str, installation: Installation) -> str:
    root = authorize_url(api_url)[: -len("oauth/v2/authorize")]
    return f"{root}app_redirect?app={installation.app_id}&team={installation.team_id}"


_START_AGAIN = f'<p><a href="{INSTALL_PATH}">Start the installation again</a>.</p>'

ORG_WIDE_PAGE = (
    "<p>mentorbot can't be installed across a whole Enterprise Grid organization: each "
    "workspace runs its own mentoring programs, with its own leads and digests.</p>"
    "<p>Nothing was installed, and the access Slack granted for the organization has been "
    "given back.</p>"
    "<p>Install it in each workspace that wants it instead: open this page from that "
    "workspace and, on Slack's screen, pick the workspace (not the organization) at the top "
    "right.</p>" + _START_AGAIN
)


def installed_page(*, team_name: str, app_url: str) -> str:
    """What the installer reads once the app is in their workspace: what to do next."""
    return (
        f"<p>mentorbot is now part of <strong>{html.escape(team_name)}</strong>.</p>"
        "<p>Next:</p><ol>"
        f"<li>In any channel, type <code>{COMMAND} help</code> to see what it does.</li>"
        f"<li>A program lead creates a program with <code>{COMMAND} program new</code>.</li>"
        "<li>Invite the bot to the channel where leads want the weekly digest "
        "(<code>/invite @mentorbot</code> in that channel), then choose that channel in the "
        "program.</li></ol>"
        f'<p><a href="{html.escape(app_url)}">Open mentorbot in Slack</a>; '
        "you can close this page.</p>"
    )


_FAILURES: dict[str, tuple[str, str]] = {
    "access_denied": (
        "Installation cancelled",
        "<p>You cancelled the installation on Slack's screen, so nothing was installed.</p>",
    ),
    "invalid_browser": (
        "This install link can't be used",
        "<p>The installation didn't start in this browser, this page was reloaded, or the "
        "install page wasn't opened over https://, so it can't finish here. Nothing was "
        "installed.</p>",
    ),
    "invalid_state": (
        "This install link has expired",
        "<p>The link is older than 10 minutes or was already used. Nothing was installed.</p>",
    ),
    "missing_code": (
        "Slack didn't confirm the installation",
        "<p>Slack's answer had no authorization code. Nothing was installed.</p>",
    ),
    "invalid_code": (
        "Slack didn't confirm the installation",
        "<p>Slack refused the authorization code: it expired or was already used. Nothing was "
        "installed.</p>",
    ),
    "storage_error": (
        "The installation couldn't be saved",
        "<p>The bot couldn't save the installation. Try again in a minute; if it keeps "
        "failing, tell whoever runs mentorbot.</p>",
    ),
}


def failure_page(reason: str) -> tuple[str, str]:
    """The title and body of the page for a failed install (``reason``: Bolt's, or Slack's
    ``error`` parameter)."""
    title, body = _FAILURES.get(
        reason,
        (
            "The installation didn't finish",
            f"<p>Slack answered <code>{html.escape(reason)}</code>. Nothing was installed.</p>",
        ),
    )
    return title, body + _START_AGAIN


def _page(status: int, title: str, body: str, settings: OAuthSettings) -> BoltResponse:
    page = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title, quote=False)}</title>"
        '<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
        '<body style="font-family: sans-serif; max-width: 36em; margin: 3em auto">'
        f"<h1>{html.escape(title, quote=False)}</h1>{body}</body></html>"
    )
    return BoltResponse(
        status=status,
        body=page,
        headers={
            "Content-Type": "text/html; charset=utf-8",
            # The state cookie has done its work, whatever the outcome.
            "Set-Cookie": settings.state_utils.build_set_cookie_for_deletion(),
        },
    )
