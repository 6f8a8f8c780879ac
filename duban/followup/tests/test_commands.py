import datetime as dt

from duban.cli import main
from duban.core.models import AuditEvent, Notification
from duban.followup.models import ReminderSent
from duban.followup.scheduler import run_loop, run_pass
from duban.followup.tests.conftest import place_task

D = dt.date


def _overdue(org):
    return place_task(org.task_in("in_progress"), assigned=D(2025, 9, 1), deadline=D(2025, 12, 31), progress=30)


def test_remind_dry_run_lists_and_writes_nothing(org, capsys):
    task = _overdue(org)
    before = (AuditEvent.objects.count(), Notification.objects.count())
    assert main(["remind", "--dry-run", "--today", "2026-01-05"]) == 0
    out = capsys.readouterr().out
    assert f"{task.pk}\tred\t督办\t市应急管理局\t{task.title}" in out and "共 1 项" in out
    assert (AuditEvent.objects.count(), Notification.objects.count()) == before
    assert not ReminderSent.objects.exists()


def test_remind_runs_one_pass(org, capsys):
    _overdue(org)
    assert main(["remind", "--today", "2026-01-05"]) == 0
    assert "催办 1 项" in capsys.readouterr().out
    assert ReminderSent.objects.get().stage == "escalate"


def test_remind_rejects_a_bad_date(capsys):
    try:
        main(["remind", "--today", "2026-13-01"])
    except SystemExit as exc:
        assert exc.code == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_run_pass_and_loop(org):
    _overdue(org)
    result = run_pass(today=D(2026, 1, 5))
    assert result.reminders == 1
    assert run_loop(interval=0, max_passes=2) == 2  # today's date: the step for this deadline was taken




def test_remind_on_a_holiday_says_so_and_takes_no_step(org, capsys):
    _overdue(org)
    assert main(["remind", "--today", "2026-01-01"]) == 0  # New Year's Day
    out = capsys.readouterr().out
    assert "2026-01-01 不是工作日" in out and "催办 0 项" in out
    assert not ReminderSent.objects.exists()
