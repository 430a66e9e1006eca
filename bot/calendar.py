"""Calendar invites: one session as an iCalendar (.ics) file that any calendar app imports.

Pure: no Slack, no database. A rescheduled session keeps its UID and raises SEQUENCE, so calendar
apps move the event they already have; a cancellation is the same UID with ``METHOD:CANCEL``.
People are named by their email address (``mailto:``), the only address calendar apps accept
for an organizer or attendee; someone without one is left off rather than given a fake address.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event, vCalAddress, vText

PRODID = "-//mentorbot//Mentoring sessions//EN"
# One address, nothing that could end the property or start a parameter in the file.
_EMAIL = re.compile(r'[^\s@<>",;:\\]+@[^\s@<>",;:\\]+\.[^\s@<>",;:\\]+')


def usable_email(email: str | None) -> str | None:
    """The address if a calendar can use it as a ``mailto:``; None otherwise."""
    address = (email or "").strip()
    return address if _EMAIL.fullmatch(address) else None


@dataclass(frozen=True, slots=True)
class Invitee:
    """Someone on the invite: their name and the email address calendars know them by."""

    name: str
    email: str


def _address(person: Invitee, **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{person.email}")
    if person.name:
        address.params["cn"] = vText(person.name)
    for key, value in params.items():
        address.params[key.replace("_", "-")] = vText(value)
    return address


def build_invite(
    *,
    uid: str,
    start: datetime,
    minutes: int,
    summary: str,
    description: str,
    organizer: Invitee | None,
    attendees: Sequence[Invitee],
    sequence: int,
    cancelled: bool = False,
    now: datetime,
) -> bytes:
    """The .ics bytes of one session: times in UTC, METHOD REQUEST (or CANCEL when cancelled).

    Without an organizer (nobody's email is known) the file is a plain event with no METHOD:
    iTIP (RFC 5546) requires a REQUEST or CANCEL to name its organizer, and an invalid request
    is worse than an event every calendar app imports. SEQUENCE and STATUS still move it.
    """
    if start.tzinfo is None or now.tzinfo is None:
        raise ValueError("calendar times must be timezone-aware")
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if organizer is not None:
        calendar.add("method", "CANCEL" if cancelled else "REQUEST")
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", now.astimezone(UTC))
    # UTC (the trailing Z) needs no VTIMEZONE: every app shows it in its reader's own zone.
    event.add("dtstart", start.astimezone(UTC))
    event.add("dtend", (start + timedelta(minutes=minutes)).astimezone(UTC))
    event.add("summary", summary)
    event.add("description", description)
    event.add("sequence", sequence)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "TRANSPARENT" if cancelled else "OPAQUE")
    if organizer is not None:
        event.add("organizer", _address(organizer), encode=False)
        for person in attendees:
            event.add(
                "attendee",
                _address(
                    person,
                    cutype="INDIVIDUAL",
                    role="REQ-PARTICIPANT",
                    # The organizer set the time; the other already agreed to meet in Slack,
                    # so nobody is asked to send a reply the bot would never read.
                    partstat="ACCEPTED" if person.email == organizer.email else "NEEDS-ACTION",
                    rsvp="FALSE",
                ),
                encode=False,
            )
    calendar.add_component(event)
    return bytes(calendar.to_ical())
