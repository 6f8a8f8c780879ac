"""The demo: units from the built-in responsibility list, one user per role, and a communique of our own
writing imported, confirmed and partly worked on, so every page has something to show.

Everything goes through the real actions as the system actor or the demo users, so the demo's audit trail looks
like a real office's. Loading twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from importlib import resources

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from duban import extraction
from duban.core.actions import unit_create_in_txn, user_create_in_txn
from duban.core.audit import system_actor
from duban.core.models import Area, Role, Unit
from duban.demo.sources import load_sources, source_count
from duban.tasks.workdays import add_workdays
from duban.meetings.actions import extract_upload, meeting_confirm, meeting_import
from duban.meetings.models import Meeting
from duban.tasks import actions as task_actions
from duban.tasks.models import Task, TaskStatus

DEMO_PASSWORD = "Duban@2026demo"
OFFICE_UNIT = "市委督查室"
FALLBACK_LEAD = "市政府办公室"
DISTRICTS = ("临川区人民政府", "江北区人民政府", "清河县人民政府", "青山县人民政府")
ALL_DISTRICTS = "各辖市区人民政府"
# Two levels below the city: a district's townships, which the district's own 督查室 supervises.
TOWNSHIPS = {"临川区人民政府": ("临川区上顿渡镇人民政府", "临川区温泉镇人民政府")}

# (username, role, unit name or None, display name)
DEMO_USERS = (
    ("admin", Role.SYSADMIN, None, "系统管理员"),
    ("office", Role.SUPERVISOR, OFFICE_UNIT, "督查室 王明"),
    ("leader", Role.LEADER, None, "市领导 李华"),
    ("safety.admin", Role.UNIT_ADMIN, "市应急管理局", "应急局 赵强"),
    ("safety.staff", Role.UNIT_STAFF, "市应急管理局", "应急局 钱芳"),
    ("health.staff", Role.UNIT_STAFF, "市卫健委", "卫健委 孙丽"),
    ("env.staff", Role.UNIT_STAFF, "市生态环境局", "生态环境局 周杰"),
    ("linchuan.staff", Role.UNIT_STAFF, "临川区人民政府", "临川区 吴涛"),
    ("linchuan.office", Role.UNIT_SUPERVISOR, "临川区人民政府", "临川区督查室 陈静"),
    ("shangdundu.staff", Role.UNIT_STAFF, "临川区上顿渡镇人民政府", "上顿渡镇 刘洋"),
)


@dataclass
class DemoSummary:
    units: int = 0
    users: int = 0
    meeting_id: int | None = None
    tasks: int = 0
    sources: int = 0
    logins: list[tuple[str, str, str]] = field(default_factory=list)

    def describe(self) -> str:
        return f"{self.units} 个单位 units, {self.users} 个用户 users, 会议 meeting #{self.meeting_id}, " \
               f"{self.tasks} 项督办事项 tasks, {self.sources} 件其他来源 records of other sources"


def demo_communique() -> str:
    return resources.files("duban.demo").joinpath("communique.txt").read_text(encoding="utf-8")


def ensure_areas() -> None:
    for order, name in enumerate((a.name for a in extraction.default_areas().areas), start=1):
        Area.objects.get_or_create(name=name, defaults={"sort_order": order})


@transaction.atomic(durable=True)
def ensure_units_and_users(actor) -> None:
    existing = set(Unit.objects.values_list("name", flat=True))

    def unit(name, parent=None, aliases=(), order=0):
        if name not in existing:
            existing.add(name)
            unit_create_in_txn(actor=actor, name=name, parent=parent, aliases=list(aliases), sort_order=order)
        return Unit.objects.get(name=name)

    unit(OFFICE_UNIT, order=0)
    unit(FALLBACK_LEAD, order=1)
    for order, item in enumerate(extraction.default_units().units, start=10):
        parent = unit(item.name, aliases=[a for a in (item.full_name, *item.aliases) if a != item.name], order=order)
        if item.name == ALL_DISTRICTS:
            for sub_order, district in enumerate(DISTRICTS):
                below = unit(district, parent=parent, order=order * 100 + sub_order)
                for town_order, town in enumerate(TOWNSHIPS.get(district, ())):
                    unit(town, parent=below, order=(order * 100 + sub_order) * 100 + town_order)
    User = get_user_model()
    for username, role, unit_name, display in DEMO_USERS:
        if not User.objects.filter(username=username).exists():
            user_create_in_txn(actor=actor, username=username, password=DEMO_PASSWORD, role=role,
                               unit=Unit.objects.get(name=unit_name) if unit_name else None, display_name=display)
            # No mail address: a demo has no mail server, and every notification mailed to a made-up address
            # failed six times, each failure in the task's 办理记录 (消息发送失败). The demo's people read their
            # notifications on the 通知 page.


def _complete_drafts(office, meeting: Meeting, today: dt.date) -> None:
    """What a clerk does while reviewing: give every task a lead unit and a deadline. Deadlines the text does not
    give are spread around today so the demo shows every light (overdue, due soon, on track)."""
    fallback = Unit.objects.get(name=FALLBACK_LEAD)
    spread = (-5, 2, 20, 45)
    for task in Task.objects.filter(meeting=meeting, status=TaskStatus.DRAFT).order_by("seq"):
        changes = {}
        if task.lead_unit_id is None:
            changes["lead_unit_id"] = fallback.pk
        if task.deadline is None:
            changes["deadline"] = today + dt.timedelta(days=spread[task.seq % len(spread)])
        if changes:
            task_actions.task_update(actor=office, task_id=task.pk, version=task.version, changes=changes,
                                     allow_past_deadline=True)


def _work_on_some_tasks(meeting: Meeting) -> None:
    """Units sign for their tasks and report, and the office closes one, so lists and charts are not empty."""
    User = get_user_model()
    office = User.objects.get(username="office")
    for username in ("safety.staff", "health.staff", "env.staff", "linchuan.staff"):
        user = User.objects.get(username=username)
        tasks = list(Task.objects.filter(meeting=meeting, lead_unit=user.profile.unit).order_by("seq"))
        for i, task in enumerate(tasks):
            task_actions.task_accept(actor=user, task_id=task.pk)
            if i == 0:
                report = task_actions.report_submit(
                    actor=user, task_id=task.pk, progress_percent=100, request_close=True,
                    text="已按要求完成部署，制定工作方案并组织实施，相关台账资料已归档。",
                    evidence_text="工作方案及实施台账已归档备查。")
                task_actions.report_accept(actor=office, report_id=report.pk, comment="同意办结。")
            elif i == 1:
                task_actions.report_submit(actor=user, task_id=task.pk, progress_percent=40,
                                           text="已召开专题会议研究部署，正在分解任务、压实责任。")


def _split_across_levels(meeting: Meeting, today: dt.date) -> None:
    """A directive to 各辖市区 split by the office to every district (分解下达), and 临川区's part split again by
    the district's own 督查室 to its two townships; one township has signed for its part and reported, so the
    city's task page shows a tree with lights rolled up from below. Deadlines are counted in working days, so none
    falls on a weekend or a holiday."""
    User = get_user_model()
    office = User.objects.get(username="office")
    districts = Unit.objects.get(name=ALL_DISTRICTS)
    task = task_actions.task_create(
        actor=office, meeting=meeting, seq=Task.objects.filter(meeting=meeting).count() + 1,
        title="开展城镇燃气安全隐患排查整治", text="各辖市区要开展城镇燃气安全隐患排查整治，逐户排查、闭环整改，按期报送进展。",
        lead_unit_id=districts.pk, deadline=add_workdays(today, 28), heading="守牢冬季安全生产底线")
    task_actions.task_assign(actor=office, task_id=task.pk)
    task.refresh_from_db()
    parts = task_actions.task_decompose(
        actor=office, task_id=task.pk, version=task.version, today=today,
        parts=[{"lead_unit_id": u.pk, "deadline": add_workdays(today, 20)}
               for u in Unit.objects.filter(name__in=DISTRICTS).order_by("sort_order", "id")])
    linchuan = next(p for p in parts if p.lead_unit.name == "临川区人民政府")
    task_actions.task_accept(actor=User.objects.get(username="linchuan.staff"), task_id=linchuan.pk)
    linchuan.refresh_from_db()
    towns = Unit.objects.filter(name__in=TOWNSHIPS["临川区人民政府"]).order_by("sort_order", "id")
    task_actions.task_decompose(
        actor=User.objects.get(username="linchuan.office"), task_id=linchuan.pk, version=linchuan.version,
        today=today, parts=[{"lead_unit_id": u.pk, "deadline": add_workdays(today, 14)} for u in towns])
    town_staff = User.objects.get(username="shangdundu.staff")
    town_part = Task.objects.get(parent=linchuan, lead_unit=town_staff.profile.unit)
    task_actions.task_accept(actor=town_staff, task_id=town_part.pk)
    task_actions.report_submit(actor=town_staff, task_id=town_part.pk, progress_percent=60,
                               text="已完成辖区内餐饮场所燃气管道排查，正在督促整改。")


def load_demo(*, today: dt.date | None = None) -> DemoSummary:
    today = today or timezone.localdate()
    actor = system_actor()
    ensure_areas()
    ensure_units_and_users(actor)
    User = get_user_model()
    office = User.objects.get(username="office")
    text = demo_communique()
    extracted, decoded = extract_upload(text=text)
    meeting = Meeting.objects.filter(sha256=extracted["source"]["sha256"]).first()
    if meeting is None:
        meeting = meeting_import(actor=office, extracted=extracted, source_text=decoded,
                                 source_name="江州市委常委会会议（演示）.txt")
        _complete_drafts(office, meeting, today)
        meeting_confirm(actor=office, meeting_id=meeting.pk)
        _work_on_some_tasks(meeting)
        _split_across_levels(meeting, today)
    load_sources(today=today)
    summary = DemoSummary(units=Unit.objects.count(), users=User.objects.filter(profile__isnull=False).count(),
                          meeting_id=meeting.pk, tasks=Task.objects.filter(meeting=meeting).count(),
                          sources=source_count())
    for username, role, unit_name, _ in DEMO_USERS:
        summary.logins.append((username, Role(role).label, unit_name or ""))
    return summary
