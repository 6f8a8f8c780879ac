"""One palette for lights and statuses: every badge, table and chart takes its label and colour from here.

Red means overdue (红灯, 已逾期) and nothing else; 已办结 is green; 未签收 (assigned, not yet signed for) is its own
colour and its own chart series; a task without a deadline shows 无时限 in grey whatever the light rule says, since
nothing can be late without a deadline (decided here, from ``deadline is None``, in ``light_display``)."""

from __future__ import annotations

from duban.tasks.models import TaskStatus

RED, AMBER, BLUE, GREEN, GREY = "#e03131", "#f08c00", "#1c7ed6", "#2f9e44", "#868e96"
CYAN, INDIGO, VIOLET, DARK, LIGHT_GREY = "#1098ad", "#4c6ef5", "#7048e8", "#495057", "#ced4da"
DONE = "#087f5b"  # 已办结: a deep green, apart from the green light of a task still open

NO_DEADLINE = "nodeadline"  # the light rule's code for a task without a deadline (duban.followup.lights)
# light code -> (label, badge classes, chart colour)
LIGHTS = {
    "red": ("红灯", "text-bg-danger", RED),
    "yellow": ("黄灯", "text-bg-warning", AMBER),
    "blue": ("蓝灯", "text-bg-primary", BLUE),
    "green": ("绿灯", "text-bg-success", GREEN),
    NO_DEADLINE: ("无时限", "text-bg-secondary", GREY),
}
# status -> (badge classes, chart colour); the labels are TaskStatus's
STATUSES = {
    TaskStatus.DRAFT: ("text-bg-light border", LIGHT_GREY),
    TaskStatus.ASSIGNED: ("text-bg-info", CYAN),  # 未签收
    TaskStatus.ACCEPTED: ("text-bg-primary", INDIGO),
    TaskStatus.IN_PROGRESS: ("text-bg-primary", BLUE),
    TaskStatus.CLOSE_REQUESTED: ("text-bg-secondary", VIOLET),
    TaskStatus.CLOSED: ("text-bg-success", DONE),
    TaskStatus.RETURNED: ("text-bg-dark", DARK),
    TaskStatus.WITHDRAWN: ("text-bg-light border", LIGHT_GREY),
}
# the stacked series of the charts by area and unit: key -> (label, colour)
SERIES = {"closed": ("已办结", DONE), "open": ("办理中", BLUE), "unsigned": ("未签收", CYAN),
          "overdue": ("已逾期", RED)}


def light_display(code: str) -> tuple[str, str, str]:
    """(code, label, badge classes) a light is shown with. Which light a task has is the light rule's
    (``duban.followup.lights``, which gives a task without a deadline its own code, 无时限)."""
    label, css, _ = LIGHTS[code]
    return code, label, css


def light_colours() -> dict[str, str]:
    """Chart colours of the lights and of closed tasks, by code (the reports' charts)."""
    return {**{code: colour for code, (_, _, colour) in LIGHTS.items()}, "closed": DONE}


def status_class(status: str) -> str:
    return STATUSES.get(status, ("text-bg-secondary", GREY))[0]


def status_colour(status: str) -> str:
    return STATUSES.get(status, ("", GREY))[1]

