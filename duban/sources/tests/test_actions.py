"""Actions of duban.sources: state change, one audit event, notifications, and no trace when refused."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from duban.core.audit import EventType
from duban.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from duban.core.models import AuditEvent, Notification
from duban.sources import actions, selectors
from duban.sources.models import (Hazard, HazardStatus, InspectionCase, Instruction, LivelihoodActual,
                                  LivelihoodProject)
from duban.tasks import actions as task_actions
from duban.tasks.models import Task, TaskKind, TaskStatus


def events(event_type) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=int(event_type)))


def counts():
    return (Task.objects.count(), AuditEvent.objects.count(), Notification.objects.count(),
            Instruction.objects.count(), InspectionCase.objects.count(), Hazard.objects.count(),
            LivelihoodProject.objects.count(), LivelihoodActual.objects.count())


# --- instructions --------------------------------------------------------------------------------------------

def test_instruction_create_makes_tasks_of_kind_instruction(org):
    instruction = actions.instruction_create(
        actor=org.supervisor, text="请应急局牵头排查全市燃气隐患，月底前报结果。", leader="张市长",
        date=dt.date(2024, 5, 6), doc_number="市府批〔2024〕12号", assign=True,
        tasks=[{"lead_unit_id": org.safety.pk, "deadline": dt.date(2030, 5, 31)},
               {"title": "配合排查医院燃气", "text": "卫健委排查医院燃气", "lead_unit_id": org.health.pk}])
    tasks = [link.task for link in instruction.links.select_related("task")]
    assert [t.kind for t in tasks] == [TaskKind.INSTRUCTION] * 2
    assert [t.status for t in tasks] == [TaskStatus.ASSIGNED] * 2
    assert tasks[0].text == instruction.text and tasks[1].title == "配合排查医院燃气"
    [event] = events(EventType.INSTRUCTION_CREATED)
    assert event.actor == org.supervisor
    assert event.extra["doc_number"] == "市府批〔2024〕12号" and event.extra["task_ids"] == [t.pk for t in tasks]
    assert len(events(EventType.TASK_CREATED)) == 2
    assert set(Notification.objects.filter(kind="task_assigned").values_list("recipient__username", flat=True)) \
        == {"lead_admin", "lead_staff", "coop_staff"}


def test_instruction_add_task_and_refusals(org):
    instruction = actions.instruction_create(actor=org.supervisor, text="批示内容", leader="李书记",
                                             date=dt.date(2024, 1, 2), tasks=[{"lead_unit_id": org.safety.pk}])
    task = actions.instruction_add_task(actor=org.supervisor, instruction_id=instruction.pk,
                                        task={"title": "第二项", "lead_unit_id": org.other.pk})
    assert task.kind == TaskKind.INSTRUCTION and instruction.links.count() == 2
    [event] = events(EventType.INSTRUCTION_TASK_ADDED)
    assert event.task == task and event.extra == {"instruction_id": instruction.pk}
    before = counts()
    with pytest.raises(PermissionDenied):
        actions.instruction_create(actor=org.lead_staff, text="x", leader="y", date=dt.date(2024, 1, 2),
                                   tasks=[{"lead_unit_id": org.safety.pk}])
    with pytest.raises(PermissionDenied):
        actions.instruction_add_task(actor=org.leader, instruction_id=instruction.pk,
                                     task={"lead_unit_id": org.safety.pk})
    with pytest.raises(NotFound):  # a draft task is not the unit's yet, so neither is the instruction
        actions.instruction_add_task(actor=org.lead_staff, instruction_id=instruction.pk,
                                     task={"lead_unit_id": org.safety.pk})
    with pytest.raises(InvalidInput):
        actions.instruction_create(actor=org.supervisor, text="x", leader="y", date=dt.date(2024, 1, 2), tasks=[])
    assert counts() == before


# --- inspection cases ----------------------------------------------------------------------------------------

def make_case(org, number="HB-2023-001", **kw):
    fields = dict(case_number=number, complaint="某化工厂夜间偷排废水，河道发黑发臭。", lead_unit_id=org.safety.pk,
                  batch="第二批", inspection="中央生态环境保护督察", reply_due=dt.date(2030, 7, 1), assign=True)
    fields.update(kw)
    return actions.case_create(actor=org.supervisor, **fields)


def drive_to_close_request(org, task_id):
    task_actions.task_accept(actor=org.lead_staff, task_id=task_id)
    return task_actions.report_submit(actor=org.lead_staff, task_id=task_id, text="已整改完毕", progress_percent=100,
                                      request_close=True, evidence_text="整改报告")


def test_case_create_unique_number(org):
    case = make_case(org)
    assert case.task.kind == TaskKind.INSPECTION and case.task.deadline == dt.date(2030, 7, 1)
    [event] = events(EventType.CASE_CREATED)
    assert event.extra["case_number"] == "HB-2023-001" and event.task == case.task
    before = counts()
    with pytest.raises(Conflict):
        make_case(org)
    assert counts() == before


@pytest.mark.parametrize("complaint, title", [
    ("江北区滨江花园小区旁一家汽修厂露天喷漆，刺鼻气味严重，居民多次投诉要求整改，但至今未见处理结果。",
     "第二批督察交办件SD2-058：江北区滨江花园小区旁一家汽修厂露天喷漆，刺鼻气味严重…"),
    ("城郊结合部一条排水沟长期淤积堵塞下雨后整条沟污水漫溢到路面上散发恶臭影响出行",
     "第二批督察交办件SD2-058：城郊结合部一条排水沟长期淤积堵塞下雨后整条沟污水漫溢到路面…"),
    ("河道有垃圾。", "第二批督察交办件SD2-058：河道有垃圾"),
])
def test_a_cases_made_title_ends_at_a_clause_or_says_it_is_cut(org, complaint, title):
    """A case's task title made from its complaint is whole clauses where they fit, else cut with "…"; never a
    word cut off silently. The complaint itself stays whole in the task's text."""
    case = actions.case_create(actor=org.supervisor, case_number="SD2-058", batch="第二批", complaint=complaint,
                               lead_unit_id=org.safety.pk)
    assert case.task.title == title and case.task.text == complaint


