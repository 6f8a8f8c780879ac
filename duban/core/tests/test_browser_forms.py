"""Form controls at a phone's width in real Chromium: 配合单位 among fifty units is a list of checkboxes with a
search box (no Ctrl-click), and what is ticked is what the form saves; the task list's 承办 filter shows its
longest choice whole."""

from __future__ import annotations

import datetime as dt

import pytest

from duban.core.tests.browser import chromium_page, demo_people, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def demo_org(transactional_db):
    demo_people()


def test_cooperating_units_are_ticked_in_a_searchable_list(live_server, demo_org, monkeypatch):
    from django.contrib.auth import get_user_model
    from playwright.sync_api import expect

    from duban.core.models import Unit
    from duban.demo.loader import DEMO_PASSWORD
    from duban.tasks.actions import task_create
    from duban.tasks.models import Task

    office = get_user_model().objects.get(username="office")
    task = task_create(actor=office, title="排查整治燃气安全隐患", text="全面排查整治燃气安全隐患。",
                       lead_unit_id=Unit.objects.get(name="市应急管理局").pk, coop_unit_ids=[],
                       deadline=dt.date.today() + dt.timedelta(days=30))
    assert Unit.objects.filter(is_active=True).count() > 20
    with chromium_page(monkeypatch, width=390, height=844) as (page, errors):
        sign_in(page, live_server.url, "office", DEMO_PASSWORD)
        page.wait_for_url(f"{live_server.url}/")
        page.goto(f"{live_server.url}/tasks/{task.pk}/edit/")
        select = page.locator("select[name=coop_units]")
        expect(select).to_be_hidden()
        expect(page.locator("label[for=id_coop_units]")).to_have_text("配合单位（可多选）")
        box = page.locator(".checklist")
        expect(box.locator(".checklist-chosen")).to_have_text("未选")
        box.locator(".checklist-search").fill("卫健")
        shown = box.locator(".form-check:visible")
        expect(shown).to_have_count(1)
        shown.first.locator("label").click()  # a tap on the name ticks it
        expect(box.locator(".checklist-chosen")).to_have_text("已选1个：市卫健委")
        box.locator(".checklist-search").fill("")
        box.locator(".form-check", has_text="市住建局").locator("input").check()
        expect(box.locator(".checklist-chosen")).to_have_text("已选2个：市卫健委、市住建局")
        width = page.evaluate("document.documentElement.scrollWidth")
        page.click("form button[type=submit]:has-text('保存')")
        page.wait_for_url(f"{live_server.url}/tasks/{task.pk}/")
    assert width <= 390
    assert set(Task.objects.get(pk=task.pk).coop_units.values_list("name", flat=True)) == {"市卫健委", "市住建局"}
    assert errors == []


def test_the_role_filter_shows_its_longest_choice_whole(live_server, demo_org, monkeypatch):
    from duban.core.models import Unit
    from duban.demo.loader import DEMO_PASSWORD

    unit = Unit.objects.get(name="市应急管理局")
    with chromium_page(monkeypatch) as (page, errors):
        sign_in(page, live_server.url, "office", DEMO_PASSWORD)
        page.wait_for_url(f"{live_server.url}/")
        page.goto(f"{live_server.url}/tasks/?unit={unit.pk}")
        # the width the chosen text needs against the room inside the select (its padding holds the arrow)
        need, room = page.evaluate("""() => {
            const s = document.getElementById('f-role'), css = getComputedStyle(s);
            const ctx = document.createElement('canvas').getContext('2d');
            ctx.font = css.font;
            return [ctx.measureText(s.options[s.selectedIndex].text).width,
                    s.clientWidth - parseFloat(css.paddingLeft) - parseFloat(css.paddingRight)];
        }""")
    assert page and need <= room, (need, room)
    assert errors == []
