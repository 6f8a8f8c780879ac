"""Template tags for lights (三色督办) and the follow-up section of a task page.

``{% load followup_tags %}{% light_badge task %}`` on every task list: the light is computed from the task row
(and its ``latest_report``, which ``duban.tasks.selectors.task_list`` joins), so a list costs no extra query.
``{% task_followup task %}`` on the task page: light, reminders sent, 督办通知单, extension requests, completion
request with evidence, and the buttons the viewer may use. ``{% task_top task %}`` above it: leaders' 批示, a
returned close request, 重点关注. The tasks app's pages show these through a library of their own
(``duban.tasks.templatetags.page_parts_tags``), whose tags call the functions here as ``duban.followup.apps``
registers them (``duban.tasks.page_parts``).
"""

import html

from django import template
from django.utils import timezone
from django.utils.safestring import mark_safe

from duban.followup.lights import SUPERVISED_STATUSES, task_light
from duban.tasks.models import TaskStatus
from duban.tasks.palette import LIGHTS, light_display

register = template.Library()
LIT_STATUSES = frozenset((*SUPERVISED_STATUSES, TaskStatus.CLOSE_REQUESTED))  # the others have no light


@register.simple_tag
def light_badge(task, today=None):
    """The task's light as a small badge (nothing for drafts, closed and withdrawn tasks). Built here rather than
    through an inclusion template: a list renders it on every row, and a template's render cost ~3x the light
    itself. The trailing newline keeps the pages byte-for-byte what the former template made."""
    return _badge(task_light(task, today or timezone.localdate()))


def _badge(light) -> str:
    """What ``format_html`` made of the light (every part escaped), without its per-argument overhead: the
    code and label are constants, the reason plain text. Label and colour from the one palette."""
    if light.code not in LIGHTS:
        return "\n"
    code, label, css = light_display(light.code)
    return mark_safe(f'<span class="badge light-badge light-{code} {css}" '  # escaped here
                     f'title="{html.escape(light.reason)}" data-light="{code}">{html.escape(label)}</span>\n')


class _Reported:
    __slots__ = ("created_at",)

    def __init__(self, created_at):
        self.created_at = created_at


class _LightFacts:
    """What ``task_light`` reads of a task, from plain column values (a list row read with ``values_list``)."""

    __slots__ = ("status", "deadline", "assigned_at", "progress_percent", "report_cycle", "report_every",
                 "latest_report_id", "latest_report", "rolled_progress")

    def __init__(self, status, deadline, assigned_at, progress_percent, report_cycle, report_every, reported_at,
                 rolled_progress=None):
        self.status, self.deadline, self.assigned_at = status, deadline, assigned_at
        self.rolled_progress = rolled_progress
        self.progress_percent, self.report_cycle, self.report_every = progress_percent, report_cycle, report_every
        # the latest report's time (None without one: a report's created_at is never null)
        self.latest_report_id = None if reported_at is None else 0
        self.latest_report = None if reported_at is None else _Reported(reported_at)


def light_badge_of_values(status, deadline, assigned_at, progress_percent, report_cycle, report_every,
                          reported_at, today, rolled_progress=None) -> str:
    """``light_badge`` of a task given as column values (``reported_at``: its latest report's ``created_at``;
    ``rolled_progress``: a split task's kept roll-up), the same markup: for list rows read without building model
    instances. A split task under the "worst" roll-up needs its sub-tasks' lights: show ``light_of`` the light
    ``duban.followup.lights.rollup_lights`` gives it instead."""
    if status not in LIT_STATUSES:
        return "\n"
    return _badge(task_light(_LightFacts(status, deadline, assigned_at, progress_percent, report_cycle,
                                         report_every, reported_at, rolled_progress), today))


def _included(context, template_name: str, values: dict) -> str:
    """``values`` rendered by ``template_name`` as Django renders an inclusion tag's: in a context of their own
    (not the page's variables) with the page's csrf token. The sections of the task page below render themselves
    through this rather than as inclusion tags, so that they are plain functions the task pages' own tags call as
    well (``duban.tasks.page_parts``): one renderer each, whichever library shows it. Django's documented
    template API only: the default engine's template rendered with a ``Context`` of the page's escaping."""
    csrf_token = context.get("csrf_token")
    if csrf_token is not None:
        values = {**values, "csrf_token": csrf_token}
    own = template.Context(values, autoescape=context.autoescape)
    return template.Engine.get_default().get_template(template_name).render(own)


@register.simple_tag(takes_context=True)
def task_followup(context, task, today=None, rolled=None, history_kinds=None, lists=None) -> str:
    """The follow-up section of a task page for the signed-in viewer; ``rolled``: the task's node in its tree
    when it has sub-tasks, whose light (rolled up from them) the section shows; ``history_kinds``: the event types
    of the task's history, when the page has read it; ``lists``: the page's short lists, when it has read them
    (see the selector)."""
    from duban.followup.selectors import task_followup as followup_get

    request = context.get("request")
    data = followup_get(viewer=request.user, task=task, today=today,
                        light=rolled.light if rolled is not None else None, history_kinds=history_kinds,
                        lists=lists)
    shown = light_display(data.light.code) if data.light.code in LIGHTS else ("", "", "")
    return _included(context, "followup/_task_followup.html", {
        "f": data, "light_code": shown[0], "light_label": shown[1], "badge_class": shown[2], "request": request})


@register.simple_tag(takes_context=True)
def task_top(context, task, commented=True, lists=None) -> str:
    """The top of a task page: leaders' 批示 (with a deadline the office is asked to confirm), a returned close
    request with its reason, and the 重点关注 mark. ``commented`` False (the page's history has no 批示) skips
    reading the comments; ``lists``: the page's short lists, when it has read them (see the selector)."""
    from duban.followup.selectors import task_top as top_get

    request = context.get("request")
    return _included(context, "followup/_task_top.html", {
        "top": top_get(viewer=request.user, task=task, commented=commented, lists=lists), "request": request})


@register.simple_tag
def light_of(light):
    """A light already computed (a task's roll-up from its sub-tasks) as ``light_badge`` shows one."""
    return _badge(light)


@register.simple_tag(takes_context=True)
def task_tree(context, tree) -> str:
    """The tree of sub-tasks on a task page (分解下达), as ``duban.followup.selectors.task_tree`` read it for the
    viewer: the levels above the viewer may see, the task and its subtree with each node's light and progress,
    rolled up from below."""
    rows = [(node, *light_display(node.light.code)) if node.light.code in LIGHTS else (node, "", "", "")
            for node in tree.nodes]
    return _included(context, "followup/_task_tree.html", {"tree": tree, "rows": rows, "top": rows[0]})