def test_inspection_task_closes_only_after_rectification_and_disclosure(org):
    case = make_case(org)
    report = drive_to_close_request(org, case.task_id)
    before = AuditEvent.objects.count()
    with pytest.raises(InvalidInput) as exc:
        task_actions.report_accept(actor=org.supervisor, report_id=report.pk)
    assert "整改情况" in exc.value.message_zh
    assert Task.objects.get(pk=case.task_id).status == TaskStatus.CLOSE_REQUESTED
    assert AuditEvent.objects.count() == before  # the whole acceptance rolled back

    actions.case_record_rectification(actor=org.supervisor, case_id=case.pk, version=case.version,
                                      rectification="已关停排污口并完成河道清淤", disclose=True)
    [event] = events(EventType.CASE_RECTIFICATION_RECORDED)
    assert event.extra["old"] == {"rectification": "", "disclose": None}
    assert event.extra["new"] == {"rectification": "已关停排污口并完成河道清淤", "disclose": True}
    assert set(Notification.objects.filter(kind="case_rectification").values_list("recipient__username", flat=True)) \
        == {"lead_admin", "lead_staff"}
    task_actions.report_accept(actor=org.supervisor, report_id=report.pk)
    assert Task.objects.get(pk=case.task_id).status == TaskStatus.CLOSED


def test_case_rectification_refusals(org):
    case = make_case(org)
    before = counts()
    with pytest.raises(PermissionDenied):
        actions.case_record_rectification(actor=org.lead_staff, case_id=case.pk, version=1, rectification="x",
                                          disclose=False)
    with pytest.raises(NotFound):
        actions.case_record_rectification(actor=org.other_staff, case_id=case.pk, version=1, rectification="x",
                                          disclose=False)
    with pytest.raises(InvalidInput):
        actions.case_record_rectification(actor=org.supervisor, case_id=case.pk, version=1, rectification=" ",
                                          disclose=False)
    with pytest.raises(Conflict):
        actions.case_record_rectification(actor=org.supervisor, case_id=case.pk, version=7, rectification="x",
                                          disclose=False)
    assert counts() == before


def test_other_kinds_close_unaffected(org):
    task = org.task_in("closed")
    assert task.status == TaskStatus.CLOSED


# --- livelihood ----------------------------------------------------------------------------------------------

def make_project(org, **kw):
    fields = dict(title="新增养老床位1000张", indicator="新增养老床位", target=1000, measure_unit="张",
                  lead_unit_id=org.safety.pk, period_start=dt.date(2024, 1, 1), period_end=dt.date(2024, 12, 31),
                  assign=True, allow_past_deadline=True)  # a project of a past year, its figures all known
    fields.update(kw)
    return actions.livelihood_create(actor=org.supervisor, **fields)


