"""The briefing .docx: title from the meeting, summary figures, a table per area, overdue items, the ranking —
read back with python-docx and checked against the database."""

from __future__ import annotations

import datetime as dt
import io
import shutil
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from docx import Document

from duban.conftest import require_tool
from duban.core.audit import EventType
from duban.core.errors import NotFound, PermissionDenied
from duban.core.models import AuditEvent
from duban.reports.actions import briefing_export
from duban.reports.briefing import soffice_path
from duban.reports.selectors import briefing_data, briefing_title, unit_ranking
from duban.tasks.models import Task

from .test_views import meeting_for

pytestmark = pytest.mark.django_db
TODAY = dt.date(2024, 11, 15)


def build(org):
    meeting = meeting_for(org)
    closed = org.task_in("closed", meeting=meeting, title="整治燃气隐患", deadline=dt.date.today() + dt.timedelta(days=365))
    late = org.task_in("in_progress", meeting=meeting, title="完善应急预案", deadline=dt.date(2024, 10, 31))
    health = org.task_in("assigned", meeting=meeting, title="加强传染病监测", area_id=org.area_health.pk,
                         lead_unit_id=org.health.pk, coop_unit_ids=[], deadline=dt.date(2024, 12, 31))
    org.task_in("assigned", title="别的会议的事项")
    return meeting, closed, late, health


def test_title_uses_meeting_date_and_body(org):
    assert briefing_title(meeting_for(org), TODAY) == "关于9月29日市委常委会会议决定事项落实情况的通报"
    assert briefing_title(meeting_for(org, date=None, date_text="03-05", body="县政府常务会议")) == \
        "关于3月5日县政府常务会议决定事项落实情况的通报"


def test_the_title_names_the_year_of_a_meeting_of_an_earlier_year(org):
    """A 2024 meeting's briefing dated 2025 says which 9月29日 it means."""
    meeting = meeting_for(org)
    org.task_in("assigned", meeting=meeting)
    assert briefing_title(meeting, dt.date(2025, 1, 10)) == "关于2024年9月29日市委常委会会议决定事项落实情况的通报"
    doc = Document(io.BytesIO(briefing_export(actor=org.supervisor, meeting_id=meeting.pk, today=dt.date(2025, 1, 10))))
    # set in two lines (a line break between the meeting and 决定事项)
    assert "关于2024年9月29日市委常委会会议决定事项落实情况的通报" in [p.text.replace("\n", "") for p in doc.paragraphs]


def test_items_of_no_area_come_last_under_other_on_every_database(org):
    """The areas in their order, then the items of no area under 其他 (SQLite sorts a missing area first)."""
    meeting, closed, late, health = build(org)
    org.task_in("assigned", meeting=meeting, title="未定领域的事项", area_id=None)
    data = briefing_data(viewer=org.supervisor, meeting_id=meeting.pk, today=TODAY)
    assert [(area, len(tasks)) for area, tasks in data.areas] == [("安全生产", 2), ("疫情防控", 1), ("其他", 1)]
    assert data.areas[-1][1][0].title == "未定领域的事项"


