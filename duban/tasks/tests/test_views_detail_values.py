"""The task page and task list read plain values where they used to read model instances: the markup
must be what the former template loops made of the instances, byte for byte, and the shortcuts (the audit chain
head read once, the follow-up section's scope check skipped for a task ``task_get`` read for the same viewer)
must not change what anyone sees."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext

from duban.conftest import login
from duban.core.audit import EventType, audit_log, system_actor
from duban.core.cache import cached, chain_head
from duban.core.errors import NotFound
from duban.core.models import Profile, Unit
from duban.followup import selectors as followup_selectors
from duban.tasks import actions, selectors, views
from duban.tasks import permissions as perms
from duban.tasks.models import ProgressReport

pytestmark = pytest.mark.django_db

# The history loop of tasks/detail.html before its items were built in Python, over AuditEvent instances.
FORMER_HISTORY = """{% for h in history %}
        <li><div><span class="fw-semibold">{{ h.label }}</span> · {{ h.event.actor.profile.display_name|default:h.event.actor.first_name|default:h.event.actor.username }}{% if h.event.unit %}（{{ h.event.unit.name }}）{% endif %}</div>
          {% if h.detail %}<div class="text-muted">{{ h.detail }}</div>{% endif %}
          <div class="text-muted">{{ h.event.created_at|date:"Y-m-d H:i" }}</div></li>
        {% empty %}<li>暂无记录</li>{% endfor %}"""  # noqa: E501

# The reports loop of tasks/detail.html before it read values, over ProgressReport instances.
FORMER_REPORTS = """{% for r in reports %}
      <div class="border-bottom py-2" id="report-{{ r.pk }}">
        <div class="d-flex flex-wrap gap-2 small text-muted">
          <span>{{ r.created_at|date:"Y-m-d H:i" }}</span><span>{{ r.unit.name }}</span>
          <span>{{ r.author.profile.display_name|default:r.author.username }}</span><span>进度 {{ r.progress_percent }}%</span>
          {% if r.request_close %}<span class="badge bg-warning text-dark">申请办结</span>{% endif %}
          <span class="badge {% if r.status == 'accepted' %}bg-success{% elif r.status == 'returned' %}bg-danger{% else %}bg-info text-dark{% endif %}">{{ r.get_status_display }}</span>
        </div>
        <div class="task-text">{{ r.text }}</div>
        {% if r.review_comment %}<div class="small mt-1"><span class="text-muted">审核意见：</span>{{ r.review_comment }}</div>{% endif %}
        {% if can_review and r.status == 'submitted' and r.request_close %}
        <div class="small text-muted mt-1">办结申请连同佐证材料在“督办跟踪”中审核。</div>
        {% elif can_review and r.status == 'submitted' %}
        {% include "tasks/_review_forms.html" with r=r next=request.path %}
        {% endif %}
      </div>
      {% empty %}
      <p class="text-muted mb-0">尚无进展报送</p>
      {% endfor %}"""  # noqa: E501


def busy_task(org):
    """A task whose history and reports hold every case the page distinguishes: an actor known by display name,
    one by first name only, one without a profile (the system), events with and without a unit and a detail,
    markup in user text, reports submitted, accepted and returned, with and without a close request."""
    task = org.task_in("in_progress")
    actions.report_submit(actor=org.lead_staff, task_id=task.pk, text="<b>第二次</b>进展", progress_percent=50)
    second = ProgressReport.objects.filter(task=task).order_by("-id").first()
    actions.report_return(actor=org.supervisor, report_id=second.pk, reason="材料不全 <i>请补充</i>")
    actions.report_submit(actor=org.lead_staff, task_id=task.pk, text="第三次", progress_percent=60)
    actions.report_submit(actor=org.lead_staff, task_id=task.pk, text="已完成 & 申请办结", progress_percent=100,
                          request_close=True, evidence_text="验收记录")
    first = ProgressReport.objects.filter(task=task).order_by("id").first()
    actions.report_accept(actor=org.supervisor, report_id=first.pk, comment="同意 \"采纳\"")
    Profile.objects.filter(user=org.lead_staff).update(display_name="")
    org.lead_staff.first_name = "李<四>"
    org.lead_staff.save(update_fields=["first_name"])
    Profile.objects.filter(user=org.supervisor).update(display_name="督查室 '王明'")
    Unit.objects.filter(pk=org.safety.pk).update(name="市应急<管理>局")
    audit_log(actor=system_actor(), event_type=EventType.TASK_UPDATED, task=task,
              extra={"new": {"deadline": "2026-12-01", "title": "x"}})
    return task


def test_history_items_are_what_the_template_loop_made(org):
    task = busy_task(org)
    events = list(selectors.task_history(viewer=org.supervisor, task=task))
    assert {e.unit_id is None for e in events} == {True, False}
    former = Template(FORMER_HISTORY).render(Context({"history": [
        {"event": e, "label": views.event_label(e.event_type), "detail": views.event_detail(e)} for e in events]}))
    items = views.task_history_items(selectors.task_history_values(task=task))
    assert items == former
    assert "李&lt;四&gt;" in items and "（市应急&lt;管理&gt;局）" in items
    assert "系统" in items and "督查室 &#x27;王明&#x27;" in items
    empty = Template(FORMER_HISTORY).render(Context({"history": []}))
    assert Template("{% if history %}{{ history }}{% else %}<li>暂无记录</li>{% endif %}").render(
        Context({"history": views.task_history_items([])})) == empty


@pytest.mark.parametrize("role", ["supervisor", "lead_staff", "coop_staff", "leader"])
def test_reports_are_what_the_template_loop_made(rf, org, role):
    task = busy_task(org)
    viewer = org.roles()[role]
    source = (Path(views.__file__).parent / "templates/tasks/detail.html").read_text()
    loop = source[source.index("{% for r in reports %}"):source.index("{% endfor %}", source.index(
        "{% for r in reports %}")) + len("{% endfor %}")]
    request = rf.get(f"/tasks/{task.pk}/")
    request.user = viewer
    common = {"request": request, "csrf_token": "TOKEN", "can_review": role == "supervisor"}
    instances = list(selectors.report_list(viewer=viewer, task_id=task.pk))
    assert len(instances) == 4
    former = Template(FORMER_REPORTS).render(Context({**common, "reports": instances}))
    values = selectors.task_report_values(viewer=viewer, task=task)
    for r in values:
        r["status_label"] = views.choice_label(views.ReportStatus, r["status"])
        # as the view marks each report (no report here is its reviewer's own)
        r["can_review"] = perms.can_review_report(viewer, ProgressReport(task=task, author_id=r["author_id"]))
    assert Template(loop).render(Context({**common, "reports": values})) == former
    assert ("review-forms" in former) == (role == "supervisor")


def test_detail_page_still_scoped_and_complete(client, org):
    task = busy_task(org)
    body = login(client, org.supervisor).get(f"/tasks/{task.pk}/").content.decode()
    assert body.count('<div class="border-bottom py-2" id="report-') == 4
    assert 'id="task-followup"' in body and "材料不全 &lt;i&gt;请补充&lt;/i&gt;" in body
    assert login(client, org.other_staff).get(f"/tasks/{task.pk}/").status_code == 404


# The unit drop-downs of the 改派 and 分解下达 forms before their options were built once in Python, over Unit
# instances (the lead unit, the cooperating units marked in the 改派 form).
FORMER_LEAD_OPTIONS = ('{% for u in units %}<option value="{{ u.pk }}"{% if u.pk == task.lead_unit_id %} selected'
                       '{% endif %}>{{ u.name }}</option>{% endfor %}')
FORMER_COOP_OPTIONS = ('{% for u in units %}<option value="{{ u.pk }}"{% if u.pk in coop_ids %} selected{% endif %}>'
                       '{{ u.name }}</option>{% endfor %}')
FORMER_PLAIN_OPTIONS = '{% for u in units %}<option value="{{ u.pk }}">{{ u.name }}</option>{% endfor %}'


def select_body(page: str, select_id: str) -> str:
    return re.search(rf'<select [^>]*id="{select_id}"[^>]*>\s*(.*?)\s*</select>', page, re.S).group(1)


def test_unit_drop_downs_are_what_the_template_loops_made(client, org):
    """Every unit drop-down of the office's task page (改派: lead and cooperating units marked; 分解下达: its rows of
    two) offers the same options as the former template loops, one unit name with markup in it escaped."""
    Unit.objects.filter(pk=org.other.pk).update(name="其他<单位>&局")
    task = org.task_in("in_progress", coop_unit_ids=[org.other.pk])
    page = login(client, org.supervisor).get(f"/tasks/{task.pk}/").content.decode()
    units = list(Unit.objects.filter(is_active=True).order_by("sort_order", "id"))
    context = Context({"units": units, "task": task, "coop_ids": {org.other.pk}})
    assert len(units) > 2 and "其他&lt;单位&gt;&amp;局" in page
    assert select_body(page, "reassign-lead") == Template(FORMER_LEAD_OPTIONS).render(context)
    assert select_body(page, "reassign-coop") == Template(FORMER_COOP_OPTIONS).render(context)
    plain = Template(FORMER_PLAIN_OPTIONS).render(context)
    assert [select_body(page, f"split-lead-{i}") for i in range(views.SPLIT_ROWS)] == [
        '<option value="">牵头单位…</option>\n            ' + plain] * views.SPLIT_ROWS
    coop_selects = re.findall(r'<select [^>]*name="coop_\d+"[^>]*>\s*(.*?)\s*</select>', page, re.S)
    assert coop_selects == [plain] * views.SPLIT_ROWS


def scope_checks(queries) -> int:
    return sum(q["sql"].startswith('SELECT 1 AS "a" FROM "tasks_task"') for q in queries)


def test_followup_section_checks_scope_unless_task_get_read_it_for_this_viewer(org):
    task = org.task_in("accepted")
    mine = selectors.task_get(viewer=org.lead_staff, task_id=task.pk)
    theirs = selectors.task_get(viewer=org.supervisor, task_id=task.pk)
    with CaptureQueriesContext(connection) as read_in_scope:
        followup_selectors.task_followup(viewer=org.lead_staff, task=mine)
    with CaptureQueriesContext(connection) as checked:
        followup_selectors.task_followup(viewer=org.lead_staff, task=theirs)  # read for another: checked again
    assert scope_checks(read_in_scope) == 0 and scope_checks(checked) == 1
    with pytest.raises(NotFound):  # a task read for one viewer is checked again for another
        followup_selectors.task_followup(viewer=org.other_staff, task=mine)
    with pytest.raises(NotFound):
        followup_selectors.task_followup(viewer=org.other_staff, task=task)


def chain_head_reads(queries) -> int:
    return sum("core_auditchainhead" in q["sql"] for q in queries)


def task_counts(queries) -> int:
    return sum(q["sql"].startswith('SELECT COUNT(*) AS "__count" FROM "tasks_task"') for q in queries)


def test_task_list_reads_the_chain_head_once_and_counts_only_on_a_miss(client, org):
    org.task_in("assigned")
    org.task_in("accepted")
    cache.clear()
    login(client, org.lead_staff)
    with CaptureQueriesContext(connection) as cold:
        first = client.get("/tasks/").content.decode()
    with CaptureQueriesContext(connection) as warm:
        again = client.get("/tasks/").content.decode()
    assert re.sub(r"[A-Za-z0-9]{64}", "X", first) == re.sub(r"[A-Za-z0-9]{64}", "X", again)  # but the CSRF token
    assert chain_head_reads(cold) == chain_head_reads(warm) == 1
    assert task_counts(cold) == 1 and task_counts(warm) == 0
    assert "共 2 条" in again
    org.task_in("assigned")  # an audited change moves the head: the next request counts again
    assert "共 3 条" in client.get("/tasks/").content.decode()


def test_cached_with_a_head_read_earlier_is_the_same_entry(org, settings):
    settings.DUBAN_STATS_CACHE_SECONDS = 300
    cache.clear()
    today = selectors.today_local()
    assert cached("t", org.supervisor, (), today, lambda: 1) == 1
    assert cached("t", org.supervisor, (), today, lambda: 2, head=chain_head()) == 1
    org.task_in("draft")  # moves the head
    assert cached("t", org.supervisor, (), today, lambda: 3, head=chain_head()) == 3
