"""Policy phrases (提法): collected at import from the real extraction, backfilled, listed and scoped."""

from __future__ import annotations

import pytest

from duban import extraction
from duban.core.errors import PermissionDenied
from duban.meetings.actions import meeting_import
from duban.sources import actions, selectors
from duban.sources.models import Phrase, PhraseOccurrence
from duban.tasks import actions as task_actions
from duban.tasks.models import Task


@pytest.fixture
def sample_meeting(org, sample_text):
    extracted = extraction.extract_text(sample_text, year=2022).to_dict()
    return meeting_import(actor=org.supervisor, extracted=extracted, source_text=sample_text,
                          source_name="changzhou.txt")


def test_import_collects_phrases_of_the_sample(sample_meeting):
    texts = set(Phrase.objects.values_list("text", flat=True))
    assert {"六个常有", "532", "四查一帮扶", "两站一场一码头"} <= texts
    for occ in PhraseOccurrence.objects.filter(meeting=sample_meeting).select_related("phrase"):
        assert sample_meeting.source_text[occ.start:occ.end] == occ.phrase.text
        if occ.task_id:
            task = Task.objects.get(pk=occ.task_id)
            assert task.source_start <= occ.start and occ.end <= task.source_end
    siu = PhraseOccurrence.objects.get(meeting=sample_meeting, phrase__text="四查一帮扶")
    assert siu.task is not None and "四查一帮扶" in siu.task.text


def test_backfill_is_idempotent(org, sample_meeting):
    before = list(PhraseOccurrence.objects.order_by("start").values_list("phrase__text", "start", "task_id"))
    PhraseOccurrence.objects.all().delete()
    counts = actions.phrases_backfill(actor=org.supervisor)
    assert counts == {"meetings": 1, "occurrences": len(before)}
    actions.phrases_backfill(actor=org.supervisor)
    after = list(PhraseOccurrence.objects.order_by("start").values_list("phrase__text", "start", "task_id"))
    assert after == before
    with pytest.raises(PermissionDenied):
        actions.phrases_backfill(actor=org.lead_staff)


def test_list_counts_and_timeline_scoped(org, sample_meeting):
    rows = {p.text: p for p in selectors.phrase_list(viewer=org.supervisor)}
    assert rows["共同体"].uses == 4 and rows["共同体"].meetings == 1
    phrase, timeline = selectors.phrase_timeline(viewer=org.supervisor, phrase_id=rows["四查一帮扶"].pk)
    assert [e.meeting.pk for e in timeline] == [sample_meeting.pk]
    assert timeline[0].tasks and timeline[0].snippets[0][1] == "四查一帮扶"
    # A unit sees nothing until one of the meeting's tasks is assigned to it, and then only its own tasks.
    assert list(selectors.phrase_list(viewer=org.other_staff)) == []
    task = Task.objects.filter(meeting=sample_meeting, text__contains="四查一帮扶").first()
    task_actions.task_update(actor=org.supervisor, task_id=task.pk, version=task.version,
                             changes={"lead_unit_id": org.other.pk})
    task_actions.task_assign(actor=org.supervisor, task_id=task.pk)
    visible = {p.text for p in selectors.phrase_list(viewer=org.other_staff)}
    assert "四查一帮扶" in visible
    _, timeline = selectors.phrase_timeline(viewer=org.other_staff, phrase_id=rows["四查一帮扶"].pk)
    assert [t.pk for t in timeline[0].tasks] == [task.pk]
    _, timeline = selectors.phrase_timeline(viewer=org.other_staff, phrase_id=rows["六个常有"].pk)
    assert all(t.pk == task.pk for e in timeline for t in e.tasks)


def test_backfill_command(org, sample_meeting, capsys):
    from duban.cli import main

    PhraseOccurrence.objects.all().delete()
    assert main(["phrases-backfill"]) == 0
    assert "会议 1 个" in capsys.readouterr().out
    assert PhraseOccurrence.objects.filter(phrase__text="六个常有").count() == 1
