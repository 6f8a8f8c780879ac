import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, Template
from django.test import RequestFactory

from duban.conftest import login
from duban.followup.models import ExtensionRequest
from duban.followup.reminders import reminders_run
from duban.followup.tests.conftest import place_task
from duban.tasks.models import ReportFile, Task

D = dt.date


def _render(user, task, text="{% load followup_tags %}{% task_followup task %}"):
    request = RequestFactory().get("/")
    request.user = user
    return Template(text).render(Context({"request": request, "task": task}))


def test_light_badge_tag(org):
    task = place_task(org.task_in("in_progress"), assigned=D(2025, 9, 1), deadline=D(2025, 12, 31), progress=30)
    html = Template("{% load followup_tags %}{% light_badge task today %}").render(
        Context({"task": task, "today": D(2026, 1, 5)}))
    assert 'data-light="red"' in html and "红灯" in html and "bg-danger" in html
    assert Template("{% load followup_tags %}{% light_badge task %}").render(
        Context({"task": org.task_in("draft")})).strip() == ""


def test_followup_section_shows_reminders_and_the_right_buttons(org):
    task = place_task(org.task_in("in_progress"), assigned=D(2025, 9, 1), deadline=D(2025, 12, 31), progress=30)
    reminders_run(today=D(2026, 1, 5))
    staff_html = _render(org.lead_staff, task)
    # the lead unit is pointed to the one way to ask for sign-off (the report form), a cooperating unit is not
    assert "督办通知单" in staff_html and 'id="extension-form"' in staff_html and 'id="close-hint"' in staff_html
    coop_html = _render(org.coop_staff, task)
    assert "督办通知单" in coop_html and 'id="extension-form"' not in coop_html
    assert 'id="close-hint"' not in coop_html


def test_extension_request_and_decision_through_the_pages(client, org):
    task = org.task_in("in_progress")
    login(client, org.lead_staff)
    response = client.post(f"/followup/tasks/{task.pk}/extension/",
                           {"new_deadline": "2099-12-31", "reason": "资金未到位"})
    assert response.status_code == 302 and response["Location"] == f"/tasks/{task.pk}/"
    request = ExtensionRequest.objects.get()
    response = client.post(f"/followup/tasks/{task.pk}/extension/", {"new_deadline": "2099-12-31", "reason": "x"},
                           follow=True)
    assert "已有待审批的延期申请" in response.content.decode()
    login(client, org.supervisor)
    assert 'action="/followup/extensions/' in _render(org.supervisor, Task.objects.get(pk=task.pk))
    response = client.post(f"/followup/extensions/{request.pk}/approve/",
                           {"version": Task.objects.get(pk=task.pk).version})
    assert response.status_code == 302
    assert Task.objects.get(pk=task.pk).deadline == D(2099, 12, 31)
    login(client, org.other_staff)
    assert client.post(f"/followup/extensions/{request.pk}/reject/", {"reason": "x"}).status_code == 404
    assert client.post(f"/followup/tasks/{task.pk}/extension/", {"new_deadline": "2099-12-31",
                                                                 "reason": "x"}).status_code == 404


def test_a_review_page_passes_the_version_the_reviewer_saw_and_the_reason(client, org):
    """An approval made on a page that shows an older task is refused with a message and changes nothing; a
    rejection keeps the reviewer's reason."""
    task = org.task_in("in_progress")
    login(client, org.lead_staff)
    client.post(f"/followup/tasks/{task.pk}/extension/", {"new_deadline": "2099-12-31", "reason": "资金未到位"})
    request = ExtensionRequest.objects.get()
    seen = Task.objects.get(pk=task.pk).version
    Task.objects.filter(pk=task.pk).update(version=seen + 1)  # someone else changed the task meanwhile
    login(client, org.supervisor)
    response = client.post(f"/followup/extensions/{request.pk}/approve/", {"version": seen}, follow=True)
    assert "该事项已被他人修改" in response.content.decode()
    request.refresh_from_db()
    assert request.status == "pending" and Task.objects.get(pk=task.pk).deadline != D(2099, 12, 31)
    response = client.post(f"/followup/extensions/{request.pk}/reject/", {"reason": "理由不充分"}, follow=True)
    assert "已不予批准" in response.content.decode()
    request.refresh_from_db()
    assert (request.status, request.decision_comment, request.decided_by) == ("rejected", "理由不充分",
                                                                              org.supervisor)


def test_close_request_with_a_file_and_return(client, org, django_capture_on_commit_callbacks):
    task = org.task_in("in_progress")
    login(client, org.lead_staff)
    upload = SimpleUploadedFile("照片.jpg", b"\xff\xd8\xff photo", content_type="image/jpeg")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/followup/tasks/{task.pk}/close-request/",
                               {"text": "已完成整改", "evidence_text": "现场照片", "files": upload})
    assert response.status_code == 302
    stored = ReportFile.objects.get()
    response = client.get(f"/tasks/report-files/{stored.pk}/")
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"\xff\xd8\xff photo"
    login(client, org.other_staff)
    assert client.get(f"/tasks/report-files/{stored.pk}/").status_code == 404
    login(client, org.supervisor)
    html = _render(org.supervisor, Task.objects.get(pk=task.pk))
    assert "照片.jpg" in html and "退回" in html and "现场照片" in html
    client.post(f"/followup/reports/{stored.report_id}/return/", {"reason": "照片不清晰"})
    task.refresh_from_db()
    assert task.status == "in_progress" and task.returns_count == 1


def test_deliveries_page_needs_login(client):
    assert client.get("/followup/deliveries/").status_code == 302