def test_docx_contents_match_the_database(org):
    meeting, closed, late, health = build(org)
    doc = Document(io.BytesIO(briefing_export(actor=org.supervisor, meeting_id=meeting.pk, today=TODAY, issue=True)))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert doc.paragraphs[0].text == "关于9月29日市委常委会会议\n决定事项落实情况的通报"
    assert "共部署决定事项3项" in text and "已办结1项" in text and "正在办理2项" in text
    assert "逾期未办结1项" in text and "办结率33.3%" in text
    assert "（一）安全生产（2项）" in text and "（二）疫情防控（1项）" in text
    area_tables, ranking = doc.tables[:-1], doc.tables[-1]
    assert len(area_tables) == 2
    header = [c.text for c in area_tables[0].rows[0].cells]
    assert header == ["序号", "事项", "牵头单位", "时限", "状态", "最新进展"]
    safety_rows = {r.cells[1].text: [c.text for c in r.cells] for r in area_tables[0].rows[1:]}
    db = {t.title: t for t in Task.objects.filter(meeting=meeting).select_related("lead_unit")}
    assert set(safety_rows) == {"整治燃气隐患", "完善应急预案"}
    for title, row in safety_rows.items():
        assert row[2] == db[title].lead_unit.name
        d = db[title].deadline
        assert row[3] == f"{d.year}年{d.month}月{d.day}日"  # a 公文 writes its dates in words
        assert row[4] == db[title].get_status_display()
    assert safety_rows["完善应急预案"][5] == "30%；已部署"
    assert [c.text for c in area_tables[1].rows[1].cells][1:3] == ["加强传染病监测", "市卫健委"]
    assert "1.完善应急预案（牵头单位：市应急管理局，时限：2024年10月31日，已逾期15天）" in text
    assert "2024年9月29日召开的市委常委会共部署决定事项3项" in text
    assert "别的会议的事项" not in text
    assert [c.text for c in ranking.rows[0].cells] == ["名次", "单位", "办结数", "平均得分", "按时办结率", "逾期数"]
    # 市卫健委's one task is not yet due: the on-time points (100). 市应急管理局 closed one on time (100) and has
    # one open past 2024-10-31: 11 working days late on 11-15 (Nov 1, 4-8, 11-15), 100 - 2 x 11 = 78; (100 + 78) / 2
    assert [c.text for c in ranking.rows[1].cells][:4] == ["1", "市卫健委", "0", "100.0"]
    assert [c.text for c in ranking.rows[2].cells][:4] == ["2", "市应急管理局", "1", "89.0"]
    (event,) = AuditEvent.objects.filter(event_type=EventType.BRIEFING_EXPORTED)
    assert event.meeting == meeting and event.actor == org.supervisor
    assert event.extra == {"format": "docx", "tasks": 3, "issued": True, "serial": 1, "year": TODAY.year,
                           "number_again": False}


def test_leaders_comments_are_in_the_briefing_with_name_date_and_text(org):
    from duban.core.models import Profile
    from duban.followup.actions import task_comment

    meeting, closed, late, health = build(org)
    Profile.objects.filter(user=org.leader).update(display_name="张副市长")
    task_comment(actor=org.leader, task_id=late.pk, text="请市应急管理局加快进度，月底前报结果")
    soon = org.task_in("accepted", meeting=meeting, title="完善监测网络", deadline=dt.date.today() + dt.timedelta(
        days=60))
    task_comment(actor=org.leader, task_id=soon.pk, text="请提前完成", deadline=dt.date.today() + dt.timedelta(days=10))
    other = org.task_in("assigned", title="别的会议的事项二")
    task_comment(actor=org.leader, task_id=other.pk, text="不属于本次会议的批示")
    day = dt.date.today()
    doc = Document(io.BytesIO(briefing_export(actor=org.supervisor, meeting_id=meeting.pk, today=TODAY)))
    text = [p.text for p in doc.paragraphs]
    section = text.index("二、领导批示")
    assert text[section + 1] == "1.完善应急预案（牵头单位：市应急管理局）"
    assert text[section + 2] == f"张副市长{day.year}年{day.month}月{day.day}日批示：“请市应急管理局加快进度，月底前报结果”"
    assert text[section + 3] == "2.完善监测网络（牵头单位：市应急管理局）"
    deadline = dt.date.today() + dt.timedelta(days=10)
    assert text[section + 4].startswith(f"张副市长{day.year}年{day.month}月{day.day}日批示：“请提前完成”")
    assert f"批示时限：{deadline.year}年{deadline.month}月{deadline.day}日，待督查室确认" in text[section + 4]
    assert text[section + 5] == "三、逾期未办结事项"
    assert "不属于本次会议的批示" not in "\n".join(text)
    assert "领导批示" not in "\n".join(p.text for p in Document(io.BytesIO(briefing_export(
        actor=org.supervisor, meeting_id=meeting_for(org, title="另一次会议", sha256="1" * 64).pk, today=TODAY))).paragraphs)


