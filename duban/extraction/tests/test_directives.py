import pytest

from duban.extraction.directives import has_modal, is_directive, mask_quotes


@pytest.mark.parametrize("sentence", [
    "要加强重点场所防控力度，严格执行防控举措。",
    "会议强调，要牢牢把握工作定位，确保任务顺利完成。",
    "会议强调,国庆即将来临,各级各部门要全面落实各项要求。",
    "坚持生态优先、绿色发展理念，深入推进专项行动。",
    "把创建示范城市作为“一把手工程”，切实提升治理水平。",
    "一是抓项目扩投资，逐个过堂、挂图作战；",
    "会议要求：一是对进度滞后的项目实行专班推进；",
    "各级各部门务必扛牢政治责任，对反馈问题逐项销号。",
    "江苏是开放前沿，我市要积极参与、深度融合。",
    "商务部门牵头组建招商专班，开展精准招商。",
    "會議強調，要加強統籌協調，細化工作舉措。",
])
def test_requests_are_directives(sentence):
    from duban.extraction.chars import shadow
    assert is_directive(shadow(sentence))


@pytest.mark.parametrize("sentence", [
    "会议指出，重要讲话彰显了坚定不移扩大开放的决心和信心。",
    "会议传达学习省委全会精神，讨论研究《关于加强作风建设的若干措施》。",
    "会议听取了全市经济运行情况汇报。",
    "会议审议并原则通过了《促进民营经济发展若干措施》。",
    "会议还研究了其他事项。",
    "会议强调，乡村全面振兴是一篇大文章。",
    "会议指出，今年以来全市经济运行总体平稳、稳中有进。",
    "党的二十大召开在即，“疫情要防住、经济要稳住”。",
    "开展各类安全检查1200余次，累计排查整治隐患3000余处。",
    "全力推进重点项目建设，取得了明显成效。",
])
def test_facts_and_agenda_records_are_not(sentence):
    assert not is_directive(sentence)


def test_opening_sentence_is_not_a_directive():
    opening = "9月1日，市委书记张三主持召开市委常委会会议，认真学习贯彻重要讲话精神，研究部署近期重点工作。"
    assert not is_directive(opening, opening=True)


def test_modal_ignores_words_that_only_contain_yao():
    assert not has_modal("重要讲话和主要指标体现了必要的要素保障")
    assert has_modal("各地要抓紧落实")
    assert has_modal("会议要求各地抓紧落实")
    assert not has_modal(mask_quotes("坚持“疫情要防住”"))


def test_real_minutes_shapes():
    # Agenda records fused with a requirement, with or without a comma after 强调.
    assert is_directive("会议传达学习了全省安全生产电视电话会议精神，强调要压实企业主体责任。")
    assert is_directive("会议听取了全县春耕工作汇报，强调，要抓紧备足农资。")
    # Decisions that ask for more work; a bare vote is not one.
    assert is_directive("会议议定：原则同意，按会议要求修改完善后，由县商务局印发实施。")
    assert is_directive("会议同意县商务局提出的《实施方案》，作进一步修改完善后提请县委审议。")
    assert not is_directive("会议原则同意《实施方案》。")
    # Minutes hand work to a unit; a requirement with its time right after it.
    assert is_directive("（二）由县水利局负责，于5月底前完成渠系改造。")
    assert is_directive("集镇建设方面则要求在年内完成改造任务。")
    # "会议要求" followed only by a judgement is not a request.
    assert not is_directive("会议要求，这项改革是全局工作的关键一环，也是群众关心的大事。")
