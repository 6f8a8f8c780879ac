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


def test_presider_in_the_common_shapes_of_real_texts():
    cases = {
        "3月2日，县长赵六在县行政中心三楼会议室，主持召开县政府第12次常务会议。\n": ("县长", "赵六"),
        "3月2日，赵六副县长主持召开全县春耕生产调度会。\n": ("副县长", "赵六"),
        "3月2日，县长赵六召开县政府第12次常务会议。\n": ("县长", "赵六"),
        "3月2日，县委召开常委（扩大）会议，传达学习全省会议精神。\n县委书记钱七主持会议。\n": ("县委书记", "钱七"),
    }
    for text, (title, name) in cases.items():
        meeting = facts(text).meeting
        assert (meeting.presider_title, meeting.presider) == (title, name), text


def test_body_by_kind_without_numbering_or_by_the_meetings_own_name():
    assert facts("3月2日，县长赵六主持召开县第九届人民政府第20次常务会议。\n").meeting.body == "县政府常务会议"
    assert facts("3月2日，市长孙八主持召开市政府六届十二次常务会议。\n").meeting.body == "市政府常务会议"
    assert facts("3月2日，县委召开常委（扩大）会议，研究工作。\n").meeting.body == "县委常委会扩大会议"
    assert facts("3月2日，副县长赵六主持召开集镇风貌提升工作调度会。\n").meeting.body == "集镇风貌提升工作调度会"
    assert facts("全县防汛抗旱指挥部第二次会议召开\n3月2日，会议研究部署汛前准备。\n").meeting.body == "全县防汛抗旱指挥部会议"


def test_date_after_a_long_title_line_and_with_hao():
    title = "赵六主持召开县政府常务会议 研究部署全县春耕生产和农村人居环境整治等事宜\n\n"
    meeting = facts(title + "3月2号上午，县长赵六主持召开县政府常务会议。\n", year=2024).meeting
    assert meeting.date == "2024-03-02" and meeting.presider == "赵六"


def test_a_document_date_counts_only_when_plausible_and_consistent():
    from duban.extraction.meeting import plausible_document_date

    today = dt.date(2026, 12, 5)
    assert plausible_document_date(dt.date(2024, 3, 8), shadow("3月2日，要抓好春耕。"), today) == dt.date(2024, 3, 8)
    # python-docx's template date, the future and texts that name other years are not the meeting's year.
    assert plausible_document_date(dt.date(2013, 12, 23), shadow("3月2日，要抓好春耕。"), today) is None
    assert plausible_document_date(dt.date(2027, 1, 2), shadow("3月2日，要抓好春耕。"), today) is None
    assert plausible_document_date(dt.date(2016, 5, 1), shadow("3月2日，要完成2023年目标任务。"), today) is None
    assert plausible_document_date(dt.date(2024, 1, 3), shadow("要总结2023年工作，谋划2024年任务。"), today) == \
        dt.date(2024, 1, 3)


def _meeting(text, **kwargs):
    return facts(text, **kwargs).meeting


def test_a_year_written_before_the_meetings_name_is_the_meetings_year():
    # the date gives month and day only; the session's name carries its year
    meeting = _meeting("11月3日上午，县长王某主持召开2019年某县人民政府第9次常务会议，研究了三项议题。\n"
                       "会议要求，要做好冬季供暖保障工作。\n")
    assert meeting.date == "2019-11-03"
    assert meeting.body == "县政府常务会议" and meeting.session == "第9次"
    numbered_first = _meeting("11月3日，县长王某主持召开2019年第9次县政府常务会议。\n会议要求，做好供暖保障。\n")
    assert numbered_first.date == "2019-11-03" and numbered_first.session == "第9次"
    # the text's own year beats the one the clerk typed, as for a date written with its year
    assert _meeting("11月3日，县长王某主持召开2019年县政府常务会议。\n会议要求，做好供暖保障。\n",
                    year=2026).date == "2019-11-03"


def test_a_year_elsewhere_in_the_opening_is_not_the_meetings_year():
    # a year naming the work a report is about, or the year a named conference plans for, is not taken
    report = _meeting("4月2日，区长李某主持召开区政府常务会议，听取2018年度援建项目进展情况汇报。\n会议要求，抓紧推进。\n")
    assert report.date == "04-02"
    annual = _meeting("12月28日，县委书记赵某出席并讲话，召开2025年全县农村工作会议。\n会议要求，抓好春耕备耕。\n")
    assert annual.date == "12-28"
    assert _meeting("3月5日，区长李某主持召开区政府常务会议。\n会议要求，抓紧推进。\n").session is None
