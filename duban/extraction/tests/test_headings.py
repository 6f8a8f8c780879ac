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


def test_numbered_headings_inside_a_paragraph_head_their_elaborations():
    from duban.extraction import extract_text

    text = ("会议要求，一要确保资金安全规范。严格执行专项资金管理办法，按月对账。二要确保工程按期完工。"
            "施工单位要倒排工期，挂图作战。\n")
    result = extract_text(text)
    assert [h.text for h in result.headings] == ["会议要求，一要确保资金安全规范。", "二要确保工程按期完工。"]
    assert [(d.text[:6], d.heading) for d in result.directives] == [("严格执行专项", 0), ("施工单位要倒", 1)]


def test_a_speaker_led_short_theme_heads_what_follows_but_parallel_items_stay_siblings():
    from duban.extraction import extract_text

    headed = extract_text("张三强调，要锚定全年目标，一心一意抓落实。各乡镇要对照目标逐项推进。\n")
    assert [h.text for h in headed.headings] == ["张三强调，要锚定全年目标，一心一意抓落实。"]
    assert [d.heading for d in headed.directives] == [0]
    parallel = extract_text("会议强调，要抓好防汛备汛，落实值守。要抓好招商引资，盯紧项目。\n")
    assert parallel.headings == () and len(parallel.directives) == 2
