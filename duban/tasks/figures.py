"""The figures and charts of the home page (工作台) for the viewer's scope: ``task_stats`` as HTML, rendered once per
state of the data and kept under the audit chain head (``duban.core.cache``)."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe

from duban.core.views import template_text
from duban.tasks import palette
from duban.tasks.models import TaskStatus
from duban.tasks.permissions import sees_drafts
from duban.tasks.selectors import ISSUED, NO_AREA, task_stats


def dashboard_figures_html(viewer, today, *, head=None) -> str:
    """The figures and charts of the home page, for the viewer's scope. Rendered once per state of the data (300
    unit rows at a province's scale), under the audit chain's head (never stale: see duban/core/cache.py);
    ``head``: the chain head read earlier in the same request (``cached``)."""
    from duban.core.cache import cached

    return cached("office-dashboard-html", viewer, (), today,
                  lambda: _dashboard_figures_html(task_stats(viewer=viewer, today=today),
                                                  with_drafts=sees_drafts(viewer)), head=head)


def _dashboard_figures_html(stats, *, with_drafts: bool = False) -> str:
    """``with_drafts``: the viewer's task list shows drafts, which the figures do not count, so a row's link asks
    the list for every task but drafts (``ISSUED``)."""
    status_rows = [{"status": value, "label": label, "count": stats.by_status.get(value, 0)}
                   for value, label in TaskStatus.choices
                   if value not in (TaskStatus.DRAFT, TaskStatus.WITHDRAWN)]

    def series(rows, limit=None):
        rows = rows[:limit] if limit else rows
        return {"names": [r["name"] for r in rows],
                "closed": [r["closed"] for r in rows],
                "overdue": [r["overdue"] for r in rows],
                "unsigned": [r["unsigned"] for r in rows],
                "open": [r["total"] - r["closed"] - r["overdue"] - r["unsigned"] for r in rows]}

    chart_data = {"area": series(stats.by_area), "unit": series(stats.by_unit, 15),
                  "status": [{"name": str(r["label"]), "value": r["count"],
                              "itemStyle": {"color": palette.status_colour(r["status"])}}
                             for r in status_rows if r["count"]],
                  "series": [{"key": key, "name": label, "color": colour}
                             for key, (label, colour) in palette.SERIES.items()]}
    tasks_url = reverse("tasks:list")
    # a row's figure counts what its link lists: every task but drafts, of the area, or led by the unit
    issued = f"{tasks_url}?status={ISSUED}&amp;" if with_drafts else f"{tasks_url}?"
    status_html = "".join(
        f'<tr><td><a href="{tasks_url}?status={escape(r["status"])}">{escape(r["label"])}</a></td>'
        f'<td class="text-end">{template_text(r["count"])}</td></tr>' for r in status_rows)
    return render_to_string("tasks/_dashboard_figures.html", {
        "stats": stats, "status_html": mark_safe(status_html), "chart_data": chart_data,  # escaped here
        "area_rows": _stats_rows(stats.by_area, lambda pk: f"{issued}area={template_text(pk or NO_AREA)}"),
        "unit_rows": _stats_rows(stats.by_unit,
                                 lambda pk: pk and f"{issued}unit={template_text(pk)}&amp;role=lead"),
        "open_count": stats.total - stats.closed,
    })


def _stats_rows(rows, link_of) -> str:
    """The body rows of ``tasks/_stats_table.html``, built in one pass: the template loop over 300 units' rows
    cost ~40 ms of a cold dashboard at 100k tasks. Each row links to the task list of the tasks its figures count
    (``link_of(row id)``, escaped; none for an empty one)."""
    out = []
    for row in rows:
        name = escape(row["name"])
        link = link_of(row["id"])
        if link:
            name = f'<a href="{link}">{name}</a>'
        out.append(f'<tr><td>{name}</td><td class="text-end">{template_text(row["total"])}</td>'
                   f'<td class="text-end">{template_text(row["closed"])}</td>'
                   f'<td class="text-end{" text-danger" if row["overdue"] else ""}">'
                   f'{template_text(row["overdue"])}</td>'
                   f'<td class="text-end">{template_text(row["rate"])}%</td></tr>\n')
    return mark_safe("".join(out))  # escaped here