def test_livelihood_actuals_versions_and_progress(org):
    project = make_project(org)
    assert project.task.kind == TaskKind.LIVELIHOOD and project.task.deadline == dt.date(2024, 12, 31)
    [created] = events(EventType.LIVELIHOOD_CREATED)
    assert created.extra["target"] == "1000.00" and created.extra["measure_unit"] == "张"
    actions.livelihood_record_actual(actor=org.lead_staff, project_id=project.pk, month=dt.date(2024, 1, 15),
                                     value=100)
    actions.livelihood_record_actual(actor=org.supervisor, project_id=project.pk, month=dt.date(2024, 2, 1),
                                     value="150")
    correction = actions.livelihood_record_actual(actor=org.lead_staff, project_id=project.pk,
                                                  month=dt.date(2024, 1, 1), value=120, note="更正")
    assert correction.version == 2
    assert list(LivelihoodActual.objects.filter(project=project, month=dt.date(2024, 1, 1))
                .values_list("version", "value")) == [(1, Decimal("100.00")), (2, Decimal("120.00"))]
    same = actions.livelihood_record_actual(actor=org.lead_staff, project_id=project.pk, month=dt.date(2024, 1, 1),
                                            value=120)
    assert same.pk == correction.pk  # repeating changes nothing
    recorded = events(EventType.LIVELIHOOD_ACTUAL_RECORDED)
    assert len(recorded) == 3
    assert recorded[2].extra == {"project_id": project.pk, "month": "2024-01", "value": "120.00", "version": 2,
                                 "old_value": "100.00", "task_percent": 27, "measure_unit": "张"}
    assert Notification.objects.filter(kind="livelihood_actual", recipient=org.supervisor).count() == 2
    fresh = selectors.livelihood_get(viewer=org.lead_staff, project_id=project.pk)
    assert selectors.livelihood_cumulative(fresh) == Decimal("270.00")
    assert selectors.livelihood_progress(fresh) == pytest.approx(0.27)


def test_livelihood_refusals(org):
    project = make_project(org)
    before = counts()
    with pytest.raises(NotFound):
        actions.livelihood_record_actual(actor=org.other_staff, project_id=project.pk, month=dt.date(2024, 1, 1),
                                         value=1)
    with pytest.raises(PermissionDenied):
        actions.livelihood_record_actual(actor=org.leader, project_id=project.pk, month=dt.date(2024, 1, 1),
                                         value=1)
    with pytest.raises(InvalidInput):
        actions.livelihood_record_actual(actor=org.supervisor, project_id=project.pk, month=dt.date(2025, 1, 1),
                                         value=1)
    with pytest.raises(InvalidInput):
        actions.livelihood_record_actual(actor=org.supervisor, project_id=project.pk, month=dt.date(2024, 1, 1),
                                         value="-3")
    with pytest.raises(InvalidInput):
        make_project(org, target=0)
    assert counts() == before


def test_livelihood_rate_target_is_a_level_not_a_sum(org):
    """A rate (覆盖率 95%) reported month by month is the level reached so far: 60, 80, 95 reach the target, they
    do not add up to 235%."""
    project = make_project(org, indicator="农村生活污水治理覆盖率", target=95, measure_unit="%")
    for month, value in ((1, 60), (2, 80), (3, 95)):
        actions.livelihood_record_actual(actor=org.supervisor, project_id=project.pk, month=dt.date(2024, month, 1),
                                         value=value)
    fresh = selectors.livelihood_get(viewer=org.supervisor, project_id=project.pk)
    assert selectors.livelihood_cumulative(fresh) == Decimal("95.00")
    assert selectors.livelihood_progress(fresh) == pytest.approx(1.0)
    assert Task.objects.get(pk=project.task_id).progress_percent == 100


def test_livelihood_count_target_adds_months_up(org):
    project = make_project(org)  # 1000 张
    for month, value in ((1, 100), (2, 150)):
        actions.livelihood_record_actual(actor=org.supervisor, project_id=project.pk, month=dt.date(2024, month, 1),
                                         value=value)
    assert Task.objects.get(pk=project.task_id).progress_percent == 25


def _project_running_now(org, **kw):
    """A project whose period runs from today for 200 days, assigned today, so time elapses from now."""
    today = dt.date.today()
    return make_project(org, period_start=today, period_end=today + dt.timedelta(days=200), **kw)


@pytest.mark.parametrize("value, expect_behind", [(100, True), (600, False)])
def test_livelihood_light_is_its_task_light(org, value, expect_behind):
    """Half the period gone: 10% done lags by more than the tolerance and turns the task yellow (so reminders
    follow); 60% done does not. The project page shows the task's own light."""
    from duban.followup.lights import task_light

    project = _project_running_now(org)
    actions.livelihood_record_actual(actor=org.supervisor, project_id=project.pk, month=dt.date.today(),
                                     value=value)
    halfway = dt.date.today() + dt.timedelta(days=100)
    task = Task.objects.select_related("latest_report").get(pk=project.task_id)
    light = task_light(task, halfway)
    assert (light.code == "yellow") is expect_behind
    fresh = selectors.livelihood_get(viewer=org.supervisor, project_id=project.pk)
    assert selectors.livelihood_row(fresh, halfway).light.code == light.code


