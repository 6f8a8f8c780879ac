from duban.extraction.chars import is_traditional, shadow


def test_shadow_keeps_length_and_maps_half_width_punctuation():
    text = "会议强调:要抓好落实,确保(今年)完成;!?"
    result = shadow(text)
    assert len(result) == len(text)
    assert result == "会议强调：要抓好落实，确保（今年）完成；！？"


def test_traditional_text_is_matched_in_simplified_characters():
    text = "會議強調，要紮實推進鄉村全面振興，堅決守住規模性返貧底線。"
    assert is_traditional(text)
    assert shadow(text) == "会议强调，要扎实推进乡村全面振兴，坚决守住规模性返贫底线。"


def test_simplified_text_is_left_alone():
    text = "会议强调，要全面覆盖，著力推进。"
    assert not is_traditional(text)
    assert shadow(text) == text


def test_spellings_cover_both_scripts():
    from duban.extraction.chars import spellings, to_simplified

    assert to_simplified("會議紀要") == "会议纪要"
    assert spellings("会议") == ["会议", "會議"]
    assert spellings("會議") == ["會議", "会议"]
    assert "發展" in spellings("发展") and "髮展" in spellings("发展")  # one simplified form, two traditional
    assert spellings("安全") == ["安全"]
    assert len(spellings("发发发发发发")) <= 8
def test_view_drops_pinyin_glosses_and_maps_back_to_the_source():
    from duban.extraction.chars import View

    source = "會議強(qiáng)調(diào)，由某某鎮(zhèn)負責(zé)。(附件)"
    view = View(source)
    assert view.text == "會議強調，由某某鎮負責。(附件)"
    start = view.text.index("某某鎮")
    assert view.slice(start, start + 3) == "某某鎮(zhèn)"  # a name keeps its junk
    assert view.slice(0, len(view.text)) == source
    assert View("要抓好（一）落实。").text == "要抓好（一）落实。"  # ordinary brackets stay
