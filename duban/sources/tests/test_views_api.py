"""Pages and JSON API of duban.sources: rendering, scoping (another unit gets 404), attachments."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from duban.conftest import login, use_data_dir
from duban.sources import actions
from duban.sources.models import Attachment, Hazard

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


@pytest.fixture
def records(org, settings, tmp_path):
    use_data_dir(settings, tmp_path)
    instruction = actions.instruction_create(actor=org.supervisor, text="请抓紧整改燃气隐患", leader="张市长",
                                             date=dt.date(2024, 5, 6), doc_number="批〔2024〕1号", assign=True,
                                             tasks=[{"lead_unit_id": org.safety.pk}])
    case = actions.case_create(actor=org.supervisor, case_number="HB-1", complaint="河道污染", batch="第一批",
                               lead_unit_id=org.safety.pk, assign=True)
    project = actions.livelihood_create(actor=org.supervisor, title="新增养老床位1000张", indicator="新增养老床位",
                                        target=1000, measure_unit="张", lead_unit_id=org.safety.pk,
                                        period_start=dt.date(2024, 1, 1), period_end=dt.date(2024, 12, 31),
                                        assign=True, allow_past_deadline=True)
    hazard = actions.hazard_create(actor=org.supervisor, place="某仓库", category="chemicals", severity="major",
                                   description="危化品混存", deadline=dt.date(2030, 1, 1), responsible_person="赵六",
                                   lead_unit_id=org.safety.pk, assign=True)
    return {"instruction": instruction, "case": case, "project": project, "hazard": hazard}


def detail_urls(r):
    return [f"/sources/instructions/{r['instruction'].pk}/", f"/sources/cases/{r['case'].pk}/",
            f"/sources/livelihood/{r['project'].pk}/", f"/sources/hazards/{r['hazard'].pk}/"]


LIST_URLS = ["/sources/", "/sources/instructions/", "/sources/cases/", "/sources/livelihood/", "/sources/hazards/",
             "/search/?q=燃气隐患", "/search/?q=燃气&kind=task", "/phrases/"]


@pytest.mark.parametrize("role", ["supervisor", "leader", "lead_staff", "other_staff"])
def test_pages_render_for_every_role(client, org, records, role):
    login(client, org.roles()[role])
    for url in LIST_URLS:
        assert client.get(url).status_code == 200, url
    for url in detail_urls(records):
        expected = 404 if role == "other_staff" else 200
        assert client.get(url).status_code == expected, url


def test_a_task_hit_says_which_unit_leads_it_by_when_and_where_it_stands(client, org):
    """The parts of a split task share its title: each hit names its lead unit, deadline and status."""
    org.task_in("assigned", title="开展燃气安全排查", lead_unit_id=org.health.pk, coop_unit_ids=[],
                deadline=dt.date(2030, 3, 31))
    org.task_in("in_progress", title="开展燃气安全排查", deadline=None)
    login(client, org.supervisor)
    body = client.get("/search/", {"q": "燃气安全排查", "kind": "task"}).content.decode()
    assert "牵头：市卫健委 · 时限：2030-03-31 · 已交办" in body
    assert "牵头：市应急管理局 · 时限：无时限 · 办理中" in body


def test_search_page_lists_leaders_comments_with_a_link_to_their_task(client, org):
    # The rule: the box says 搜索事项、批示: a leader's 批示 is a result of its own, opening its task.
    from duban.followup.actions import task_comment

    task = org.task_in("assigned", title="开展燃气安全排查")
    task_comment(actor=org.leader, task_id=task.pk, text="请本周内报送进展")
    login(client, org.leader)
    body = client.get("/search/", {"q": "本周内报送进展"}).content.decode()
    assert 'data-kind="comment"' in body and "领导批示" in body
    assert f'<a href="/tasks/{task.pk}/">leader批示：开展燃气安全排查</a>' in body
    assert '<option value="comment">领导批示</option>' in body and '<option value="hazard">安全隐患</option>' in body


def test_lists_hide_other_units_records(client, org, records):
    login(client, org.other_staff)
    body = client.get("/sources/").content.decode()
    assert "某仓库" not in body and "HB-1" not in body and "张市长" not in body
    login(client, org.lead_staff)
    body = client.get("/sources/").content.decode()
    assert "某仓库" in body and "HB-1" in body


def test_create_pages_for_supervisors_only(client, org, records):
    login(client, org.lead_staff)
    assert client.get("/sources/hazards/new/").status_code == 403
    login(client, org.supervisor)
    assert client.get("/sources/hazards/new/").status_code == 200
    response = client.post("/sources/cases/new/", {"case_number": "HB-2", "complaint": "噪声扰民", "batch": "第一批",
                                                   "inspection": "", "lead_unit_id": org.safety.pk, "assign": "on"})
    assert response.status_code == 302
    response = client.post("/sources/cases/new/", {"case_number": "HB-2", "complaint": "重复", "lead_unit_id": org.safety.pk})
    assert response.status_code == 200 and "已存在" in response.content.decode()


def test_hazard_steps_and_attachments_through_pages(client, org, records, django_capture_on_commit_callbacks):
    hazard = records["hazard"]
    login(client, org.lead_staff)
    upload = io.BytesIO(PNG)
    upload.name = "现场.png"
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/sources/hazards/{hazard.pk}/attachments/", {"files": upload}).status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.content_type == "image/png" and attachment.original_name == "现场.png"
    from duban.core.audit import EventType
    from duban.core.models import AuditEvent

    [event] = AuditEvent.objects.filter(event_type=EventType.ATTACHMENT_UPLOADED)
    assert event.actor == org.lead_staff and event.task_id == hazard.task_id
    assert event.extra["sha256"] == attachment.sha256 and event.extra["size"] == len(PNG)
    stored = Path(settings.DATA_DIR) / actions.attachment_storage_name(attachment)
    assert attachment.stored_name != "现场.png" and stored.read_bytes() == PNG
    response = client.get(f"/sources/attachments/{attachment.pk}/")
    assert response.status_code == 200 and b"".join(response.streaming_content) == PNG
    assert response["X-Content-Type-Options"] == "nosniff" and response["Content-Type"] == "image/png"
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    login(client, org.other_staff)
    assert client.get(f"/sources/attachments/{attachment.pk}/").status_code == 404
    login(client, org.lead_staff)
    response = client.post(f"/sources/hazards/{hazard.pk}/rectify/", {"version": hazard.version, "text": "已分区存放"})
    assert response.status_code == 302
    login(client, org.supervisor)
    client.post(f"/sources/hazards/{hazard.pk}/review/", {"version": hazard.version + 1, "text": "", "passed": "1"})
    client.post(f"/sources/hazards/{hazard.pk}/close/", {"version": hazard.version + 2})
    hazard.refresh_from_db()
    assert hazard.status == "closed"


def test_attachment_type_and_size_checked(org, records, settings):
    task_id = records["hazard"].task_id
    with pytest.raises(actions.InvalidInput):
        actions.attachment_upload(actor=org.lead_staff, task_id=task_id, filename="x.jpg", data=b"<script>1</script>")
    settings.DUBAN_ATTACHMENT_MAX_BYTES = 10
    with pytest.raises(actions.InvalidInput):
        actions.attachment_upload(actor=org.lead_staff, task_id=task_id, filename="x.jpg", data=JPEG)
    with pytest.raises(actions.NotFound):
        actions.attachment_upload(actor=org.other_staff, task_id=task_id, filename="x.jpg", data=JPEG[:8])
    assert Attachment.objects.count() == 0
    assert not (Path(settings.DATA_DIR) / actions.ATTACHMENT_FOLDER).exists()
    assert not any((Path(settings.DATA_DIR) / "tmp").glob("*"))


def test_api_roundtrip_and_scoping(client, org, records):
    login(client, org.supervisor)
    response = client.post("/api/v1/hazards", json.dumps({
        "place": "某工地", "category": "construction", "severity": "ordinary", "description": "脚手架不稳",
        "deadline": "2030-03-01", "responsible_person": "钱七", "lead_unit_id": org.safety.pk, "assign": True}),
        content_type="application/json")
    assert response.status_code == 201, response.content
    hazard = response.json()
    assert hazard["status"] == "found" and hazard["task"]["status"] == "assigned"
    response = client.post(f"/api/v1/livelihood/{records['project'].pk}/actuals",
                           json.dumps({"month": "2024-03-01", "value": "250"}), content_type="application/json")
    assert response.status_code == 201 and response.json()["cumulative"] == "250.00"
    response = client.post(f"/api/v1/cases/{records['case'].pk}/rectification",
                           json.dumps({"version": 1, "rectification": "已清淤", "disclose": False}),
                           content_type="application/json")
    assert response.json()["ready_to_close"] is True
    response = client.post(f"/api/v1/instructions/{records['instruction'].pk}/tasks",
                           json.dumps({"task": {"title": "补充任务", "lead_unit_id": org.health.pk}}),
                           content_type="application/json")
    assert response.status_code == 201 and len(response.json()["tasks"]) == 2
    results = client.get("/api/v1/search", {"q": "脚手架"}).json()
    found = {g["kind"]: [h["id"] for h in g["hits"]] for g in results["groups"] if g["hits"]}
    assert found == {"task": [hazard["task"]["id"]], "hazard": [hazard["id"]]}  # the hazard and its task
    assert results["groups"][-1]["hits"][0]["url"] == f"/sources/hazards/{hazard['id']}/"
    login(client, org.other_staff)
    for url in [f"/api/v1/hazards/{hazard['id']}", f"/api/v1/cases/{records['case'].pk}",
                f"/api/v1/livelihood/{records['project'].pk}", f"/api/v1/instructions/{records['instruction'].pk}"]:
        assert client.get(url).status_code == 404, url
    assert client.get("/api/v1/hazards").json() == {"items": [], "count": 0}
    assert client.get("/api/v1/search", {"q": "脚手架"}).json()["total"] == 0
    response = client.post("/api/v1/cases", json.dumps({"case_number": "X", "complaint": "x",
                                                        "lead_unit_id": org.other.pk}), content_type="application/json")
    assert response.status_code == 403


@override_settings(DUBAN_ATTACHMENT_MAX_BYTES=5 * 1024 * 1024)
def test_api_upload(client, org, records):
    login(client, org.lead_staff)
    upload = io.BytesIO(JPEG)
    upload.name = "photo.jpg"
    response = client.post(f"/api/v1/hazards/{records['hazard'].pk}/attachments", {"file": upload})
    assert response.status_code == 201 and response.json()["content_type"] == "image/jpeg"
    upload = io.BytesIO(b"MZ\x90\x00 not an image")
    upload.name = "photo.jpg"
    response = client.post(f"/api/v1/hazards/{records['hazard'].pk}/attachments", {"file": upload})
    assert response.status_code == 422


def test_phrase_pages(client, org, sample_text):
    from duban import extraction
    from duban.meetings.actions import meeting_import
    from duban.sources.models import Phrase

    meeting_import(actor=org.supervisor, extracted=extraction.extract_text(sample_text, year=2022).to_dict(),
                   source_text=sample_text)
    login(client, org.supervisor)
    body = client.get("/phrases/").content.decode()
    for text in ("六个常有", "532", "四查一帮扶", "两站一场一码头"):
        assert text in body
    phrase = Phrase.objects.get(text="两站一场一码头")
    body = client.get(f"/phrases/{phrase.pk}/").content.decode()
    assert "phrase-timeline" in body and "2022-09-29" in body
    assert client.get(f"/api/v1/phrases/{phrase.pk}").json()["timeline"][0]["count"] == 1
    login(client, org.other_staff)
    assert client.get(f"/phrases/{phrase.pk}/").status_code == 404


def test_source_lists_are_paged_not_cut(client, org):
    """The lists of sources and meetings page like every other list: past a page the rest is on the next page,
    not dropped."""
    import datetime as dt

    from duban.sources import actions

    for n in range(103):
        actions.hazard_create(actor=org.supervisor, place=f"地点{n}", category="gas", severity="ordinary",
                              description="管道锈蚀", deadline=dt.date(2030, 1, 1), responsible_person="王五",
                              lead_unit_id=org.safety.pk)
    login(client, org.supervisor)
    first = client.get("/api/v1/hazards").json()
    second = client.get("/api/v1/hazards?page=2").json()
    assert first["count"] == 103 and len(first["items"]) == 100 and len(second["items"]) == 3
    assert not {h["id"] for h in first["items"]} & {h["id"] for h in second["items"]}
    for url in ("/api/v1/instructions", "/api/v1/cases", "/api/v1/livelihood", "/api/v1/meetings"):
        body = client.get(url).json()
        assert set(body) == {"items", "count"}, url


@pytest.mark.parametrize("measure_unit, reached", [("%", [60.0, 80.0, 95.0]), ("个", [60.0, 140.0, 235.0])])
def test_livelihood_chart_shows_what_was_reached_by_each_month(client, org, measure_unit, reached):
    """The chart's 累计完成 line is what the project had reached by each month: for a rate (a level) that month's
    figure, 60, 80, 95 of a 95% target, not a sum running to 235%; for a count the months added up."""
    project = actions.livelihood_create(actor=org.supervisor, title="项目", indicator="指标", target=95,
                                        measure_unit=measure_unit, lead_unit_id=org.safety.pk,
                                        period_start=dt.date(2024, 1, 1), period_end=dt.date(2024, 12, 31),
                                        allow_past_deadline=True)
    for month, value in ((1, 60), (2, 80), (3, 95)):
        actions.livelihood_record_actual(actor=org.supervisor, project_id=project.pk, month=dt.date(2024, month, 1),
                                         value=value)
    login(client, org.supervisor)
    chart = client.get(f"/sources/livelihood/{project.pk}/").context["chart"]
    assert [m["cumulative"] for m in chart["months"]] == reached
    assert [m["value"] for m in chart["months"]] == [60.0, 80.0, 95.0]


@pytest.mark.parametrize("role", ["supervisor", "leader", "lead_staff"])
def test_a_source_tasks_page_links_the_record_it_came_from(client, org, records, role):
    """The 来源 of a task made from a leader's instruction, an inspection case, a livelihood project or a hazard
    names that record and links its page, which the task's reader may open (a record is seen by whoever sees its
    task); the page reads it with its other lists and stays within ten statements."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from duban.sources.models import InstructionTask

    tasks = {"instruction": InstructionTask.objects.get(instruction=records["instruction"]).task_id,
             "case": records["case"].task_id, "project": records["project"].task_id,
             "hazard": records["hazard"].task_id}
    login(client, org.roles()[role])
    # a case without its 整改情况 and 是否公开 (which its task needs to close) is linked at its form
    links = dict(zip(("instruction", "case", "project", "hazard"), detail_urls(records)))
    links["case"] += "#rectification-form"
    for kind, url in links.items():
        page = client.get(f"/tasks/{tasks[kind]}/").content.decode()
        assert f'href="{url}" id="task-source"' in page, kind
        assert client.get(url).status_code == 200, (kind, url)
    with CaptureQueriesContext(connection) as statements:
        page = client.get(f"/tasks/{tasks['case']}/").content.decode()
    assert len(statements) <= 10, [q["sql"][:80] for q in statements]
    # the kind is said once, before the record's name (not "督察交办件：督察交办件 …", "隐患整改：隐患台账：…"),
    # and a project is named, not called 民生实事项目
    expected = {"instruction": "领导批示：{}张市长批示 2024-05-06</a>",
                "case": "督察交办件：{}第一批 HB-1（须先登记整改情况和是否公开，才能办结）</a>",
                "project": "民生实事：{}新增养老床位（2024-01-01 至 2024-12-31）</a>", "hazard": "隐患整改：{}某仓库</a>"}
    for kind, url in links.items():
        page = client.get(f"/tasks/{tasks[kind]}/").content.decode()
        assert expected[kind].format(f'<a href="{url}" id="task-source">') in page, kind