@pytest.mark.parametrize("value, light", [(0, "yellow"), (3, "yellow"), (8, "green")])
def test_a_project_registered_late_in_its_period_is_lit_by_its_period(org, value, light):
    """The time a project's progress is measured against is its period, not the day it was registered: 93% of the
    period gone with 0 or 3 of 10 done is behind schedule (黄灯, 进度滞后) on the project page and in every list
    (the plain-row pass included); 8 of 10 lags by less than the tolerance and stays green."""
    from duban.followup.lights import LightCodes, lights_for, task_light

    today = dt.date.today()
    project = make_project(org, target=10, measure_unit="所", period_start=today - dt.timedelta(days=340),
                           period_end=today + dt.timedelta(days=25))
    if value:
        actions.livelihood_record_actual(actor=org.supervisor, project_id=project.pk, month=today, value=value)
    task = Task.objects.select_related("latest_report").get(pk=project.task_id)
    assert task.progress_percent == value * 10
    assert task_light(task, today).code == light
    assert lights_for(Task.objects.filter(pk=task.pk), today)[task.pk].code == light
    assert LightCodes(today)(*Task.objects.filter(pk=task.pk).values_list(*LightCodes.FIELDS).get()) == light
    fresh = selectors.livelihood_get(viewer=org.supervisor, project_id=project.pk)
    row = selectors.livelihood_row(fresh, today)
    assert row.light.code == light and round(row.elapsed * 100) == 93
    if light == "yellow":
        assert row.light.reason == f"进度滞后：已过时限93%，进度仅{value * 10}%"


def test_a_split_livelihood_task_shows_its_rolled_up_light_on_every_livelihood_page(org, client):
    """A project's task split to two districts (分解下达), one part past its deadline: under the "worst" roll-up (the
    default) the task is red, as the task list and the task page show it; the livelihood list, the project page,
    the sources index and the API show the same light, not the task's own (its own progress alone is on time)."""
    from duban.conftest import login
    from duban.followup.lights import rolled_light, task_light
    from duban.tasks.tests.levels_world import make_levels

    lv = make_levels(org)
    project = _project_running_now(org)
    part, _ = lv.split(org.supervisor, project.task, lv.district, lv.district2)
    Task.objects.filter(pk=part.pk).update(deadline=dt.date.today() - dt.timedelta(days=1))
    task = Task.objects.select_related("latest_report").get(pk=project.task_id)
    assert task_light(task).code != "red" and rolled_light(task).code == "red"
    login(client, org.supervisor)
    red = 'data-light="red"'
    listed = client.get("/sources/livelihood/").content.decode()
    [row] = [r for r in listed.split("<tr")[1:] if f"/sources/livelihood/{project.pk}/" in r]
    assert red in row
    assert red in client.get(f"/sources/livelihood/{project.pk}/").content.decode().split("</h1>")[0]
    assert red in client.get("/sources/").content.decode()
    assert client.get(f"/api/v1/livelihood/{project.pk}").json()["light"] == "red"
    assert {p["light"] for p in client.get("/api/v1/livelihood").json()["items"]} == {"red"}


def test_livelihood_task_closes_only_once_the_target_is_met(org):
    """One rule, asked twice: the lead unit cannot apply to close (申请办结) a project short of its target, with the
    same error its sign-off gives, and nothing is written; once the target is met it can, and the sign-off asks
    again (a figure corrected down since the request is refused there)."""
    from duban.tasks.models import ProgressReport

    project = _project_running_now(org)
    task_actions.task_accept(actor=org.lead_staff, task_id=project.task_id)
    actions.livelihood_record_actual(actor=org.lead_staff, project_id=project.pk, month=dt.date.today(), value=300)
    before = (counts(), ProgressReport.objects.count())
    with pytest.raises(InvalidInput) as refused:
        task_actions.report_submit(actor=org.lead_staff, task_id=project.task_id, text="已完成大半",
                                   progress_percent=100, request_close=True, evidence_text="见附件")
    assert refused.value.message_zh == "民生实事须达到目标值才能办结：目标1000张，目前累计完成300张（30%）"
    assert refused.value.message_en.startswith("a livelihood project closes only once its target is met")
    assert (counts(), ProgressReport.objects.count()) == before
    assert Task.objects.get(pk=project.task_id).status == TaskStatus.ACCEPTED  # not asking to close
    # a plain progress report on the same project is still taken
    task_actions.report_submit(actor=org.lead_staff, task_id=project.task_id, text="已完成大半", progress_percent=30)
    actions.livelihood_record_actual(actor=org.lead_staff, project_id=project.pk, month=dt.date.today(), value=1000)
    report = task_actions.report_submit(actor=org.lead_staff, task_id=project.task_id, text="已全部完成",
                                        progress_percent=100, request_close=True, evidence_text="见附件")
    assert Task.objects.get(pk=project.task_id).status == TaskStatus.CLOSE_REQUESTED
    actions.livelihood_record_actual(actor=org.lead_staff, project_id=project.pk, month=dt.date.today(), value=900)
    with pytest.raises(InvalidInput) as refused:
        task_actions.report_accept(actor=org.supervisor, report_id=report.pk)
    assert refused.value.message_zh == "民生实事须达到目标值才能办结：目标1000张，目前累计完成900张（90%）"
    assert Task.objects.get(pk=project.task_id).status == TaskStatus.CLOSE_REQUESTED
    actions.livelihood_record_actual(actor=org.supervisor, project_id=project.pk, month=dt.date.today(),
                                     value=1000)
    task_actions.report_accept(actor=org.supervisor, report_id=report.pk)
    assert Task.objects.get(pk=project.task_id).status == TaskStatus.CLOSED


