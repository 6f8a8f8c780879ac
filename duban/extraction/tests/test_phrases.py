from duban.extraction.phrases import find_phrases


def test_every_quoted_formulation_with_its_inner_span():
    text = "坚持“两山”理念，推进“双碳”和「一网通办」，落实\"三个一批\"，再提“两山”。"
    found = find_phrases(text)
    assert [p.text for p in found] == ["两山", "双碳", "一网通办", "三个一批", "两山"]
    for phrase in found:
        assert text[phrase.start:phrase.end] == phrase.text


def test_titles_and_quoted_speeches_are_not_phrases():
    text = "落实《关于加强作风建设的意见》，总书记强调：“要久久为功。要持续发力。”"
    assert find_phrases(text) == ()


def test_quotes_inside_a_title_still_count():
    text = "讨论《关于纠“四风”树新风的若干措施》。"
    assert [p.text for p in find_phrases(text)] == ["四风"]
