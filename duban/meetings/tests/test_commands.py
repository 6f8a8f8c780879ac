"""`duban import` through the real entry point, acting as a named person so the import is audited."""

from __future__ import annotations

import pytest

from duban.cli import main
from duban.conftest import require_tool, shared_dir
from duban.core.audit import EventType
from duban.core.models import AuditEvent
from duban.meetings.models import Meeting

pytestmark = pytest.mark.django_db


def test_import_the_shared_sample_as_the_supervisor(org, capsys):
    path = shared_dir() / "samples" / "changzhou-2022-09-29-standing-committee.txt"
    require_tool(path.exists(), f"shared sample {path}")
    assert main(["import", str(path), "--year", "2022"]) == 0
    meeting = Meeting.objects.get()
    assert meeting.date.isoformat() == "2022-09-29"
    assert meeting.tasks.count() >= 30
    assert AuditEvent.objects.get(event_type=EventType.MEETING_IMPORTED).actor == org.supervisor
    assert "已导入会议" in capsys.readouterr().out
    assert main(["import", str(path), "--year", "2022"]) == 2  # the same text again asks for --allow-duplicate
    assert "已导入过" in capsys.readouterr().err
    assert Meeting.objects.count() == 1


def test_import_missing_file_is_one_line(org, capsys, tmp_path):
    assert main(["import", str(tmp_path / "none.txt")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "错误" in err


def test_import_as_unit_user_is_refused(org, capsys):
    from duban.demo.loader import demo_communique

    import pathlib
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "c.txt"
        path.write_text(demo_communique(), encoding="utf-8")
        assert main(["import", str(path), "--user", "lead_staff"]) == 2
    assert "无权" in capsys.readouterr().err
    assert Meeting.objects.count() == 0


def test_import_without_a_year_says_what_it_could_not_date(org, capsys, tmp_path):
    import docx

    document = docx.Document()  # python-docx stamps 2013-12-23 on the file: not the meeting's year
    document.add_paragraph("9月29日，市委书记许文博主持召开市委常委会会议。")
    document.add_paragraph("会议强调，要全面排查整治燃气安全隐患，市应急管理局要牵头开展专项检查，国庆前完成。")
    path = tmp_path / "minutes.docx"
    document.save(path)
    assert main(["import", str(path)]) == 0
    err = capsys.readouterr().err
    assert "通报未写会议年份" in err and "国庆前" in err and "--year" in err
    meeting = Meeting.objects.get()
    assert meeting.date is None and meeting.date_text == "09-29"
    assert meeting.tasks.get().deadline is None
