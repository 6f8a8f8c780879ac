import pytest

from duban.extraction.headings import is_heading_sentence, is_title_line, paragraph_heading


@pytest.mark.parametrize("sentence", ["要守牢安全底线。", "要持续擦亮“四季常青”城市名片。", "加快建设科创高地。"])
def test_short_request_without_comma_is_heading_shaped(sentence):
    assert is_heading_sentence(sentence)


@pytest.mark.parametrize("sentence", [
    "要抓好安全生产，压实各方责任。",  # a comma: a request in its own right
    "会议强调，要守牢安全底线。",
    "要坚持以人民为中心的发展思想持续推进各项民生实事项目落地见效。",  # too long
    "今年经济运行平稳。",
])
def test_other_sentences_are_not(sentence):
    assert not is_heading_sentence(sentence)


def test_heading_needs_a_following_directive_in_its_paragraph():
    assert paragraph_heading(["要守牢安全底线。", "要加强隐患排查，压实企业责任。"])
    assert not paragraph_heading(["要守牢安全底线。"])
    assert not paragraph_heading(["要守牢安全底线。", "今年以来全市没有发生较大事故。"])


def test_numbered_title_line():
    assert is_title_line("一、全力稳住经济大盘")
    assert is_title_line("（二）守牢安全底线")
    assert not is_title_line("一、会议指出，今年以来各项工作稳步推进，成效明显")
    assert not is_title_line("要守牢安全底线。")