def _file(data: bytes, name: str) -> io.BytesIO:
    upload = io.BytesIO(data)
    upload.name = name
    return upload


def test_a_rectification_and_its_photos_are_one_submission(client, org, records, django_capture_on_commit_callbacks):
    """The unit's 整改 form carries its photos: tapping 报送整改 with a photo chosen stores the photo with the
    rectification, in the same step; there is no second picker on the page whose file the button leaves behind."""
    from duban.core.audit import EventType
    from duban.core.models import AuditEvent

    hazard = records["hazard"]
    login(client, org.lead_staff)
    body = client.get(f"/sources/hazards/{hazard.pk}/").content.decode()
    rectify_form = body.split(f'action="/sources/hazards/{hazard.pk}/rectify/"', 1)[1].split("</form>", 1)[0]
    assert 'name="text"' in rectify_form and 'type="file"' in rectify_form
    assert body.count('type="file"') == 1  # the only picker on the page is the rectification's
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/sources/hazards/{hazard.pk}/rectify/", {
            "version": hazard.version, "text": "已更换金属软管，附整改后照片",
            "files": [_file(JPEG, "整改后.jpg"), _file(PNG, "整改后2.png")]})
    assert response.status_code == 302
    hazard.refresh_from_db()
    assert hazard.status == "rectified" and hazard.rectification == "已更换金属软管，附整改后照片"
    photos = list(Attachment.objects.filter(hazard=hazard).order_by("pk"))
    assert [(a.original_name, a.uploaded_by) for a in photos] == [("整改后.jpg", org.lead_staff),
                                                                 ("整改后2.png", org.lead_staff)]
    assert (Path(settings.DATA_DIR) / actions.attachment_storage_name(photos[0])).read_bytes() == JPEG
    [event] = AuditEvent.objects.filter(event_type=EventType.HAZARD_RECTIFIED)
    assert [f["id"] for f in event.extra["files"]] == [a.pk for a in photos]
    body = client.get(f"/sources/hazards/{hazard.pk}/").content.decode()
    assert "整改后.jpg" in body and "整改后2.png" in body


