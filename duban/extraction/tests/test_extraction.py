"""The assembled pipeline: purity, invariants on any text, and the shape of a small hand-written communique."""

import datetime as dt
import subprocess
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from duban.extraction import extract_text, weekend_calendar
from duban.extraction.decoding import normalise_newlines
from duban.extraction.tests.golds import REPO_ROOT


def test_importing_extraction_does_not_import_django():
    code = "import sys, duban.extraction, duban.extraction.command; sys.exit('django' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, timeout=120,
                          env={"PYTHONPATH": str(REPO_ROOT), "PATH": ""})
    assert done.returncode == 0, done.stderr


_GENRE = list("要坚持加快把作为会议强调指出要求听取汇报传达学习，,。；;！？!?：:“”\"「」《》\n\r\t 一二三是年底月日前内国庆春节"
              "工作日限期0123456789市县委书记长主持召开常委会、安全生产疫情食品（）()·.")
_TEXTS = st.text(alphabet=st.one_of(st.sampled_from(_GENRE), st.characters()), max_size=400)


@settings(max_examples=300, deadline=None)
@given(_TEXTS, st.one_of(st.none(), st.integers(min_value=1990, max_value=2090)))
def test_any_text_extracts_with_exact_spans(text, year):
    result = extract_text(text, year=year, calendar=weekend_calendar())
    source = normalise_newlines(text)
    assert result.text == source
    assert result.source.chars == len(source)
    for item in (*result.headings, *result.directives, *result.phrases):
        assert source[item.start:item.end] == item.text
    for directive in result.directives:
        assert directive.heading is None or 0 <= directive.heading < len(result.headings)
        suggested = [unit for unit in directive.units if unit.written is None]
        if suggested:  # keyword suggestions: one lead at most, never mixed with units the text names
            assert len(suggested) == len(directive.units)
            assert sum(unit.role == "lead" for unit in suggested) <= 1 and len(suggested) <= 4
        for unit in directive.units:
            assert unit.written is None or unit.written in source


def test_small_communique():
    text = ("9月1日，市长李四主持召开市政府常务会议，听取全市食品安全工作情况汇报。\n"
            "会议指出，今年以来全市食品安全形势总体平稳。会议强调，要严把餐饮服务关口，11月上旬完成专项检查。\n"
            "要守牢安全生产底线。要加快完善应急救援体系。\n")
    result = extract_text(text, meeting_date=dt.date(2023, 9, 1))
    assert result.meeting.date == "2023-09-01"
    assert [(h.text, h.area) for h in result.headings] == [("要守牢安全生产底线。", "安全生产")]
    assert [(d.text, d.area, d.heading) for d in result.directives] == [
        ("会议强调，要严把餐饮服务关口，11月上旬完成专项检查。", "食品安全", None),
        ("要加快完善应急救援体系。", "安全生产", 0),
    ]
    assert result.directives[0].deadline.date == "2023-11-10"
    assert result.directives[1].units[0].name == "市应急管理局"


def test_extraction_is_deterministic():
    text = "会议强调，要抓好疫情防控和安全生产。要加快项目建设。\n"
    assert extract_text(text).to_json() == extract_text(text).to_json()


def test_docx_date_gives_the_year(tmp_path):
    import docx

    from duban.extraction import extract_file

    document = docx.Document()
    document.add_paragraph("9月29日，市委书记张三主持召开市委常委会会议。")
    document.add_paragraph("会议强调，要抓好安全生产，国庆前完成隐患排查。")
    document.core_properties.created = dt.datetime(2022, 9, 30, 9, 0)
    path = tmp_path / "minutes.docx"
    document.save(path)
    result = extract_file(path)
    assert result.source.encoding == "docx"
    assert result.meeting.date == "2022-09-29"
    assert result.directives[0].deadline.date == "2022-09-30"


def test_areas_and_units_are_configurable():
    from duban.extraction.areas import parse_areas
    from duban.extraction.units import parse_units

    areas = parse_areas({"fallback": "杂项", "area": [{"name": "教育", "keywords": ["学校"]},
                                                     {"name": "杂项", "keywords": []}]})
    units = parse_units({"unit": [{"name": "县教体局", "keywords": ["学校"], "areas": ["教育"]}]})
    result = extract_text("要加强学校安全管理。\n要做好其他工作。\n", areas=areas, units=units)
    assert [(d.area, [u.name for u in d.units]) for d in result.directives] == [("教育", ["县教体局"]), ("杂项", [])]


def test_heading_lines_head_the_paragraphs_below_them():
    text = ("会议强调，要抓好三项工作。\n"
            "一、守牢安全生产底线\n"
            "各地要加强隐患排查，压实企业责任。\n"
            "要加快完善应急救援体系，提升处置能力。\n"
            "要办好民生实事。\n"
            "要加快推进学校建设，确保秋季投用。\n"
            "会议强调，要加强作风建设，持续纠治“四风”。\n")
    result = extract_text(text)
    assert [(h.text, h.area) for h in result.headings] == [("一、守牢安全生产底线", "安全生产"), ("要办好民生实事。", "民生实事")]
    assert [(d.text[:6], d.heading, d.area) for d in result.directives] == [
        ("会议强调，要", None, "其他"),
        ("各地要加强隐", 0, "安全生产"),
        ("要加快完善应", 0, "安全生产"),
        ("要加快推进学", 1, "民生实事"),
        ("会议强调，要", None, "党的建设"),
    ]


def test_docx_generator_default_date_is_not_the_meetings_year(tmp_path):
    import docx

    from duban.extraction import extract_file

    document = docx.Document()  # python-docx stamps its template's date, 2013-12-23, on every new file
    document.add_paragraph("9月29日，市委书记张三主持召开市委常委会会议。")
    document.add_paragraph("会议强调，要抓好安全生产，国庆前完成隐患排查。")
    path = tmp_path / "minutes.docx"
    document.save(path)
    result = extract_file(path)
    assert result.meeting.date == "09-29"
    assert result.directives[0].deadline.text == "国庆前" and result.directives[0].deadline.date is None
    assert result.undated() == ["国庆前"]
    assert extract_file(path, year=2022).undated() == []
