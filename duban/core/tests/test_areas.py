"""Work areas (工作领域): the packaged list is there from the start, and the sysadmin adds, renames and retires
areas from 系统管理 (audited, nothing deleted); the clerk chooses from the active ones, and so does a ledger import."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from duban.conftest import login
from duban.core import actions
from duban.core.audit import EventType
from duban.core.errors import InvalidInput, PermissionDenied
from duban.core.models import Area, AuditEvent
from duban.reports.actions import ledger_import
from duban.tasks import actions as task_actions
from duban.tasks.models import Task

pytestmark = pytest.mark.django_db


def _area_options(client, task) -> list[str]:
    page = client.get(f"/tasks/{task.pk}/edit/").content.decode()
    select = page[page.index('name="area"'):]
    select = select[:select.index("</select>")]
    import re

    return re.findall(r"<option value=\"\d+\"[^>]*>([^<]+)</option>", select)


def _draft(org):
    return task_actions.task_create(actor=org.supervisor, title="提高乡镇工作人员待遇", text="提高乡镇工作人员待遇。")


def test_the_clerk_chooses_from_the_packaged_list_from_the_start(client, org):
    login(client, org.supervisor)
    offered = _area_options(client, _draft(org))
    for name in ("经济发展", "科技创新", "乡村振兴", "城乡建设", "民生实事", "生态环境", "食品安全"):
        assert name in offered
    assert "其他" not in offered  # the extraction's fallback is 未分类, not an area


def test_the_sysadmin_adds_renames_and_retires_an_area_from_the_screens(client, org):
    login(client, org.sysadmin)
    assert client.get("/manage/areas/").status_code == 200
    done = client.post("/manage/areas/new/", {"name": " 营商环境 "}, follow=True).content.decode()
    area = Area.objects.get(name="营商环境")
    assert area.is_active and "已添加工作领域“营商环境”" in done
    refused = client.post("/manage/areas/new/", {"name": "营商环境"}, follow=True).content.decode()
    assert "已有名为“营商环境”的领域" in refused and Area.objects.filter(name="营商环境").count() == 1
    client.post(f"/manage/areas/{area.pk}/rename/", {"name": "优化营商环境"})
    area.refresh_from_db()
    assert area.name == "优化营商环境"
    task = _draft(org)
    Task.objects.filter(pk=task.pk).update(area=area)
    client.post(f"/manage/areas/{area.pk}/active/", {})
    area.refresh_from_db()
    assert not area.is_active and Area.objects.filter(pk=area.pk).exists()
    task.refresh_from_db()
    assert task.area_id == area.pk  # the task keeps it
    events = list(AuditEvent.objects.filter(extra__area_id=area.pk).order_by("id").values_list("event_type", "extra"))
    assert [e for e, _ in events] == [EventType.AREA_CREATED, EventType.AREA_RENAMED, EventType.AREA_DEACTIVATED]
    assert events[1][1]["old"] == "营商环境" and events[1][1]["new"] == "优化营商环境"
    login(client, org.supervisor)
    assert "优化营商环境" not in _area_options(client, _draft(org))
    login(client, org.sysadmin)
    client.post(f"/manage/areas/{area.pk}/active/", {"active": "1"})
    area.refresh_from_db()
    assert area.is_active


def test_only_the_sysadmin_manages_areas(client, org):
    login(client, org.supervisor)
    assert client.get("/manage/areas/").status_code == 403
    assert client.post("/manage/areas/new/", {"name": "民生工程"}).status_code == 403
    with pytest.raises(PermissionDenied):
        actions.area_create(actor=org.supervisor, name="民生工程")
    with pytest.raises(InvalidInput):
        actions.area_create(actor=org.sysadmin, name="  ")
    assert not Area.objects.filter(name="民生工程").exists()


def test_a_ledger_import_accepts_any_active_area(org):
    added = actions.area_create(actor=org.sysadmin, name="民生工程")
    wb = Workbook()
    ws = wb.active
    ws.append(["序号", "工作任务", "领域", "责任单位"])
    ws.append([1, "提高乡镇工作人员待遇", "民生实事", "市教育局"])
    ws.append([2, "农贸市场建设", "民生工程", "市教育局"])
    out = io.BytesIO()
    wb.save(out)
    result = ledger_import(actor=org.supervisor, data=out.getvalue(), filename="台账.xlsx")
    tasks = {t.title: t.area.name for t in Task.objects.filter(pk__in=result.task_ids).select_related("area")}
    assert tasks == {"提高乡镇工作人员待遇": "民生实事", "农贸市场建设": added.name}
