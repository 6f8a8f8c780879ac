"""In real Chromium: a sentence the clerk selects in the communique fills 新增事项 with its text and its place in
the source (the row numbers drawn inside the highlights before it are not counted), and the added row's span is
that sentence."""

from __future__ import annotations

import re

import pytest

from duban.core.tests.browser import chromium_page, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TEXT = ("2026年3月2日，市委书记许文博主持召开市委常委会会议。\n"
        "会议强调，要全面排查整治燃气安全隐患，市应急管理局要牵头开展专项检查，3月底前完成。\n"
        "乡镇工作人员待遇偏低的问题，会上也作了研究。\n")
MISSED = "乡镇工作人员待遇偏低的问题，会上也作了研究。"

# Select ``needle`` inside the source text's plain runs and release the mouse there, as a clerk's drag does.
SELECT = """needle => {
  const source = document.getElementById('source-text');
  const walker = document.createTreeWalker(source, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const at = node.textContent.indexOf(needle);
    if (at >= 0) {
      const range = document.createRange();
      range.setStart(node, at);
      range.setEnd(node, at + needle.length);
      const sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      source.dispatchEvent(new MouseEvent('mouseup', {bubbles: true}));
      return true;
    }
  }
  return false;
}"""


def test_a_selected_sentence_becomes_the_next_row_with_its_span(live_server, demo_people_db, monkeypatch):
    from duban.demo.loader import DEMO_PASSWORD
    from duban.meetings.models import Meeting
    from duban.tasks.models import Task

    base = live_server.url
    with chromium_page(monkeypatch) as (page, errors):
        sign_in(page, base, "office", DEMO_PASSWORD)
        page.wait_for_url(f"{base}/")
        page.goto(f"{base}/meetings/import/")
        page.fill("#id_text", TEXT)
        page.click("#import-submit")
        page.wait_for_url(re.compile(r".*/meetings/\d+/$"))
        meeting = Meeting.objects.get()
        assert Task.objects.filter(meeting=meeting).count() == 1  # the extraction missed the last sentence
        assert page.evaluate(SELECT, MISSED)
        assert page.input_value("#task-add-text") == MISSED
        start = meeting.source_text.index(MISSED)
        assert page.input_value("#task-add-start") == str(start)
        assert page.input_value("#task-add-end") == str(start + len(MISSED))
        page.click("#task-add-submit")
        page.wait_for_selector(".alert-success")
        added = Task.objects.filter(meeting=meeting).order_by("-seq").first()
        assert added.seq == 2 and added.text == MISSED
        assert (added.source_start, added.source_end) == (start, start + len(MISSED))
        assert page.locator(f"#span-{added.pk}").count() == 1  # highlighted with its number
        assert errors == []
