"""People as Slack knows them (timezone, admin rights, active or not), cached for a day.

``users.info`` is a tier-4 method, but asking it on every click would still be wasteful and slow:
the cache in ``SlackUser`` answers until it is a day old.
"""

from datetime import timedelta

from sqlmodel import Session, col, select

from bot.errors import NotFound
from bot.gateway import SlackCallError, SlackGateway
from storage.models import SlackUser
from storage.types import Clock

CACHE_TTL = timedelta(hours=24)


class Directory:
    """Looks people up in the cache first, then in Slack."""

    def __init__(self, gateway: SlackGateway, clock: Clock) -> None:
        self.gateway = gateway
        self.clock = clock

    def get(self, session: Session, *, team_id: str, user_id: str) -> SlackUser:
        """The person's cached record, refreshed from Slack when missing or a day old."""
        cached = session.exec(
            select(SlackUser).where(SlackUser.team_id == team_id, SlackUser.user_id == user_id)
        ).first()
        now = self.clock()
        if cached is not None and now - cached.refreshed_at < CACHE_TTL:
            return cached
        try:
            info = self.gateway.user_info(user_id)
        except SlackCallError as exc:
            if cached is not None and not exc.permanent:
                return cached  # Slack is having a moment; a stale answer beats none.
            if exc.error == "user_not_found":
                raise NotFound(f"I can't find <@{user_id}> in this workspace.") from None
            raise
        record = cached or SlackUser(team_id=team_id, user_id=user_id)
        record.real_name = info.real_name
        record.tz = info.tz
        record.tz_offset_seconds = info.tz_offset_seconds
        record.is_admin = info.is_admin or info.is_owner
        record.is_owner = info.is_owner
        record.is_bot = info.is_bot
        record.deleted = info.deleted
        record.refreshed_at = now
        session.add(record)
        session.flush()
        return record

    def is_workspace_admin(self, session: Session, *, team_id: str, user_id: str) -> bool:
        """Whether the person is a workspace admin or owner."""
        return self.get(session, team_id=team_id, user_id=user_id).is_admin


def cached_names(session: Session, *, team_id: str, user_ids: list[str]) -> dict[str, str]:
    """Real names the cache already has (plain text can't render ``<@U…>`` mentions)."""
    if not user_ids:
        return {}
    rows = session.exec(
        select(SlackUser.user_id, SlackUser.real_name).where(
            SlackUser.team_id == team_id, col(SlackUser.user_id).in_(user_ids)
        )
    ).all()
    return {user_id: name for user_id, name in rows if name}