def test_the_close_request_rule_asks_only_what_the_unit_can_meet_before_asking(org):
    """An inspection case's rectification is recorded by the office after the unit's request: the request is taken
    before it, and the sign-off still waits for it."""
    case = make_case(org)
    report = drive_to_close_request(org, case.task_id)
    assert Task.objects.get(pk=case.task_id).status == TaskStatus.CLOSE_REQUESTED
    with pytest.raises(InvalidInput):
        task_actions.report_accept(actor=org.supervisor, report_id=report.pk)


# --- hazards -------------------------------------------------------------------------------------------------

def make_hazard(org, **kw):
    fields = dict(place="新北区某小区地下车库", category="gas", severity="larger", description="燃气管道锈蚀漏气",
                  deadline=dt.date(2030, 6, 30), responsible_person="王五", lead_unit_id=org.safety.pk,
                  coop_unit_ids=[org.health.pk], assign=True)
    fields.update(kw)
    return actions.hazard_create(actor=org.supervisor, **fields)


def test_a_close_request_on_a_hazard_task_is_refused_when_asked(org):
    """A hazard's task is closed by the hazard's 销号, never by a sign-off: 申请办结 on it is refused when asked,
    with the reason, and nothing is written; the task page's form says so before it is sent."""
    from duban.tasks.models import ProgressReport
    from duban.tasks.page_parts import close_note

    hazard = make_hazard(org)
    task_actions.task_accept(actor=org.lead_staff, task_id=hazard.task_id)
    with pytest.raises(InvalidInput) as refused:
        task_actions.report_submit(actor=org.lead_staff, task_id=hazard.task_id, text="已整改完毕",
                                   progress_percent=100, request_close=True, evidence_text="整改报告")
    assert "销号" in refused.value.message_zh and "struck off" in refused.value.message_en
    assert Task.objects.get(pk=hazard.task_id).status == TaskStatus.ACCEPTED
    assert not ProgressReport.objects.filter(task_id=hazard.task_id).exists()
    assert "销号" in close_note(task=Task.objects.get(pk=hazard.task_id))


def test_hazard_closed_loop(org):
    hazard = make_hazard(org)
    assert hazard.status == HazardStatus.FOUND and hazard.task.kind == TaskKind.HAZARD
    [found] = events(EventType.HAZARD_FOUND)
    assert found.extra["category"] == "gas" and found.target_unit == org.safety
    hazard = actions.hazard_rectify(actor=org.lead_staff, hazard_id=hazard.pk, version=hazard.version,
                                    rectification="已更换管道")
    assert hazard.status == HazardStatus.RECTIFIED
    assert Notification.objects.filter(kind="hazard_rectified", recipient=org.supervisor).exists()
    hazard = actions.hazard_review(actor=org.supervisor, hazard_id=hazard.pk, version=hazard.version, passed=False,
                                   note="阀门未更换")
    assert hazard.status == HazardStatus.FOUND
    [failed] = events(EventType.HAZARD_REVIEW_FAILED)
    assert failed.extra == {"hazard_id": hazard.pk, "old_status": "rectified", "note": "阀门未更换",
                            "returned_report_ids": []}  # not signed for: the rectification filed no report
    hazard = actions.hazard_rectify(actor=org.lead_staff, hazard_id=hazard.pk, version=hazard.version,
                                    rectification="阀门已更换")
    hazard = actions.hazard_review(actor=org.supervisor, hazard_id=hazard.pk, version=hazard.version, passed=True)
    assert hazard.status == HazardStatus.REVIEWED and len(events(EventType.HAZARD_REVIEWED)) == 1
    hazard = actions.hazard_close(actor=org.supervisor, hazard_id=hazard.pk, version=hazard.version)
    assert Hazard.objects.get(pk=hazard.pk).status == HazardStatus.CLOSED
    [closed] = events(EventType.HAZARD_CLOSED)
    assert closed.actor == org.supervisor and closed.extra["old_status"] == "reviewed"
    # 销号 closes the hazard's task in the same action: the ledger and the task never disagree
    assert Task.objects.get(pk=hazard.task_id).status == TaskStatus.CLOSED
    [task_closed] = events(EventType.TASK_CLOSED)
    assert task_closed.task_id == hazard.task_id and task_closed.actor == org.supervisor
    assert set(Notification.objects.filter(kind="hazard_closed").values_list("recipient__username", flat=True)) \
        == {"lead_admin", "lead_staff"}