def test_a_rectification_with_a_bad_photo_is_refused_whole(client, org, records):
    """A photo that cannot be kept refuses the whole report: the hazard stays 待整改 and nothing is stored."""
    hazard = records["hazard"]
    login(client, org.lead_staff)
    response = client.post(f"/sources/hazards/{hazard.pk}/rectify/", {
        "version": hazard.version, "text": "已整改", "files": [_file(JPEG, "a.jpg"), _file(b"MZ\x90 exe", "b.jpg")]},
        follow=True)
    hazard.refresh_from_db()
    assert hazard.status == "found" and hazard.rectification == ""
    assert Attachment.objects.count() == 0
    assert not (Path(settings.DATA_DIR) / actions.ATTACHMENT_FOLDER).exists()
    assert not any((Path(settings.DATA_DIR) / "tmp").glob("*"))
    assert "已保存" not in response.content.decode()


def test_photos_alone_are_not_taken_as_a_rectification(client, org, records):
    """只上传照片 from the same form adds photos without a report; with 整改情况 typed it refuses, so the typed report
    is not silently dropped either."""
    hazard = records["hazard"]
    login(client, org.lead_staff)
    client.post(f"/sources/hazards/{hazard.pk}/attachments/", {"text": "已整改完毕", "files": [_file(JPEG, "a.jpg")]})
    assert Attachment.objects.count() == 0
    client.post(f"/sources/hazards/{hazard.pk}/attachments/", {"text": "", "files": [_file(JPEG, "a.jpg")]})
    hazard.refresh_from_db()
    assert hazard.status == "found" and [a.original_name for a in Attachment.objects.all()] == ["a.jpg"]


