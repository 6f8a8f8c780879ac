"""The task pages' own tags (``{% load page_parts_tags %}``) show the parts the follow-up app renders: the same
markup as follow-up's tags of the same names, for they call the one renderer follow-up registered; and a part
nobody registered fails the page rather than leaving a badge or a section out."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.template import Context, Template
from django.test import RequestFactory

from duban.followup.actions import extension_request, task_comment, task_urge
from duban.followup.selectors import task_tree
from duban.tasks import page_parts
from duban.tasks.actions import task_decompose
from duban.tasks.models import Task

TAGS = ("{% light_badge task %}|{% light_of rolled.light %}|{% task_top task %}|"
        "{% task_followup task rolled=rolled %}|{% task_tree tree %}")


def _context(viewer, **values) -> Context:
    request = RequestFactory().get("/")
    request.user = viewer
    return Context({"request": request, "csrf_token": "the-page-token", **values})


@pytest.mark.django_db
def test_the_task_pages_tags_show_follow_ups_parts(org):
    task = org.task_in("accepted")
    task_comment(actor=org.leader, task_id=task.pk, text="请加快整治进度")
    task_urge(actor=org.supervisor, task_id=task.pk, message="请按时报送整治进展")
    extension_request(actor=org.lead_staff, task_id=task.pk, new_deadline=dt.date.today() + dt.timedelta(days=90),
                      reason="涉及管网改造工程量大")
    task.refresh_from_db()
    task_decompose(actor=org.supervisor, task_id=task.pk, version=task.version, parts=[
        {"lead_unit_id": org.child.pk, "coop_unit_ids": [], "deadline": None, "title": "临川分局排查老旧小区"}])
    task = Task.objects.get(pk=task.pk)
    tree = task_tree(viewer=org.supervisor, task=task)
    values = {"task": task, "tree": tree, "rolled": tree.top}
    ours = Template("{% load page_parts_tags %}" + TAGS).render(_context(org.supervisor, **values))
    badge, rolled, top, followup, shown_tree = ours.split("|")
    assert 'data-light="' in badge and 'data-light="' in rolled
    assert 'id="leader-comments"' in top and "请加快整治进度" in top
    # the section, with the reminder sent and the extension request, the page's csrf token in its forms
    assert 'id="task-followup"' in followup and 'id="reminder-list"' in followup
    assert "涉及管网改造工程量大" in followup and 'value="the-page-token"' in followup
    assert 'id="task-tree"' in shown_tree and org.child.name in shown_tree  # the sub-task, by its unit
    assert ours == Template("{% load followup_tags %}" + TAGS).render(_context(org.supervisor, **values))


@pytest.mark.nodb
@pytest.mark.parametrize(("tag", "part"), [("{% light_badge task %}", "light_badge"),
                                           ("{% light_of light %}", "light_of"),
                                           ("{% task_top task %}", "task_top_html"),
                                           ("{% task_followup task %}", "task_followup_html"),
                                           ("{% task_tree tree %}", "task_tree_html")])
def test_a_part_nobody_registered_fails_the_page(monkeypatch, tag, part):
    monkeypatch.delitem(page_parts._parts, part)
    with pytest.raises(ImproperlyConfigured, match=part):
        Template("{% load page_parts_tags %}" + tag).render(Context({"task": None, "light": None, "tree": None}))
