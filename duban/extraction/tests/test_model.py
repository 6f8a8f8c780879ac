import json

from duban.extraction.model import (
    Deadline, Directive, Extraction, Heading, Meeting, Phrase, Source, UnitSuggestion,
)


def test_json_has_exactly_the_documented_shape():
    extraction = Extraction(
        source=Source("ab" * 32, 12, "utf-8"),
        meeting=Meeting("2022-09-29", "市委常委会会议", "张三", "市委书记", ("安全生产",)),
        headings=(Heading(0, 6, "要守牢底线。", "安全生产"),),
        directives=(Directive(6, 12, "要抓好落实。", "安全生产", 0, (UnitSuggestion("市应急管理局", "lead", "安全"),),
                              Deadline("年底", "2022-12-31")),),
        phrases=(Phrase("两山", 3, 5),),
        text="x" * 12,
    )
    data = json.loads(extraction.to_json())
    assert list(data) == ["source", "meeting", "headings", "directives", "phrases"]
    assert data["source"] == {"sha256": "ab" * 32, "chars": 12, "encoding": "utf-8"}
    assert data["meeting"] == {"date": "2022-09-29", "body": "市委常委会会议", "presider": "张三",
                               "presider_title": "市委书记", "reports_heard": ["安全生产"]}
    assert data["headings"] == [{"start": 0, "end": 6, "text": "要守牢底线。", "area": "安全生产"}]
    assert data["directives"] == [{"start": 6, "end": 12, "text": "要抓好落实。", "area": "安全生产", "heading": 0,
                                   "units": [{"name": "市应急管理局", "role": "lead", "reason": "安全",
                                              "written": None, "in_list": True}],
                                   "deadline": {"text": "年底", "date": "2022-12-31"}}]
    assert data["phrases"] == [{"text": "两山", "start": 3, "end": 5}]
    assert "市委" in extraction.to_json()  # not ASCII-escaped


def test_missing_facts_are_null():
    data = Meeting().to_dict()
    assert data == {"date": None, "body": None, "presider": None, "presider_title": None, "reports_heard": None}
    directive = Directive(0, 1, "要", "其他").to_dict()
    assert directive["deadline"] is None and directive["heading"] is None and directive["units"] == []