@pytest.mark.parametrize("target, reached, shown", [(95, 90, 94), (100, 29, 29)])
def test_a_projects_percent_is_rounded_once_the_same_everywhere(client, org, target, reached, shown):
    """90 of 95 is 94% on the livelihood list, the project page and its task (rounded down: 95% would look met);
    29 of 100 is 29%, not a float's 28.999…"""
    from duban.tasks.models import Task

    today = dt.date.today()
    project = actions.livelihood_create(actor=org.supervisor, title="农村自来水普及率", indicator="普及率",
                                        target=target, measure_unit="个", lead_unit_id=org.safety.pk,
                                        period_start=today.replace(day=1), period_end=today + dt.timedelta(days=60),
                                        assign=True)
    actions.livelihood_record_actual(actor=org.supervisor, project_id=project.pk, month=today, value=reached)
    assert Task.objects.get(pk=project.task_id).progress_percent == shown
    login(client, org.supervisor)
    assert f'data-width="{shown}">{shown}%' in client.get("/sources/livelihood/").content.decode()
    assert f"（{shown}%，时间已过" in client.get(f"/sources/livelihood/{project.pk}/").content.decode()


def test_the_task_log_says_which_month_and_what_figure_was_recorded(client, org, records):
    """办理记录 of a livelihood task tells one monthly figure from another: the month and the value (a correction
    with the value it replaced), not only 填报月度完成值 each time."""
    project = records["project"]
    for month, value in ((1, 100), (2, "150.5"), (1, 120)):
        actions.livelihood_record_actual(actor=org.lead_staff, project_id=project.pk, month=dt.date(2024, month, 1),
                                         value=value)
    login(client, org.supervisor)
    page = client.get(f"/tasks/{project.task_id}/").content.decode()
    for line in ("2024-01 完成 100张", "2024-02 完成 150.5张", "2024-01 完成 120张（更正，原为 100张）"):
        assert line in page, line


