"""工作台: each person's home page (what they must act on, then the figures), and the count the navigation shows.

The navigation's count is fetched by the page after it loaded (``hx-get`` on the badge), so no other page pays
for it; it is kept in the cache of figures under the audit chain head (``duban.core.cache``: never stale)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe

from duban.core.cache import cached, chain_head
from duban.core.cache import timeout_seconds as cache_timeout_seconds
from duban.core.views import page_errors
from duban.tasks.figures import dashboard_figures_html
from duban.tasks.selectors import today_local
from duban.workbench.selectors import workbench_get


@login_required
@page_errors
def home(request):
    user, today = request.user, today_local()
    # A page that only reads: the audit chain head is read once for both kept parts. The 工作台 is kept per
    # person (a unit's list of the office's latest requests is the person's own notifications).
    head = chain_head() if cache_timeout_seconds() > 0 else None
    return render(request, "workbench/home.html", {
        "wb": cached("workbench", user, (user.pk,), today, lambda: workbench_get(viewer=user, today=today),
                     head=head),
        "today": today,
        "figures_html": mark_safe(dashboard_figures_html(user, today, head=head)),  # rendered by us
    })


@login_required
def nav_count(request):
    """The number on the navigation's 工作台 link (plain text; empty when nothing waits)."""
    today = today_local()
    # a unit's items and the viewer's own notifications differ per person: the key holds the user
    user = request.user
    n = cached("workbench", user, (user.pk,), today, lambda: workbench_get(viewer=user, today=today)).total
    return HttpResponse(str(n) if n else "", content_type="text/plain; charset=utf-8")
