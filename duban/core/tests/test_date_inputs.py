"""Every date field of every form renders the ISO form that ``<input type="date">`` accepts, in the office's
language, and keeps its value through a save that changes something else."""

from __future__ import annotations

import datetime as dt
import importlib
import re

import pytest
from django import forms
from django.utils import translation

FORM_MODULES = ["duban.core.views", "duban.meetings.views", "duban.tasks.views", "duban.reports.views",
                "duban.sources.forms", "duban.followup.views"]
DAY = dt.date(2026, 12, 31)


def _all_form_classes():
    for name in FORM_MODULES:
        importlib.import_module(name)
    seen, todo = [], [forms.Form, forms.ModelForm]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            todo.append(sub)
            if sub.__module__.startswith("duban."):
                seen.append(sub)
    return seen


def _date_widgets():
    out = []
    for cls in _all_form_classes():
        for name, field in cls.base_fields.items():
            if isinstance(field.widget, forms.DateInput):
                out.append(pytest.param(field.widget, id=f"{cls.__module__}.{cls.__name__}.{name}"))
    return out


def test_the_projects_forms_have_date_fields():
    # The parametrized test below must not pass by finding nothing.
    assert len(_date_widgets()) >= 8


@pytest.mark.parametrize("widget", _date_widgets())
def test_a_date_field_renders_what_the_browser_accepts(widget):
    kind = widget.input_type
    with translation.override("zh-hans"):
        html = widget.render("d", DAY)
    value = re.search(r'value="([^"]*)"', html).group(1)
    # HTML's date input takes yyyy-mm-dd only, the month input yyyy-mm only.
    assert value == {"date": "2026-12-31", "month": "2026-12", "text": "2026-12-31"}[kind]


def test_the_slashed_form_is_still_accepted_when_typed():
    with translation.override("zh-hans"):
        assert forms.DateField().clean("2026/12/31") == DAY
        assert forms.DateField().clean("2026-12-31") == DAY


@pytest.mark.django_db
def test_saving_the_edit_page_unchanged_except_the_title_keeps_the_deadline(client, org):
    from duban.tasks.models import Task

    task = org.task_in("assigned", deadline=DAY)
    client.force_login(org.supervisor)
    page = client.get(f"/tasks/{task.pk}/edit/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    # What a browser posts back: every field as the page rendered it, the title changed.
    deadline = re.search(r'name="deadline" value="([^"]*)"', page) or re.search(
        r'value="([^"]*)"[^>]*name="deadline"', page)
    assert deadline and deadline.group(1) == "2026-12-31"
    data = {"version": task.version, "title": "新的事项名称", "text": task.text, "area": task.area_id or "",
            "lead_unit": task.lead_unit_id, "coop_units": list(task.coop_units.values_list("id", flat=True)),
            "deadline": deadline.group(1)}
    response = client.post(f"/tasks/{task.pk}/edit/", data)
    assert response.status_code == 302
    task = Task.objects.get(pk=task.pk)
    assert task.title == "新的事项名称"
    assert task.deadline == DAY