def test_the_hazard_page_says_whether_a_rectification_goes_to_its_task_as_progress(
        client, org, records, django_capture_on_commit_callbacks):
    """Before signing for the task the form says the 整改 will not be filed as progress, and after 报送整改 the page
    says plainly that it was not and why; once signed for, it says the 整改 is the task's progress too, and the task
    page shows that report with the photo, which opens."""
    from duban.tasks import actions as task_actions
    from duban.tasks.models import ProgressReport

    hazard = records["hazard"]
    login(client, org.lead_staff)
    note = client.get(f"/sources/hazards/{hazard.pk}/").content.decode().split('id="rectify-progress-note">')[1]
    assert note.split("</p>")[0] == "督办事项当前状态为“已交办”，本次整改不会同时作为其进展报送（请先签收该事项）。"
    page = client.post(f"/sources/hazards/{hazard.pk}/rectify/", {"version": hazard.version, "text": "已分区存放"},
                       follow=True).content.decode()
    assert "已报送整改。" in page
    assert "整改情况未作为督办事项的进展报送：当前状态“已交办”不允许此操作（该事项尚未签收" in page
    assert ProgressReport.objects.count() == 0

    login(client, org.supervisor)  # 复查不通过: the unit rectifies again, now that it has signed for the task
    client.post(f"/sources/hazards/{hazard.pk}/review/", {"version": hazard.version + 1, "text": "未分区",
                                                          "passed": "0"})
    task_actions.task_accept(actor=org.lead_staff, task_id=hazard.task_id)
    login(client, org.lead_staff)
    page = client.get(f"/sources/hazards/{hazard.pk}/").content.decode()
    assert "整改情况和照片将同时作为督办事项的进展报送" in page and 'name="progress_percent"' in page
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(f"/sources/hazards/{hazard.pk}/rectify/", {
            "version": hazard.version + 2, "text": "已按类别分区存放", "progress_percent": "90",
            "files": [_file(PNG, "分区后.png")]}, follow=True).content.decode()
    assert "已报送整改，并已同时作为督办事项的进展报送，等待督查室审核。" in page
    [report] = ProgressReport.objects.all()
    assert report.progress_percent == 90 and report.unit == org.safety
    task_page = client.get(f"/tasks/{hazard.task_id}/").content.decode()
    assert "已按类别分区存放" in task_page and "分区后.png" in task_page
    [file] = report.files.all()
    response = client.get(f"/tasks/report-files/{file.pk}/")
    assert response.status_code == 200 and b"".join(response.streaming_content) == PNG


def test_the_api_says_whether_a_rectification_went_to_its_task_as_progress(client, org, records):
    from duban.tasks import actions as task_actions

    hazard = records["hazard"]
    login(client, org.lead_staff)
    body = client.post(f"/api/v1/hazards/{hazard.pk}/rectify", {"version": hazard.version, "rectification": "已整改"},
                       content_type="application/json").json()
    assert body["status"] == "rectified" and body["progress_report_id"] is None
    assert "已交办" in body["progress_refused"]
    login(client, org.supervisor)
    client.post(f"/api/v1/hazards/{hazard.pk}/review", {"version": hazard.version + 1, "passed": False, "note": "未整改"},
                content_type="application/json")
    task_actions.task_accept(actor=org.lead_staff, task_id=hazard.task_id)
    login(client, org.lead_staff)
    body = client.post(f"/api/v1/hazards/{hazard.pk}/rectify", {"version": hazard.version + 2,
                                                                 "rectification": "已整改", "progress_percent": 60},
                       content_type="application/json").json()
    assert body["progress_report_id"] is not None and body["progress_refused"] == ""


def test_the_close_form_of_a_project_short_of_its_target_says_so_before_it_is_sent(client, org):
    """The lead unit's 申请办结 form on a livelihood task below its target shows the refusal it would get; sent
    anyway, the page gives that error and the task does not ask to close (what was sent is kept as an ordinary
    report). Once the target is met the note is gone
    and the request is taken."""
    from duban.tasks import actions as task_actions
    from duban.tasks.models import Task, TaskStatus

    today = dt.date.today()
    project = actions.livelihood_create(actor=org.supervisor, title="新建幼儿园10所", indicator="新建幼儿园",
                                        target=10, measure_unit="所", lead_unit_id=org.safety.pk,
                                        period_start=today.replace(day=1), period_end=today + dt.timedelta(days=90),
                                        assign=True)
    task_actions.task_accept(actor=org.lead_staff, task_id=project.task_id)
    actions.livelihood_record_actual(actor=org.lead_staff, project_id=project.pk, month=today, value=3)
    login(client, org.lead_staff)
    note = "民生实事须达到目标值才能办结：目标10所，目前累计完成3所（30%），暂不能申请办结。"
    form = client.get(f"/tasks/{project.task_id}/").content.decode().split('id="report-form"', 1)[1]
    assert f'id="close-note">{note}</p>' in form.split("</form>", 1)[0]
    page = client.post(f"/tasks/{project.task_id}/report/", {"text": "已建成3所", "progress_percent": "100",
                                                             "request_close": "on", "evidence_text": "验收材料"},
                       follow=True).content.decode()
    assert "民生实事须达到目标值才能办结：目标10所，目前累计完成3所（30%）" in page
    # the task does not ask to close: what was sent is kept as an ordinary report
    assert Task.objects.get(pk=project.task_id).status == TaskStatus.IN_PROGRESS
    actions.livelihood_record_actual(actor=org.lead_staff, project_id=project.pk, month=today, value=10)
    assert 'id="close-note"' not in client.get(f"/tasks/{project.task_id}/").content.decode()
    client.post(f"/tasks/{project.task_id}/report/", {"text": "已建成10所", "progress_percent": "100",
                                                      "request_close": "on", "evidence_text": "验收材料"})
    assert Task.objects.get(pk=project.task_id).status == TaskStatus.CLOSE_REQUESTED


PAST_DATE_FORMS = [
    ("/sources/instructions/new/", "deadline", {"leader": "张市长", "date": "{today}", "text": "请排查燃气隐患"}),
    ("/sources/cases/new/", "reply_due", {"case_number": "HB-9", "complaint": "噪声扰民", "inspection": ""}),
    ("/sources/livelihood/new/", "period_end", {"title": "新增床位", "indicator": "床位", "target": "10",
                                                "measure_unit": "张", "period_start": "2020-01-01"}),
    ("/sources/hazards/new/", "deadline", {"place": "某仓库", "category": "gas", "severity": "larger",
                                           "description": "管道锈蚀", "responsible_person": "王五"}),
]


