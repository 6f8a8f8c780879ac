import datetime as dt

from duban.extraction.chars import shadow
from duban.extraction.meeting import find_meeting


def facts(text, **kwargs):
    return find_meeting(text, shadow(text), **kwargs)


def test_full_opening():
    text = ("2024年3月5日，县委副书记、县长李四主持召开县政府第12次常务会议，听取全县春耕生产、"
            "校园安全等工作情况汇报。\n会议要求，要抓好春耕。\n")
    meeting = facts(text).meeting
    assert meeting.date == "2024-03-05"
    assert meeting.body == "县政府常务会议"
    assert (meeting.presider_title, meeting.presider) == ("县委副书记、县长", "李四")
    assert meeting.reports_heard == ("春耕生产", "校园安全")


def test_year_from_argument_or_document_else_month_day():
    text = "12月30日，市委书记王五主持召开市委常委会会议。\n"
    assert facts(text).meeting.date == "12-30"
    assert facts(text).date is None
    assert facts(text, year=2021).meeting.date == "2021-12-30"
    # Saved in January: the meeting was in the December before.
    assert facts(text, document_date=dt.date(2022, 1, 4)).meeting.date == "2021-12-30"


def test_missing_facts_are_none():
    meeting = facts("某县召开会议，研究部署相关工作。\n要抓好落实。\n").meeting
    assert meeting.date is None and meeting.presider is None and meeting.presider_title is None
    assert meeting.body is None and meeting.reports_heard is None


def test_traditional_text_keeps_its_characters_and_passive_presider():
    text = "2023年11月2日，市委常委會召開會議，會議由市委書記陳某主持，聽取全市冬季安全生產情況匯報。\n"
    meeting = facts(text).meeting
    assert meeting.body == "市委常委会会议"  # the kind of meeting, in simplified characters
    assert (meeting.presider_title, meeting.presider) == ("市委書記", "陳某")
    assert meeting.reports_heard == ("冬季安全生產",)


def test_reports_from_later_paragraphs_and_about_phrases():
    text = ("5月6日，市长赵六主持召开市政府常务会议。\n会议听取了市发改委关于全市一季度经济运行情况的汇报。"
            "会议听取了防汛工作情况汇报。要积极听取群众意见。\n")
    assert facts(text).meeting.reports_heard == ("一季度经济运行", "防汛")