def _legacy_close_request(org, task_id):
    """A close request on a hazard task as one made before such requests were refused when asked (data kept from
    an earlier version): the task waits for its sign-off."""
    from duban.tasks.models import ProgressReport

    task_actions.task_accept(actor=org.lead_staff, task_id=task_id)
    report = ProgressReport.objects.create(task_id=task_id, unit=org.safety, author=org.lead_staff, text="已整改",
                                           progress_percent=100, request_close=True, evidence_text="见附件")
    Task.objects.filter(pk=task_id).update(status=TaskStatus.CLOSE_REQUESTED, latest_report_id=report.pk)
    return report


def test_hazard_task_cannot_close_while_the_hazard_is_open(org):
    hazard = make_hazard(org)
    report = _legacy_close_request(org, hazard.task_id)
    with pytest.raises(InvalidInput):
        task_actions.report_accept(actor=org.supervisor, report_id=report.pk)
    assert Task.objects.get(pk=hazard.task_id).status == TaskStatus.CLOSE_REQUESTED
    assert Hazard.objects.get(pk=hazard.pk).status == HazardStatus.FOUND


def test_hazard_refusals_leave_no_trace(org):
    hazard = make_hazard(org)
    before = counts()
    with pytest.raises(Conflict):  # 发现 cannot jump to 销号
        actions.hazard_close(actor=org.supervisor, hazard_id=hazard.pk, version=hazard.version)
    with pytest.raises(PermissionDenied):  # a cooperating unit does not report the rectification
        actions.hazard_rectify(actor=org.coop_staff, hazard_id=hazard.pk, version=hazard.version, rectification="x")
    with pytest.raises(NotFound):
        actions.hazard_rectify(actor=org.other_staff, hazard_id=hazard.pk, version=hazard.version,
                               rectification="x")
    with pytest.raises(Conflict):
        actions.hazard_rectify(actor=org.lead_staff, hazard_id=hazard.pk, version=99, rectification="x")
    with pytest.raises(PermissionDenied):
        actions.hazard_create(actor=org.lead_staff, place="x", category="gas", severity="major", description="x",
                              deadline=dt.date(2030, 1, 1), responsible_person="x", lead_unit_id=org.safety.pk)
    with pytest.raises(InvalidInput):
        make_hazard(org, category="volcano")
    rectified = actions.hazard_rectify(actor=org.lead_staff, hazard_id=hazard.pk, version=hazard.version,
                                       rectification="x")
    after_rectify = counts()
    with pytest.raises(PermissionDenied):
        actions.hazard_review(actor=org.lead_admin, hazard_id=hazard.pk, version=rectified.version, passed=True)
    with pytest.raises(InvalidInput):  # a failed review needs a note
        actions.hazard_review(actor=org.supervisor, hazard_id=hazard.pk, version=rectified.version, passed=False)
    assert counts() == after_rectify
    assert before[1] + 1 == after_rectify[1]