@pytest.mark.parametrize("url, field, data", PAST_DATE_FORMS)
def test_a_source_form_refuses_a_deadline_already_passed_at_its_field(client, org, url, field, data):
    """The rule: a deadline a person sets is not before today (as 调整时限 and the draft ledger say), or the task is
    born red and its unit is told a date already passed. The form says so at the date's field, and nothing is
    registered, assigned or notified; today itself is taken."""
    from duban.core.models import Notification
    from duban.tasks.models import Task

    today = dt.date.today()
    yesterday = today - dt.timedelta(days=1)
    login(client, org.supervisor)
    post = {k: v.format(today=today.isoformat()) for k, v in data.items()}
    post.update({"lead_unit_id": org.safety.pk, "assign": "on", field: yesterday.isoformat()})
    response = client.post(url, post)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors[field] == [f"时限 {yesterday.isoformat()} 早于今天，请选择今天或以后的日期"]
    assert not Task.objects.exists() and not Notification.objects.exists()
    assert f'min="{today.isoformat()}"' in str(form[field])
    post[field] = today.isoformat()
    assert client.post(url, post).status_code == 302
    assert Task.objects.get().deadline == today


def test_the_api_refuses_a_source_deadline_already_passed_naming_the_field(client, org):
    past = (dt.date.today() - dt.timedelta(days=5)).isoformat()
    login(client, org.supervisor)
    response = client.post("/api/v1/hazards", {
        "place": "某仓库", "category": "gas", "severity": "larger", "description": "管道锈蚀", "deadline": past,
        "responsible_person": "王五", "lead_unit_id": org.safety.pk}, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["message"] == f"时限 {past} 早于今天，请选择今天或以后的日期"
    assert response.json()["details"] == {"field": "deadline"}


def test_a_hazards_deadline_is_its_tasks_deadline_once_that_is_adjusted(client, org):
    """The rule: one date rules. After 调整时限 on a hazard's task the hazard page, the 隐患台账 and the API show the
    task's new 时限 as the 整改期限 (not the old date in red), and say the date set at discovery."""
    from duban.tasks.actions import task_deadline_adjust

    today = dt.date.today()
    hazard = actions.hazard_create(actor=org.supervisor, place="某仓库", category="gas", severity="larger",
                                   description="管道锈蚀", deadline=today, responsible_person="王五",
                                   lead_unit_id=org.safety.pk, assign=True)
    later = today + dt.timedelta(days=11)
    task = hazard.task
    task_deadline_adjust(actor=org.supervisor, task_id=task.pk, version=task.version, deadline=later,
                         reason="现场条件所限")
    login(client, org.supervisor)
    page = client.get(f"/sources/hazards/{hazard.pk}/").content.decode()
    assert f'<span id="hazard-deadline">{later:%Y-%m-%d}</span>' in page
    assert f"随督办事项时限调整，登记时为 {today:%Y-%m-%d}" in page
    listing = client.get("/sources/hazards/").content.decode()
    assert f'hazard-deadline">{later:%Y-%m-%d}</td>' in listing and f"期限 {later:%Y-%m-%d}" in listing
    assert f">{today:%Y-%m-%d}<" not in listing
    assert client.get(f"/api/v1/hazards/{hazard.pk}").json()["deadline"] == later.isoformat()


def test_a_cases_page_says_which_date_the_unit_works_to_when_its_task_was_moved(client, org):
    from duban.tasks.actions import task_deadline_adjust

    today = dt.date.today()
    reply_due, later = today + dt.timedelta(days=3), today + dt.timedelta(days=7)
    case = actions.case_create(actor=org.supervisor, case_number="D3-1", complaint="噪声扰民",
                               lead_unit_id=org.safety.pk, reply_due=reply_due, assign=True)
    login(client, org.supervisor)
    page = client.get(f"/sources/cases/{case.pk}/").content.decode()
    assert "督察组要求回复日期" in page and "承办单位按督办事项的办理时限" not in page
    task_deadline_adjust(actor=org.supervisor, task_id=case.task_id, version=case.task.version, deadline=later,
                         reason="需补充监测")
    page = client.get(f"/sources/cases/{case.pk}/").content.decode()
    assert (f'id="reply-due">{reply_due:%Y-%m-%d}<div class="small text-muted">承办单位按督办事项的办理时限 '
            f"{later:%Y-%m-%d} 办理；向督察组回复仍以本日期为准</div>") in page


def test_an_unrecorded_case_leads_the_office_from_its_task_to_a_form_started_from_the_units_report(client, org):
    """The rule: a case's task closes only once the office records 整改情况 and 是否公开. The task page links the
    case's form while they are missing, and the refusal names the case; the form starts from the lead unit's
    latest report (not empty) and makes no choice of 是否公开 for the clerk (the page says 未定)."""
    from duban.tasks import actions as task_actions

    case = actions.case_create(actor=org.supervisor, case_number="D3-7", complaint="化工厂夜间排污",
                               lead_unit_id=org.safety.pk, reply_due=dt.date.today(), assign=True)
    task_actions.task_accept(actor=org.lead_staff, task_id=case.task_id)
    report = task_actions.report_submit(actor=org.lead_staff, task_id=case.task_id, progress_percent=100,
                                        text="已关停排污口，完成河道清淤", request_close=True, evidence_text="整改报告")
    login(client, org.supervisor)
    form_address = f"/sources/cases/{case.pk}/#rectification-form"
    task_page = client.get(f"/tasks/{case.task_id}/").content.decode()
    assert f'<a href="{form_address}" id="task-source">D3-7（须先登记整改情况和是否公开，才能办结）</a>' in task_page
    refused = client.post(f"/followup/reports/{report.pk}/accept/", follow=True).content.decode()
    assert "督察交办件D3-7须先在交办件页面登记整改情况和是否公开，才能办结" in refused
    assert f'href="{form_address}"' in refused

    page = client.get(f"/sources/cases/{case.pk}/")
    form = page.context["form"]
    assert form["rectification"].value() == "已关停排污口，完成河道清淤"
    assert form["disclose"].value() == ""
    assert '<option value="" selected>请选择</option>' in str(form["disclose"])
    assert "已填入承办单位最新报送的进展" in page.content.decode()
    response = client.post(f"/sources/cases/{case.pk}/rectification/",
                           {"version": case.version, "rectification": "已关停排污口，完成河道清淤"}, follow=True)
    assert "请填写整改情况并选择是否公开" in response.content.decode()
    client.post(f"/sources/cases/{case.pk}/rectification/",
                {"version": case.version, "rectification": "已关停排污口，完成河道清淤。", "disclose": "0"})
    task_page = client.get(f"/tasks/{case.task_id}/").content.decode()
    assert f'<a href="/sources/cases/{case.pk}/" id="task-source">D3-7</a>' in task_page
    assert client.get(f"/sources/cases/{case.pk}/").context["form"]["disclose"].value() == "0"


def test_the_project_page_gives_the_office_a_target_change_and_says_what_it_did(client, org):
    today = dt.date.today()
    project = actions.livelihood_create(actor=org.supervisor, title="新建卫生室20个", indicator="新建卫生室",
                                        target=20, measure_unit="个", lead_unit_id=org.safety.pk,
                                        period_start=today.replace(day=1), period_end=today + dt.timedelta(days=30),
                                        assign=True)
    login(client, org.lead_staff)
    assert client.get(f"/sources/livelihood/{project.pk}/").context["target_form"] is None
    login(client, org.supervisor)
    page = client.get(f"/sources/livelihood/{project.pk}/").content.decode()
    assert 'id="target-change" open' in page and "调整理由" in page
    response = client.post(f"/sources/livelihood/{project.pk}/target/",
                           {"seen_target": "20", "target": "16", "reason": "经批准调整"}, follow=True)
    assert "目标值已调整为16个，并已通知牵头单位。" in response.content.decode()


def test_registering_a_source_says_whom_its_assignment_reached(client, org):
    """The rule: a step that tells units says whom it reached, as 交办 does (the people told; a unit with nobody by
    name, its notice held by the office, 代收); a record registered without 交办 says nobody was told."""
    import re

    from duban.core.actions import unit_create

    nobody = unit_create(actor=org.system, name="市住建局")
    today = dt.date.today().isoformat()
    login(client, org.supervisor)

    def shown(response):
        return " ".join(re.findall(r'<div class="alert[^"]*"[^>]*>(.*?)</div>', response.content.decode(), re.S))

    hazard = {"place": "某仓库", "category": "gas", "severity": "larger", "description": "管道锈蚀",
              "responsible_person": "王五", "deadline": today, "assign": "on"}
    told = shown(client.post("/sources/hazards/new/", {**hazard, "lead_unit_id": org.safety.pk,
                                                       "coop_unit_ids": [org.health.pk]}, follow=True))
    assert "已登记并交办。已通知相关单位3人。" in told  # lead_admin, lead_staff, coop_staff
    case = shown(client.post("/sources/cases/new/", {"case_number": "D3-0113", "complaint": "噪声扰民",
                                                     "inspection": "", "lead_unit_id": nobody.pk, "assign": "on"},
                             follow=True))
    assert "已登记并交办。已通知相关单位0人。市住建局尚无可接收通知的人员" in case and "由市委督查室代收" in case
    kept = shown(client.post("/sources/hazards/new/", {**hazard, "place": "另一仓库", "assign": "",
                                                       "lead_unit_id": org.safety.pk}, follow=True))
    assert "已登记，尚未交办（未通知任何单位）。" in kept


def test_a_task_made_from_a_registered_instruction_does_not_say_it_has_no_instruction(client, org, records):
    """The rule: the registered 批示 is the task's 批示; its page must not say 暂无批示 above 来源 领导批示：…."""
    from duban.sources.models import InstructionTask

    task_id = InstructionTask.objects.get(instruction=records["instruction"]).task_id
    login(client, org.leader)
    page = client.get(f"/tasks/{task_id}/").content.decode()
    assert "暂无批示" not in page
    assert "本事项根据登记的领导批示交办，批示见下方“来源”" in page and 'id="task-source">张市长批示 2024-05-06' in page
    other = client.get(f"/tasks/{records['hazard'].task_id}/").content.decode()
    assert "暂无批示" in other


def test_the_hazard_page_says_what_a_re_inspection_and_a_strike_off_did_and_the_history_keeps_the_note(client, org):
    """Not "已保存": 复查不通过 says the hazard went back to 整改 and the unit was told; 销号 says the task closed
    with it; the task's 办理记录 line 复查未通过 carries the 复查意见."""
    import re

    hazard = actions.hazard_create(actor=org.supervisor, place="某仓库", category="gas", severity="larger",
                                   description="管道锈蚀", deadline=dt.date.today(), responsible_person="王五",
                                   lead_unit_id=org.safety.pk, assign=True)
    hazard = actions.hazard_rectify(actor=org.lead_staff, hazard_id=hazard.pk, version=hazard.version,
                                    rectification="已更换管道")
    login(client, org.supervisor)

    def shown(response):
        return " ".join(re.findall(r'<div class="alert[^"]*"[^>]*>(.*?)</div>', response.content.decode(), re.S))

    url = f"/sources/hazards/{hazard.pk}/"
    failed = shown(client.post(url + "review/", {"version": hazard.version, "passed": "0", "text": "阀门未更换"},
                               follow=True))
    assert "复查未通过：隐患退回待整改，已通知整改责任单位继续整改。" in failed and "已保存" not in failed
    assert 'hazard-review-failed">复查未通过</span>' in client.get("/sources/hazards/").content.decode()
    history = client.get(f"/tasks/{hazard.task_id}/").content.decode()
    assert re.search(r"复查未通过.{0,400}阀门未更换", history, re.S)
    hazard = actions.hazard_rectify(actor=org.lead_staff, hazard_id=hazard.pk,
                                    version=Hazard.objects.get(pk=hazard.pk).version, rectification="阀门已更换")
    passed = shown(client.post(url + "review/", {"version": hazard.version, "passed": "1", "text": ""}, follow=True))
    assert "复查通过，已通知整改责任单位；可以销号。" in passed
    closed = shown(client.post(url + "close/", {"version": hazard.version + 1}, follow=True))
    assert "隐患已销号，督办事项随之办结，已通知整改责任单位。" in closed


def test_hazard_photos_say_which_step_and_round_they_document(client, org, settings, tmp_path,
                                                              django_capture_on_commit_callbacks):
    """The rule: the re-inspector compares before and after. The new-hazard form takes the inspector's photo (发现);
    each rectification's photos are 整改 of its round; the office's photo after a rectification is 复查 of that
    round; the page labels each photo and says who added it."""
    import re

    use_data_dir(settings, tmp_path)
    login(client, org.supervisor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/sources/hazards/new/", {
            "place": "某仓库", "category": "gas", "severity": "larger", "description": "管道锈蚀",
            "responsible_person": "王五", "deadline": dt.date.today().isoformat(), "lead_unit_id": org.safety.pk,
            "assign": "on", "files": _file(PNG, "现场.png")})
    assert response.status_code == 302
    hazard = Hazard.objects.get()
    url = f"/sources/hazards/{hazard.pk}/"
    login(client, org.lead_staff)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url + "rectify/", {"version": hazard.version, "text": "已更换管道", "files": _file(PNG, "a.png")})
    login(client, org.supervisor)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url + "attachments/", {"files": _file(PNG, "复查.png")})
    client.post(url + "review/", {"version": hazard.version + 1, "passed": "0", "text": "阀门未换"})
    login(client, org.lead_staff)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url + "attachments/", {"files": _file(PNG, "b.png")})
    stages = list(Attachment.objects.order_by("id").values_list("original_name", "hazard_stage", "hazard_round"))
    assert stages == [("现场.png", "found", None), ("a.png", "rectification", 1), ("复查.png", "review", 1),
                      ("b.png", "rectification", 2)]
    page = client.get(url).content.decode()
    labels = re.findall(r'photo-stage">([^<]+)</span> <span class="text-muted">(\w+) · ', page)
    assert labels == [("发现", "supervisor"), ("整改（第1轮）", "lead_staff"), ("复查（第1轮）", "supervisor"),
                      ("整改（第2轮）", "lead_staff")]


