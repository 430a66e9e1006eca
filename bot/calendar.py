"""Calendar invites: one session as an iCalendar (.ics) file that any calendar app imports.

Pure: no Slack, no database. A rescheduled session keeps its UID and raises SEQUENCE, so calendar
apps move the event they already have; a cancellation is the same UID with ``METHOD:CANCEL``.
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event, vCalAddress, vText

PRODID = "-//mentorbot//Mentoring sessions//EN"
# The bot knows people's Slack ids, not their e-mail addresses; "invalid:nomail" is the address
# Outlook itself writes for a participant without one, and calendar apps accept it.
NO_ADDRESS = "invalid:nomail"


def _address(name: str, *, role: str | None = None) -> vCalAddress:
    address = vCalAddress(NO_ADDRESS)
    address.params["cn"] = vText(name)
    if role:
        address.params["role"] = vText(role)
    return address


def build_invite(
    *,
    uid: str,
    start: datetime,
    minutes: int,
    summary: str,
    description: str,
    organizer_name: str,
    attendees: Sequence[str],
    sequence: int,
    cancelled: bool = False,
    now: datetime,
) -> bytes:
    """The .ics bytes of one session: times in UTC, METHOD REQUEST (or CANCEL when cancelled)."""
    if start.tzinfo is None or now.tzinfo is None:
        raise ValueError("calendar times must be timezone-aware")
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "CANCEL" if cancelled else "REQUEST")
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", start.astimezone(UTC))
    event.add("dtend", (start + timedelta(minutes=minutes)).astimezone(UTC))
    event.add("summary", summary)
    event.add("description", description)
    event.add("sequence", sequence)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    event["organizer"] = _address(organizer_name)
    for name in attendees:
        event.add("attendee", _address(name, role="REQ-PARTICIPANT"), encode=False)
    calendar.add_component(event)
    return bytes(calendar.to_ical())