# --- a hazard's 整改 is its task's progress ----------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_a_rectification_is_filed_as_the_units_progress_on_its_task(org, settings, tmp_path,
                                                                   django_capture_on_commit_callbacks):
    """The unit reports the 整改 once: the same step files a progress report on the hazard's task, by the same
    unit, its text the rectification and its photos the rectification's (the same stored file, not a copy); the
    report waits for the office's review like any other and is audited."""
    from pathlib import Path

    from duban.conftest import use_data_dir
    from duban.tasks.models import ProgressReport, ReportStatus

    use_data_dir(settings, tmp_path)
    hazard = make_hazard(org)
    task_actions.task_accept(actor=org.lead_staff, task_id=hazard.task_id)
    with django_capture_on_commit_callbacks(execute=True):
        done = actions.hazard_rectify(actor=org.lead_staff, hazard_id=hazard.pk, version=hazard.version,
                                      rectification="已更换燃气软管并加装报警器", progress_percent=80,
                                      files=[("整改后.png", PNG)])
    assert done.status == HazardStatus.RECTIFIED and done.progress_refused is None
    [report] = ProgressReport.objects.filter(task_id=hazard.task_id)
    assert done.progress_report == report
    assert (report.unit, report.author, report.status) == (org.safety, org.lead_staff, ReportStatus.SUBMITTED)
    assert not report.entered_by_office and not report.request_close
    assert "已更换燃气软管并加装报警器" in report.text and report.progress_percent == 80
    [photo] = done.attachments.all()
    [file] = report.files.all()
    assert (file.name, file.sha256, file.size) == (photo.original_name, photo.sha256, photo.size)
    assert file.storage_name == actions.attachment_storage_name(photo)  # by reference: one stored copy
    assert (Path(tmp_path) / file.storage_name).read_bytes() == PNG
    assert not (Path(tmp_path) / "reports").exists()
    task = Task.objects.get(pk=hazard.task_id)
    assert (task.status, task.progress_percent, task.latest_report_id) == (TaskStatus.IN_PROGRESS, 80, report.pk)
    [submitted] = events(EventType.REPORT_SUBMITTED)
    assert submitted.report_id == report.pk and submitted.actor == org.lead_staff
    assert [f["sha256"] for f in submitted.extra["files"]] == [photo.sha256]
    [rectified] = events(EventType.HAZARD_RECTIFIED)
    assert rectified.extra["report_id"] == report.pk
    assert Notification.objects.filter(kind="report_submitted", recipient=org.supervisor, task=task).exists()
    # the office reviews it as any report; the hazard's own loop (复查, 销号) is unchanged
    task_actions.report_accept(actor=org.supervisor, report_id=report.pk)
    assert ProgressReport.objects.get(pk=report.pk).status == ReportStatus.ACCEPTED
    assert Hazard.objects.get(pk=hazard.pk).status == HazardStatus.RECTIFIED


@pytest.mark.parametrize("status", [TaskStatus.ASSIGNED, TaskStatus.CLOSE_REQUESTED])
def test_a_rectification_whose_task_takes_no_report_is_saved_and_says_why(org, status):
    """A task not yet signed for (or already asking to close) takes no progress report: the rectification is saved
    all the same, without a report, and the result and its audit row say why."""
    from duban.tasks.models import ProgressReport

    hazard = make_hazard(org)
    if status == TaskStatus.CLOSE_REQUESTED:
        _legacy_close_request(org, hazard.task_id)
    reports_before = ProgressReport.objects.count()
    done = actions.hazard_rectify(actor=org.lead_staff, hazard_id=hazard.pk, version=hazard.version,
                                  rectification="已更换管道")
    assert Hazard.objects.get(pk=hazard.pk).status == HazardStatus.RECTIFIED
    assert ProgressReport.objects.count() == reports_before and done.progress_report is None
    label = str(TaskStatus(status).label)
    assert label in done.progress_refused[0]
    assert Task.objects.get(pk=hazard.task_id).status == status
    [rectified] = events(EventType.HAZARD_RECTIFIED)
    assert rectified.extra["report_id"] is None and label in rectified.extra["report_refused"]


def test_the_offices_rectification_is_its_entry_for_the_lead_unit(org):
    """The office reporting a hazard's 整改 (the unit told it by phone) records it as the lead unit's progress, as
    its 代录 of any progress: the lead unit's report, marked as entered by the office."""
    from duban.tasks.models import ProgressReport, ReportStatus

    hazard = make_hazard(org)
    task_actions.task_accept(actor=org.lead_staff, task_id=hazard.task_id)
    done = actions.hazard_rectify(actor=org.supervisor, hazard_id=hazard.pk, version=hazard.version,
                                  rectification="电话告知：已更换管道")
    [report] = ProgressReport.objects.filter(task_id=hazard.task_id)
    assert done.progress_report == report and report.entered_by_office
    assert (report.unit, report.author, report.status) == (org.safety, org.supervisor, ReportStatus.ACCEPTED)


def test_a_refused_rectification_files_no_report(org):
    from duban.tasks.models import ProgressReport

    hazard = make_hazard(org)
    task_actions.task_accept(actor=org.lead_staff, task_id=hazard.task_id)
    with pytest.raises(InvalidInput):
        actions.hazard_rectify(actor=org.lead_staff, hazard_id=hazard.pk, version=hazard.version,
                               rectification="已整改", progress_percent=101)
    with pytest.raises(Conflict):
        actions.hazard_rectify(actor=org.lead_staff, hazard_id=hazard.pk, version=99, rectification="已整改")
    assert ProgressReport.objects.count() == 0
    assert Hazard.objects.get(pk=hazard.pk).status == HazardStatus.FOUND
    assert Task.objects.get(pk=hazard.task_id).status == TaskStatus.ACCEPTED