def test_a_close_request_below_target_keeps_what_the_unit_typed_and_attached_as_progress(
        client, org, settings, tmp_path, django_capture_on_commit_callbacks):
    """The rule: the user must not lose what they typed. A 民生实事 below its target cannot be asked to close; the
    submission (text, 佐证说明, file) is filed as an ordinary progress report without the close request, and the
    page says the close was not requested, why, and that the rest was kept."""
    import re

    from duban.tasks import actions as task_actions
    from duban.tasks.models import ProgressReport, ReportFile, Task, TaskStatus

    use_data_dir(settings, tmp_path)
    today = dt.date.today()
    project = actions.livelihood_create(actor=org.supervisor, title="新建卫生室20个", indicator="新建卫生室",
                                        target=20, measure_unit="个", lead_unit_id=org.safety.pk,
                                        period_start=today.replace(day=1), period_end=today + dt.timedelta(days=30),
                                        assign=True)
    task_actions.task_accept(actor=org.lead_staff, task_id=project.task_id)
    actions.livelihood_record_actual(actor=org.lead_staff, project_id=project.pk, month=today, value=16)
    login(client, org.lead_staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/tasks/{project.task_id}/report/", {
            "text": "另有4个因选址调整转入明年", "progress_percent": "80", "request_close": "on",
            "evidence_text": "验收记录已归档", "files": _file(PNG, "验收.png")}, follow=True)
    shown = " ".join(re.findall(r'<div class="alert[^"]*"[^>]*>(.*?)</div>', response.content.decode(), re.S))
    assert "未申请办结：民生实事须达到目标值才能办结：目标20个，目前累计完成16个（80%）" in shown
    assert "您填写的内容和附件已作为一般进展报送" in shown
    report = ProgressReport.objects.get(task_id=project.task_id)
    assert not report.request_close and report.text == "另有4个因选址调整转入明年\n佐证说明：验收记录已归档"
    assert list(ReportFile.objects.filter(report=report).values_list("name", flat=True)) == ["验收.png"]
    assert Task.objects.get(pk=project.task_id).status == TaskStatus.IN_PROGRESS


@pytest.mark.parametrize("url", [url for url, _field, _data in PAST_DATE_FORMS])
def test_a_source_form_asks_what_the_record_says_before_who_does_it(client, org, url):
    """A clerk copies a 批示, a case, a project or a hazard from paper in its own order (who wrote or found it,
    when, what) and then assigns it: the units and 立即交办 come after every field of the record."""
    login(client, org.supervisor)
    names = [field.name for field in client.get(url).context["form"]]
    assert names[-3:] == ["lead_unit_id", "coop_unit_ids", "assign"]
