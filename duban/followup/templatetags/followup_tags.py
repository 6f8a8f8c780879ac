"""Template tags for lights (三色督办) and the follow-up section of a task page.

``{% load followup_tags %}{% light_badge task %}`` on every task list: the light is computed from the task row
(and its ``latest_report``, which ``duban.tasks.selectors.task_list`` joins), so a list costs no extra query.
``{% task_followup task %}`` on the task page: light, reminders sent, 督办通知单, extension requests, completion
request with evidence, and the buttons the viewer may use.
"""

from django import template
from django.utils import timezone
from django.utils.html import format_html

from duban.followup.lights import BLUE, GREEN, RED, YELLOW, task_light

register = template.Library()

BADGE_CLASSES = {GREEN: "bg-success", BLUE: "bg-primary", YELLOW: "bg-warning text-dark", RED: "bg-danger"}


@register.simple_tag
def light_badge(task, today=None):
    """The task's light as a small badge (nothing for drafts, closed and withdrawn tasks). Built here rather than
    through an inclusion template: a list renders it on every row, and a template's render cost ~3x the light
    itself. The trailing newline keeps the pages byte-for-byte what the former template made."""
    light = task_light(task, today or timezone.localdate())
    if light.code not in BADGE_CLASSES:
        return "\n"
    return format_html('<span class="badge light-badge light-{} {}" title="{}" data-light="{}">{}</span>\n',
                       light.code, BADGE_CLASSES[light.code], light.reason, light.code, light.label)


@register.inclusion_tag("followup/_task_followup.html", takes_context=True)
def task_followup(context, task, today=None):
    """The follow-up section of a task page for the signed-in viewer."""
    from duban.followup.selectors import task_followup as followup_get

    request = context.get("request")
    data = followup_get(viewer=request.user, task=task, today=today)
    return {"f": data, "badge_class": BADGE_CLASSES.get(data.light.code, ""), "request": request,
            "csrf_token": context.get("csrf_token")}
