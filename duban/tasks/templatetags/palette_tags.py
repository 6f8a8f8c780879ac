"""``{% load palette_tags %}``: status badges and deadlines in the one palette (``duban.tasks.palette``)."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

from duban.tasks import palette
from duban.tasks.models import is_late

register = template.Library()


@register.simple_tag
def status_class(status: str) -> str:
    return palette.status_class(status)


@register.simple_tag
def deadline_label(task, today):
    """A task's deadline as the office reads it: the date, in red with the days overdue when late, or a grey
    无时限 badge."""
    if task.deadline is None:
        _, label, css = palette.light_display(palette.NO_DEADLINE)
        return format_html('<span class="badge {} no-deadline">{}</span>', css, label)
    if is_late(task.status, task.deadline, today):
        return format_html('<span class="text-danger fw-semibold">{}（逾期{}天）</span>', task.deadline.isoformat(),
                           (today - task.deadline).days)
    return task.deadline.isoformat()
