"""What the apps above put on the task pages, handed over in their ``AppConfig.ready``: the lights of the list's
rows and their badges, the tree of sub-tasks, the task page's follow-up sections and the office's 催办 and
督办通知单 buttons (follow-up), the meeting filter's choices (meetings). The task list and the task page show them
without the tasks app importing those apps, through a seam like ``duban.tasks.unit_tally.register_lights``, which
hands over the light rule for the kept counts; the pages' templates show the rendered parts through the tasks app's
own tags (``duban.tasks.templatetags.page_parts_tags``), loading no library of those apps.

Each function here calls the one registered under its name, with the same arguments and result; a part nobody
registered is a set-up error (``ImproperlyConfigured``), never a page quietly showing no light."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ImproperlyConfigured

PARTS = frozenset(("rollup_lights", "light_of", "light_badge", "light_badge_of_values", "task_tree", "task_top_html",
                   "task_followup_html", "task_tree_html", "can_urge_task", "can_issue_notice", "meeting_choices",
                   "task_page_parts", "source_parts", "source_link", "source_name_column",
                   "source_name", "source_facts", "close_note", "deadline_change_pending"))
_parts: dict[str, Callable] = {}


def register_page_parts(**parts: Callable) -> None:
    """Hand over parts by the names of the functions below (``PARTS``)."""
    unknown = set(parts) - PARTS
    if unknown:
        raise ImproperlyConfigured("unknown parts of the task pages: " + ", ".join(sorted(unknown)))
    _parts.update(parts)


def _part(name: str) -> Callable:
    try:
        return _parts[name]
    except KeyError:
        raise ImproperlyConfigured(f"no app registered the task pages' part {name!r}") from None


def rollup_lights(tasks, today):
    """The lights of the split tasks among ``tasks`` from their sub-tasks (``duban.followup.lights``)."""
    return _part("rollup_lights")(tasks, today)


def light_of(light):
    """A computed light as its badge (``duban.followup.templatetags.followup_tags``)."""
    return _part("light_of")(light)


def light_badge(task, today=None):
    """A task's light as its badge, nothing for a task without one (``duban.followup.templatetags.followup_tags``)."""
    return _part("light_badge")(task, today)


def light_badge_of_values(*values):
    """A task's light badge from its column values (``duban.followup.templatetags.followup_tags``)."""
    return _part("light_badge_of_values")(*values)


def task_tree(*, viewer, task):
    """The tree a task belongs to as its page shows it, or None (``duban.followup.selectors``)."""
    return _part("task_tree")(viewer=viewer, task=task)


def task_top_html(context, task, commented=True, lists=None) -> str:
    """The top of a task page for the viewer of the template ``context``, as HTML: leaders' 批示, a returned close
    request, 重点关注; ``commented`` False skips reading the 批示; ``lists``: the page's short lists
    (``duban.followup.templatetags.followup_tags``)."""
    return _part("task_top_html")(context, task, commented, lists)


def task_followup_html(context, task, today=None, rolled=None, history_kinds=None, lists=None) -> str:
    """The follow-up section of a task page for the viewer of the template ``context``, as HTML: its light
    (``rolled``: the task's node in its tree when it has sub-tasks), reminders, 督办通知单, extension requests, a
    close request and the viewer's buttons (``duban.followup.templatetags.followup_tags``)."""
    return _part("task_followup_html")(context, task, today, rolled, history_kinds, lists)


def task_tree_html(context, tree) -> str:
    """The tree of sub-tasks that ``task_tree`` read, as HTML (``duban.followup.templatetags.followup_tags``)."""
    return _part("task_tree_html")(context, tree)


def task_page_parts(*, viewer, task, history_kinds) -> dict:
    """The follow-up lists of a task page, read with the page's own (``duban.tasks.selectors.page_lists``):
    leaders' 批示, reminders, extension requests, the viewer's 重点关注 (``duban.followup.selectors``)."""
    return _part("task_page_parts")(viewer=viewer, task=task, history_kinds=history_kinds)


def can_urge_task(user, task) -> bool:
    """催办 by hand (``duban.followup.permissions``)."""
    return _part("can_urge_task")(user, task)


def can_issue_notice(user, task) -> bool:
    """A 督办通知单 on demand (``duban.followup.permissions``)."""
    return _part("can_issue_notice")(user, task)


def meeting_choices(*, viewer):
    """The meetings of the list's filter (``duban.meetings.selectors``)."""
    return _part("meeting_choices")(viewer=viewer)


def source_parts(*, task) -> dict:
    """The list of a task page that finds the record a task of another source came from (a leader's instruction,
    an inspection case, a livelihood project, a hazard), read with the page's own (``page_lists``); nothing for a
    meeting's task (``duban.sources.selectors``)."""
    return _part("source_parts")(task=task)


def source_link(*, task, lists) -> tuple[str, str] | None:
    """(label, address) of the record ``task`` came from, from the page's ``lists``; None when it has none
    (``duban.sources.selectors``)."""
    return _part("source_link")(task=task, lists=lists)


def source_name_column():
    """An expression to annotate tasks with, read by ``source_name`` (``duban.sources.selectors``)."""
    return _part("source_name_column")()


def source_name(kind: str, column) -> str | None:
    """What names the record a task of another source came from, for a ledger's 来源会议/文号 (领导批示：its 文号,
    督察交办件：its number, …), from the task's kind and the column ``source_name_column`` read; None for a
    meeting's task (``duban.sources.selectors``)."""
    return _part("source_name")(kind, column)


def source_facts(task_ids) -> dict[int, dict]:
    """The key facts of the records tasks came from, by task id, as a source's own sheet of the ledger shows them
    after the ledger's columns (a 民生实事's target and what is done, a 隐患's class and state, a 督察交办件's group,
    batch and rectification) (``duban.sources.selectors``)."""
    return _part("source_facts")(task_ids)


def close_note(*, task) -> str:
    """Why a close request on ``task`` would be refused now by its kind's own record (a livelihood project short of
    its target), for the 申请办结 form before it is sent; "" when nothing stands in the way
    (``duban.sources.selectors``)."""
    return _part("close_note")(task=task)


def deadline_change_pending():
    """The tasks whose leader's 批示 deadline waits for the supervising office to confirm it, as a ``Q`` (the
    follow-up app's rule, which the 工作台's queue and the task list's 待办 filter share)."""
    return _part("deadline_change_pending")()