def test_the_office_changes_a_projects_target_with_a_reason_and_its_task_follows(org):
    """The rule: a project below its target cannot close; the office's way forward is to change the target
    (an approved adjustment), saying why, audited with old and new values, the lead unit told; the task's percent
    and the close rule follow the new target. Only the office may; a stale form is refused; a refusal leaves no
    trace."""
    project = make_project(org, target=20, measure_unit="个")
    for month, value in ((1, 4), (2, 6), (3, 6)):
        actions.livelihood_record_actual(actor=org.lead_staff, project_id=project.pk, month=dt.date(2024, month, 1),
                                         value=value)
    task = Task.objects.get(pk=project.task_id)
    assert task.progress_percent == 80
    before = counts()
    with pytest.raises(PermissionDenied):
        actions.livelihood_target_change(actor=org.lead_staff, project_id=project.pk, target=16, seen_target=20,
                                         reason="选址调整")
    with pytest.raises(InvalidInput):
        actions.livelihood_target_change(actor=org.supervisor, project_id=project.pk, target=16, seen_target=20,
                                         reason=" ")
    with pytest.raises(Conflict):
        actions.livelihood_target_change(actor=org.supervisor, project_id=project.pk, target=16, seen_target=25,
                                         reason="选址调整")
    assert counts() == before
    actions.livelihood_target_change(actor=org.supervisor, project_id=project.pk, target=16, seen_target=20,
                                     reason="经市政府批准，4个因选址调整转入明年")
    assert LivelihoodProject.objects.get(pk=project.pk).target == 16
    assert Task.objects.get(pk=project.task_id).progress_percent == 100
    [event] = events(EventType.LIVELIHOOD_TARGET_CHANGED)
    assert event.actor == org.supervisor and event.task_id == project.task_id
    assert (event.extra["old_target"], event.extra["new_target"]) == ("20.00", "16.00")
    assert event.extra["reason"] == "经市政府批准，4个因选址调整转入明年"
    told = Notification.objects.filter(kind="livelihood_target")
    assert set(told.values_list("recipient__username", flat=True)) == {"lead_admin", "lead_staff"}
    assert told.first().title.endswith("20 → 16个")
    assert selectors.livelihood_short_of_target(LivelihoodProject.objects.prefetch_related("actuals").get(pk=project.pk)) \
        is None


def test_a_failed_re_inspection_returns_the_rectifications_report_rather_than_closing_it_as_accepted(org):
    """The rule: 复查不通过 means that rectification was not accepted. Its progress report, still waiting for
    review, is returned with the 复查意见 as the reason (the unit is told), so it neither stands as the task's
    progress nor is closed with the task at 销号 (随事项办结) as if accepted; the second, passed rectification's
    report is the one the 销号 closes."""
    from duban.tasks.models import ProgressReport, ReportStatus

    hazard = make_hazard(org)
    task_actions.task_accept(actor=org.lead_staff, task_id=hazard.task_id)
    hazard = actions.hazard_rectify(actor=org.lead_staff, hazard_id=hazard.pk, version=hazard.version,
                                    rectification="氧化剂已移至隔壁库房", progress_percent=90)
    first = hazard.progress_report
    hazard = actions.hazard_review(actor=org.supervisor, hazard_id=hazard.pk, version=hazard.version, passed=False,
                                   note="两库共用一道门，隔离仍不符合要求")
    first.refresh_from_db()
    assert first.status == ReportStatus.RETURNED
    assert first.review_comment == "复查未通过：两库共用一道门，隔离仍不符合要求"
    [failed] = events(EventType.HAZARD_REVIEW_FAILED)
    assert failed.extra["returned_report_ids"] == [first.pk]
    [returned] = events(EventType.REPORT_RETURNED)
    assert returned.report_id == first.pk and returned.actor == org.supervisor
    assert Task.objects.get(pk=hazard.task_id).progress_percent == 0  # the returned report's 90% no longer stands
    hazard = actions.hazard_rectify(actor=org.lead_staff, hazard_id=hazard.pk, version=hazard.version,
                                    rectification="两库之间已砌筑防火隔墙", progress_percent=100)
    second = hazard.progress_report
    hazard = actions.hazard_review(actor=org.supervisor, hazard_id=hazard.pk, version=hazard.version, passed=True)
    actions.hazard_close(actor=org.supervisor, hazard_id=hazard.pk, version=hazard.version)
    statuses = dict(ProgressReport.objects.filter(task_id=hazard.task_id).values_list("pk", "status"))
    assert statuses == {first.pk: ReportStatus.RETURNED, second.pk: ReportStatus.CLOSED}


def test_a_livelihood_period_refusal_says_which_date_is_wrong(org):
    with pytest.raises(InvalidInput) as exc:
        make_project(org, period_start=dt.date(2030, 6, 1), period_end=dt.date(2030, 5, 31))
    assert exc.value.message_zh == "截止日期 2030-05-31 不晚于起始日期 2030-06-01，截止日期须晚于起始日期"
    assert exc.value.details == {"field": "period_end"}
