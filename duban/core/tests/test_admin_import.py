"""Bulk import of people and units from .xlsx: a preview of every row, row errors named, all rows or none."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import Workbook

from duban.conftest import login
from duban.core import actions
from duban.core.audit import EventType
from duban.core.errors import InvalidInput
from duban.core.models import AuditEvent, Profile, Unit

User = get_user_model()
PEOPLE = ["姓名", "账号", "单位", "角色", "手机"]


def xlsx(header, *rows, title_row: str | None = "人员名单") -> bytes:
    wb = Workbook()
    ws = wb.active
    if title_row:
        ws.append([title_row])
    ws.append(header)
    for row in rows:
        ws.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_unit_admin_imports_creates_updates_and_moves_in_one_go(org):
    data = xlsx(PEOPLE, ["孙七", "sun7", "市应急管理局临川分局", "单位经办人", 13900000000],
                ["李四", "lead_staff", "市应急管理局", "单位经办人", "139-5190-0002"],
                ["child_staff", "child_staff", "应急局", "单位经办人", ""])  # an alias names the unit: moved
    counts = actions.people_import(actor=org.lead_admin, data=data, filename="名单.xlsx")
    assert counts == {"create": 1, "update": 2, "same": 0}
    new = User.objects.get(username="sun7")
    assert new.profile.unit_id == org.child.pk and new.profile.phone == "13900000000"
    assert not new.has_usable_password() and new.profile.must_change_password
    assert Profile.objects.get(user=org.lead_staff).phone == "13951900002"
    assert Profile.objects.get(user=org.child_staff).unit_id == org.safety.pk
    kinds = [e.event_type for e in AuditEvent.objects.filter(actor=org.lead_admin).order_by("id")]
    assert kinds == [EventType.USER_CREATED, EventType.USER_UPDATED, EventType.USER_MOVED, EventType.USERS_IMPORTED]
    # the same file again changes nothing
    again = actions.people_import(actor=org.lead_admin, data=data, filename="名单.xlsx")
    assert again == {"create": 0, "update": 0, "same": 3}


def test_one_bad_row_imports_nothing_and_names_every_error(org):
    data = xlsx(PEOPLE, ["好人", "good1", "市应急管理局", "单位经办人", ""],
                ["外单位", "other_staff", "市应急管理局", "单位经办人", ""],
                ["越权", "boss1", "市应急管理局", "督查室", ""],
                ["无单位", "x2", "不存在的局", "单位经办人", ""],
                ["重复", "good1", "市应急管理局", "单位经办人", ""],
                ["错号", "phone1", "市应急管理局", "单位经办人", "0519-2"])
    before = AuditEvent.objects.count()
    with pytest.raises(InvalidInput) as info:
        actions.people_import(actor=org.lead_admin, data=data)
    rows = {d["row"]: d["error"] for d in info.value.details}
    assert set(rows) == {4, 5, 6, 7, 8}
    assert "不在您的管理范围" in rows[4] and "无权授予" in rows[5] and "找不到单位" in rows[6] and "重复" in rows[7]
    assert "手机应为11位手机号码" in rows[8]
    assert "第4行" in info.value.message_zh and info.value.message_en
    assert not User.objects.filter(username__in=["good1", "boss1", "x2"]).exists()
    assert AuditEvent.objects.count() == before


def test_not_a_workbook_or_no_header_is_a_clear_error(org):
    with pytest.raises(InvalidInput, match="xlsx"):
        actions.people_import(actor=org.sysadmin, data=b"PK\x03\x04 not really")
    with pytest.raises(InvalidInput, match="表头"):
        actions.people_import(actor=org.sysadmin, data=xlsx(["名字", "用户"], ["a", "b"]))


def test_units_import_builds_a_tree_in_sheet_order(org):
    data = xlsx(["名称", "上级单位", "简称"], ["市数据局", "", "数据局"], ["市数据局大数据中心", "市数据局", ""],
                ["市卫健委", "", "卫健委"], title_row=None)
    counts = actions.units_import(actor=org.sysadmin, data=data, filename="units.xlsx")
    assert counts == {"create": 2, "update": 1, "same": 0}
    parent = Unit.objects.get(name="市数据局")
    child = Unit.objects.get(name="市数据局大数据中心")
    assert child.parent_id == parent.pk and child.path == f"{parent.path}{child.pk}/"
    assert Unit.objects.get(pk=org.health.pk).short_name == "卫健委"
    assert AuditEvent.objects.filter(event_type=EventType.UNITS_IMPORTED).count() == 1


def test_import_pages_preview_then_apply(org):
    client = login(Client(), org.sysadmin)
    data = xlsx(PEOPLE, ["周八", "zhou8", "市卫健委", "单位管理员", ""])
    page = client.post("/manage/people/import/", {"file": SimpleUploadedFile("p.xlsx", data), "do": "preview"})
    body = page.content.decode()
    assert 'id="import-plan"' in body and "zhou8" in body and "新增" in body and 'id="import-apply"' in body
    assert not User.objects.filter(username="zhou8").exists()
    encoded = body.split('name="data" value="')[1].split('"')[0]
    done = client.post("/manage/people/import/", {"data": encoded, "filename": "p.xlsx", "do": "apply"}, follow=True)
    assert "已导入：新增 1" in done.content.decode()
    assert Profile.objects.get(user__username="zhou8").role == "unit_admin"
    bad = xlsx(["名称", "上级单位"], ["市新局", "不存在"])
    preview = client.post("/manage/units/import/", {"file": SimpleUploadedFile("u.xlsx", bad), "do": "preview"})
    text = preview.content.decode()
    assert "找不到上级单位" in text and 'id="import-apply"' not in text
    assert login(Client(), org.lead_admin).get("/manage/units/import/").status_code == 403
