"""A person's deadlines as an iCalendar feed (RFC 5545): one all-day VEVENT per open task they may see.

The ``icalendar`` package does the line folding (75 octets) and the escaping of commas, semicolons and
backslashes, which hand-written feeds usually get wrong with Chinese text.
"""

from __future__ import annotations

import datetime as dt

from icalendar import Calendar, Event

PRODID = "-//duban//督办 deadlines//ZH"


def calendar_token_digest(token: str) -> str:
    """What is stored of a feed's secret, and looked up by (as for API tokens)."""
    from duban.core.actions import api_token_digest

    return api_token_digest(token)


def deadlines_ics(tasks, *, domain: str = "duban", stamp: dt.datetime | None = None) -> bytes:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "督办事项时限")
    cal.add("x-wr-timezone", "Asia/Shanghai")
    stamp = stamp or dt.datetime.now(dt.timezone.utc)
    for task in tasks:
        event = Event()
        event.add("uid", f"task-{task.pk}@{domain}")
        event.add("dtstamp", stamp)
        event.add("dtstart", task.deadline)  # a date: an all-day event (VALUE=DATE)
        event.add("dtend", task.deadline + dt.timedelta(days=1))
        event.add("summary", f"【督办时限】{task.title}")
        lines = [f"牵头单位：{task.lead_unit.name if task.lead_unit else '未指定'}",
                 f"状态：{task.get_status_display()}"]
        if task.meeting_id:
            lines.append(f"来源：{task.meeting.title}")
        event.add("description", "\n".join(lines))
        event.add("categories", ["督办"])
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)
    return cal.to_ical()
