from duban.extraction.sentences import split_paragraphs

TEXT = ("会议指出，甲乙丙。会议强调，要抓好丁戊！要落实“甲。乙”的要求？\n"
        "  要筑牢底线。一是加强监管；二是压实责任;三是严格考核。\n"
        "\n"
        "要帮助解决困难;对共性问题,要研究政策。PM2.5浓度下降1.2个百分点.要持续治理\n"
        "|\n")


def spans(text):
    return [[s.text for s in p.sentences] for p in split_paragraphs(text)]


def test_every_sentence_is_an_exact_slice():
    for paragraph in split_paragraphs(TEXT):
        for sentence in paragraph.sentences:
            assert TEXT[sentence.start:sentence.end] == sentence.text


def test_sentences_end_at_stops_and_line_ends_never_at_semicolons():
    assert spans(TEXT) == [
        ["会议指出，甲乙丙。", "会议强调，要抓好丁戊！", "要落实“甲。乙”的要求？"],
        ["要筑牢底线。", "一是加强监管；二是压实责任;三是严格考核。"],
        ["要帮助解决困难;对共性问题,要研究政策。", "PM2.5浓度下降1.2个百分点.", "要持续治理"],
    ]


def test_paragraph_index_and_position():
    paragraphs = split_paragraphs(TEXT)
    assert [p.index for p in paragraphs] == [0, 1, 2]
    assert paragraphs[1].sentences[1].position == 1
    assert paragraphs[1].start == TEXT.index("要筑牢")
