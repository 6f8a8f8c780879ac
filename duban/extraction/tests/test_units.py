import pytest

from duban.extraction import ExtractionError, load_units
from duban.extraction.units import default_units

REQUIRED = ["市发改委", "市工信局", "市科技局", "市卫健委", "市应急管理局", "市信访局", "市生态环境局", "市市场监管局",
            "市农业农村局", "市交通运输局", "市住建局", "市公安局", "市教育局", "市民政局", "市商务局", "市外办",
            "市纪委监委", "市委组织部", "市委宣传部", "市委政法委", "市财政局", "市人社局", "市自然资源和规划局",
            "市水利局", "市文广旅局", "市城管局", "市数据局", "市医保局", "市退役军人事务局", "市国资委", "市统计局",
            "市审计局", "市税务局", "市消防救援支队", "市委网信办", "市委统战部", "市总工会", "团市委", "市妇联",
            "市残联", "市司法局", "市粮食和物资储备局", "各辖市区人民政府"]


def test_default_list_holds_the_typical_units_with_all_fields():
    units = default_units().units
    assert len(units) >= 40
    assert set(REQUIRED) <= {unit.name for unit in units}
    for unit in units:
        assert unit.full_name and unit.aliases and unit.keywords, unit.name


def test_one_lead_at_most_three_cooperating_each_with_its_reason():
    text = "要抓好疫情防控和安全生产，加强食品安全监管，深入排查信访矛盾，推动污染治理。"
    suggestions = default_units().suggest(text)
    assert [s.role for s in suggestions] == ["lead", "coop", "coop", "coop"]
    for suggestion in suggestions:
        assert suggestion.reason in text


def test_a_named_unit_leads():
    suggestions = default_units().suggest("要加强疫情防控，市应急管理局要会同有关部门开展检查。")
    assert (suggestions[0].name, suggestions[0].role, suggestions[0].reason) == ("市应急管理局", "lead", "市应急管理局")


def test_area_owner_leads_when_no_keyword_matches():
    suggestions = default_units().suggest("要提高办事效率。", "安全生产")
    assert [(s.name, s.role, s.reason) for s in suggestions] == [("市应急管理局", "lead", "安全生产")]
    assert default_units().suggest("要提高办事效率。", "其他") == ()


def test_units_file_replaces_the_default(tmp_path):
    path = tmp_path / "units.toml"
    path.write_text('[[unit]]\nname = "县教体局"\nfull_name = "县教育和体育局"\naliases = ["教体局"]\n'
                    'keywords = ["学校"]\nareas = []\n', encoding="utf-8")
    units = load_units(path)
    assert [s.name for s in units.suggest("要加强学校安全管理和疫情防控。")] == ["县教体局"]


def test_bad_units_file_is_a_typed_error(tmp_path):
    path = tmp_path / "units.toml"
    path.write_text('[[unit]]\naliases = ["x"]\n', encoding="utf-8")
    with pytest.raises(ExtractionError) as caught:
        load_units(path)
    assert caught.value.code == "bad_units"
    with pytest.raises(ExtractionError):
        load_units(tmp_path / "missing.toml")


# --- units the text names (invented sentences in the shapes of real minutes) ---------------------------------

from duban.extraction.chars import shadow as _shadow  # noqa: E402
from duban.extraction.units import named_units  # noqa: E402


def _named(text):
    return [(text[start:end], role) for start, end, role in named_units(_shadow(text))]


def test_minutes_name_who_leads_and_who_helps():
    assert _named("（二）由县水利局负责，于5月底前会同县财政局完成渠系改造。") == [("县水利局", "lead"), ("县财政局", "coop")]
    assert _named("由城投公司按程序组织实施。") == [("城投公司", "lead")]
    assert _named("市统计局要会同相关部门做好跟踪调度。") == [("市统计局", "lead")]  # generic partners name nobody


def test_a_list_of_subjects_are_all_leads_and_generic_groups_are_left_out():
    assert _named("各县（区）、经开区、县交通运输局和县住房和城乡建设局等单位要倒排工期。") == [
        ("经开区", "lead"), ("县交通运输局", "lead"), ("县住房和城乡建设局", "lead")]
    assert _named("会议强调，各级各部门要提高站位。") == []


def test_the_submitter_of_an_agreed_document_leads_and_titles_are_not_units():
    assert _named("会议同意县商务局、县文旅局提出的《关于办好消费季的方案》，修改后印发。") == [
        ("县商务局", "lead"), ("县文旅局", "lead")]
    assert _named("会议审议了《县统计局工作规则》。") == []


def test_helping_makes_the_helped_unit_lead_and_serving_units_partners():
    assert _named("协助县自然资源局做好用地报批。") == [("县自然资源局", "lead")]
    assert _named("县规划局要牵头编制方案；县财政局、县税务局等要主动为企业解难题。") == [
        ("县规划局", "lead"), ("县财政局", "coop"), ("县税务局", "coop")]


def test_named_units_are_matched_to_the_list_or_kept_with_their_own_name():
    from duban.extraction import extract_text

    text = "会议要求，县应急管理局要会同县林草中心开展森林防火检查，4月底前完成。\n"
    units = extract_text(text, year=2024).directives[0].units
    assert [(u.name, u.role, u.written, u.in_list) for u in units] == [
        ("市应急管理局", "lead", "县应急管理局", True), ("县林草中心", "coop", "县林草中心", False)]


def test_keyword_suggestions_only_where_no_unit_is_named():
    from duban.extraction import extract_text

    named = extract_text("会议要求，县林草中心要加强森林防火巡查。\n").directives[0].units
    assert [u.written for u in named] == ["县林草中心"]
    unnamed = extract_text("会议要求，要加强森林防火巡查和隐患排查。\n").directives[0].units
    assert unnamed and all(u.written is None for u in unnamed)


def test_a_county_text_gets_county_names_and_serving_is_judged_per_clause():
    from duban.extraction import extract_text

    text = ("3月2日，县长赵六主持召开县政府常务会议。\n"
            "会议要求，县住建局要牵头抓好方案落实，县财政局要积极为项目建设提供资金保障。\n")
    units = extract_text(text, year=2025).directives[0].units
    assert [(u.name, u.role, u.written, u.in_list) for u in units] == [
        ("县住建局", "lead", "县住建局", True), ("县财政局", "coop", "县财政局", True)]