def test_only_the_office_writes_briefings(org):
    meeting, *_ = build(org)
    with pytest.raises(PermissionDenied):
        briefing_export(actor=org.lead_staff, meeting_id=meeting.pk)
    with pytest.raises(NotFound):
        briefing_export(actor=org.leader, meeting_id=meeting.pk + 1000)
    assert not AuditEvent.objects.filter(event_type=EventType.BRIEFING_EXPORTED).exists()


@pytest.mark.slow
def test_pdf_through_libreoffice(org):
    require_tool(soffice_path() is not None or shutil.which("soffice") is not None, "libreoffice")
    meeting, *_ = build(org)
    pdf = briefing_export(actor=org.supervisor, meeting_id=meeting.pk, fmt="pdf", today=TODAY)
    assert pdf.startswith(b"%PDF")


def test_briefing_ranks_units_by_the_ranking_rule_in_a_fixed_number_of_queries(org):
    from duban.reports.actions import score_adjust


    meeting, closed, late, health = build(org)
    on_time = org.task_in("closed", meeting=meeting, title="按时", deadline=dt.date(2030, 1, 1))
    closed_late = org.task_in("closed", meeting=meeting, title="逾期办结", deadline=dt.date(2024, 1, 1))
    org.task_in("returned", meeting=meeting, title="退回逾期", deadline=dt.date(2024, 2, 1))
    no_lead = org.task_in("closed", meeting=meeting, title="无牵头")
    Task.objects.filter(pk=closed.pk).update(score=Decimal("85.5"))
    Task.objects.filter(pk=on_time.pk).update(score=Decimal("90.0"), lead_unit_id=org.health.pk)
    Task.objects.filter(pk=closed_late.pk).update(lead_unit_id=org.other.pk)
    Task.objects.filter(pk=no_lead.pk).update(lead_unit_id=None)
    score_adjust(actor=org.supervisor, unit_id=org.health.pk, task_id=on_time.pk, points="3", reason="经验被推广",
                 on=TODAY)
    with CaptureQueriesContext(connection) as ctx:
        data = briefing_data(viewer=org.supervisor, meeting_id=meeting.pk, today=TODAY)
    # the meeting, its tasks, the ranking's grouped counts, the manual 加减分 and the leaders' 批示
    assert len(ctx.captured_queries) <= 8
    # By average score over every task, an open one scored as if closed today, highest first: 市卫健委 (90.0
    # closed, 100 not yet due) 95.0; 市应急管理局 (85.5 closed; 78 for 完善应急预案, 11 working days late; the
    # floor 0 for 退回逾期, months late) 54.5; then 市教育局, whose one task closed years after its deadline and
    # scored the floor, 0.
    assert [(r.rank, r.unit, r.average_score) for r in data.ranking] == [
        (1, "市卫健委", 95.0), (2, "市应急管理局", 54.5), (3, "市教育局", 0.0)]
    assert data.ranking == unit_ranking(viewer=org.supervisor, meeting_id=meeting.pk, today=TODAY)


def test_the_briefing_counts_and_lists_the_meetings_items_not_the_sub_tasks_they_were_split_into(org):
    """共部署决定事项N项 counts the meeting's decisions; a decision split down to two units is still one item (the
    sub-tasks roll up into it), and the sub-tasks are not listed again under 其他."""
    from duban.tasks.actions import task_decompose

    meeting, closed, late, health = build(org)
    split = org.task_in("accepted", meeting=meeting, title="排查老旧管网", deadline=dt.date.today() + dt.timedelta(
        days=90))
    task_decompose(actor=org.supervisor, task_id=split.pk, version=split.version,
                   parts=[{"lead_unit_id": org.child.pk}, {"lead_unit_id": org.other.pk}])
    assert Task.objects.filter(meeting=meeting).count() == 6
    data = briefing_data(viewer=org.supervisor, meeting_id=meeting.pk, today=TODAY)
    assert [(area, [t.title for t in tasks]) for area, tasks in data.areas] == [
        ("安全生产", ["整治燃气隐患", "完善应急预案", "排查老旧管网"]), ("疫情防控", ["加强传染病监测"])]
    text = "\n".join(p.text for p in Document(io.BytesIO(
        briefing_export(actor=org.supervisor, meeting_id=meeting.pk, today=TODAY))).paragraphs)
    assert "共部署决定事项4项" in text
