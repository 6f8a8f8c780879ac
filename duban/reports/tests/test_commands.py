"""The reporting subcommands through the real entry point (duban.cli.main)."""

from __future__ import annotations

import datetime as dt

import pytest
from docx import Document
from openpyxl import Workbook, load_workbook

from duban.cli import main
from duban.core.audit import EventType
from duban.core.models import AuditEvent
from duban.tasks.models import Task, TaskStatus

from .test_views import meeting_for

pytestmark = pytest.mark.django_db


def test_report_writes_docx_as_the_default_office_user(org, tmp_path, capsys):
    meeting = meeting_for(org)
    org.task_in("assigned", meeting=meeting)
    out = tmp_path / "brief.docx"
    assert main(["report", "--meeting", str(meeting.pk), "--output", str(out), "--issue"]) == 0
    # a meeting of 2024 in a document of a later year is named with its year
    assert Document(str(out)).paragraphs[0].text == "关于2024年9月29日市委常委会会议\n决定事项落实情况的通报"
    assert "已生成通报" in capsys.readouterr().out
    assert AuditEvent.objects.get(event_type=EventType.BRIEFING_EXPORTED).actor == org.supervisor


def test_report_as_unit_user_is_refused_in_one_line(org, tmp_path, capsys):
    meeting = meeting_for(org)
    assert main(["report", "--meeting", str(meeting.pk), "--user", "lead_staff",
                 "--output", str(tmp_path / "x.docx")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "无权" in err[0] and "permission denied" in err[0]


def test_circular_and_urge_slip_through_the_command(org, tmp_path):
    task = org.task_in("assigned", title="要催办的事项", deadline=dt.date.today() - dt.timedelta(days=3))
    out = tmp_path / "circular.docx"
    assert main(["circular", "--output", str(out)]) == 0
    texts = [p.text for p in Document(str(out)).paragraphs]
    assert "关于重点督办事项落实情况的督查通报" in texts and any(t.startswith("1.要催办的事项") for t in texts)
    year = dt.date.today().year
    assert f"督查〔{year}〕1号" in texts
    assert main(["circular", "--output", str(out)]) == 0  # the same day's 通报 again keeps its number
    assert f"督查〔{year}〕1号" in [p.text for p in Document(str(out)).paragraphs]
    slip = tmp_path / "urge.docx"
    assert main(["urge", "--task", str(task.pk), "--output", str(slip)]) == 0
    texts = [p.text for p in Document(str(slip)).paragraphs]
    assert "催办单" in texts and f"催办〔{year}〕1号" in texts and "市应急管理局：" in texts
    assert any("已超期3天" in t for t in texts)  # the light's reason
    (event,) = AuditEvent.objects.filter(event_type=EventType.URGE_SLIP_EXPORTED)
    assert event.task_id == task.pk and event.actor == org.supervisor and event.extra["serial"] == 1
    closed = org.task_in("closed", title="已办结")
    assert main(["urge", "--task", str(closed.pk), "--output", str(slip)]) != 0
    assert AuditEvent.objects.filter(event_type=EventType.URGE_SLIP_EXPORTED).count() == 1


def test_export_per_meeting_and_columns(org, tmp_path):
    org.task_in("assigned", title="未逾期")
    out = tmp_path / "ledger.xlsx"
    assert main(["export", "--per-meeting", "--columns", "督办事项,时限", "--output", str(out)]) == 0
    wb = load_workbook(out)
    assert wb.sheetnames == ["其他来源"]
    assert [c.value for c in wb.active[2]] == ["任务编号", "督办事项", "时限"]


def test_export_with_filters(org, tmp_path):
    org.task_in("assigned", title="逾期的", deadline=dt.date.today() - dt.timedelta(days=1))
    org.task_in("assigned", title="未逾期")
    out = tmp_path / "ledger.xlsx"
    assert main(["export", "--overdue", "--output", str(out), "--user", "lead_staff"]) == 0
    ws = load_workbook(out).active
    assert [r[3] for r in ws.iter_rows(min_row=3, values_only=True)] == ["逾期的"]  # 督办事项, after the key
    assert AuditEvent.objects.get(event_type=EventType.LEDGER_EXPORTED).actor == org.lead_staff


def test_import_ledger_then_again(org, tmp_path, capsys):
    wb = Workbook()
    wb.active.append(["任务内容", "牵头部门", "办结时限"])
    wb.active.append(["建立隐患台账", "市教育局", "2026年12月底前"])
    path = tmp_path / "old.xlsx"
    wb.save(path)
    assert main(["import-ledger", str(path), "--assign"]) == 0
    assert "已导入1项" in capsys.readouterr().out
    task = Task.objects.get(title="建立隐患台账")
    assert task.status == TaskStatus.ASSIGNED and task.deadline == dt.date(2026, 12, 31)
    assert main(["import-ledger", str(path)]) == 0
    assert "均已导入过" in capsys.readouterr().out
    assert Task.objects.count() == 1


def test_import_ledger_errors_are_listed(org, tmp_path, capsys):
    wb = Workbook()
    wb.active.append(["事项", "责任单位", "完成时限"])
    wb.active.append(["", "市火星局", "改天"])
    path = tmp_path / "bad.xlsx"
    wb.save(path)
    assert main(["import-ledger", str(path)]) == 2
    err = capsys.readouterr().err
    assert "第2行「事项」：事项不能为空" in err and "市火星局" in err and "“改天”无法识别为日期" in err
    assert err.strip().splitlines()[-1].startswith("错误：台账有错误，未导入任何事项")


def test_meetings_import_routes_xlsx_here(org, tmp_path, capsys):
    wb = Workbook()
    wb.active.append(["事项", "牵头单位"])
    wb.active.append(["经 duban import 导入", "市教育局"])
    path = tmp_path / "ledger.xlsx"
    wb.save(path)
    assert main(["import", str(path)]) == 0
    assert "已导入1项" in capsys.readouterr().out
    assert Task.objects.filter(title="经 duban import 导入").exists()
